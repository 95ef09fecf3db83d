"""The build's manifest: reading and atomically writing ``manifest.json``, and one corpus config's entry
(counts, accounting, the card facts, the source audio's formats) as a single build and a gather write it.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .. import __version__
from ..errors import BuildError
from .fingerprint import jsonable as _jsonable
from .reports import REJECTED

MANIFEST = "manifest.json"


def read_manifest(out: Path) -> dict[str, Any]:
    path = out / MANIFEST
    if not path.exists():
        return {"configs": {}}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise BuildError(f"{path} is not valid JSON ({exc})",
                         hint="delete the output folder's manifest.json and build again") from exc


def write_json(path: Path, data: Any) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def config_entry(card, adapter, state, files, data_dir, fingerprint, inputs, options, phones_mode,
                  check_expected: bool = True) -> dict:
    splits: dict[str, dict[str, Any]] = {}
    categories: Counter = Counter()
    by_split_cat: dict[str, Counter] = {}
    genders: Counter = Counter()
    levels: Counter = Counter()
    formats: Counter = Counter()  # the source files' (rate, channels), against the card's audio block
    speakers: set[str] = set()
    warnings: Counter = Counter()
    seconds = 0.0
    for split, shards in state.shards.items():
        rows = sum(s["rows"] for s in shards)
        dur = 0.0
        by_split_cat[split] = Counter()
        for shard in shards:
            for meta in shard["meta"]:
                for w in meta["warnings"]:
                    warnings[w["kind"]] += 1
            for cat, gender, duration, speaker, level, *fmt in (m["stats"] for m in shard["meta"]):
                if fmt:
                    formats[tuple(fmt[0])] += 1
                categories[str(cat)] += 1
                by_split_cat[split][str(cat)] += 1
                genders[str(gender)] += 1
                if level is not None:
                    levels[str(level)] += 1
                speakers.add(speaker)
                dur += duration
        splits[split] = {"rows": rows, "hours": round(dur / 3600, 4), "files": files.get(split, []),
                         "bytes": sum((data_dir / f).stat().st_size for f in files.get(split, []))}
        seconds += dur
    # a rejected annotation line (seqd sheets) is reported, but it is no source utterance: the item
    # it belongs to is accounted for by its own row or rejection
    item_rejections = [r for r in state.rejections
                       if (r.get("extra") or {}).get("scope") != "annotation line"]
    rejected = Counter(r["reason"] for r in item_rejections)
    rejected_lines = Counter(r["reason"] for r in state.rejections
                             if (r.get("extra") or {}).get("scope") == "annotation line")
    written = sum(s["rows"] for s in splits.values())
    found = written + sum(rejected.values())
    count_warnings = adapter.count_warnings()
    expected = card.expected.get("utterances")
    if check_expected and expected is not None and found != expected and not count_warnings:
        message = (f"found {found} source utterances; the published corpus has {expected} "
                   f"(a partial copy, or files missing from it)")
        count_warnings.append(message)
        adapter.warn("count_mismatch", message)
    source_audio = _source_audio(card, formats)
    if source_audio.get("differs"):
        adapter.warn("source_format", source_audio["differs"])
    warnings.update(adapter.warning_kinds())
    from ..corpora.protocols import protocol_summary

    return {
        "corpus": card.name, "title": card.title, "fingerprint": fingerprint,
        "built": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "code_version": __version__, "root": str(adapter.root), "options": _jsonable(options),
        "phones_mode": phones_mode, "inputs": inputs,
        "card": {"path": str(card.path) if card.path else None, "licence": card.licence,
                 "citation": card.citation, "language": card.language,
                 "languages": list(card.languages or [card.language]), "homepage": card.homepage,
                 "description": card.description, "categories": card.categories,
                 "perceived_categories": card.perceived_categories, "scales": card.scales(),
                 "official_split": card.official_split, "protocols": protocol_summary(card),
                 "phones": card.phones, "expected": card.expected,
                 "synthetic": bool(card.options.get("synthetic", False)),
                 "agreement": _jsonable(card.options.get("agreement"))},
        "files": {s: v["files"] for s, v in splits.items()},
        "splits": {s: {k: v for k, v in d.items() if k != "files"} for s, d in splits.items()},
        "counts": {"categories": dict(sorted(categories.items())),
                   "categories_by_split": {s: dict(sorted(c.items())) for s, c in by_split_cat.items()},
                   "gender": dict(sorted(genders.items())), "intensity_level": dict(sorted(levels.items())),
                   "speakers": len(speakers), "hours": round(seconds / 3600, 4)},
        "accounting": {"found": found, "written": written, "rejected": dict(sorted(rejected.items())),
                       "rejected_annotation_lines": dict(sorted(rejected_lines.items())),
                       "warnings": dict(sorted(warnings.items()))},
        "count_warnings": count_warnings,
        "source_audio": source_audio,
        "source_notes": _jsonable(adapter.build_notes()),
        "checksums": f"checksums/{card.name}.sha256",
        "rejections": f"reports/{card.name}/{REJECTED}",
    }


def _source_audio(card, formats: Counter) -> dict[str, Any]:
    """The source files' rates and channel counts, against the format the card declares for the
    distribution (``audio: {sample_rate, channels}``): a copy in another format (a re-encoded or
    resampled copy) is reported, since its rows differ from those of the distribution as published."""
    declared = {k: getattr(card.audio, k) for k in ("sample_rate", "channels", "format")
                if getattr(card.audio, k) is not None}
    found = {f"{rate} Hz, {channels} ch": n for (rate, channels), n in sorted(formats.items())}
    out: dict[str, Any] = {"declared": declared, "found": found}
    want = (declared.get("sample_rate"), declared.get("channels"))
    other = sum(n for (rate, channels), n in formats.items()
                if (want[0] is not None and rate != want[0]) or (want[1] is not None and channels != want[1]))
    if other:
        out["differs"] = (f"{other} of {sum(formats.values())} source files are not in the format the card "
                          f"declares for the distribution ({want[0]} Hz, {want[1]} ch); found "
                          + ", ".join(f"{k}: {n}" for k, n in found.items()) + ": a re-encoded copy?")
    return out
