"""`seqd demo` end to end on the tiny synthetic corpus: every step of the product runs, and
EmoSphere-SER learns the simulated raters' VAD (the demo's learning test on rated VAD)."""

import json

import pytest
from datasets import load_dataset

from seqd_builder.leaderboard.validate import allow_dirty_tree, check_result
from seqd_builder.demo.walkthrough import run_demo


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    lines = []
    report = run_demo(out, size="tiny", seed=0, progress=False, echo=lines.append)
    return out, report, lines


def test_every_step_ran(demo):
    out, report, lines = demo
    names = [s[0] for s in report.steps]
    assert names[:4] == ["1 synthesise corpus", "2 simulate raters", "3 merge votes", "4 build dataset"]
    assert names[-1] == "6 render leaderboard" and len(names) == 8
    assert "SYNTHETIC" in report.summary() and report.site.as_uri() in report.summary()
    assert (out / "annotations" / "report" / "report.html").is_file()
    assert (out / "annotations" / "merged.csv").is_file() or list((out / "annotations").glob("merged*"))


def test_dataset_is_rated_and_marked_synthetic(demo):
    out, _, _ = demo
    ds = load_dataset(str(out / "dataset"), split="train")
    assert ds.num_rows == 44
    assert all(len(v) >= 3 for v in ds["votes"])  # simulated raters' votes kept
    assert all(a is not None and 0 <= a <= 1 for a in ds["arousal"])  # rated VAD on [0, 1]
    card = (out / "dataset" / "README.md").read_text()
    assert "- synthetic" in card and "Synthetic data." in card and "Fleiss' kappa" in card


def test_results_are_valid_submissions_and_emosphere_learns_rated_vad(demo):
    out, report, _ = demo
    assert len(report.results) == 3
    for path in report.results:
        result = json.loads(path.read_text())
        # every reason it could not go on the leaderboard (a development checkout is usually dirty)
        assert check_result(allow_dirty_tree(result, "test from a development checkout")) == []
        assert result["dataset"]["synthetic"] is True
    emosphere = json.loads((out / "results" / "demo_attr-emosphere.json").read_text())
    # the designed affect drives the audio and the raters: a model that learns nothing has CCC ~ 0;
    # on 44 utterances and 4 voices, arousal (the most strongly encoded dimension) must be learnt
    # with its bootstrap CI clear of zero
    arousal = emosphere["metrics"]["ccc_arousal"]
    assert arousal["mean"] > 0.2 and arousal["ci95"][0] > 0.0
    assert emosphere["metrics"]["ccc_mean"]["mean"] > 0.1


def test_leaderboard_site_lists_the_demo_tasks(demo):
    out, report, _ = demo
    html = report.site.read_text()
    assert "demo" in html and "demo_attr" in html
    assert list((out / "leaderboard" / "submissions" / "demo").glob("*.json"))


def test_summary_names_the_site_when_out_is_relative(tmp_path, monkeypatch):
    """`seqd demo` writes to ./seqd-demo by default: the summary must still print a file URI."""
    from pathlib import Path

    from seqd_builder.demo.walkthrough import DemoReport

    monkeypatch.chdir(tmp_path)
    report = DemoReport(out=Path("seqd-demo"), site=Path("seqd-demo") / "leaderboard")
    assert f"leaderboard: {(tmp_path / 'seqd-demo' / 'leaderboard').as_uri()}" in report.summary()
