"""The streaming build: adapter → records → normalise → checks → parquet shards → dataset folder.

One way through, one item at a time, with bounded memory:

1. the adapter yields native :class:`RawItem` s (or :class:`Rejection` s for unparseable lines);
2. the corpus card maps each onto the unified schema (:meth:`CorpusCard.normalise`); an unknown label
   becomes a rejection naming the file and line;
3. duplicate ids are rejected (the first occurrence wins, the rejection names it);
4. worker processes (:mod:`.process`) decode, check and resample the audio (:mod:`.audio`), read the corpus' own
   phone-label files and run the enricher (phones), and turn each batch of rows into one Arrow table;
   batches travel in a bounded window whose results come back in input order, so the output does not
   depend on ``workers``;
5. rows go to per-split shard buffers (:mod:`.writer`), written on one background thread behind the
   main loop; every finished shard and every rejection is journaled (:mod:`.journal`), so a killed
   build resumes where it stopped and writes the same rows;
6. at the end shards are linked to their published names, and the rejection report, checksums,
   manifest (:mod:`.manifest`), the data audit (:mod:`seqd_builder.audit`, reading the finished shards) and the dataset
   card are written.

Every source item ends as a row, a rejection or a skip by design; the accounting (found, counted from
the source listing = written + rejected + skipped, :mod:`.accounting`) is checked before the build
reports success. One build at a time holds the output folder (:mod:`.lock`); "up to date" and
"resumable" mean the inputs are unchanged (:mod:`.fingerprint`).
"""

from __future__ import annotations

import shutil
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from .. import __version__
from ..checksums import file_sha256
from ..corpora import get_adapter
from ..corpora.base import has_bad_encoding, printable_path, printable_rejection
from ..errors import BuildError, SeqdError, UnknownLabelError
from ..schema import RawItem, Rejection, RejectReason, Utterance
from . import accounting, process
from .faults import checkpoint
from .fingerprint import describe_change, save_stamps
from .fingerprint import fingerprint as make_fingerprint
from .journal import Journal
from .lock import output_lock
from .manifest import MANIFEST, config_entry, read_manifest, write_json
from . import shard as sharding
from .reports import REJECTED, combine_rejections, write_reports, write_skips
from .writer import DEFAULT_SHARD_BYTES, ShardWriter, WriteBehind, finalise_shards

STAGING = ".seqd-build"


@dataclass
class ConfigReport:
    """The accounting of one corpus (config) of a build."""

    config: str
    found: int = 0
    written: int = 0
    rejected: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)
    warnings: Counter = field(default_factory=Counter)
    resumed_rows: int = 0
    up_to_date: bool = False
    seconds: float = 0.0

    @property
    def balanced(self) -> bool:
        return self.found == self.written + sum(self.rejected.values()) + sum(self.skipped.values())

    def summary(self) -> str:
        rej = ", ".join(f"{k} {v}" for k, v in sorted(self.rejected.items())) or "none"
        skip = (f", skipped {sum(self.skipped.values())} ["
                + ", ".join(f"{k} {v}" for k, v in sorted(self.skipped.items())) + "]"
                if self.skipped else "")
        warn = ", ".join(f"{k} {v}" for k, v in sorted(self.warnings.items())) or "none"
        state = " (up to date, nothing to do)" if self.up_to_date else (
            f" (resumed after {self.resumed_rows} rows)" if self.resumed_rows else "")
        return (f"{self.config}: found {self.found}, written {self.written}, rejected "
                f"{sum(self.rejected.values())} [{rej}]{skip}; warnings [{warn}]{state}")


@dataclass
class BuildReport:
    out: Path
    configs: list[ConfigReport]
    audit: dict[str, Any] | None = None
    """The data audit's summary (``reports/audit.json``), None when the build ran with audit=False."""

    def summary(self) -> str:
        return "\n".join(c.summary() for c in self.configs)


# --- parent side --------------------------------------------------------------------------------------

def _rejection_from_error(utt_id: str, corpus: str, raw: RawItem, exc: SeqdError) -> Rejection:
    reason = RejectReason.UNKNOWN_LABEL if isinstance(exc, UnknownLabelError) else RejectReason.INVALID_VALUE
    return Rejection(id=utt_id, corpus=corpus, source_file=raw.source_file, line=raw.source_line,
                     reason=reason, detail=str(exc))


