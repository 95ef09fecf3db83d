"""Reading a published dataset as decoded 16 kHz arrays: ours against the floor and `datasets`' default.

Rows: the real EmoDB (535) and RAVDESS (360) audio from the shared data folder, built with
``seqd build`` into one dataset folder (config ``all``, 895 rows); every way below reads the same rows
and decodes every one of them to a float32 array, in one process, one run each, one after another:

* ``floor``: soundfile on the embedded WAV bytes, already in memory as Python bytes (read from the
  parquet files before the clock starts): the least work any reader must do per row;
* ``floor+read``: the same with the parquet files read inside the timing (pyarrow, audio column only);
* ``datasets``: ``load_dataset(...)`` iterated with its default decoding (torchcodec),
  ``row["audio"].get_all_samples()`` per row, as a plain ``datasets`` user does;
* ``recipe``: the one-line recipe of the README (``cast_column("audio", Audio(decode=False))`` and
  ``soundfile.read`` per row, rows read one at a time);
* ``iter_arrays``: :func:`seqd_builder.load.iter_arrays` (batched Arrow reads, soundfile);
* ``dataloader-w0`` / ``dataloader-w2``: :func:`seqd_builder.load.dataloader`, batches of 16 padded
  to a tensor, in the main process and with two workers.

The goal is ``iter_arrays`` >= 0.8 of ``floor``. Timings share the machine with whatever else runs on
it, so each way runs ``--repeat`` times (rounds interleaved: a busy spell hits every way alike) and its
best time counts; compare ratios within one run, not absolute rows/s across runs.

    .venv/bin/python benchmark/perf/load_throughput.py --json benchmark/perf/results/load_throughput.json
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")


def _timed(fn) -> tuple[int, float]:
    start = time.perf_counter()
    n = fn()
    return n, time.perf_counter() - start


def run(out: Path, repeat: int = 3) -> dict:
    import pyarrow.parquet as pq
    import soundfile as sf
    import torch  # noqa: F401  (imported before any clock starts)
    from datasets import Audio, load_dataset

    from seqd_builder import load, testing
    from seqd_builder.pipeline import build

    roots = {"emodb": testing.make_emodb_tree(out / "in" / "emodb"),
             "ravdess": testing.make_ravdess_tree(out / "in" / "ravdess")}
    build(["emodb", "ravdess"], out / "hf", roots=roots, phones="none", progress=False)
    folder = out / "hf"
    files = sorted(folder.glob("data/*/*.parquet"))
    decoded = load_dataset(str(folder), "all", split="train")  # prepared here, not in a timing
    undecoded = load.undecoded(decoded)

    def audio_bytes():
        return [b.as_py() for f in files
                for b in pq.read_table(f, columns=["audio"]).column("audio").combine_chunks().field("bytes")]

    blobs = audio_bytes()

    def floor():
        for b in blobs:
            sf.read(io.BytesIO(b), dtype="float32")
        return len(blobs)

    def floor_read():
        got = audio_bytes()
        for b in got:
            sf.read(io.BytesIO(b), dtype="float32")
        return len(got)

    def datasets_default():
        n = 0
        for row in decoded:
            row["audio"].get_all_samples()
            n += 1
        return n

    def recipe():
        ds = decoded.cast_column("audio", Audio(decode=False))
        n = 0
        for row in ds:
            sf.read(io.BytesIO(row["audio"]["bytes"]), dtype="float32")
            n += 1
        return n

    def iter_arrays():
        return sum(1 for _ in load.iter_arrays(undecoded, ["category"]))

    def loader(workers):
        def go():
            return sum(len(b.lengths) for b in load.dataloader(undecoded, ["category", "arousal"],
                                                                batch_size=16, num_workers=workers))
        return go

    ways = {"floor": floor, "floor+read": floor_read, "datasets": datasets_default, "recipe": recipe,
            "iter_arrays": iter_arrays, "dataloader-w0": loader(0), "dataloader-w2": loader(2)}
    best: dict[str, tuple[int, float]] = {}
    for _ in range(repeat):  # rounds interleave the ways, so a busy spell hits them all alike
        for name, fn in ways.items():
            n, seconds = _timed(fn)
            if name not in best or seconds < best[name][1]:
                best[name] = (n, seconds)
    results = {name: {"rows": n, "seconds": round(s, 4), "rows_per_s": round(n / s, 1)}
               for name, (n, s) in best.items()}
    floor_rate = results["floor"]["rows_per_s"]
    for r in results.values():
        r["of_floor"] = round(r["rows_per_s"] / floor_rate, 3)
    return {"rows": len(blobs), "dataset": "EmoDB 535 + RAVDESS subset 360 (shared data), config 'all'",
            "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                        "machine": platform.machine()},
            "repeat": repeat, "timing": "best of the repeats, rounds interleaved",
            "goal": "iter_arrays >= 0.8 of floor", "results": results}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--json", type=Path, help="Write the figures to this file.")
    parser.add_argument("--repeat", type=int, default=3, help="Rounds; the best of each way counts.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        report = run(Path(tmp), args.repeat)
    print(f"{'way':<15} {'rows/s':>9} {'of floor':>9}")
    for name, r in report["results"].items():
        print(f"{name:<15} {r['rows_per_s']:>9.1f} {r['of_floor']:>9.3f}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
