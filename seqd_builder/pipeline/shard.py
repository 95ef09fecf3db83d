"""One part of a build split over machines: ``seqd build ... --shard I/N``.

The split is by **contiguous ranges of the adapter's sequence numbers**: part ``I`` of ``N`` (``I``
from 0, as a SLURM array's ``$SLURM_ARRAY_TASK_ID`` with ``--array=0-N-1``) owns the items whose
position in the adapter's stream is in ``[floor(I*M/N), floor((I+1)*M/N))``, ``M`` the stream's
length. Why ranges, not a hash of the native id modulo N:

* the adapter's order is already deterministic (it is what makes a killed build resume: same tree,
  same order, see :mod:`seqd_builder.corpora.base`), and the fingerprint guarantees every machine
  reads the same tree, so the ranges are the same on every machine and every run;
* a single-machine build writes rows in stream order; parts of contiguous ranges hold consecutive
  runs of that order, so the gather only *renames* the parts' parquet files (no audio is read or
  written again) and still yields the single build's rows in the single build's order. A hash split
  interleaves the parts, and equal order would need a k-way merge that rewrites every byte of audio;
* balance is by item count either way (files of a corpus have similar lengths).

Every part replays the whole stream's decisions (duplicates are decided across the whole corpus: the
first occurrence wins wherever it falls) and then keeps its own range; ``M`` costs one more pass over
the adapter's metadata, no audio.

A part is an ordinary dataset folder (shards, journal, reports, checksums, manifest) whose manifest
entry carries a ``part`` record (index, count, range, the build's input fingerprint); its journal is
kept in ``part/<config>/journal.jsonl`` for :mod:`.gather`. Its accounting balances over its own
range: found = the range's source items (+ the corpus' skips, in part 0 only) = written + rejected
(+ skipped); the gather checks the whole corpus against the source listing.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..schema import Rejection
from .accounting import Accounting

PART_DIR = "part"
_SPEC = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


@dataclass(frozen=True)
class Shard:
    """Part ``index`` (0-based) of ``count``; checked on creation."""

    index: int
    count: int

    def __post_init__(self) -> None:
        if self.count < 1 or not 0 <= self.index < self.count:
            raise ConfigError(f"shard {self.index}/{self.count}: the index must be one of 0..{self.count - 1}"
                              if self.count >= 1 else f"shard {self.index}/{self.count}: N must be at least 1",
                              hint="--shard I/N numbers parts from 0, e.g. 0/4 … 3/4 "
                                   "(a SLURM array with --array=0-3)")

    @classmethod
    def parse(cls, text: str) -> "Shard":
        m = _SPEC.match(text or "")
        if not m:
            raise ConfigError(f"--shard {text!r} is not I/N", hint="e.g. --shard 0/4 for the first of 4 parts")
        return cls(int(m.group(1)), int(m.group(2)))

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def bounds(self, total: int) -> tuple[int, int]:
        """The ``[first, end)`` sequence numbers of this part of a stream of ``total`` items."""
        return self.index * total // self.count, (self.index + 1) * total // self.count

    def digest(self, inputs_fingerprint: str) -> str:
        """The part's own fingerprint: the build's inputs plus which part (what "up to date" and
        "resumable" compare), so a folder built as part 0 is never taken for part 1."""
        return hashlib.sha256(f"{inputs_fingerprint}\0part {self}".encode()).hexdigest()


@dataclass(frozen=True)
class PartPlan:
    """What part ``shard`` of one config owns: its sequence range and how many source items it holds."""

    shard: Shard
    total: int             # sequence numbers in the adapter's stream
    first: int
    end: int
    items: int             # source items in [first, end) (rejected annotation lines excluded)
    inputs_fingerprint: str

    def owns(self, seq: int) -> bool:
        return self.first <= seq < self.end

    def keep(self, tasks: Iterable[tuple[int, Any]]) -> Iterator[tuple[int, Any]]:
        """The (seq, task) pairs of this part, from the build's full stream of decisions."""
        return ((seq, task) for seq, task in tasks if self.first <= seq < self.end)

    def record(self) -> dict[str, Any]:
        return {"index": self.shard.index, "count": self.shard.count, "first_seq": self.first,
                "end_seq": self.end, "total_seqs": self.total, "items": self.items,
                "inputs_fingerprint": self.inputs_fingerprint}


def is_item(item: Any) -> bool:
    """Whether a stream element is a source item (a rejected annotation line is not)."""
    return not (isinstance(item, Rejection) and (item.extra or {}).get("scope") == "annotation line")


def plan(adapter, shard: Shard, inputs_fingerprint: str) -> PartPlan:
    """One metadata pass over the adapter's stream: its length and the part's item count."""
    adapter._reset_warnings()
    total = 0
    flags = []
    for item in adapter.items():
        flags.append(is_item(item))
        total += 1
    first, end = shard.bounds(total)
    return PartPlan(shard, total, first, end, sum(flags[first:end]), inputs_fingerprint)


def count(part: PartPlan, row_sources: list[str], rejections: list[dict[str, Any]],
          skips: list[dict[str, str]]) -> Accounting:
    """The accounting of one part: found = its range's items (+ the corpus' skips in part 0)."""
    file_skips = [s for s in skips if s["reason"] != "unreadable_folder"] if part.shard.index == 0 else []
    folders = [s["path"] for s in skips if s["reason"] == "unreadable_folder"]
    return Accounting(part.items + len(file_skips), len(row_sources),
                      Counter(r["reason"] for r in rejections),
                      Counter(s["reason"] for s in file_skips), f"stream, part {part.shard}",
                      skipped_folders=folders)


def journal_dir(out: Path, config: str) -> Path:
    """Where a part keeps its finished journal (a :class:`~.journal.Journal` folder)."""
    return Path(out) / PART_DIR / config


def keep_journal(journal_path: Path, out: Path, config: str) -> Path:
    """Copy a finished part's journal beside its data, where the gather reads it."""
    dst = journal_dir(out, config) / "journal.jsonl"
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_suffix(".tmp")
    shutil.copyfile(journal_path, tmp)
    tmp.replace(dst)
    return dst
