"""The worker side of a build: decode and check one utterance's audio, read its label file, enrich it,
and encode the row; batches of rows go to a process pool whose results come back in source order.

Split from :mod:`.stream` (the parent side: items, journal, shards, manifest). ``ENRICHER`` is set by
the parent before the pool forks, so workers inherit the phone enricher instead of pickling it per task.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pyarrow as pa

from ..audio import SAMPLING_RATE
from ..errors import SeqdError
from ..phones.readers import read_label_file
from ..schema import RejectReason, Utterance
from .audio import AudioProblem, decode
from .workers import die_with_parent
from .writer import BatchTable, encode_row, rows_to_table

ENRICHER = None  # set in the parent before the pool forks; workers inherit it
BATCH_SIZE = 16
"""Utterances per worker task: enough to amortise the pool's per-task cost, few enough that a
window of batches in flight stays a few tens of MB of audio."""


def _warning(kind: str, utt: Utterance, detail: str) -> dict[str, Any]:
    return {"kind": kind, "id": utt.id, "source_file": utt.source_file, "line": utt.source_line,
            "detail": detail}


def _process(utt: Utterance, ship_audio: bool = True) -> tuple:
    """Decode one utterance's audio, read its label file and enrich it. Runs in a worker process.

    Returns ``("rejected", reason, detail)`` or ``("row", encoded row, meta, audio bytes, source)``.
    With ``ship_audio`` False, audio that is published verbatim (the source file's own bytes) is left
    out of the row and ``source`` = (path, stamp) tells the parent to read it itself: sending it back
    through a pipe costs the parent more than reading the file again from the page cache.
    """
    if utt.audio_path is None:
        return ("rejected", RejectReason.MISSING_AUDIO, "the corpus lists no audio file for this item")
    try:
        audio = decode(utt.audio_path, utt.segment)
    except AudioProblem as exc:
        return ("rejected", exc.reason, exc.detail)
    warnings = [_warning(w.split(":", 1)[0], utt, w) for w in audio.warnings]
    if utt.phone_labels is not None:
        try:
            segments = tuple(read_label_file(utt.phone_labels, duration=audio.duration))
            utt = dataclasses.replace(utt, phone_labels=None, phone_alignment=segments or None,
                                      phones=utt.phones or tuple(s.phone for s in segments))
        except SeqdError as exc:  # the row keeps no alignment; the warning names file and line
            warnings.append(_warning("phones_failed", utt, f"label file not read: {exc}"))
            utt = dataclasses.replace(utt, phone_labels=None)
    if ENRICHER is not None:
        try:
            utt = ENRICHER(utt, audio.samples, SAMPLING_RATE)
        except SeqdError as exc:
            # phones that failed their check (e.g. an alignment made on another take) are not
            # published: the row keeps the enricher's fallback (G2P phones) or none, and the
            # warning says why
            warnings.append(_warning("phones_failed", utt, str(exc)))
            utt = getattr(exc, "utterance", None) or dataclasses.replace(utt, phones=(),
                                                                         phone_alignment=None)
    row = utt.to_row()
    source = None if ship_audio or not audio.verbatim else (utt.audio_path, audio.source_stamp)
    row["audio"] = {"bytes": None if source else audio.wav_bytes, "path": Path(utt.audio_path).name}
    row["duration"] = audio.duration
    # what the dataset card counts travels in the journal, so counting needs no re-read of shards
    stats = [row["category"], row["gender"], round(audio.duration, 3), row["speaker"],
             row["intensity_level"], [audio.source_rate, audio.source_channels]]
    return ("row", encode_row(row), {"warnings": warnings, "sha256": audio.source_sha256,
                                     "stats": stats}, len(audio.wav_bytes), source)


def _process_batch(utterances: list[Utterance], ship_audio: bool = True
                   ) -> tuple[pa.Table | None, list[tuple], dict[int, tuple[str, str]]]:
    """:func:`_process` over a batch; the batch's rows come back as one Arrow table.

    Building the table here, in the worker, keeps the parent (which reads the corpus and writes the
    shards, one process for the whole build) down to slicing tables; a row is then
    ``("row", index in the table, split, id, audio bytes, meta)``. The third element maps row indices
    to the (path, stamp) of audio the parent reads itself (see :func:`_process`).
    """
    rows, results, sources = [], [], {}
    for utt in utterances:
        result = _process(utt, ship_audio)
        if result[0] == "row":
            _, row, meta, size, source = result
            if source is not None:
                sources[len(rows)] = source
            results.append(("row", len(rows), row["split"], row["id"], size, meta))
            rows.append(row)
        else:
            results.append(result)
    return (rows_to_table(rows) if rows else None), results, sources


def _batches(tasks: Iterable[tuple[int, Any]], size: int) -> Iterator[list[tuple[int, Any]]]:
    batch: list[tuple[int, Any]] = []
    n_utt = 0
    for seq, task in tasks:
        batch.append((seq, task))
        n_utt += isinstance(task, Utterance)
        if n_utt >= size:
            yield batch
            batch, n_utt = [], 0
    if batch:
        yield batch


def _unbatch(batch: list[tuple[int, Any]], done: tuple) -> Iterator[tuple[int, Any, Any]]:
    table, results, sources = done
    table = BatchTable(table, sources) if table is not None else None
    it = iter(results)
    for seq, task in batch:
        if not isinstance(task, Utterance):
            yield seq, task, None
            continue
        result = next(it)
        yield seq, task, (result + (table,) if result[0] == "row" else result)


def ordered(tasks: Iterable[tuple[int, Any]], workers: int, window: int,
             batch_size: int = BATCH_SIZE) -> Iterator[tuple[int, Any, Any]]:
    """Yield (seq, task, result) in input order; Utterances are processed, the rest passed through.

    Utterances travel to the workers in batches of ``batch_size`` (one submission, one result and one
    Arrow table per batch instead of per file: the per-task cost of a process pool is about that of
    decoding a short file). At most ``window`` batches are in flight, so memory stays bounded however
    fast the adapter reads. A row's result is ``("row", index, split, id, audio bytes, meta, table)``.
    """
    def work(batch):
        return [t for _, t in batch if isinstance(t, Utterance)]

    if workers <= 1:
        for batch in _batches(tasks, batch_size):
            yield from _unbatch(batch, _process_batch(work(batch)))
        return
    ctx = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=die_with_parent,
                             initargs=(os.getpid(),)) as pool:
        pending: deque[tuple[list, Future]] = deque()
        for batch in _batches(tasks, batch_size):
            pending.append((batch, pool.submit(_process_batch, work(batch), False)))
            while len(pending) >= window or (pending and pending[0][1].done()):
                b, fut = pending.popleft()
                yield from _unbatch(b, fut.result())
        while pending:
            b, fut = pending.popleft()
            yield from _unbatch(b, fut.result())
