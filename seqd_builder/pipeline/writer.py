"""Parquet shards of bounded size, streamed row group by row group, in the layout ``load_dataset`` reads.

Each split has at most one open shard, written with a ``pyarrow.parquet.ParquetWriter`` one row group
at a time (at most :data:`ROW_GROUP_ROWS` rows or :data:`ROW_GROUP_BYTES` of audio), so memory is
bounded by one row group per split whatever the shard or corpus size. A shard is closed when it holds
``max_shard_bytes`` of audio: fsynced, renamed into the staging folder, then journaled (see
:mod:`.journal`). At the end shards are linked into ``data/<config>/<split>-NNNNN-of-NNNNN.parquet``,
the names the Hub's parquet convention and ``load_dataset`` expect.

Audio bytes are stored uncompressed: PCM gains about 20% from zstd at four times the write cost, while
every other column is zstd-compressed.

Rows arrive as :class:`BatchTable` s (one Arrow table per worker batch) and are sliced into row
groups; :class:`WriteBehind` runs the writer and the journal on one background thread, in order.
"""

from __future__ import annotations

import json
import os
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ..checksums import file_sha256
from ..errors import BuildError
from ..schema import CATEGORIES, FEATURES, GENDERS
from .audio import stamp_of
from .faults import checkpoint
from .journal import Journal

DEFAULT_SHARD_BYTES = 256 * 1024 * 1024
"""Audio bytes per shard: few files on the Hub, each small enough to download and stream."""
ROW_GROUP_ROWS = 100
ROW_GROUP_BYTES = 32 * 1024 * 1024

_ARROW_SCHEMA = FEATURES.arrow_schema.with_metadata(
    {"huggingface": json.dumps({"info": {"features": FEATURES.to_dict()}})})
_CATEGORY_INDEX = {name: i for i, name in enumerate(CATEGORIES)}
_GENDER_INDEX = {name: i for i, name in enumerate(GENDERS)}
_COMPRESSION = {name: "zstd" for name in FEATURES if name != "audio"} | {
    "audio.bytes": "none", "audio.path": "zstd"}


def encode_row(row: dict[str, Any]) -> dict[str, Any]:
    """Class names → ``ClassLabel`` indices; every other value is already of its Arrow type.

    Rows come from :meth:`Utterance.to_row`, whose values were checked when the record was made, so
    this is the whole of ``Features.encode_example`` that they need. Measured on EmoDB's rows
    (``benchmark/perf/encode_rows.py``): the same Arrow table, 0.5 µs per row here against 217 µs
    for ``encode_example`` (which walks every nested phone segment), 3x the cost of encoding plus
    making the table.
    """
    row = dict(row)
    for name in ("category", "category_perceived"):
        if row[name] is not None:
            row[name] = _CATEGORY_INDEX[row[name]]
    if row["gender"] is not None:
        row["gender"] = _GENDER_INDEX[row["gender"]]
    return row


def rows_to_table(rows: list[dict[str, Any]]) -> pa.Table:
    """Encoded rows → an Arrow table of the unified schema (with the HF features metadata)."""
    return pa.Table.from_pylist(rows, schema=_ARROW_SCHEMA)


class BatchTable:
    """A worker's batch of rows; audio a worker did not send is read here, on the writer's thread.

    ``sources`` maps row indices whose ``audio.bytes`` is null to the (path, stamp) of the source
    file whose bytes are the published audio. :meth:`table` reads them once, straight into one Arrow
    buffer for the batch, and checks each file's stamp (:func:`~seqd_builder.pipeline.audio.stamp_of`:
    size, time, inode) against the one the worker took when it decoded and checked the file, so a
    file that changed during the build fails it instead of publishing bytes nobody checked.
    """

    __slots__ = ("_table", "_sources")

    def __init__(self, table: pa.Table, sources: dict[int, tuple[str, tuple[int, ...]]] | None = None):
        self._table, self._sources = table, sources or {}

    def table(self) -> pa.Table:
        if self._sources:
            audio = self._table.column("audio").combine_chunks()
            blobs = audio.field("bytes")
            sizes = [self._sources[i][1][0] if i in self._sources else len(blobs[i].as_buffer())
                     for i in range(len(blobs))]
            offsets = np.zeros(len(sizes) + 1, dtype=np.int64)
            np.cumsum(sizes, out=offsets[1:])
            # one buffer for the batch's audio, each file read straight into its place
            data = pa.allocate_buffer(int(offsets[-1]))
            view = memoryview(data)
            for i in range(len(sizes)):
                place = view[offsets[i]:offsets[i + 1]]
                if i not in self._sources:
                    place[:] = blobs[i].as_buffer()
                    continue
                path, stamp = self._sources[i]
                with open(path, "rb") as fh:
                    if stamp_of(os.fstat(fh.fileno())) != stamp or fh.readinto(place) != sizes[i]:
                        raise BuildError(f"{path} changed while the build was running",
                                         hint="build again once the corpus folder is no longer "
                                              "written to")
            small = offsets[-1] < 2**31  # binary's int32 offsets; else large_binary, cast (a copy)
            column = pa.Array.from_buffers(
                pa.binary() if small else pa.large_binary(), len(sizes),
                [None, pa.py_buffer(offsets.astype(np.int32) if small else offsets), data])
            filled = pa.StructArray.from_arrays(
                [column if small else column.cast(pa.binary()), audio.field("path")],
                fields=list(audio.type))
            where = self._table.schema.get_field_index("audio")
            self._table = self._table.set_column(where, self._table.schema.field(where), filled)
            self._sources = {}
        return self._table


