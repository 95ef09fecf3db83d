"""The per-corpus reports of a finished build, written from its journal.

``reports/<config>/rejected.jsonl`` (every rejection, in source order), ``warnings.jsonl`` (handled
problems of rows), ``source_warnings.jsonl`` (problems the adapter handled while reading),
``skipped.jsonl`` (files left out by design, with the reason), ``checksums/<config>.sha256`` (the
source audio of every row, ``sha256sum -c`` compatible) and the folder's combined ``rejected.jsonl``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

REJECTED = "rejected.jsonl"


def write_reports(out: Path, config: str, state, source_warnings: list[tuple[str, str]]) -> None:
    reports = out / "reports" / config
    reports.mkdir(parents=True, exist_ok=True)
    with (reports / "source_warnings.jsonl").open("w", encoding="utf-8") as fh:
        for kind, message in source_warnings:
            fh.write(json.dumps({"kind": kind, "detail": message}, ensure_ascii=False) + "\n")
    rejections = sorted(state.rejections, key=lambda r: r["seq"])
    with (reports / REJECTED).open("w", encoding="utf-8") as fh:
        for r in rejections:
            fh.write(json.dumps({k: v for k, v in r.items() if k != "seq"}, ensure_ascii=False) + "\n")
    with (reports / "warnings.jsonl").open("w", encoding="utf-8") as fh:
        for shards in state.shards.values():
            for shard in shards:
                for meta in shard["meta"]:
                    for w in meta["warnings"]:
                        fh.write(json.dumps(w, ensure_ascii=False) + "\n")
    (out / "checksums").mkdir(exist_ok=True)
    with (out / "checksums" / f"{config}.sha256").open("w", encoding="utf-8") as fh:
        for split in sorted(state.shards):
            for shard in state.shards[split]:
                for meta in shard["meta"]:
                    fh.write(f"{meta['sha256']}  {meta['source']}\n")


def write_skips(out: Path, config: str, skips: list[dict[str, str]]) -> None:
    with (out / "reports" / config / "skipped.jsonl").open("w", encoding="utf-8") as fh:
        for s in skips:
            fh.write(json.dumps(s, ensure_ascii=False) + "\n")


def combine_rejections(out: Path, configs: Iterable[str]) -> None:
    with (out / REJECTED).open("w", encoding="utf-8") as dst:
        for config in sorted(configs):
            src = out / "reports" / config / REJECTED
            if src.exists():
                dst.write(src.read_text(encoding="utf-8"))
