"""Fault injection for the crash tests: SIGKILL this process at a named commit point.

``SEQD_TEST_KILL_AT=point:n`` kills the build the ``n``-th time it reaches ``point`` (e.g.
``commit:3``, right after the third journal commit is on disk). The points are the build's durable
steps: ``commit-before`` / ``commit`` (a journal commit line), ``link`` (a shard linked to its
published name), ``reports`` (reports written, manifest not yet), ``manifest`` (manifest written,
staging not yet removed). Unset, :func:`checkpoint` costs one dictionary lookup. A real kill, not an
exception: nothing in the process gets to clean up, which is what the resume must survive.

``SEQD_TEST_KILL_ONCE=PATH`` makes the kill happen once across processes: only the process that
creates ``PATH`` dies (a rerun of the same work, e.g. a Dask task rescheduled after its worker died,
then passes the point).
"""

from __future__ import annotations

import os
import signal
from collections import Counter

_SPEC = os.environ.get("SEQD_TEST_KILL_AT", "")
_POINT, _, _N = _SPEC.partition(":")
_AT = int(_N or 1) if _POINT else 0
_SEEN: Counter = Counter()
_ONCE = os.environ.get("SEQD_TEST_KILL_ONCE", "")


def checkpoint(point: str) -> None:
    if point != _POINT:
        return
    _SEEN[point] += 1
    if _SEEN[point] == _AT:
        if _ONCE:
            try:
                os.close(os.open(_ONCE, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            except FileExistsError:
                return
        os.kill(os.getpid(), signal.SIGKILL)
