"""The build journal: what a build has finished, so that a killed build resumes without duplicates.

A build appends one JSON line per durable event to ``<out>/.seqd-build/<config>/journal.jsonl``:

* ``start``: the input fingerprint (a resumed build must see the same inputs, else it starts afresh);
* ``shard``: a parquet shard was written and atomically renamed into the staging folder; lists its ids;
* ``rejected``: a source item was rejected (with its adapter sequence number, to restore order);
* ``done``: the adapter stream was exhausted (only finalisation is left).

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


@dataclass
class JournalState:
    fingerprint: str | None = None
    shards: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # split -> shard entries
    done_ids: set[str] = field(default_factory=set)
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
                elif kind == "shard":
                    state.shards.setdefault(event["split"], []).append(event)
                    state.done_ids.update(event["ids"])
                elif kind == "rejected":
                    state.rejections.append(event["rejection"])
                    state.done_ids.add(event["rejection"]["id"])
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
        self._fh.write(json.dumps(event, ensure_ascii=False) + "\n")
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
