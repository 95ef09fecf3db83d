"""The accounting of one corpus build, counted so that it can fail.

``found`` is counted from the source, never derived from the output: from the adapter's listing of
source files where it has one (every file of the audio folders, whatever its name or extension), else
from the adapter's stream of items. The build then checks

    found == written + rejected + skipped

where ``skipped`` are files left out by design and reported by reason (RAVDESS song files, other
extensions). With a listing it also checks identity, not just numbers: every listed file must be the
source of a row, of a rejection or of a skip, so a row lost between the stream and the shards names
its file. Folders that could not be read are reported (``skipped_folders``); their files cannot be
listed, so they are outside the balance and the report says so.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ..errors import BuildError


@dataclass
class Accounting:
    found: int
    written: int
    rejected: Counter
    skipped: Counter
    counted_from: str                     # "listing" or "stream"
    lost: list[str] = field(default_factory=list)
    skipped_folders: list[str] = field(default_factory=list)

    @property
    def balanced(self) -> bool:
        return (not self.lost and self.found == self.written + sum(self.rejected.values())
                + sum(self.skipped.values()))

    def check(self, config: str) -> None:
        if self.balanced:
            return
        shown = ", ".join(self.lost[:5]) + (" …" if len(self.lost) > 5 else "")
        raise BuildError(
            f"accounting does not balance for {config}: found {self.found} (from the {self.counted_from}), "
            f"written {self.written}, rejected {sum(self.rejected.values())}, skipped "
            f"{sum(self.skipped.values())}" + (f"; {len(self.lost)} source files are neither a row, a "
                                               f"rejection nor a skip: {shown}" if self.lost else ""),
            hint="this is a bug in seqd-builder (or the corpus changed during the build): build "
                 "again with --force and report it if it persists")


def count(listing: list[str] | None, stream_items: int, row_sources: list[str],
          rejections: list[dict[str, Any]], skips: list[dict[str, str]]) -> Accounting:
    """The accounting of a finished stream; ``rejections`` are item rejections (not sheet lines)."""
    file_skips = [s for s in skips if s["reason"] != "unreadable_folder"]
    folders = [s["path"] for s in skips if s["reason"] == "unreadable_folder"]
    rejected = Counter(r["reason"] for r in rejections)
    skipped = Counter(s["reason"] for s in file_skips)
    if listing is None:
        return Accounting(stream_items, len(row_sources), rejected, skipped, "stream",
                          skipped_folders=folders)
    accounted = set(row_sources) | {r["source_file"] for r in rejections} | {s["path"] for s in file_skips}
    lost = [p for p in listing if p not in accounted]
    return Accounting(len(listing), len(row_sources), rejected, skipped, "listing", lost, folders)
