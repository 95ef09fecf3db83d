"""Writing the audit: ``reports/audit.json`` (summary and warnings), ``reports/audit_files.jsonl``
(every file's measurements), the plots, and a short text for the terminal.

:func:`audit_build` is the build's hook: it runs the audit at the end of ``seqd build`` (skipped when
the shards and thresholds are those of the last audit) so that the dataset card can show it. Problems
are warnings naming the id and source file; the dataset and the build's accounting are never changed.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path
from typing import Any

from .plots import write_plots
from .run import audit_fingerprint, audit_folder
from .thresholds import Thresholds

AUDIT_JSON = "reports/audit.json"
AUDIT_FILES = "reports/audit_files.jsonl"


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_audit(folder: Path, result: dict[str, Any], fingerprint: str | None = None,
                plots: bool = True) -> dict[str, Any]:
    """Write the JSON report, the per-file lines and (optionally) the plots; returns the summary."""
    folder = Path(folder)
    summary = result["summary"]
    if plots:
        for name, cfg in summary["configs"].items():
            rows = [r for r in result["per_file"] if r["config"] == name and "error" not in r]
            cfg["plots"] = write_plots(folder, name, cfg, rows)
    summary["fingerprint"] = fingerprint
    summary["folder"] = "."
    _write(folder / AUDIT_JSON, json.dumps(summary, indent=1, ensure_ascii=False) + "\n")
    _write(folder / AUDIT_FILES, "".join(json.dumps(r, ensure_ascii=False) + "\n"
                                         for r in result["per_file"]))
    return summary


def load_audit(folder: Path) -> dict[str, Any] | None:
    path = Path(folder) / AUDIT_JSON
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        return None


def audit_build(folder: Path, thresholds: Thresholds | None = None) -> dict[str, Any]:
    """The build's hook: audit the folder unless the last audit saw the same shards and thresholds."""
    thresholds = thresholds or Thresholds()
    fingerprint = audit_fingerprint(folder, thresholds)
    previous = load_audit(folder)
    if previous and previous.get("fingerprint") == fingerprint and all(
            (Path(folder) / p).is_file() for c in previous["configs"].values()
            for p in c.get("plots", {}).values()):
        return previous
    return write_audit(folder, audit_folder(folder, thresholds=thresholds), fingerprint)


def summary_text(summary: dict[str, Any], max_warnings: int = 40) -> str:
    """What ``seqd audit`` prints: per config the headline figures, then the warnings."""
    lines = []
    for name, cfg in summary["configs"].items():
        sig, dur = cfg["signal"], cfg["duration"]
        lines.append(f"{name}: {cfg['files']} files, {dur.get('total_h', 0):.2f} h, duration median "
                     f"{dur.get('median_s', 0):.2f} s [{dur.get('min_s', 0):.2f}, {dur.get('max_s', 0):.2f}]")
        if "lufs" in sig:
            lines.append(f"  loudness median {sig['lufs']['median']:.1f} LUFS "
                         f"[p5 {sig['lufs']['p5']:.1f}, p95 {sig['lufs']['p95']:.1f}]; SNR estimate median "
                         f"{sig['snr_db']['median']:.1f} dB; speech ratio median "
                         f"{100 * sig['speech_ratio']['median']:.0f}%")
        for p in cfg["leakage"]["protocols"]:
            if not p.get("applicable"):
                lines.append(f"  protocol {p['protocol']}: not applicable: {p['reason']}")
                continue
            tot = p["text_overlap_train"]
            lines.append(f"  protocol {p['protocol']} ({p['n_folds']} folds): text overlap test→train "
                         f"{'n/a (no transcripts)' if tot is None else f'{100 * tot:.1f}%'}; folds sharing "
                         f"speakers: {len(p['folds_sharing_speakers'])}")
        counts = ", ".join(f"{k} {v}" for k, v in cfg["warnings"].items()) or "none"
        lines.append(f"  warnings: {counts}")
    d = summary["duplicates"]
    lines.append(f"duplicates: {len(d['exact'])} exact groups, {len(d['near_groups'])} near-duplicate "
                 f"groups ({d['checked_pairs']} candidate pairs verified)")
    file_warnings = [w for w in summary["warnings"] if w["id"]]
    by_kind = Counter(w["kind"] for w in file_warnings)
    if file_warnings:
        lines.append(f"file warnings ({sum(by_kind.values())}; first {max_warnings}):")
        for w in file_warnings[:max_warnings]:
            lines.append(f"  {w['kind']}: {w['config']} {w['id']} ({w['file']}): {w['detail']}")
    return "\n".join(lines)
