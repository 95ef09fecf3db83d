"""Run a sharded build on Dask distributed: ``seqd build ... --executor dask://SCHEDULER``.

The build is N part tasks (:mod:`.shard`), each a plain ``build(..., shard="I/N")`` into its own part
folder, then one gather task (:mod:`.gather`). The engine only places tasks and reruns those whose
worker died; everything that makes a rerun safe is the build's own: the part folder's lock (released
by the kernel when the worker dies), its journal (the rerun resumes after the last commit, so no row
is written twice) and the fingerprint (a rerun over a changed corpus is refused).

Why Dask distributed rather than Ray: both are engines curators already operate, and both rerun a
task whose worker died. Dask is pure-Python wheels (Ray ships a large native core and a GCS
daemon), ``LocalCluster`` starts in-process, so the tests and ``dask://local`` run the real scheduler
and real worker processes on one machine with nothing to install or start beforehand, and the same
code talks to a ``dask-scheduler`` / ``dask-jobqueue`` SLURM cluster by its address. Lhotse's
feature extraction uses the same ``concurrent.futures``-style Dask client.

Part folders go to ``<out>/.seqd-parts/part-IIIII-of-NNNNN`` (on the storage every worker and the
client share, see docs/scale-out.md) and are removed after a successful gather (the gathered files are
hard links to theirs, so the data is not copied); after a failure they stay, and the same command
resumes them.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import BuildError, ConfigError, MissingToolError, SeqdError
from .gather import GatherReport, gather, part_folders

PARTS = ".seqd-parts"
SCHEMES = ("dask://local", "dask://HOST:PORT", "tcp://HOST:PORT")


@dataclass
class ShardedReport:
    out: Path
    gathered: GatherReport
    parts: list[dict[str, Any]] = field(default_factory=list)  # per part: summary, seconds, resumed
    seconds: float = 0.0
    parts_seconds: float = 0.0     # submit of the part tasks to the last part's result
    gather_seconds: float = 0.0
    up_to_date: bool = False

    def summary(self) -> str:
        if self.up_to_date:
            return self.gathered.summary().replace("gathered 0 parts; ", "") + \
                "\n(up to date, nothing to do)"
        resumed = [p for p in self.parts if p["resumed_rows"]]
        extra = (f"\n{len(resumed)} part(s) resumed after a lost worker or an earlier run"
                 if resumed else "")
        return self.gathered.summary() + extra


def parse_executor(text: str) -> str | None:
    """The scheduler address of ``text``, or None for a local cluster; a ConfigError otherwise."""
    if text == "dask://local":
        return None
    for prefix in ("dask://", "tcp://", "tls://"):
        if text.startswith(prefix) and len(text) > len(prefix):
            return ("tcp://" + text[len(prefix):]) if prefix == "dask://" else text
    raise ConfigError(f"--executor {text!r} is not a Dask scheduler; valid: {', '.join(SCHEMES)}",
                      hint="dask://local starts a local cluster; dask://HOST:8786 uses a running "
                           "scheduler (docs/scale-out.md)")


def build_part(corpora: Sequence[str], part_out: str, shard: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    """One part task (runs on a worker). Errors come back as records: a SeqdError's own
    constructor may not survive pickling, and its message and hint are what the user needs."""
    from .stream import build

    started = time.monotonic()
    try:
        report = build(corpora, part_out, shard=shard, **{"progress": False, **kwargs})
    except SeqdError as exc:
        return {"error": str(exc), "hint": exc.hint, "shard": shard}
    return {"shard": shard, "summary": report.summary(), "seconds": time.monotonic() - started,
            "resumed_rows": sum(c.resumed_rows for c in report.configs),
            "up_to_date": all(c.up_to_date for c in report.configs)}


def gather_parts(parts: Sequence[str], out: str) -> GatherReport | dict[str, Any]:
    try:
        return gather(parts, out)
    except SeqdError as exc:
        return {"error": str(exc), "hint": exc.hint}


def _raise(result: Any) -> Any:
    if isinstance(result, dict) and "error" in result:
        raise BuildError(result["error"], hint=result.get("hint"))
    return result


def up_to_date(corpora: Sequence[str], out: Path, kwargs: Mapping[str, Any]) -> GatherReport | None:
    """The accounting of ``out`` when every corpus in it was built (whole or gathered) from exactly
    today's inputs, else None: a rerun of a finished sharded build starts no cluster work."""
    from .fingerprint import fingerprint
    from .manifest import MANIFEST, read_manifest
    from ..corpora import get_adapter

    if kwargs.get("force") or not (out / MANIFEST).is_file():
        return None
    manifest = read_manifest(out)
    roots = dict(kwargs.get("roots") or {})
    if kwargs.get("root") is not None:
        roots[corpora[0]] = kwargs["root"]
    report = GatherReport(out, 0, {})
    for name in corpora:
        options = dict((kwargs.get("options") or {}).get(name) or {})
        adapter = get_adapter(name, roots[name], **options)
        mode = kwargs.get("phones") or (adapter.card.phones or {}).get("default_mode") or "none"
        entry = manifest.get("configs", {}).get(adapter.card.name)
        if (entry is None or "part" in entry
                or entry.get("fingerprint") != fingerprint(adapter, options, mode, out).digest
                or not all((out / "data" / adapter.card.name / f).exists()
                           for fs in entry["files"].values() for f in fs)):
            return None
        report.configs[adapter.card.name] = entry["accounting"]
    return report