def _rows_of(table: pa.Table, indices: list[int]) -> pa.Table:
    if indices[-1] - indices[0] + 1 == len(indices):
        return table.slice(indices[0], len(indices))
    return table.take(indices)


@dataclass
class _OpenShard:
    name: str
    writer: pq.ParquetWriter
    tmp: Path
    ids: list[str] = field(default_factory=list)
    seqs: list[int] = field(default_factory=list)
    metas: list[dict[str, Any]] = field(default_factory=list)
    pending: list[tuple[BatchTable, int]] = field(default_factory=list)  # (batch, row index)
    pending_bytes: int = 0
    audio_bytes: int = 0


class ShardWriter:
    """Streams rows into per-split shards and commits each finished shard through the journal."""

    def __init__(self, journal: Journal, shard_counts: dict[str, int],
                 max_shard_bytes: int = DEFAULT_SHARD_BYTES):
        self.journal = journal
        self.max_shard_bytes = max_shard_bytes
        self.next_index = dict(shard_counts)
        self.open: dict[str, _OpenShard] = {}
        self.rejections: list[dict[str, Any]] = []  # decided, not yet committed

    def reject(self, rejection: dict[str, Any]) -> None:
        """A rejection (with its ``seq``); it becomes durable with the next commit line."""
        self.rejections.append(rejection)

    def _shard(self, split: str) -> _OpenShard:
        if split not in self.open:
            index = self.next_index.get(split, 0)
            name = f"{split}-{index:05d}.parquet"
            tmp = self.journal.shard_dir / f"{name}.tmp"
            writer = pq.ParquetWriter(tmp, _ARROW_SCHEMA, compression=_COMPRESSION,
                                      use_dictionary=["corpus", "language", "speaker", "split"],
                                      write_statistics=["id", "duration", "speaker", "category"])
            self.open[split] = _OpenShard(name, writer, tmp)
        return self.open[split]

    def add(self, table: BatchTable, index: int, split: str, utt_id: str, audio_bytes: int,
            meta: dict[str, Any], seq: int) -> None:
        """Add row ``index`` of ``table`` (a batch of encoded rows made by :func:`rows_to_table`).

        ``meta`` (warnings, checksum, stats) goes into the journal. Rows are added one at a time, so
        shard and row-group boundaries fall where they would for any batching of the same rows.
        """
        shard = self._shard(split)
        shard.pending.append((table, index))
        shard.ids.append(utt_id)
        shard.seqs.append(seq)
        shard.metas.append(meta)
        shard.pending_bytes += audio_bytes
        shard.audio_bytes += audio_bytes
        if len(shard.pending) >= ROW_GROUP_ROWS or shard.pending_bytes >= ROW_GROUP_BYTES:
            self._write_group(shard)
        if shard.audio_bytes >= self.max_shard_bytes:
            self.commit(split)

    @staticmethod
    def _write_group(shard: _OpenShard) -> None:
        if not shard.pending:
            return
        # one piece per run of rows from the same batch table: a zero-copy slice when the rows are
        # consecutive there (a batch of one split), else a take() of just those rows
        parts, run_table, run = [], None, []
        for table, index in shard.pending:
            if table is not run_table and run:
                parts.append(_rows_of(run_table.table(), run))
                run = []
            run_table = table
            run.append(index)
        parts.append(_rows_of(run_table.table(), run))
        shard.writer.write_table(pa.concat_tables(parts) if len(parts) > 1 else parts[0])
        shard.pending, shard.pending_bytes = [], 0

    def commit(self, split: str) -> None:
        shard = self.open.pop(split, None)
        if shard is None:
            return
        self._write_group(shard)
        shard.writer.close()
        with open(shard.tmp, "rb") as fh:
            os.fsync(fh.fileno())
        # hashed here, on the write-behind thread while the file is in the page cache: the manifest
        # records it and `seqd push` checks it, at no cost to the main loop
        sha256 = file_sha256(shard.tmp)
        os.replace(shard.tmp, self.journal.shard_dir / shard.name)
        self._commit_line({"split": split, "file": shard.name, "sha256": sha256, "rows": len(shard.ids),
                           "ids": shard.ids, "seqs": shard.seqs, "meta": shard.metas})
        self.next_index[split] = self.next_index.get(split, 0) + 1

    def _commit_line(self, shard: dict[str, Any] | None) -> None:
        # one line: the shard and the rejections decided since the last commit become durable
        # together, so no kill can keep one without the other
        self.journal.append({"event": "commit", "shard": shard, "rejections": self.rejections})
        self.rejections = []

    def commit_all(self) -> None:
        for split in sorted(self.open):
            self.commit(split)
        if self.rejections:
            self._commit_line(None)

    def abandon(self) -> None:
        """Close open shards without committing (an error or interruption): resume redoes them."""
        for shard in self.open.values():
            shard.writer.close()
            shard.tmp.unlink(missing_ok=True)
        self.open.clear()
        self.rejections = []