def build_config(name: str, root: str | Path, out: str | Path, *, workers: int = 1,
                 phones: str | None = None, options: Mapping[str, Any] | None = None,
                 force: bool = False, max_shard_bytes: int = DEFAULT_SHARD_BYTES,
                 progress: bool = True, window: int | None = None,
                 shard: sharding.Shard | None = None) -> ConfigReport:
    """Build (or resume) one corpus into the dataset folder ``out`` as config ``name``.

    With ``shard``, only that part of the corpus' items (:mod:`.shard`), for :mod:`.gather`. The caller
    holds the folder's lock (:func:`build` does: :mod:`.lock`).
    """
    started = time.monotonic()
    out = Path(out)
    options = dict(options or {})
    adapter = get_adapter(name, root, **options)
    adapter.check_layout()
    card = adapter.card
    config = card.name
    enricher, phones_mode = _make_enricher(phones, card)
    fp = make_fingerprint(adapter, options, phones_mode, out)
    fingerprint, inputs = fp.digest, fp.inputs
    part = sharding.plan(adapter, shard, fingerprint) if shard is not None else None
    if part is not None:
        fingerprint = shard.digest(fingerprint)
    report = ConfigReport(config)

    manifest = read_manifest(out)
    previous = manifest.get("configs", {}).get(config)
    data_dir = out / "data" / config
    if (not force and previous and previous.get("fingerprint") == fingerprint
            and all((data_dir / f).exists() for fs in previous["files"].values() for f in fs)
            and (part is None or (sharding.journal_dir(out, config) / "journal.jsonl").exists())):
        acc = previous["accounting"]
        report.found, report.written = acc["found"], acc["written"]
        report.rejected, report.warnings = Counter(acc["rejected"]), Counter(acc["warnings"])
        report.skipped = Counter(acc.get("skipped", {}))
        report.up_to_date = True
        shutil.rmtree(out / STAGING / config, ignore_errors=True)  # a kill after the manifest
        return report

    journal = Journal(out / STAGING / config)
    state = journal.read()
    if not force and state.fingerprint not in (None, fingerprint) and (state.shards or state.rejections):
        raise BuildError(f"{config}: cannot resume the interrupted build in {out}: "
                         f"{describe_change(journal.folder, fp)}",
                         hint="add --force to discard its {0} finished rows and build from the start"
                              .format(state.n_rows))
    if force or state.fingerprint != fingerprint:
        journal.reset(fingerprint)
        save_stamps(journal.folder, fp)
        state = journal.read()
    else:
        journal.drop_unjournaled(state)
    report.resumed_rows = state.n_rows
    done_seqs = state.done_seqs
    stream = {"items": 0}  # source items the adapter yielded (annotation lines excluded)
    writer = ShardWriter(journal, {s: len(v) for s, v in state.shards.items()}, max_shard_bytes)
    behind = WriteBehind()  # the writer's and journal's calls, in order, on one background thread

    seen: dict[str, str] = {}  # id -> where its first occurrence came from

    def tasks() -> Iterator[tuple[int, Any]]:
        # every decision (duplicates included) is replayed for every item, finished or not, so a
        # resumed stream decides exactly as a clean one; finished sequence numbers are then skipped
        stream["items"] = 0
        for seq, item in enumerate(adapter.items()):
            if isinstance(item, Rejection):
                stream["items"] += (item.extra or {}).get("scope") != "annotation line"
                if seq not in done_seqs:
                    yield seq, printable_rejection(item)
                continue
            stream["items"] += 1
            if has_bad_encoding(item.native_id) or has_bad_encoding(item.source_file):
                if seq not in done_seqs:
                    yield seq, Rejection(
                        id=f"{config}/{printable_path(item.native_id)}", corpus=config,
                        source_file=printable_path(item.source_file), line=item.source_line,
                        reason=RejectReason.BAD_ENCODING,
                        detail="file or folder name is not valid UTF-8 (bytes shown as \\xNN)")
                continue
            utt_id = f"{config}/{item.native_id}"
            where = f"{item.source_file}:{item.source_line}" if item.source_line else item.source_file
            if utt_id in seen:
                if seq not in done_seqs:
                    yield seq, Rejection(id=utt_id, corpus=config, source_file=item.source_file,
                                         line=item.source_line, reason=RejectReason.DUPLICATE_ID,
                                         detail=f"duplicate id {utt_id!r}; first seen at {seen[utt_id]}")
                continue
            seen[utt_id] = where
            if seq in done_seqs:
                continue  # finished by the interrupted run
            try:
                yield seq, card.normalise(item)
            except SeqdError as exc:
                yield seq, _rejection_from_error(utt_id, config, item, exc)

    def owned() -> Iterator[tuple[int, Any]]:
        return tasks() if part is None else part.keep(tasks())

    process.ENRICHER = enricher
    adapter._reset_warnings()
    if enricher is not None and hasattr(enricher, "prepare"):
        prep = [u for _, u in owned() if isinstance(u, Utterance)]
        seen.clear()
        adapter._reset_warnings()
        enricher.prepare(prep, out / STAGING / config / "enrich")
    total = None
    if progress:  # listing is cheap next to decoding: a bar with a total and a percentage
        total = sum(1 for _ in adapter.items())
        adapter._reset_warnings()
    bar = tqdm(desc=f"build {config}", unit="utt", disable=not progress, total=total,
               initial=min(len(done_seqs), total) if total else len(done_seqs),
               dynamic_ncols=True)
    try:
        for seq, task, result in process.ordered(owned(), workers, window or max(2, workers * 4)):
            if isinstance(task, Rejection):
                behind.submit(writer.reject, {**task.to_json(), "seq": seq})
                bar.update(1)
            elif result[0] == "rejected":
                # the audio file, relative to the corpus root like every other recorded path
                rej = Rejection(id=task.id, corpus=config,
                                source_file=adapter.rel(Path(task.audio_path)) if task.audio_path
                                else task.source_file,
                                line=None if task.audio_path else task.source_line,
                                reason=result[1], detail=result[2])
                behind.submit(writer.reject, {**rej.to_json(), "seq": seq})
                bar.update(1)
            else:
                _, index, split, utt_id, size, meta, table = result
                behind.submit(writer.add, table, index, split, utt_id, size,
                              {**meta, "source": adapter.rel(Path(task.audio_path))}, seq)
                bar.update(1)
                checkpoint("row")  # a row came back from the workers (tests stop the build here)
        behind.submit(writer.commit_all)
        behind.submit(journal.append, {"event": "done"})
        behind.drain()
    finally:
        behind.close()
        writer.abandon()
        bar.close()
        journal.close()
        process.ENRICHER = None

    state = journal.read()
    files = finalise_shards(journal, state.shards, data_dir)
    row_sources = [m["source"] for shards in state.shards.values() for sh in shards for m in sh["meta"]]
    item_rejections = [r for r in state.rejections
                       if (r.get("extra") or {}).get("scope") != "annotation line"]
    counted = (accounting.count(adapter.source_listing(), stream["items"], row_sources,
                                item_rejections, adapter.skipped()) if part is None
               else sharding.count(part, row_sources, item_rejections, adapter.skipped()))
    entry = config_entry(card, adapter, state, files, data_dir, fingerprint, inputs, options,
                          phones_mode, check_expected=part is None)
    entry["accounting"].update(found=counted.found, counted_from=counted.counted_from,
                               skipped=dict(sorted(counted.skipped.items())),
                               skipped_folders=counted.skipped_folders)
    entry["sources"] = fp.sources
    entry["file_sha256"] = {f"data/{config}/{name}": done.get("sha256") or file_sha256(data_dir / name)
                            for split, names in files.items()
                            for name, done in zip(names, state.shards[split])}
    write_reports(out, config, state, adapter.warning_records())
    write_skips(out, config, adapter.skipped() if part is None or shard.index == 0 else [])
    if part is not None:  # what the gather reads; a part may hold no row at all
        entry["part"] = part.record()
        sharding.keep_journal(journal.path, out, config)
    checkpoint("reports")
    acc = entry["accounting"]
    if acc["written"] == 0 and part is None:
        reasons = ", ".join(f"{k} {v}" for k, v in acc["rejected"].items()) or "none found"
        raise BuildError(f"{config}: no utterance could be written ({acc['found']} found; rejected: "
                         f"{reasons})",
                         hint=f"see {out / 'reports' / config / REJECTED} for every item and reason")
    report.found, report.written = acc["found"], acc["written"]
    report.rejected, report.warnings = Counter(acc["rejected"]), Counter(acc["warnings"])
    report.skipped = Counter(acc["skipped"])
    counted.check(config)
    manifest = read_manifest(out)
    manifest.setdefault("configs", {})[config] = entry
    manifest["seqd_builder"] = __version__
    manifest["updated"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    write_json(out / MANIFEST, manifest)
    checkpoint("manifest")
    shutil.rmtree(out / STAGING / config, ignore_errors=True)
    report.seconds = time.monotonic() - started
    return report


def _make_enricher(phones: str | None, card) -> tuple[Any, str]:
    """The phones enricher for ``phones`` (a mode), or the card's default mode when None."""
    mode = phones or (card.phones or {}).get("default_mode") or "none"
    if mode == "none":
        return None, "none"
    from ..phones.enrich import make_enricher

    return make_enricher(mode, card), mode


def build(corpora: Sequence[str], out: str | Path, *, roots: Mapping[str, str | Path] | None = None,
          root: str | Path | None = None, workers: int = 1, phones: str | None = None,
          options: Mapping[str, Mapping[str, Any]] | None = None, force: bool = False,
          max_shard_bytes: int = DEFAULT_SHARD_BYTES, progress: bool = True,
          audit: bool = True, shard: sharding.Shard | str | None = None) -> BuildReport:
    """Build one or several corpora into one dataset folder (one config per corpus, plus ``all``).

    ``shard`` (``Shard`` or ``"I/N"``) builds part I of N of every corpus into ``out``, a part folder
    that :func:`seqd_builder.pipeline.gather.gather` joins with the others (see :mod:`.shard`).

    ``root`` is the corpus folder when building one corpus; ``roots`` maps corpus names to folders
    when building several. ``options`` maps corpus names to adapter options. Configs already in the
    folder from earlier builds are kept, so corpora can be added one at a time.
    """
    if not corpora:
        raise BuildError("no corpus named", hint="e.g. `seqd build ravdess --root PATH --out PATH`")
    if len(set(corpora)) != len(corpora):
        raise BuildError(f"a corpus is named twice: {list(corpora)}")
    roots = dict(roots or {})
    if root is not None:
        if len(corpora) > 1:
            raise BuildError("--root names one folder but several corpora are named",
                             hint="give one --root NAME=PATH per corpus")
        roots[corpora[0]] = root
    missing = [c for c in corpora if c not in roots]
    if missing:
        raise BuildError(f"no --root given for {', '.join(missing)}",
                         hint="give --root PATH (one corpus) or --root NAME=PATH per corpus")
    out = Path(out)
    if isinstance(shard, str):
        shard = sharding.Shard.parse(shard)
    with output_lock(out):  # released on every exit path, and by the kernel on a kill
        reports = []
        for name in corpora:
            reports.append(build_config(name, roots[name], out, workers=workers, phones=phones,
                                        options=(options or {}).get(name), force=force,
                                        max_shard_bytes=max_shard_bytes, progress=progress,
                                        shard=shard))
        manifest = read_manifest(out)
        combine_rejections(out, manifest.get("configs", {}))
        audit_summary = None
        if shard is not None:  # a part has no card of its own: the gather writes the one card
            manifest["part"] = {"index": shard.index, "count": shard.count}
            write_json(out / MANIFEST, manifest)
        else:
            if manifest.pop("part", None) is not None:
                write_json(out / MANIFEST, manifest)
            if audit:  # the data audit (seqd_builder.audit) reads the finished shards; the card shows it
                from ..audit import audit_build

                audit_summary = audit_build(out)
            from ..publish.card import write_card

            write_card(out, manifest)
        if (out / STAGING).exists() and not any((out / STAGING).iterdir()):
            (out / STAGING).rmdir()
    return BuildReport(out, reports, audit_summary)
