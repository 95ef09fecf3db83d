"""Run each synthesis job in its own fork of a process that has never synthesised anything.

Why: eSpeak NG keeps state between utterances in C statics (the pitch-flutter index in
``wavegen``'s ``AdvanceParameters`` advances every 64 samples and is never reset), so inside one
process an utterance's samples depend on everything synthesised before it. Measured here: the same
call four times in one process gives four different hashes, the same four in every fresh process.
A fresh process per utterance makes a file's bytes depend on the seed and the utterance alone, but
starting Python costs a second; a fork costs milliseconds. So a *server* process is spawned once (it
imports the renderer and never synthesises) and forks one short-lived child per job, ``workers`` at a
time. The caller may have used Praat's synthesizer itself (the phone aligner does): that cannot leak
in, because the server is spawned, not forked from the caller.

Where ``os.fork`` does not exist (Windows) jobs run in the server process in plan order, which is
reproducible for the same plan but not independent of it.
"""

from __future__ import annotations

import os
import pickle
import traceback
from collections.abc import Callable, Iterator, Sequence
from multiprocessing import get_context
from typing import Any

from ..errors import BuildError


def _read_all(fd: int) -> bytes:
    chunks = []
    while True:
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(fd)
    return b"".join(chunks)


def _child(func: Callable, job: Any, fd: int) -> None:
    try:
        payload = pickle.dumps((True, func(job)))
    except BaseException:  # noqa: BLE001 - reported to the parent, which raises
        payload = pickle.dumps((False, traceback.format_exc()))
    view = memoryview(payload)
    while view:
        view = view[os.write(fd, view):]
    os.close(fd)


def _serve(func: Callable, jobs: Sequence[Any], workers: int, conn, initializer, initargs) -> None:
    """Server loop: fork a child per job, at most ``workers`` at once; send (index, ok, result)."""
    if initializer is not None:
        initializer(*initargs)  # runs once; its caches are inherited by every child
    if not hasattr(os, "fork"):
        for index, job in enumerate(jobs):
            try:
                conn.send((index, True, func(job)))
            except BaseException:  # noqa: BLE001
                conn.send((index, False, traceback.format_exc()))
        conn.close()
        return
    pending = list(enumerate(jobs))[::-1]
    running: dict[int, tuple[int, int]] = {}
    while pending or running:
        while pending and len(running) < workers:
            index, job = pending.pop()
            read_fd, write_fd = os.pipe()
            pid = os.fork()
            if pid == 0:  # child: render, report, leave without running the server's cleanup
                os.close(read_fd)
                _child(func, job, write_fd)
                os._exit(0)
            os.close(write_fd)
            running[pid] = (index, read_fd)
        pid, status = os.wait()
        if pid not in running:
            continue
        index, read_fd = running.pop(pid)
        data = _read_all(read_fd)
        if data:
            ok, result = pickle.loads(data)
        else:
            ok, result = False, f"synthesis child exited with status {status} and no result"
        conn.send((index, ok, result))
    conn.close()


def run_pristine(func: Callable, jobs: Sequence[Any], workers: int = 1, *,
                 initializer: Callable | None = None, initargs: tuple = ()) -> Iterator[tuple[int, Any]]:
    """Yield ``(index, func(job))`` as jobs finish, each job run in a fresh fork of a clean server.

    ``func`` and ``initializer`` must be importable (module level); ``initializer(*initargs)`` runs
    once in the server before any fork (load data files there, never synthesise there). Raises
    :class:`BuildError` with the child's traceback when a job fails.
    """
    ctx = get_context("spawn")
    parent_conn, child_conn = ctx.Pipe(duplex=False)
    server = ctx.Process(target=_serve, args=(func, list(jobs), max(1, int(workers)), child_conn,
                                                      initializer, initargs),
                         daemon=True)
    server.start()
    child_conn.close()
    try:
        for _ in range(len(jobs)):
            try:
                index, ok, result = parent_conn.recv()
            except EOFError:
                raise BuildError(f"the synthesis server stopped (exit code {server.exitcode}) before "
                                 f"all {len(jobs)} jobs finished") from None
            if not ok:
                raise BuildError(f"synthesis of job {index} failed:\n{result}")
            yield index, result
    finally:
        parent_conn.close()
        server.join(timeout=10)
        if server.is_alive():
            server.terminate()
