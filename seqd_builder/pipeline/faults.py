"""Fault injection for the crash tests: SIGKILL (or SIGSTOP) this process at a named commit point.

``SEQD_TEST_KILL_AT=point:n`` kills the build the ``n``-th time it reaches ``point`` (e.g.
``commit:3``, right after the third journal commit is on disk). The points are the build's durable
steps, and ``row`` (a row came back from the workers, its worker pool running): ``commit-before`` / ``commit`` (a journal commit line), ``link`` (a shard linked to its
published name), ``reports`` (reports written, manifest not yet), ``manifest`` (manifest written,
staging not yet removed). Unset, :func:`checkpoint` costs one comparison. A real kill, not an
exception: nothing in the process gets to clean up, which is what the resume must survive.
``SEQD_TEST_STOP_AT`` (same syntax) stops the process instead, until it gets SIGCONT: a test holds a
build mid-way without timing anything (the concurrent-build test).

``SEQD_TEST_KILL_ONCE=PATH`` makes the kill happen once across processes: only the process that
creates ``PATH`` dies (a rerun of the same work, e.g. a Dask task rescheduled after its worker died,
then passes the point).
"""

from __future__ import annotations

import os
import signal
from collections import Counter


def _spec(variable: str) -> tuple[str, int]:
    point, _, n = os.environ.get(variable, "").partition(":")
    return point, int(n or 1)


_ACTIONS = {p: (n, sig) for (p, n), sig in ((_spec("SEQD_TEST_KILL_AT"), signal.SIGKILL),
                                            (_spec("SEQD_TEST_STOP_AT"), signal.SIGSTOP)) if p}
_SEEN: Counter = Counter()
_ONCE = os.environ.get("SEQD_TEST_KILL_ONCE", "")


def checkpoint(point: str) -> None:
    if point not in _ACTIONS:
        return
    _SEEN[point] += 1
    n, sig = _ACTIONS[point]
    if _SEEN[point] == n:
        if _ONCE and sig == signal.SIGKILL:
            try:
                os.close(os.open(_ONCE, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            except FileExistsError:
                return
        os.kill(os.getpid(), sig)
