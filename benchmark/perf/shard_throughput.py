"""Sharded build throughput on Dask against `seqd build -j 2`, and the engine's overhead per shard.

Corpus: the real EmoDB (535) and RAVDESS (360) audio from the shared data folder, 895 utterances,
hard-linked into a temporary tree. In one process, one run each, on the same files (read once before
the clock so every run finds them in the page cache):

* ``seqd -j1`` / ``seqd -j2``: today's single-machine build (one parent + 1 or 2 decoder processes);
* ``dask 1 worker``: a LocalCluster of 1 worker process runs 1 part task (``-j 1``) + the gather;
* ``dask 2 workers``: a LocalCluster of 2 worker processes runs 2 part tasks + the gather.

Cluster start-up, and the workers' first import of seqd-builder, are timed apart (a real cluster
is started once for many builds). The overhead per
shard is measured in its pieces: the engine's round trip of an empty task; the fixed work every part
repeats over the whole corpus (replaying the adapter's stream to find its range, and stamping the
source tree for the fingerprint); and the gather. The per-file costs then give the paper plan for a
1,000-hour corpus on N machines (docs/scale-out.md).

    .venv/bin/python benchmark/perf/shard_throughput.py [--json benchmark/perf/results/shard_throughput.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq

from seqd_builder import testing


def _ids(out: Path) -> list[str]:
    ids = []
    for config in ("emodb", "ravdess"):
        for f in sorted((out / "data" / config).glob("*.parquet")):
            ids += pq.read_table(f, columns=["id"]).column("id").to_pylist()
    return ids


def _noop() -> None:
    return None


def _warm_imports() -> None:
    """What a long-lived worker has imported after its first build (timed apart from the builds)."""
    import seqd_builder.pipeline.executors  # noqa: F401
    import seqd_builder.publish.card  # noqa: F401
    from seqd_builder.corpora import get_adapter

    for name in ("emodb", "ravdess"):
        get_adapter.__globals__["adapter_class"](name)


def _round_trip_ms(client, n: int = 20) -> float:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        client.submit(_noop, pure=False).result()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def main() -> dict:
    import dask
    from distributed import Client, LocalCluster

    from seqd_builder.pipeline import build
    from seqd_builder.pipeline.executors import run_sharded
    from seqd_builder.pipeline.fingerprint import fingerprint
    from seqd_builder.pipeline.shard import Shard, plan
    from seqd_builder.corpora import get_adapter

    base = Path(tempfile.mkdtemp(prefix="seqd-shard-perf-"))
    roots = {"emodb": testing.make_emodb_tree(base / "emodb"),
             "ravdess": testing.make_ravdess_tree(base / "ravdess")}
    files = sorted(roots["emodb"].glob("wav/*.wav")) + sorted(roots["ravdess"].glob("**/Actor_*/*.wav"))
    for f in files:  # into the page cache: every run below reads them from memory
        f.read_bytes()
    kw = dict(roots=roots, phones="none", progress=False)
    corpora = ["emodb", "ravdess"]
    results: dict = {}

    for j in (1, 2):
        t = time.perf_counter()
        build(corpora, base / f"single-j{j}", workers=j, **kw)
        results[f"seqd -j{j}"] = {"seconds": time.perf_counter() - t}
    reference = _ids(base / "single-j2")
    manifest = json.loads((base / "single-j2" / "manifest.json").read_text())
    hours = sum(c["counts"]["hours"] for c in manifest["configs"].values())

    # the fixed work of one part, over the whole corpus: its stream replay and the tree's stamps
    t = time.perf_counter()
    for name in corpora:
        adapter = get_adapter(name, roots[name])
        fp = fingerprint(adapter, {}, "none", None)
        plan(adapter, Shard(0, 2), fp.digest)
    part_fixed = time.perf_counter() - t

    overhead = {}
    for workers in (1, 2):
        t = time.perf_counter()
        with dask.config.set({"distributed.worker.daemon": False}):
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                   dashboard_address=None)
        client = Client(cluster)
        client.submit(_noop, pure=False).result()
        start_s = time.perf_counter() - t
        t = time.perf_counter()
        client.run(_warm_imports)
        import_s = time.perf_counter() - t
        trip = _round_trip_ms(client)
        t = time.perf_counter()
        report = run_sharded(corpora, base / f"dask-{workers}", executor="dask://local", shards=workers,
                             build_kwargs={k: v for k, v in kw.items() if k != "progress"}, client=client)
        seconds = time.perf_counter() - t
        client.close()
        cluster.close()
        assert _ids(base / f"dask-{workers}") == reference, "gathered rows differ from the single build"
        results[f"dask {workers} worker{'s' if workers > 1 else ''}"] = {
            "seconds": seconds, "parts_seconds": report.parts_seconds,
            "gather_seconds": report.gather_seconds,
            "part_task_seconds": [round(p["seconds"], 3) for p in report.parts],
            "cluster_start_seconds": start_s, "worker_imports_seconds": import_s}
        overhead[workers] = trip

    n = len(reference)
    for r in results.values():
        r["utt_per_s"] = n / r["seconds"]
    j2 = results["seqd -j2"]["seconds"]
    d2 = results["dask 2 workers"]
    per_file = {
        # decode + check + write, per file, of one machine like this one (the -j2 build)
        "build_s_per_file_per_machine": j2 / n,
        "part_fixed_s_per_file": part_fixed / n,  # paid by every part over the whole corpus
        "gather_s_per_file": d2["gather_seconds"] / n,
        "engine_round_trip_ms": overhead,
    }
    mean_dur = hours * 3600 / n
    plan_rows = []
    files_1000h = int(1000 * 3600 / mean_dur)
    for machines in (1, 4, 16, 64):
        # machines like this one, each running one part with -j 2; no extrapolation to bigger nodes
        decode = files_1000h * per_file["build_s_per_file_per_machine"] / machines
        fixed = files_1000h * per_file["part_fixed_s_per_file"] if machines > 1 else 0.0
        gather_s = files_1000h * per_file["gather_s_per_file"] if machines > 1 else 0.0
        plan_rows.append({"machines": machines, "build_hours": decode / 3600,
                          "part_fixed_hours": fixed / 3600, "gather_hours": gather_s / 3600,
                          "total_hours": (decode + fixed + gather_s) / 3600,
                          "audio_GB_read_per_machine": 1000 * 115.2e-3 / machines})
    return {
        "corpus": {"utterances": n, "hours": hours, "mean_seconds": mean_dur},
        "results": results,
        "ratios": {"dask 2 workers / seqd -j2 (time)": d2["seconds"] / j2,
                   "dask 1 worker / seqd -j1 (time)": results["dask 1 worker"]["seconds"]
                   / results["seqd -j1"]["seconds"]},
        "overhead_per_shard": {
            "engine_round_trip_ms": overhead,
            "part_fixed_seconds": part_fixed,
            "gather_seconds": d2["gather_seconds"],
            "note": "part_fixed is repeated by every part (stream replay + source stamps over the "
                    "whole corpus); the round trip is the scheduler's cost of one task"},
        "per_file": per_file,
        "plan_1000h": {"files": files_1000h, "assumes": "machines like this one (2 cores, -j 2), "
                       "this run's per-file costs scaled linearly, 16 kHz 16-bit mono WAV published "
                       "verbatim (115.2 MB per hour), shared storage not the bottleneck; 1 machine = "
                       "a plain build (no parts, no gather)",
                       "rows": plan_rows},
        "machine": {"cpus": os.cpu_count(), "load_avg_1m": os.getloadavg()[0],
                    "python": platform.python_version()},
    }


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--json", type=Path, help="write the figures here")
    args = ap.parse_args()
    figures = main()
    for name, r in figures["results"].items():
        extra = (f"  (parts {r['parts_seconds']:.2f} s, gather {r['gather_seconds']:.2f} s, cluster "
                 f"start {r['cluster_start_seconds']:.1f} s)" if "parts_seconds" in r else "")
        print(f"{name:<16} {r['seconds']:7.2f} s  {r['utt_per_s']:7.1f} utt/s{extra}")
    for k, v in figures["ratios"].items():
        print(f"{k}: {v:.2f}")
    o = figures["overhead_per_shard"]
    print(f"per shard: engine round trip {o['engine_round_trip_ms']} ms, part fixed work "
          f"{o['part_fixed_seconds']:.2f} s, gather {o['gather_seconds']:.2f} s")
    for row in figures["plan_1000h"]["rows"]:
        print(f"1000 h on {row['machines']:>2} machines: {row['total_hours']:.2f} h "
              f"(build {row['build_hours']:.2f}, fixed {row['part_fixed_hours']:.2f}, gather "
              f"{row['gather_hours']:.2f})")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
