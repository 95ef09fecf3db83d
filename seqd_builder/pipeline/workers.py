"""Worker processes die with their parent.

A ``kill -9`` of the build leaves its pool's workers blocked on a queue nobody writes to (seen: over
100 s). On Linux the kernel delivers a signal to a process whose parent died when asked to with
``prctl(PR_SET_PDEATHSIG)``; elsewhere a daemon thread in the worker polls its parent's pid.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
import threading
import time

PR_SET_PDEATHSIG = 1


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)


def die_with_parent(parent: int) -> None:
    """Pool initializer: arrange for SIGKILL when ``parent`` (the build) dies."""
    done = False
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
            done = libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
        except OSError:
            done = False
    if not done:
        threading.Thread(target=_watch, args=(parent,), daemon=True, name="seqd-parent-watch").start()
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)
