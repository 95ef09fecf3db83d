"""A build that cannot lie or lose rows, on real RAVDESS audio.

One build per output folder; accounting counted from the source listing, so a lost row fails it;
"up to date" and "resume" mean the inputs are unchanged; a SIGKILL at every commit point, then a
resume, gives exactly the clean build; workers die with their parent; odd paths are rejections.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import psutil
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from seqd_builder import testing
from seqd_builder.pipeline import build
from seqd_builder.pipeline import writer as writer_mod
from seqd_builder.pipeline.lock import HOLDER, LOCK
from seqd_builder.errors import BuildError


def _seqd(*args):
    return [sys.executable, "-c", "import sys; from seqd_builder.cli import main; sys.exit(main())", *args]


def _rows(out, config="ravdess"):
    files = sorted((out / "data" / config).glob("*.parquet"))
    return pa.concat_tables([pq.read_table(f) for f in files]).to_pylist(), [f.name for f in files]


def _outputs(out):
    """Everything a build publishes that must not depend on interruptions."""
    manifest = json.loads((out / "manifest.json").read_text())["configs"]["ravdess"]
    return {"rows": _rows(out), "rejected": (out / "rejected.jsonl").read_text(),
            "skipped": (out / "reports" / "ravdess" / "skipped.jsonl").read_text(),
            "checksums": (out / "checksums" / "ravdess.sha256").read_text(),
            "accounting": manifest["accounting"], "files": manifest["files"],
            "file_sha256": manifest["file_sha256"]}


def _make_tree(dst):
    root = testing.make_ravdess_tree(dst, actors=[1, 2, 3, 4], limit=15)
    a1 = root / "Audio_Speech_Actors_01-24" / "Actor_01"
    a2 = root / "Audio_Speech_Actors_01-24" / "Actor_02"
    files = sorted(a2.glob("*.wav"))
    # a corrupt copy that sorts before its good twin: the twin is then a duplicate_id rejection
    # (the case a kill turned into a row)
    testing.corrupt(shutil.copyfile(files[0], files[0].with_suffix(".WAV")))
    testing.truncate(files[5])
    shutil.copyfile(sorted(a1.glob("*.wav"))[0], a1 / "03-02-01-01-01-01-01.wav")  # a song file
    (a1 / "notes.txt").write_text("recording notes\n")
    return root


@pytest.fixture(scope="module")
def tree(shared_data, tmp_path_factory):
    return _make_tree(tmp_path_factory.mktemp("tree"))


@pytest.fixture(scope="module")
def clean(tree, tmp_path_factory):
    out = tmp_path_factory.mktemp("clean") / "hf"
    report = build(["ravdess"], out, root=tree, progress=False, phones="none", max_shard_bytes=1 << 20)
    return out, report.configs[0]


# --- 3. accounting --------------------------------------------------------------------------------

def test_found_is_counted_from_the_listing_with_skips_by_reason(clean):
    out, report = clean
    # 60 real files + corrupt .WAV copy + song file + notes.txt
    assert report.found == 63 and report.written == 58 and report.balanced
    assert dict(report.rejected) == {"corrupt_audio": 1, "duplicate_id": 1, "truncated_audio": 1}
    assert dict(report.skipped) == {"not_speech": 1, "other_extension": 1}
    acc = json.loads((out / "manifest.json").read_text())["configs"]["ravdess"]["accounting"]
    assert acc["counted_from"] == "listing" and acc["found"] == 63
    skips = [json.loads(x) for x in (out / "reports/ravdess/skipped.jsonl").read_text().splitlines()]
    assert {(s["path"], s["reason"]) for s in skips} == {
        ("Audio_Speech_Actors_01-24/Actor_01/03-02-01-01-01-01-01.wav", "not_speech"),
        ("Audio_Speech_Actors_01-24/Actor_01/notes.txt", "other_extension")}
    assert "skipped 2 [not_speech 1, other_extension 1]" in report.summary()


def test_rejections_record_paths_relative_to_the_corpus_root(tree, clean):
    out, _ = clean
    lines = (out / "rejected.jsonl").read_text().splitlines()
    assert len(lines) == 3
    for line in lines:
        r = json.loads(line)
        assert r["source_file"].startswith("Audio_Speech_Actors_01-24/Actor_02/"), r
        assert str(tree) not in line, r  # in the detail neither


def test_a_lost_row_fails_the_accounting(tree, tmp_path, monkeypatch):
    add = writer_mod.ShardWriter.add

    def lossy(self, table, index, split, utt_id, *rest):
        if utt_id != "ravdess/03-01-05-01-01-01-03":  # the writer "loses" one row
            add(self, table, index, split, utt_id, *rest)

    monkeypatch.setattr(writer_mod.ShardWriter, "add", lossy)
    with pytest.raises(BuildError, match=r"found 63 .*written 57.*Actor_03/03-01-05-01-01-01-03\.wav"):
        build(["ravdess"], tmp_path / "hf", root=tree, progress=False, phones="none")
    assert not (tmp_path / "hf" / "manifest.json").exists()


# --- 1. one build per output folder ---------------------------------------------------------------

def test_second_build_is_refused_naming_the_holder_and_the_lock_dies_with_it(tree, tmp_path):
    out = tmp_path / "hf"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from seqd_builder.pipeline.lock import output_lock\n"
         "with output_lock(sys.argv[1]):\n    print('held', flush=True); time.sleep(120)", str(out)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(BuildError, match=rf"is in use: process {holder.pid} on \S+ since \d{{4}}-"):
            build(["ravdess"], out, root=tree, progress=False, phones="none")
        assert json.loads((out / HOLDER).read_text())["pid"] == holder.pid
    finally:
        holder.kill()
        holder.wait()
    # killed, not released: the kernel dropped the lock, so the next build runs
    report = build(["ravdess"], out, root=tree, progress=False, phones="none")
    assert report.configs[0].written == 58 and (out / LOCK).exists()


def test_two_concurrent_builds_one_refused_one_correct(tree, clean, tmp_path):
    out = tmp_path / "hf"
    args = _seqd("build", "ravdess", "--root", str(tree), "--out", str(out), "--shard-mb", "1",
                 "--phones", "none", "-q")
    # the first build stops itself after its first commit (no timing: it waits for SIGCONT)
    first = subprocess.Popen(args, env={**os.environ, "SEQD_TEST_STOP_AT": "commit:1"},
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        while psutil.Process(first.pid).status() != psutil.STATUS_STOPPED:
            assert first.poll() is None, first.stderr.read()
            time.sleep(0.05)
        second = subprocess.run(args, capture_output=True, text=True, timeout=300)
    finally:
        first.send_signal(signal.SIGCONT)
    assert second.returncode != 0
    assert f"is in use: process {first.pid} on" in second.stderr and "Traceback" not in second.stderr
    assert first.wait(timeout=300) == 0, first.stderr.read()
    assert _outputs(out) == _outputs(clean[0])


# --- 2. up to date means the inputs are unchanged -------------------------------------------------

def test_changed_tree_is_rebuilt_not_reported_up_to_date(tree, tmp_path):
    src = _make_tree(tmp_path / "t")
    out = tmp_path / "hf"
    build(["ravdess"], out, root=src, progress=False, phones="none")
    assert build(["ravdess"], out, root=src, progress=False, phones="none").configs[0].up_to_date
    a4 = src / "Audio_Speech_Actors_01-24" / "Actor_04"
    files = sorted(a4.glob("*.wav"))
    files[0].unlink()                                          # deleted
    testing.corrupt(files[1])                                  # damaged
    assert not (a4 / "03-01-08-02-02-01-04.wav").exists()  # a new name: no write through a link
    shutil.copyfile(files[2], a4 / "03-01-08-02-02-01-04.wav")  # added (a new take)
    report = build(["ravdess"], out, root=src, progress=False, phones="none").configs[0]
    assert not report.up_to_date
    assert report.found == 63 and report.written == 57 and report.rejected["corrupt_audio"] == 2
    # every checksum the build records holds for the tree as it is now
    for line in (out / "checksums" / "ravdess.sha256").read_text().splitlines():
        digest, rel = line.split("  ", 1)
        from seqd_builder.checksums import file_sha256
        assert file_sha256(src / rel) == digest, rel


def _kill_at(point, tree, out, *extra):
    env = {**os.environ, "SEQD_TEST_KILL_AT": point}
    args = _seqd("build", "ravdess", "--root", str(tree), "--out", str(out), "--shard-mb", "1",
                 "--phones", "none", "-q", *extra)
    proc = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == -signal.SIGKILL, (point, proc.returncode, proc.stderr[-2000:])
    return args


def test_resume_over_a_changed_tree_is_refused_and_force_rebuilds(tmp_path, capsys):
    src = _make_tree(tmp_path / "t")
    out = tmp_path / "hf"
    _kill_at("commit:2", src, out)
    victim = src / "Audio_Speech_Actors_01-24" / "Actor_04" / "03-01-08-02-02-01-04.wav"
    assert not victim.exists()  # never write through a hard link into the shared data
    shutil.copyfile(next(victim.parent.glob("*.wav")), victim)
    with pytest.raises(BuildError, match=r"cannot resume.*1 added \(.*03-01-08-02-02-01-04\.wav\)") as e:
        build(["ravdess"], out, root=src, progress=False, phones="none", max_shard_bytes=1 << 20)
    assert "--force" in e.value.hint
    from seqd_builder.cli import main  # the command line: one line and a hint, exit 2, no traceback
    assert main(["build", "ravdess", "--root", str(src), "--out", str(out), "-q"]) == 2
    err = capsys.readouterr().err
    assert "cannot resume the interrupted build" in err and "--force" in err and "Traceback" not in err
    report = build(["ravdess"], out, root=src, progress=False, phones="none", force=True,
                   max_shard_bytes=1 << 20).configs[0]
    assert report.found == 64 and report.written == 59 and report.balanced


# --- 4. a kill at every commit point, then a resume, gives the clean build -------------------------

@pytest.mark.parametrize("point", ["commit-before:1", "commit:1", "commit:3", "commit-before:5",
                                   "link:2", "reports:1", "manifest:1"])
def test_kill_at_each_commit_point_then_resume_equals_clean_build(point, tree, clean, tmp_path):
    out = tmp_path / "hf"
    args = _kill_at(point, tree, out)
    assert not (out / "manifest.json").exists() or point == "manifest:1"
    result = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert _outputs(out) == _outputs(clean[0])
    assert not (out / ".seqd-build").exists()


def test_workers_die_with_their_killed_parent(tree, tmp_path):
    out = tmp_path / "hf"
    env = {**os.environ, "SEQD_TEST_STOP_AT": "row:1"}  # held mid-build, its pool running
    proc = subprocess.Popen(_seqd("build", "ravdess", "--root", str(tree), "--out", str(out),
                                  "--shard-mb", "1", "--phones", "none", "-q", "-j", "2"),
                            env=env, start_new_session=True, stderr=subprocess.DEVNULL)
    workers = []
    try:
        while psutil.Process(proc.pid).status() != psutil.STATUS_STOPPED:
            assert proc.poll() is None
            time.sleep(0.05)
        workers = psutil.Process(proc.pid).children()
        assert len(workers) == 2
    finally:
        proc.kill()  # kill -9 of the parent
    assert proc.wait() == -signal.SIGKILL
    _, alive = psutil.wait_procs(workers, timeout=30)
    for p in alive:  # leave no process behind, even when the check fails
        p.kill()
    assert not alive, f"workers outlived their parent: {alive}"


# --- 6. odd paths are rejections or reported skips; the build goes on ------------------------------

def test_non_utf8_name_and_unreadable_folder_do_not_stop_the_build(tree, tmp_path):
    src = _make_tree(tmp_path / "t")
    a1 = src / "Audio_Speech_Actors_01-24" / "Actor_01"
    bad = os.path.join(os.fsencode(a1), b"03-01-01-01-01-01-01\xff.wav")
    shutil.copyfile(sorted(a1.glob("*.wav"))[1], bad)
    locked = src / "Audio_Speech_Actors_01-24" / "Actor_03"
    out = tmp_path / "hf"
    with testing.unreadable(locked):
        report = build(["ravdess"], out, root=src, progress=False, phones="none").configs[0]
    assert report.rejected["bad_encoding"] == 1 and report.balanced
    assert report.found == 64 - 15 and report.written == 58 - 15
    rej = [json.loads(x) for x in (out / "rejected.jsonl").read_text().splitlines()]
    enc = next(r for r in rej if r["reason"] == "bad_encoding")
    assert enc["source_file"] == "Audio_Speech_Actors_01-24/Actor_01/03-01-01-01-01-01-01\\xff.wav"
    acc = json.loads((out / "manifest.json").read_text())["configs"]["ravdess"]["accounting"]
    assert acc["skipped_folders"] == ["Audio_Speech_Actors_01-24/Actor_03"]
    warnings = (out / "reports" / "ravdess" / "source_warnings.jsonl").read_text()
    assert "Actor_03: Permission denied; skipped" in warnings


def test_unreadable_speaker_folder_of_casia_is_a_reported_skip(shared_data, tmp_path, wav):
    from test_casia import emobox_paths, make

    rels = [p for p in emobox_paths(shared_data) if p.endswith("/201.wav")]
    root = make(tmp_path / "CASIA", rels, wav)
    locked = root / "wangzhe"
    with testing.unreadable(locked):
        report = build(["casia"], tmp_path / "hf", root=root, progress=False, phones="none").configs[0]
    assert (report.found, report.written, report.balanced) == (18, 18, True)
    acc = json.loads((tmp_path / "hf" / "manifest.json").read_text())["configs"]["casia"]["accounting"]
    assert acc["counted_from"] == "listing" and acc["skipped_folders"] == ["wangzhe"]
