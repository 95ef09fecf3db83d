"""One build per output folder: an exclusive lock on ``<out>/.seqd-build.lock``.

Two builds writing one folder interleave shards and journal lines and publish duplicates (seen: 628
rows "found" for 535 files). The lock is ``filelock.FileLock`` (``fcntl.flock`` on Unix), so the
kernel releases it when its process dies, SIGKILL included: a stale lock file never blocks the next
build. Who holds it (pid, host, start time, command) is written beside it, in
``.seqd-build.lock.holder``, so the refusal names the holder; that file is advisory only (the
flock is the lock) and is rewritten by each new holder.
"""

from __future__ import annotations

import json
import os
import socket
import sys
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from filelock import FileLock, Timeout

from ..errors import BuildError

LOCK = ".seqd-build.lock"
HOLDER = ".seqd-build.lock.holder"


def holder_of(out: Path) -> dict | None:
    """What the current (or last) holder wrote beside the lock, or None."""
    try:
        return json.loads((Path(out) / HOLDER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _describe(holder: dict | None) -> str:
    if not holder:
        return "another process (it left no holder record)"
    return (f"process {holder.get('pid')} on {holder.get('host')} since {holder.get('started')} "
            f"({holder.get('command')})")


@contextmanager
def output_lock(out: str | Path, what: str = "build") -> Iterator[None]:
    """Hold the exclusive lock of ``out`` for the ``with`` block; refuse at once if it is taken."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    lock = FileLock(out / LOCK, timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise BuildError(
            f"{out} is in use: {_describe(holder_of(out))} holds its lock ({out / LOCK})",
            hint=f"wait for that build to finish, or {what} into another --out folder; the lock "
                 "goes away by itself when its process ends") from None
    try:
        record = {"pid": os.getpid(), "host": socket.gethostname(),
                  "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                  "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]])[:300] or what}
        tmp = out / (HOLDER + ".tmp")
        tmp.write_text(json.dumps(record) + "\n", encoding="utf-8")
        os.replace(tmp, out / HOLDER)
        yield
    finally:
        # the holder file stays: it is only read while the flock is held by someone
        lock.release()
