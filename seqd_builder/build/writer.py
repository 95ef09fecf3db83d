"""Parquet shards of bounded size, in the layout ``datasets.load_dataset`` reads.

Rows are buffered per split and flushed to a shard when the buffer's audio bytes reach
``max_shard_bytes``, so memory is bounded by one shard per split whatever the corpus size. Shards are
written under a temporary name, fsynced and renamed, then journaled (see :mod:`.journal`); at the end
they are linked into ``data/<config>/<split>-NNNNN-of-NNNNN.parquet``, the names the Hub's parquet
convention and ``load_dataset`` expect.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from datasets import Features

from ..schema import FEATURES
from .journal import Journal

DEFAULT_SHARD_BYTES = 256 * 1024 * 1024
"""Audio bytes per shard: small enough for bounded memory, large enough for few files on the Hub."""

_ARROW_SCHEMA = FEATURES.arrow_schema.with_metadata(
    {"huggingface": json.dumps({"info": {"features": FEATURES.to_dict()}})})


# The audio column is stored as its Arrow struct {bytes, path} directly: ``Audio.encode_example`` would
# import torchcodec (and torch) in every build process just to pass bytes through.
_LABEL_FEATURES = Features({k: v for k, v in FEATURES.items() if k != "audio"})


def rows_to_table(rows: list[dict[str, Any]]) -> pa.Table:
    """Encode rows (plain values, category names) into an Arrow table of the unified schema."""
    encoded = []
    for row in rows:
        enc = _LABEL_FEATURES.encode_example({k: v for k, v in row.items() if k != "audio"})
        enc["audio"] = {"bytes": row["audio"]["bytes"], "path": row["audio"]["path"]}
        encoded.append(enc)
    return pa.Table.from_pylist(encoded, schema=_ARROW_SCHEMA)


class ShardWriter:
    """Buffers rows per split and commits shards through the journal."""

    def __init__(self, journal: Journal, shard_counts: dict[str, int],
                 max_shard_bytes: int = DEFAULT_SHARD_BYTES):
        self.journal = journal
        self.max_shard_bytes = max_shard_bytes
        self.next_index = dict(shard_counts)
        self.buffers: dict[str, list[dict[str, Any]]] = {}
        self.buffer_bytes: dict[str, int] = {}
        self.buffer_meta: dict[str, list[dict[str, Any]]] = {}

    def add(self, row: dict[str, Any], meta: dict[str, Any]) -> None:
        """Buffer a row; ``meta`` (warnings, source checksum and path) goes into the journal."""
        split = row["split"]
        self.buffers.setdefault(split, []).append(row)
        self.buffer_meta.setdefault(split, []).append(meta)
        self.buffer_bytes[split] = self.buffer_bytes.get(split, 0) + len(row["audio"]["bytes"])
        if self.buffer_bytes[split] >= self.max_shard_bytes:
            self.flush(split)

    def flush(self, split: str) -> None:
        rows = self.buffers.pop(split, [])
        metas = self.buffer_meta.pop(split, [])
        self.buffer_bytes.pop(split, None)
        if not rows:
            return
        index = self.next_index.get(split, 0)
        name = f"{split}-{index:05d}.parquet"
        final = self.journal.shard_dir / name
        tmp = final.with_suffix(".tmp")
        pq.write_table(rows_to_table(rows), tmp, compression="zstd")
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, final)
        self.journal.append({"event": "shard", "split": split, "file": name, "rows": len(rows),
                             "ids": [r["id"] for r in rows], "meta": metas,
                             "stats": [_row_stats(r) for r in rows]})
        self.next_index[split] = index + 1

    def flush_all(self) -> None:
        for split in sorted(self.buffers):
            self.flush(split)


def _row_stats(row: dict[str, Any]) -> list:
    """What the dataset card counts, kept in the journal so counting needs no re-read of shards."""
    return [row["category"], row["gender"], round(float(row["duration"]), 3), row["speaker"],
            row["intensity_level"]]


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
            planned[split].append(name)
    keep = {n for names in planned.values() for n in names}
    for f in data_dir.glob("*.parquet"):
        if f.name not in keep:
            f.unlink()
    return planned
