"""A build killed with SIGKILL part-way and run again finishes without duplicates and writes the
same rows as an uninterrupted build; the worker count does not change the output either."""

import json
import os
import signal
import subprocess
import sys
import time

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from seqd_builder import testing
from seqd_builder.pipeline import build


def _rows(out, config="ravdess"):
    files = sorted((out / "data" / config).glob("*.parquet"))
    return pa.concat_tables([pq.read_table(f) for f in files]).to_pylist(), [f.name for f in files]


def _seqd(*args):
    return [sys.executable, "-c", "import sys; from seqd_builder.cli import main; sys.exit(main())", *args]


@pytest.fixture(scope="module")
def tree(shared_data, tmp_path_factory):
    root = testing.make_ravdess_tree(tmp_path_factory.mktemp("tree"))
    actor = root / "Audio_Speech_Actors_01-24" / "Actor_07"
    files = sorted(actor.glob("*.wav"))
    testing.corrupt(files[0])
    testing.truncate(files[-1])
    return root


@pytest.fixture(scope="module")
def reference(tree, tmp_path_factory):
    out = tmp_path_factory.mktemp("ref") / "hf"
    build(["ravdess"], out, root=tree, progress=False, phones="none", max_shard_bytes=1 << 20)
    return out


def test_sigkill_then_resume_gives_identical_rows(tree, reference, tmp_path):
    out = tmp_path / "hf"
    args = _seqd("build", "ravdess", "--root", str(tree), "--out", str(out), "--shard-mb", "1",
                 "--phones", "none", "-q", "-j", "2")
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    journal = out / ".seqd-build" / "ravdess" / "journal.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if journal.exists() and journal.read_text().count('"shard": {') >= 4:
            break
        assert proc.poll() is None, f"build ended before it could be killed: {proc.stderr.read()}"
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (out / "manifest.json").exists(), "killed before finishing: no manifest yet"
    committed = journal.read_text().count('"shard": {')

    result = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "resumed after" in result.stdout

    rows, names = _rows(out)
    ref_rows, ref_names = _rows(reference)
    assert names == ref_names and len(rows) == 358
    assert len({r["id"] for r in rows}) == len(rows)  # no duplicates
    assert rows == ref_rows  # same rows, same order, same audio bytes
    assert (out / "rejected.jsonl").read_text() == (reference / "rejected.jsonl").read_text()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["configs"]["ravdess"]["accounting"]["found"] == 360
    assert committed >= 4 and not (out / ".seqd-build").exists()


def test_rerun_is_a_no_op_and_force_rebuilds_the_same(tree, reference):
    report = build(["ravdess"], reference, root=tree, progress=False, phones="none",
                   max_shard_bytes=1 << 20)
    assert report.configs[0].up_to_date and report.configs[0].written == 358
    before, names = _rows(reference)
    report = build(["ravdess"], reference, root=tree, progress=False, phones="none", force=True,
                   max_shard_bytes=8 << 20)
    after, new_names = _rows(reference)
    assert not report.configs[0].up_to_date
    assert after == before and len(new_names) < len(names)  # bigger shards, no stale files left


def test_worker_count_does_not_change_output(tree, reference, tmp_path):
    out = tmp_path / "hf"
    build(["ravdess"], out, root=tree, progress=False, phones="none", workers=2,
          max_shard_bytes=1 << 20)
    assert _rows(out)[0] == _rows(reference)[0]  # same rows (the fixture's shard size changed above)
