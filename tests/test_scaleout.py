"""Sharded builds (--shard I/N), the gather, and the Dask executor, on real EmoDB and RAVDESS audio.

The reference is a single-machine build of the same tree: the gather of N parts must equal it row for
row (audio bytes included), report for report and in its accounting, whatever N, and whether a part
was killed and resumed on the way.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from seqd_builder import testing
from seqd_builder.pipeline import build
from seqd_builder.pipeline.gather import gather
from seqd_builder.pipeline.shard import Shard
from seqd_builder.errors import BuildError, ConfigError

CONFIGS = ("ravdess", "emodb")
SHARD_BYTES = 1 << 19  # several parquet shards per part, so parts commit more than once


def _seqd(*args, env=None):
    return subprocess.run([sys.executable, "-c", "import sys; from seqd_builder.cli import main; "
                           "sys.exit(main())", *map(str, args)], capture_output=True, text=True,
                          env={**os.environ, **(env or {})})


def _make_trees(base: Path) -> dict[str, Path]:
    """Small trees (44 files) with the problems real copies have: a corrupt twin that makes a
    duplicate id, a truncated file, a stray text file; EmoDB with its real metadata."""
    rav = testing.make_ravdess_tree(base / "ravdess", actors=[1, 2, 3], limit=8)
    a2 = rav / "Audio_Speech_Actors_01-24" / "Actor_02"
    files = sorted(a2.glob("*.wav"))
    testing.corrupt(shutil.copyfile(files[0], files[0].with_suffix(".WAV")))
    testing.truncate(files[5])
    (a2 / "notes.txt").write_text("recording notes\n")
    stems = [p.stem for p in sorted((testing.shared_data_dir() / "audio/emodb/wav").glob("*.wav"))[:20]]
    emo = testing.make_emodb_tree(base / "emodb", stems=stems)
    return {"ravdess": rav, "emodb": emo}


def _kw(roots):
    return dict(roots=roots, progress=False, phones="none", max_shard_bytes=SHARD_BYTES)


def _table(out: Path, config: str) -> pa.Table:
    files = sorted((out / "data" / config).glob("*.parquet"))
    return pa.concat_tables([pq.read_table(f) for f in files])


def _assert_same_dataset(single: Path, gathered: Path) -> None:
    for config in CONFIGS:
        a, b = _table(single, config), _table(gathered, config)
        assert a.num_rows == b.num_rows
        assert a.column("id").to_pylist() == b.column("id").to_pylist()  # row for row, same order
        assert a.column("audio").to_pylist() == b.column("audio").to_pylist()  # byte for byte
        assert a.equals(b)  # every column
        for rel in (f"reports/{config}/rejected.jsonl", f"reports/{config}/warnings.jsonl",
                    f"reports/{config}/skipped.jsonl", f"reports/{config}/source_warnings.jsonl",
                    f"checksums/{config}.sha256"):
            assert (single / rel).read_text() == (gathered / rel).read_text(), rel
        m1 = json.loads((single / "manifest.json").read_text())["configs"][config]
        m2 = json.loads((gathered / "manifest.json").read_text())["configs"][config]
        for key in ("accounting", "counts", "fingerprint", "inputs", "sources", "count_warnings"):
            assert m1[key] == m2[key], key
        assert {s: v["rows"] for s, v in m1["splits"].items()} == \
               {s: v["rows"] for s, v in m2["splits"].items()}
        assert sorted(m2["file_sha256"]) == [f"data/{config}/{f}" for fs in m2["files"].values()
                                             for f in fs]
    assert (single / "rejected.jsonl").read_text() == (gathered / "rejected.jsonl").read_text()
    assert (gathered / "README.md").is_file()
    assert "part" not in json.loads((gathered / "manifest.json").read_text())


@pytest.fixture(scope="module")
def trees(shared_data, tmp_path_factory):
    return _make_trees(tmp_path_factory.mktemp("trees"))


@pytest.fixture(scope="module")
def single(trees, tmp_path_factory):
    out = tmp_path_factory.mktemp("single") / "hf"
    build(list(CONFIGS), out, **_kw(trees))
    return out


@pytest.fixture(scope="module")
def parts3(trees, tmp_path_factory):
    base = tmp_path_factory.mktemp("parts3")
    folders = [base / f"p{i}" for i in range(3)]
    reports = [build(list(CONFIGS), f, shard=f"{i}/3", **_kw(trees)) for i, f in enumerate(folders)]
    return folders, reports


# --- the split -----------------------------------------------------------------------------------

@pytest.mark.parametrize("total", [0, 1, 7, 44, 535])
@pytest.mark.parametrize("n", [1, 2, 3, 8])
def test_ranges_tile_the_stream(total, n):
    bounds = [Shard(i, n).bounds(total) for i in range(n)]
    assert bounds[0][0] == 0 and bounds[-1][1] == total
    assert all(a[1] == b[0] for a, b in zip(bounds, bounds[1:]))  # no gap, no overlap
    sizes = [e - f for f, e in bounds]
    assert max(sizes) - min(sizes) <= 1  # balanced by count


@pytest.mark.parametrize("text", ["3/3", "-1/2", "1", "a/b", "0/0", ""])
def test_bad_shard_spec_is_a_config_error(text):
    with pytest.raises(ConfigError):
        Shard.parse(text)


# --- parts and gather ------------------------------------------------------------------------------

def test_each_part_balances_its_own_range(parts3):
    folders, _ = parts3
    totals = {c: 0 for c in CONFIGS}
    for i, folder in enumerate(folders):
        manifest = json.loads((folder / "manifest.json").read_text())
        assert manifest["part"] == {"index": i, "count": 3}
        assert not (folder / "README.md").exists()  # the card is the gather's
        for config in CONFIGS:
            entry = manifest["configs"][config]
            acc = entry["accounting"]
            assert acc["found"] == acc["written"] + sum(acc["rejected"].values()) + \
                sum(acc["skipped"].values())
            assert (folder / "part" / config / "journal.jsonl").is_file()
            totals[config] += acc["found"]
            assert bool(acc["skipped"]) == (i == 0 and config == "ravdess")  # skips counted once
    assert totals == {"ravdess": 26, "emodb": 20}  # 24 wav + corrupt twin + notes.txt; 20 wav


def test_gather_of_three_parts_equals_the_single_build(parts3, single, tmp_path):
    folders, _ = parts3
    report = gather(list(reversed(folders)), tmp_path / "hf")  # any order on the command line
    assert report.configs["ravdess"]["found"] == 26
    _assert_same_dataset(single, tmp_path / "hf")
    files = json.loads((tmp_path / "hf/manifest.json").read_text())["configs"]["emodb"]["files"]
    n = len(files["train"])
    assert files["train"] == [f"train-{i:05d}-of-{n:05d}.parquet" for i in range(n)]


def test_cli_shard_then_gather_with_a_part_killed_and_resumed(trees, single, tmp_path):
    roots = [f"--root={c}={trees[c]}" for c in CONFIGS]
    common = ["build", *CONFIGS, *roots, "--shard-mb", "1", "--phones", "none", "-q"]
    parts = [tmp_path / f"part{i}" for i in range(2)]
    killed = _seqd(*common, "--out", parts[0], "--shard", "0/2",
                   env={"SEQD_TEST_KILL_AT": "commit:1"})
    assert killed.returncode == -9
    unfinished = _seqd("build", "gather", *parts, "--out", tmp_path / "hf")
    assert unfinished.returncode == 2 and "error:" in unfinished.stderr
    for i, part in enumerate(parts):
        done = _seqd(*common, "--out", part, "--shard", f"{i}/2")
        assert done.returncode == 0, done.stderr
        assert ("resumed after" in done.stdout) == (i == 0)
    ok = _seqd("build", "gather", *parts, "--out", tmp_path / "hf")
    assert ok.returncode == 0, ok.stderr
    _assert_same_dataset(single, tmp_path / "hf")


def test_gather_refuses_parts_of_different_builds(trees, parts3, tmp_path):
    folders, _ = parts3
    with pytest.raises(BuildError, match="missing: 1/3"):
        gather([folders[0], folders[2]], tmp_path / "a")
    with pytest.raises(BuildError, match="given twice"):
        gather([folders[0], folders[1], folders[1], folders[2]], tmp_path / "b")
    two = tmp_path / "two"
    build(list(CONFIGS), two, shard="1/2", **_kw(trees))
    with pytest.raises(BuildError, match="different numbers of parts"):
        gather([folders[0], two], tmp_path / "c")
    with pytest.raises(BuildError, match="not a finished part"):
        gather([tmp_path / "nowhere"], tmp_path / "d")
    cut = tmp_path / "cut"
    shutil.copytree(folders[1], cut)
    victim = sorted((cut / "data" / "ravdess").glob("*.parquet"))[0]
    victim.write_bytes(victim.read_bytes()[:-100])
    with pytest.raises(BuildError, match="cut short"):
        gather([folders[0], cut, folders[2]], tmp_path / "e")


def test_gather_refuses_a_corpus_changed_after_its_parts(shared_data, tmp_path):
    trees = _make_trees(tmp_path / "t")
    parts = [tmp_path / f"p{i}" for i in range(2)]
    for i, p in enumerate(parts):
        build(list(CONFIGS), p, shard=f"{i}/2", **_kw(trees))
    wav = sorted((trees["emodb"] / "wav").glob("*.wav"))[3]
    data = wav.read_bytes()
    wav.unlink()
    wav.write_bytes(data[:-2])
    with pytest.raises(BuildError, match="changed since its parts were built"):
        gather(parts, tmp_path / "hf")


def test_cli_usage_errors_exit_2(trees, tmp_path):
    r = _seqd("build", "emodb", "--root", trees["emodb"], "--out", tmp_path / "x", "--shard", "2/2")
    assert r.returncode == 2 and "0..1" in r.stderr and "Traceback" not in r.stderr
    r = _seqd("build", "emodb", "--root", trees["emodb"], "--out", tmp_path / "x", "--shard", "0/2",
              "--executor", "dask://local")
    assert r.returncode == 2 and "one of them" in r.stderr
    r = _seqd("build", "emodb", "--root", trees["emodb"], "--out", tmp_path / "x",
              "--executor", "spark://x")
    assert r.returncode == 2 and "dask://local" in r.stderr


# --- the Dask executor ------------------------------------------------------------------------------

def test_dask_local_cluster_reruns_a_part_whose_worker_died(trees, single, tmp_path, monkeypatch):
    """Two worker processes; the first part task to reach its first journal commit SIGKILLs its
    worker. The nanny restarts the worker, the scheduler reruns the task, the rerun resumes from the
    journal: the gathered dataset equals the single build, with no row twice."""
    pytest.importorskip("distributed")
    from seqd_builder.pipeline.executors import run_sharded

    marker = tmp_path / "killed-once"
    monkeypatch.setenv("SEQD_TEST_KILL_AT", "commit:1")   # read by the spawned worker processes
    monkeypatch.setenv("SEQD_TEST_KILL_ONCE", str(marker))
    out = tmp_path / "hf"
    report = run_sharded(list(CONFIGS), out, executor="dask://local", shards=2, local_workers=2,
                         build_kwargs=_kw(trees))
    assert marker.exists()  # a worker was killed mid-part
    assert any(p["resumed_rows"] > 0 for p in report.parts)  # and its part resumed, not restarted
    assert not (out / ".seqd-parts").exists()
    _assert_same_dataset(single, out)
    ids = _table(out, "ravdess").column("id").to_pylist()
    assert len(ids) == len(set(ids))
    # a rerun is up to date without any cluster work, and so is a plain build over the gathered folder
    again = run_sharded(list(CONFIGS), out, executor="dask://127.0.0.1:9", shards=2,
                        build_kwargs=_kw(trees))
    assert again.up_to_date and again.gathered.configs["ravdess"]["found"] == 26
    assert all(c.up_to_date for c in build(list(CONFIGS), out, **_kw(trees)).configs)
