"""Sharded frozen-feature extraction (``seqd bench features --shard I/N``, under ``accelerate launch``).

What matters is that the parts together fill exactly the cache entries the runner looks up: after the
parts ran, the runner's own feature pass over every row of the task computes nothing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from seqd_builder import testing
from seqd_builder.benchmark.features import extract_part, shard_rows
from seqd_builder.pipeline import build
from seqd_builder.pipeline.shard import Shard

N_FILES = 12


@pytest.fixture(scope="module")
def emodb_hf(shared_data, tmp_path_factory):
    base = tmp_path_factory.mktemp("feat")
    stems = [p.stem for p in sorted((shared_data / "audio/emodb/wav").glob("*.wav"))[:N_FILES]]
    root = testing.make_emodb_tree(base / "emodb", stems=stems)
    build(["emodb"], base / "hf", root=root, progress=False, phones="none")
    return base / "hf"


def _runner_misses(data_dir: Path, cache: Path, model: str) -> tuple[int, int]:
    """Hits and misses of the runner's own feature pass over every task row at every speed."""
    from accelerate import PartialState

    from seqd_builder.benchmark.config import load_model_config
    from seqd_builder.benchmark.data import load_task_data
    from seqd_builder.benchmark.frontend import load_upstream
    from seqd_builder.benchmark.recipe import wave_prep
    from seqd_builder.benchmark.runner import extract_features
    from seqd_builder.benchmark.tasks import load_task

    cfg = load_model_config(model, {})
    up = load_upstream(cfg["upstream"]["spec"], **cfg["upstream"].get("options", {}), cache=cache)
    data = load_task_data(load_task("emodb"), data_dir)
    prep = wave_prep(cfg, data, (), fine_tuned=False)
    for speed in [1.0] + [s for s in cfg["augment"].get("speed", [1.0]) if s != 1.0]:
        extract_features(up, data, range(len(data)), speed, PartialState(cpu=True), progress=False,
                         prep=prep)
    return up.hits, up.misses


@pytest.mark.parametrize("n", [1, 2, 3, 5])
def test_machine_ranges_cover_the_rows_once(n):
    rows = list(range(12))
    parts = [shard_rows(rows, Shard(i, n)) for i in range(n)]
    assert sum(parts, []) == rows


def test_parts_fill_what_the_runner_reads(emodb_hf, tmp_path):
    cache = tmp_path / "cache"
    reports = [extract_part("emodb", emodb_hf, model="speecheq", cache_dir=cache, shard=f"{i}/2",
                            progress=False) for i in range(2)]
    assert [r.rows for r in reports] == [N_FILES // 2, N_FILES - N_FILES // 2]
    assert all(r.speeds == [1.0, 0.9, 1.1] and r.hits == 0 for r in reports)
    assert sum(r.misses for r in reports) == 3 * N_FILES
    again = extract_part("emodb", emodb_hf, model="speecheq", cache_dir=cache, shard="0/2", progress=False)
    assert again.misses == 0 and again.hits == 3 * (N_FILES // 2)  # a rerun resumes: nothing recomputed
    assert _runner_misses(emodb_hf, cache, "speecheq") == (3 * N_FILES, 0)


def test_accelerate_launch_two_cpu_processes(emodb_hf, tmp_path):
    """``accelerate launch`` with 2 processes (gloo on CPU), part 1 of 2: each process computes its
    half of the part, and the runner then finds that part's rows cached."""
    cache = tmp_path / "cache"
    seqd = shutil.which("seqd", path=str(Path(sys.executable).parent))
    accelerate = shutil.which("accelerate", path=str(Path(sys.executable).parent))
    if seqd is None or accelerate is None:
        pytest.skip("the seqd and accelerate console scripts are not installed beside this python")
    run = subprocess.run(
        [accelerate, "launch", "--multi_gpu", "--num_processes", "2", "--num_machines", "1",
         "--mixed_precision", "no", "--dynamo_backend", "no", seqd, "bench", "features", "emodb",
         "--data", str(emodb_hf), "--model", "baseline", "--shard", "1/2", "--cache", str(cache)],
        capture_output=True, text=True, timeout=240,
        env={**os.environ, "OMP_NUM_THREADS": "1", "CUDA_VISIBLE_DEVICES": ""})
    assert run.returncode == 0, run.stderr[-2000:]
    lines = [line for line in run.stdout.splitlines() if line.startswith("fbank: part 1/2")]
    assert sorted(line.split(",")[1].split(":")[0].strip() for line in lines) == ["process 0/2", "process 1/2"]
    computed = sorted(int(line.split("computed ")[1].split(",")[0]) for line in lines)
    assert computed == [N_FILES // 4, N_FILES // 4]  # 6 rows of part 1 split 3 + 3
    hits, misses = _runner_misses(emodb_hf, cache, "baseline")
    assert (hits, misses) == (N_FILES // 2, N_FILES // 2)  # part 0's rows were not asked for