class WriteBehind:
    """Runs the shard writer's and the journal's calls, in order, on one background thread.

    Writing is most of a build's time in its one parent process (a fresh dataset's ~1 MB per
    utterance goes through the kernel's page cache to disk), and pyarrow releases the GIL while it
    writes, so doing it behind the main loop overlaps it with reading the corpus and handing work to
    the decoders. Calls run in submission order on a single thread, so the journal sees exactly the
    sequence it would see inline (a shard is journaled after its file is renamed; SIGKILL safety is
    unchanged). Calls are handed over ``batch`` at a time (a hand-over costs about as much as adding a
    row). At most ``depth`` batches wait, which bounds the memory of rows in flight; a failed call
    re-raises its error in the main thread at a later :meth:`submit` or at :meth:`drain`.
    """

    def __init__(self, depth: int = 8, batch: int = 16):
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="seqd-writer")
        self._pending: deque[Future] = deque()
        self._calls: list[tuple[Callable[..., Any], tuple]] = []
        self._depth, self._batch = depth, batch

    @staticmethod
    def _run(calls: list[tuple[Callable[..., Any], tuple]]) -> None:
        for fn, args in calls:
            fn(*args)

    def _hand_over(self) -> None:
        if self._calls:
            self._pending.append(self._pool.submit(self._run, self._calls))
            self._calls = []
        while self._pending and (len(self._pending) > self._depth or self._pending[0].done()):
            self._pending.popleft().result()

    def submit(self, fn: Callable[..., Any], *args: Any) -> None:
        self._calls.append((fn, args))
        if len(self._calls) >= self._batch:
            self._hand_over()

    def drain(self) -> None:
        """Run every submitted call and wait for them; the first error is raised here."""
        self._hand_over()
        while self._pending:
            self._pending.popleft().result()

    def close(self) -> None:
        """Drop calls not yet started, wait for the running batch (used on errors and interrupts)."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._pending.clear()
        self._calls = []


def finalise_shards(journal: Journal, shards: dict[str, list[dict[str, Any]]], data_dir: Path) -> dict[str, list[str]]:
    """Link staged shards to their published names; remove stale shards of an earlier build."""
    data_dir.mkdir(parents=True, exist_ok=True)
    planned: dict[str, list[str]] = {}
    for split, entries in shards.items():
        n = len(entries)
        planned[split] = []
        for i, entry in enumerate(entries):
            name = f"{split}-{i:05d}-of-{n:05d}.parquet"
            target = data_dir / name
            tmp = target.with_suffix(".linking")
            if tmp.exists():
                tmp.unlink()
            os.link(journal.shard_dir / entry["file"], tmp)
            os.replace(tmp, target)
            checkpoint("link")
            planned[split].append(name)
    keep = {n for names in planned.values() for n in names}
    for f in data_dir.glob("*.parquet"):
        if f.name not in keep:
            f.unlink()
    return planned
