"""Every kind of usage mistake, through the installed ``seqd`` command: one ``error:`` line naming the
mistake, the usage line, a hint, exit status 2 and no traceback; close names are suggested."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SEQD = shutil.which("seqd", path=str(Path(sys.executable).parent)) or shutil.which("seqd")
pytestmark = pytest.mark.skipif(SEQD is None, reason="the seqd console script is not installed")

REPO = Path(__file__).resolve().parents[1]


def seqd(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": f"{REPO}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    env.pop("SEQD_DEBUG", None)
    return subprocess.run([SEQD, *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=120)


def assert_usage_error(result: subprocess.CompletedProcess, *, says: str, usage: str | None) -> list[str]:
    lines = result.stderr.splitlines()
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and "╭" not in result.stderr, result.stderr
    assert lines[0].startswith("error: ") and says in lines[0], lines
    if usage is not None:
        assert lines[1] == f"usage: {usage}", lines
    assert lines[-1].startswith("hint: "), lines
    return lines


def test_unknown_option_suggests_the_close_one(tmp_path):
    r = seqd("build", "ravdess", "--roott", str(tmp_path), "--out", str(tmp_path / "o"))
    assert_usage_error(r, says="No such option: --roott; did you mean --root?",
                       usage="seqd build [OPTIONS] {CORPUS}...")
    assert not (tmp_path / "o").exists()


def test_missing_required_option():
    r = seqd("build", "ravdess")
    lines = assert_usage_error(r, says="Missing option '--out'", usage="seqd build [OPTIONS] {CORPUS}...")
    assert lines[-1] == "hint: run `seqd build --help` for the arguments and options"
    r = seqd("merge", str(REPO / "annotations" / "examples" / "sheet.csv"), "--out", "x")
    assert_usage_error(r, says="Missing option '--project'", usage="seqd merge [OPTIONS] {annotations}...")


def test_unknown_command_suggests_the_close_one():
    r = seqd("biuld")
    lines = assert_usage_error(r, says="No such command 'biuld'. Did you mean 'build'?",
                               usage="seqd [OPTIONS] COMMAND [ARGS]...")
    assert lines[-1] == "hint: run `seqd --help` for the commands"
    r = seqd("bench", "runn")
    assert_usage_error(r, says="Did you mean 'run'?", usage="seqd bench [OPTIONS] COMMAND [ARGS]...")


def test_value_out_of_range(tmp_path):
    r = seqd("build", "ravdess", "--root", str(tmp_path), "--out", str(tmp_path / "o"), "--workers", "0")
    assert_usage_error(r, says="Invalid value for '--workers' / '-j'", usage="seqd build [OPTIONS] {CORPUS}...")
    r = seqd("bench", "run", "emodb", "--model", "baseline", "--data", str(tmp_path), "--threads", "x")
    assert_usage_error(r, says="'--threads'", usage="seqd bench run [OPTIONS] {task}")


def test_missing_input_file(tmp_path):
    r = seqd("merge", str(tmp_path / "votes.csv"), "--project", "crema_d", "--out", str(tmp_path / "m"))
    assert_usage_error(r, says="does not exist", usage="seqd merge [OPTIONS] {annotations}...")
    assert "votes.csv" in r.stderr and not (tmp_path / "m").exists()


@pytest.mark.parametrize("args, says", [
    (["build", "crema-d"], "unknown corpus 'crema-d'"),
    (["bench", "run", "emodbb", "--model", "speecheq", "--data", "."], "unknown task 'emodbb'"),
    (["bench", "run", "emodb", "--model", "speecheqq", "--data", "."], "unknown model 'speecheqq'"),
])
def test_unknown_names_get_a_did_you_mean(args, says, tmp_path):
    r = seqd(*args, "--out", str(tmp_path / "o"))
    lines = assert_usage_error(r, says=says, usage=None)
    suggestion = {"crema-d": "crema_d", "emodbb": "emodb", "speecheqq": "speecheq"}[says.split("'")[1]]
    assert lines[0].endswith(f"did you mean {suggestion!r}?"), lines
    assert not (tmp_path / "o").exists()


def test_bare_group_shows_its_help():
    r = seqd("bench")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "run" in r.stdout and "compare" in r.stdout


def test_empty_data_folder_is_refused_before_any_output(tmp_path):
    (tmp_path / "empty").mkdir()
    r = seqd("bench", "run", "emodb", "--model", "baseline", "--data", "empty", cwd=tmp_path)
    assert_usage_error(r, says="holds no dataset (EmptyDatasetError", usage=None)
    assert "hint: point --data at the folder written by `seqd build" in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty"]  # no results/ nor results.run/


def test_failed_build_removes_the_out_folder_it_created(tmp_path):
    r = seqd("build", "ravdess", "--root", str(tmp_path), "--out", str(tmp_path / "new" / "hf"))
    assert_usage_error(r, says="does not look like the 'ravdess' corpus", usage=None)
    assert not (tmp_path / "new").exists()
    kept = tmp_path / "kept"
    kept.mkdir()
    seqd("build", "ravdess", "--root", str(tmp_path), "--out", str(kept))
    assert kept.is_dir()  # a folder that was there before is never removed


def test_interrupt_says_how_to_resume_and_exits_130(monkeypatch, capsys, tmp_path):
    from seqd_builder.cli import main
    from seqd_builder.corpora import base

    def interrupted(name):
        raise KeyboardInterrupt
    monkeypatch.setattr(base, "adapter_class", interrupted)
    assert main(["build", "ravdess", "--root", str(tmp_path), "--out", str(tmp_path / "o")]) == 130
    assert "interrupted; run the same command again to resume" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