def _client(address: str | None, local_workers: int):
    from distributed import Client, LocalCluster

    if address is not None:
        try:
            return Client(address, timeout="20s"), None
        except OSError as exc:
            raise BuildError(f"no Dask scheduler answers at {address} ({exc})",
                             hint="start one (`dask scheduler`) or use --executor dask://local") from exc
    import dask

    # a part built with -j > 1 starts its own decoder processes: worker processes may have children
    with dask.config.set({"distributed.worker.daemon": False}):
        cluster = LocalCluster(n_workers=local_workers, threads_per_worker=1, processes=True,
                               dashboard_address=None)
    return Client(cluster), cluster


def run_sharded(corpora: Sequence[str], out: str | Path, *, executor: str, shards: int | None = None,
                keep_parts: bool = False, local_workers: int = 2,
                build_kwargs: Mapping[str, Any] | None = None, client=None) -> ShardedReport:
    """Build ``corpora`` into ``out`` as ``shards`` part tasks plus a gather on a Dask cluster.

    ``shards`` defaults to the number of workers the cluster has. ``build_kwargs`` are those of
    :func:`~seqd_builder.pipeline.stream.build` (roots, workers, phones, options, force, ...).
    ``client``: a ``distributed.Client`` to use (and leave open) instead of ``executor``'s.
    """
    address = parse_executor(executor) if client is None else None
    if shards is not None and shards < 1:
        raise ConfigError(f"--shards {shards}: give at least 1")
    try:
        from distributed import KilledWorker
    except ImportError as exc:
        raise MissingToolError(f"--executor {executor} needs Dask distributed ({exc})",
                               hint="pip install 'seqd-builder[dask]'; or build the parts with "
                                    "--shard I/N and join them with `seqd build gather`") from exc

    started = time.monotonic()
    out = Path(out).absolute()
    kwargs = dict(build_kwargs or {})
    done = up_to_date(corpora, out, kwargs)
    if done is not None:
        return ShardedReport(out, done, [], time.monotonic() - started, up_to_date=True)
    own = client is None
    client, cluster = _client(address, local_workers) if own else (client, None)
    try:
        t_parts = time.monotonic()
        n = shards or max(1, len(client.scheduler_info().get("workers", {})))
        folders = [str(p) for p in part_folders(out / PARTS, n)]
        futures = [client.submit(build_part, list(corpora), folder, f"{i}/{n}", kwargs, pure=False,
                                 key=f"seqd-part-{i}-of-{n}-{time.time_ns()}")
                   for i, folder in enumerate(folders)]
        try:
            results = [_raise(f.result()) for f in futures]
        except KilledWorker as exc:
            raise BuildError(f"a part task killed its worker repeatedly and was given up ({exc})",
                             hint="see the worker logs; run the same command again to resume the "
                                  "parts") from None
        t_gather = time.monotonic()
        gathered = _raise(client.submit(gather_parts, folders, str(out), pure=False).result())
        t_end = time.monotonic()
    finally:
        if own:
            client.close()
        if cluster is not None:
            cluster.close()
    if not keep_parts:
        shutil.rmtree(out / PARTS, ignore_errors=True)
    return ShardedReport(out, gathered, results, time.monotonic() - started,
                         parts_seconds=t_gather - t_parts, gather_seconds=t_end - t_gather)
