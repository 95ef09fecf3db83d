"""The build journal: what a build has finished, so that a killed build resumes without duplicates.

A build appends one JSON line per durable event to ``<out>/.seqd-build/<config>/journal.jsonl``:

* ``start``: the input fingerprint (a resumed build must see the same inputs, else it refuses);
* ``commit``: one commit point: a parquet shard that was written and atomically renamed into the
  staging folder (its ids and adapter sequence numbers), and/or the rejections decided since the last
  commit, together in one line, so rows and rejections become durable at the same instant;
* ``done``: the adapter stream was exhausted (only finalisation is left).

Every item is keyed by its adapter sequence number (``seq``), never by its id: ids repeat (a
``duplicate_id`` rejection shares its id with the row it duplicates), sequence numbers do not. A
resumed build replays the adapter's whole stream, makes the same decisions (duplicates included) for
every item, and skips exactly the sequence numbers the journal holds.

A shard is journaled only after its file is complete, and a line is only trusted if it is complete
JSON, so a SIGKILL at any point leaves a journal whose trusted prefix describes exactly the finished
work. Staged shard files without a journal line are deleted on resume.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .faults import checkpoint


@dataclass
class JournalState:
    fingerprint: str | None = None
    shards: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # split -> shard entries
    done_ids: set[str] = field(default_factory=set)
    done_seqs: set[int] = field(default_factory=set)
    rejections: list[dict[str, Any]] = field(default_factory=list)
    finished: bool = False

    @property
    def n_rows(self) -> int:
        return sum(s["rows"] for shards in self.shards.values() for s in shards)


class Journal:
    """Append-only event log of one config's build."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.path = folder / "journal.jsonl"
        self.shard_dir = folder / "shards"
        self._fh = None

    def read(self) -> JournalState:
        state = JournalState()
        if not self.path.exists():
            return state
        with self.path.open("r", encoding="utf-8") as fh:
            for line in fh:
                try:
                    event = json.loads(line)
                except json.JSONDecodeError:
                    break  # a torn last line: everything after it is untrusted
                kind = event.get("event")
                if kind == "start":
                    state.fingerprint = event["fingerprint"]
                elif kind == "commit":
                    shard = event.get("shard")
                    if shard:
                        state.shards.setdefault(shard["split"], []).append(shard)
                        state.done_ids.update(shard["ids"])
                        state.done_seqs.update(shard["seqs"])
                    for rej in event.get("rejections", ()):
                        state.rejections.append(rej)
                        state.done_seqs.add(rej["seq"])
                elif kind == "done":
                    state.finished = True
        return state

    def reset(self, fingerprint: str) -> None:
        self.close()
        if self.shard_dir.exists():
            for f in self.shard_dir.iterdir():
                f.unlink()
        self.folder.mkdir(parents=True, exist_ok=True)
        self.shard_dir.mkdir(exist_ok=True)
        self.path.write_text("", encoding="utf-8")
        self.append({"event": "start", "fingerprint": fingerprint})

    def drop_unjournaled(self, state: JournalState) -> int:
        """Delete staged shard files that no journal line vouches for (a kill before commit)."""
        known = {s["file"] for shards in state.shards.values() for s in shards}
        removed = 0
        self.shard_dir.mkdir(parents=True, exist_ok=True)
        for f in self.shard_dir.iterdir():
            if f.name not in known:
                f.unlink()
                removed += 1
        return removed

    def append(self, event: dict[str, Any]) -> None:
        if self._fh is None:
            self._fh = self.path.open("a", encoding="utf-8")
        line = json.dumps(event, ensure_ascii=False) + "\n"
        if event.get("event") == "commit":
            checkpoint("commit-before")
        self._fh.write(line)
        self._fh.flush()
        os.fsync(self._fh.fileno())
        if event.get("event") == "commit":
            checkpoint("commit")

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
