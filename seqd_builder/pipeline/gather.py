"""Join the N part folders of a sharded build into one dataset folder: ``seqd build gather``.

The gather is cheap by design: it reads no audio. Each part's parquet files are hard-linked (copied
where the file system cannot link) under the next shard numbers of their split, in part order, which
is stream order (:mod:`.shard`), so the gathered folder has the single-machine build's rows in its
order, byte for byte. What it computes comes from the parts' journals (per-row checksums, stats and
warnings, rejections keyed by their global sequence number) through the same functions as a single
build: the manifest entry, the reports, the checksum list and the card are the single build's.

Before anything is written it checks that the parts are one build:

* every part folder is a finished part (a manifest with a ``part`` record, no unfinished staging);
* the same N, and indices 0..N-1 each exactly once (no gap, no overlap);
* per corpus: the same input fingerprint, code version, options and stream length in every part,
  and ranges that tile the stream; the fingerprint is computed again over the corpus root, so a
  corpus that changed after its parts were built is refused (the root must be visible at the path
  the parts recorded: the shared-storage assumption of docs/scale-out.md);
* the accounting of the whole corpus: found, counted from the source listing, = written + rejected +
  skipped over all parts, every listed file accounted for.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .. import __version__
from ..corpora import get_adapter
from ..errors import BuildError
from . import accounting
from .fingerprint import fingerprint as make_fingerprint
from .journal import Journal, JournalState
from .lock import output_lock
from .manifest import MANIFEST, config_entry, read_manifest, write_json
from .stream import STAGING
from .reports import combine_rejections, write_reports, write_skips
from .shard import journal_dir


@dataclass
class Part:
    folder: Path
    manifest: dict[str, Any]

    @property
    def index(self) -> int:
        return self.manifest["part"]["index"]

    @property
    def count(self) -> int:
        return self.manifest["part"]["count"]


@dataclass
class GatherReport:
    out: Path
    parts: int
    configs: dict[str, dict[str, Any]]   # config -> accounting

    def summary(self) -> str:
        lines = []
        for config, acc in sorted(self.configs.items()):
            rej = sum(acc["rejected"].values())
            skip = sum(acc.get("skipped", {}).values())
            lines.append(f"{config}: gathered {self.parts} parts; found {acc['found']}, written "
                         f"{acc['written']}, rejected {rej}" + (f", skipped {skip}" if skip else ""))
        return "\n".join(lines)


def _load_part(folder: Path) -> Part:
    folder = Path(folder)
    path = folder / MANIFEST
    if not path.is_file():
        raise BuildError(f"{folder} has no {MANIFEST}: not a finished part of a sharded build",
                         hint="build it with `seqd build ... --shard I/N --out FOLDER` (run the same "
                              "command again to finish an interrupted part)")
    manifest = read_manifest(folder)
    if "part" not in manifest:
        raise BuildError(f"{folder} is a complete dataset folder, not a part (built without --shard)",
                         hint="gather takes the N folders written by `seqd build ... --shard I/N`")
    staging = folder / STAGING
    if staging.exists() and any(staging.iterdir()):
        raise BuildError(f"part {manifest['part']['index']}/{manifest['part']['count']} in {folder} is "
                         f"unfinished ({staging} remains)",
                         hint="run that part's build command again: it resumes where it stopped")
    return Part(folder, manifest)


def check_parts(parts: Sequence[Part]) -> list[str]:
    """The configs the parts share, if they are the N parts of one build; else a BuildError."""
    if not parts:
        raise BuildError("no part folder given", hint="seqd build gather PART... --out DIR")
    counts = {p.count for p in parts}
    if len(counts) != 1:
        raise BuildError(f"the parts come from splits into different numbers of parts: "
                         f"{', '.join(f'{p.folder} ({p.index}/{p.count})' for p in parts)}")
    n = counts.pop()
    seen: dict[int, Path] = {}
    for p in parts:
        if p.index in seen:
            raise BuildError(f"part {p.index}/{n} given twice: {seen[p.index]} and {p.folder}",
                             hint="each part once; the gather refuses overlaps")
        seen[p.index] = p.folder
    missing = sorted(set(range(n)) - set(seen))
    if missing:
        raise BuildError(f"{len(missing)} of {n} parts missing: {', '.join(f'{i}/{n}' for i in missing)}",
                         hint="build the missing parts (`seqd build ... --shard I/N`) and gather again")
    configs = sorted(parts[0].manifest.get("configs", {}))
    for p in parts:
        have = sorted(p.manifest.get("configs", {}))
        if have != configs:
            raise BuildError(f"part {p.index}/{n} ({p.folder}) holds corpora {have}; part 0 holds {configs}")
    for config in configs:
        entries = sorted(((p.index, p.manifest["configs"][config]) for p in parts), key=lambda e: e[0])
        first = entries[0][1]
        for index, e in entries:
            rec = e.get("part")
            if rec is None or rec["index"] != index:
                raise BuildError(f"{config} in part {index}/{n} was not built as that part")
            for key, what in (("code_version", "code version"), ("options", "options"),
                              ("phones_mode", "phones mode"), ("root", "corpus root")):
                if e.get(key) != first.get(key):
                    raise BuildError(f"{config}: part {index}/{n} was built with {what} {e.get(key)!r}, "
                                     f"part 0 with {first.get(key)!r}",
                                     hint="rebuild the parts with one command line and one version")
            if rec["inputs_fingerprint"] != first["part"]["inputs_fingerprint"]:
                raise BuildError(f"{config}: part {index}/{n} was built from other inputs than part 0 "
                                 f"(input fingerprints differ)",
                                 hint="the corpus changed between parts: rebuild every part")
            if rec["total_seqs"] != first["part"]["total_seqs"]:
                raise BuildError(f"{config}: part {index}/{n} saw {rec['total_seqs']} stream items, "
                                 f"part 0 saw {first['part']['total_seqs']}")
        ends = [0] + [e["part"]["end_seq"] for _, e in entries]
        for (index, e), start in zip(entries, ends):
            if e["part"]["first_seq"] != start:
                raise BuildError(f"{config}: part {index}/{n} starts at item {e['part']['first_seq']}, "
                                 f"the part before it ends at {start} (a gap or an overlap)")
        if ends[-1] != first["part"]["total_seqs"]:
            raise BuildError(f"{config}: the parts end at item {ends[-1]} of {first['part']['total_seqs']}")
    if parts[0].manifest["configs"] and next(iter(parts[0].manifest["configs"].values()))[
            "code_version"] != __version__:
        raise BuildError(f"the parts were built by seqd-builder "
                         f"{next(iter(parts[0].manifest['configs'].values()))['code_version']}; this is "
                         f"{__version__}", hint="gather with the version that built the parts")
    return configs


def _link(src: Path, dst: Path) -> None:
    tmp = dst.with_suffix(".linking")
    tmp.unlink(missing_ok=True)
    try:
        os.link(src, tmp)
    except OSError:  # another file system: a copy (the only case where the gather writes audio)
        shutil.copyfile(src, tmp)
    os.replace(tmp, dst)


def _gather_config(config: str, parts: Sequence[Part], out: Path) -> dict[str, Any]:
    entries = [p.manifest["configs"][config] for p in parts]
    first = entries[0]
    options = first["options"]
    root = Path(first["root"])
    if not root.is_dir():
        raise BuildError(f"{config}: the corpus root {root} the parts were built from is not visible here",
                         hint="gather where the corpus is mounted at the same path as on the machines "
                              "that built the parts (docs/scale-out.md)")
    adapter = get_adapter(first["corpus"], root, **options)
    fp = make_fingerprint(adapter, options, first["phones_mode"], out)
    if fp.digest != first["part"]["inputs_fingerprint"]:
        raise BuildError(f"{config}: the corpus under {root} changed since its parts were built",
                         hint="build every part again, then gather")
    adapter._reset_warnings()
    for _ in adapter.items():  # the corpus-wide warnings and skips, as a single build records them
        pass

    states = [Journal(journal_dir(p.folder, config)).read() for p in parts]
    data_dir = out / "data" / config
    data_dir.mkdir(parents=True, exist_ok=True)
    splits = sorted({s for e in entries for s in e["files"]})
    merged = JournalState(fingerprint=fp.digest)
    files: dict[str, list[str]] = {}
    sha: dict[str, str] = {}
    for split in splits:
        n = sum(len(e["files"].get(split, [])) for e in entries)
        files[split] = []
        for p, e, state in zip(parts, entries, states):
            names = e["files"].get(split, [])
            journaled = state.shards.get(split, [])
            size = sum((p.folder / "data" / config / name).stat().st_size for name in names)
            if names and size != e["splits"][split]["bytes"]:
                raise BuildError(f"{config}: the {split} files of part {p.index} hold {size} bytes, its "
                                 f"manifest {e['splits'][split]['bytes']} (changed or cut short since "
                                 f"the part was built)", hint="build that part again with --force")
            if len(names) != len(journaled):
                raise BuildError(f"{config}: part {p.index} lists {len(names)} {split} shards, its "
                                 f"journal {len(journaled)}", hint="build that part again with --force")
            for name, shard in zip(names, journaled):
                new = f"{split}-{len(files[split]):05d}-of-{n:05d}.parquet"
                src = p.folder / "data" / config / name
                _link(src, data_dir / new)
                files[split].append(new)
                merged.shards.setdefault(split, []).append({**shard, "file": new})
                sha[f"data/{config}/{new}"] = e["file_sha256"][f"data/{config}/{name}"]
    keep = {n for names in files.values() for n in names}
    for f in data_dir.glob("*.parquet"):
        if f.name not in keep:
            f.unlink()
    merged.rejections = sorted((r for s in states for r in s.rejections), key=lambda r: r["seq"])

    entry = config_entry(adapter.card, adapter, merged, files, data_dir, fp.digest, first["inputs"],
                          options, first["phones_mode"])
    row_sources = [m["source"] for shards in merged.shards.values() for sh in shards for m in sh["meta"]]
    item_rejections = [r for r in merged.rejections
                       if (r.get("extra") or {}).get("scope") != "annotation line"]
    counted = accounting.count(adapter.source_listing(), sum(e["part"]["items"] for e in entries),
                               row_sources, item_rejections, adapter.skipped())
    entry["accounting"].update(found=counted.found, counted_from=counted.counted_from,
                               skipped=dict(sorted(counted.skipped.items())),
                               skipped_folders=counted.skipped_folders)
    entry["sources"] = fp.sources
    entry["file_sha256"] = sha
    entry["gathered"] = {"parts": len(parts), "at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    write_reports(out, config, merged, adapter.warning_records())
    write_skips(out, config, adapter.skipped())
    counted.check(config)
    if entry["accounting"]["written"] == 0:
        raise BuildError(f"{config}: no utterance could be written in any part",
                         hint=f"see {out / 'reports' / config / 'rejected.jsonl'}")
    return entry


def gather(parts: Sequence[str | Path], out: str | Path) -> GatherReport:
    """Check that ``parts`` are the N parts of one sharded build and join them into ``out``."""
    out = Path(out)
    loaded = sorted((_load_part(Path(p)) for p in parts), key=lambda p: p.index)
    for p in loaded:
        if p.folder.resolve() == out.resolve():
            raise BuildError(f"--out {out} is one of the parts", hint="gather into a new folder")
    configs = check_parts(loaded)
    with output_lock(out, what="gather"):
        manifest = read_manifest(out)
        manifest.pop("part", None)
        report = GatherReport(out, len(loaded), {})
        for config in configs:
            entry = _gather_config(config, loaded, out)
            manifest.setdefault("configs", {})[config] = entry
            report.configs[config] = entry["accounting"]
        manifest["seqd_builder"] = __version__
        manifest["updated"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
        write_json(out / MANIFEST, manifest)
        combine_rejections(out, manifest.get("configs", {}))
        from ..audit import audit_build  # as a single build does, before its card

        audit_build(out)
        from ..publish.card import write_card

        write_card(out, manifest)
    return report


def part_folders(base: str | Path, count: int) -> list[Path]:
    """The conventional part folders of a build into ``base``: ``<base>/part-IIIII-of-NNNNN``."""
    return [Path(base) / f"part-{i:05d}-of-{count:05d}" for i in range(count)]
