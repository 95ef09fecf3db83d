"""`seqd bench compare`: the paired bootstrap of two runs on the same test utterances."""

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from seqd_builder.benchmark import metrics as M
from seqd_builder.benchmark.compare import compare_runs, format_comparison, load_run
from seqd_builder.benchmark.runfolder import run_folder
from seqd_builder.benchmark.runner import run_task
from seqd_builder.errors import SubmissionError

sys.path.insert(0, str(Path(__file__).parent))
from bench_helpers import TinyFbank, category_rows, one_thread, save_rows  # noqa: E402, F401

FAST = {"training": {"epochs": 2, "batch_size": 16, "lr": 3e-3}, "bootstrap": {"resamples": 100}}
CLASSES = ["angry", "boredom", "disgust", "fear", "happy", "neutral", "sad"]


def write_run(path: Path, folds: dict[str, pd.DataFrame], *, task="emodb", model="m") -> Path:
    """A results.json and its run folder, as the runner lays them out (only what compare reads)."""
    path.write_text(json.dumps({"task": task, "model": model, "upstream": {"name": "fbank"}, "seeds": [0],
                                "primary_metric": "ua", "folds": [{"fold": f} for f in folds]}))
    for fold, table in folds.items():
        d = path.with_suffix("") / "folds" / fold
        d.mkdir(parents=True, exist_ok=True)
        table.assign(fold=fold).to_csv(d / "predictions.csv", index=False)
    return path


def predictions(truth, pred, prefix: str) -> pd.DataFrame:
    return pd.DataFrame({"id": [f"{prefix}_{i}" for i in range(len(truth))], "truth": truth, "pred": pred})


def test_runner_runs_compare_with_the_figures_they_report(tmp_path):
    data = save_rows(category_rows(per_class=2), tmp_path / "emodb-like")
    outs = []
    for seed in (0, 1):
        out = tmp_path / f"seed{seed}.json"
        run_task("emodb", "baseline", data, upstream=TinyFbank(layers=2), out=out, config_overrides=FAST,
                 folds=["03", "08", "09"], seed=seed, progress=False)
        outs.append(out)
    reported = [json.loads(o.read_text())["metrics"] for o in outs]
    c = compare_runs(outs[0], outs[1], metric="ua", resamples=300)
    # with no resampling the values are exactly the fold averages in the two results.json files
    assert c.a_value == pytest.approx(reported[0]["ua"]["mean"])
    assert c.b_value == pytest.approx(reported[1]["ua"]["mean"])
    assert c.diff == pytest.approx(c.a_value - c.b_value)
    assert c.n_folds == 3 and c.n_utterances == 42 and [f for f, _, _ in c.per_fold] == ["03", "08", "09"]
    assert c.ci95[0] <= c.ci95[1] and "seed 1" in c.b
    for metric in ("wa", "macro_f1"):
        assert compare_runs(outs[0], outs[1], metric=metric, resamples=100).a_value == pytest.approx(
            reported[0][metric]["mean"])
    same = compare_runs(outs[0], outs[0], resamples=100)
    assert same.diff == 0 and same.ci95 == (0.0, 0.0) and same.share_a_not_better == 1.0


def test_pairing_narrows_the_interval_of_a_difference(tmp_path):
    """Two systems that disagree on a few utterances: the paired interval of their difference is far
    narrower than what their separate intervals suggest, and a consistent edge is detected."""
    rng = np.random.default_rng(0)
    folds_a, folds_b = {}, {}
    for k, fold in enumerate(("03", "08", "09", "10")):
        truth = rng.choice(CLASSES, 60)
        noisy = np.where(rng.random(60) < 0.35, rng.choice(CLASSES, 60), truth)  # ~70% correct
        better = noisy.copy()
        wrong = np.flatnonzero(noisy != truth)[:4]
        better[wrong] = truth[wrong]  # A fixes 4 of B's errors per fold and breaks none
        folds_a[fold] = predictions(truth, better, fold)
        folds_b[fold] = predictions(truth, noisy, fold)
    a = write_run(tmp_path / "a.json", folds_a, model="a")
    b = write_run(tmp_path / "b.json", folds_b, model="b")
    c = compare_runs(a, b, resamples=1000)
    assert c.diff > 0 and c.share_a_not_better == 0.0 and c.ci95[0] >= 0
    # resampling the two runs independently (what comparing their separate intervals amounts to)
    # gives an interval of the difference more than twice as wide, which would include 0
    code = {x: i for i, x in enumerate(CLASSES)}
    ta, tb = pd.concat(folds_a.values()), pd.concat(folds_b.values())
    t, pa, pb = (x.map(code).to_numpy() for x in (ta.truth, ta.pred, tb.pred))
    rng = np.random.default_rng(0)
    def ua(pred, idx):
        return M.fast_classification_metrics(t[idx], pred[idx], 7)["ua"]
    unpaired = [ua(pa, i) - ua(pb, j) for i, j in (rng.integers(0, len(t), (2, len(t))) for _ in range(1000))]
    lo, hi = np.percentile(unpaired, [2.5, 97.5])
    assert (hi - lo) > 2 * (c.ci95[1] - c.ci95[0]) and lo < 0
    text = format_comparison(c)
    assert "A − B = +" in text and "A not ahead in 0.0% of 1000 paired resamples" in text


def test_ccc_is_compared_on_vad_predictions(tmp_path):
    rng = np.random.default_rng(1)
    folds_a, folds_b = {}, {}
    for fold in ("Ses01", "Ses02"):
        truth = rng.uniform(1, 5, (40, 3))
        base = pd.DataFrame({"id": [f"{fold}_{i}" for i in range(40)]})
        for d, col in zip(("arousal", "valence", "dominance"), truth.T):
            base[f"truth_{d}"] = col
        a, b = base.copy(), base.copy()
        for k, d in enumerate(("arousal", "valence", "dominance")):
            a[f"pred_{d}"] = truth[:, k] + rng.normal(0, 0.3, 40)
            b[f"pred_{d}"] = truth[:, k] + rng.normal(0, 1.2, 40)
        folds_a[fold], folds_b[fold] = a, b
    ra = write_run(tmp_path / "a.json", folds_a, task="iemocap_vad")
    rb = write_run(tmp_path / "b.json", folds_b, task="iemocap_vad")
    c = compare_runs(ra, rb, metric="ccc_mean", resamples=300)
    expect = np.mean([M.vad_metrics(f[[f"truth_{d}" for d in ("arousal", "valence", "dominance")]].to_numpy(),
                                     f[[f"pred_{d}" for d in ("arousal", "valence", "dominance")]].to_numpy()
                                     )["ccc_mean"] for f in folds_a.values()])
    assert c.a_value == pytest.approx(expect) and c.diff > 0.2 and c.ci95[0] > 0
    with pytest.raises(SubmissionError, match="needs category predictions"):
        compare_runs(ra, rb, metric="ua")


def test_runs_that_cannot_be_paired_are_refused_with_the_reason(tmp_path):
    truth = ["angry", "sad", "happy", "neutral"]
    a = write_run(tmp_path / "a.json", {"03": predictions(truth, truth, "x")})
    other_ids = write_run(tmp_path / "b.json", {"03": predictions(truth, truth, "y")})
    with pytest.raises(SubmissionError, match="cannot be compared paired") as e:
        compare_runs(a, other_ids)
    assert any("test utterances differ (4 only in A, 4 only in B" in r for r in e.value.reasons)
    other_task = write_run(tmp_path / "c.json", {"03": predictions(truth, truth, "x")}, task="ravdess")
    with pytest.raises(SubmissionError, match="tasks differ"):
        compare_runs(a, other_task)
    relabelled = write_run(tmp_path / "d.json", {"03": predictions(truth[::-1], truth, "x")})
    with pytest.raises(SubmissionError, match="4 utterances carry different true labels"):
        compare_runs(a, relabelled)
    with pytest.raises(SubmissionError, match="unknown metric 'accuracy'") as e:
        compare_runs(a, a, metric="accuracy")
    assert "ua" in e.value.hint
    (tmp_path / "bare.json").write_text((tmp_path / "a.json").read_text())
    with pytest.raises(SubmissionError, match="predictions missing for 1 of 1 folds") as e:
        load_run(tmp_path / "bare.json")
    assert "bare.run/folds/03/predictions.csv" in e.value.reasons[0] and "rerun" in e.value.hint


def test_cli_compare(tmp_path, capsys):
    from seqd_builder.cli import main

    truth = ["angry", "sad", "happy", "neutral"] * 3
    a = write_run(tmp_path / "a.json", {"03": predictions(truth, truth, "x")}, model="speecheq")
    b = write_run(tmp_path / "b.json", {"03": predictions(truth, ["sad"] * 12, "x")}, model="peer:lr")
    assert main(["bench", "compare", str(a), str(b), "--resamples", "200"]) == 0
    out = capsys.readouterr().out
    assert "emodb · ua · 1 folds · 12 test utterances, paired" in out and "A − B = +75.0" in out
    assert main(["bench", "compare", str(a), str(b), "--json", "--resamples", "200"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["diff"] == pytest.approx(0.75) and got["per_fold"] == [{"fold": "03", "a": 1.0, "b": 0.25}]
    assert main(["bench", "compare", str(a), str(tmp_path / "none.json")]) == 2
    assert "no results file" in capsys.readouterr().err


def test_seed_ensemble_averages_probabilities_of_seed_runs_only(tmp_path, capsys):
    from seqd_builder.benchmark.ensemble import ensemble_runs
    from seqd_builder.benchmark.results import validate_results
    from seqd_builder.cli import main

    data = save_rows(category_rows(per_class=2), tmp_path / "emodb-like")
    outs = []
    for seed in (0, 1, 2):
        out = tmp_path / f"s{seed}.json"
        run_task("emodb", "baseline", data, upstream=TinyFbank(layers=2), out=out, config_overrides=FAST,
                 seed=seed, progress=False)  # all 10 folds: the leaderboard takes complete runs only
        outs.append(out)
    ens = tmp_path / "ens.json"
    assert main(["bench", "ensemble", *map(str, outs), "--out", str(ens)]) == 0
    assert "seeds 0, 1, 2: UA = " in capsys.readouterr().out
    r = json.loads(ens.read_text())
    validate_results(r)
    assert r["seeds"] == [0, 1, 2] and r["config"]["ensemble"]["members"] == ["s0.json", "s1.json", "s2.json"]
    assert "seed" not in r["config"]["training"] and r["model"] == "baseline"
    # the ensemble's probabilities are the members' mean, its prediction their argmax
    member = [pd.read_csv(run_folder(o) / "folds" / "03" / "predictions.csv").set_index("id") for o in outs]
    got = pd.read_csv(run_folder(ens) / "folds" / "03" / "predictions.csv").set_index("id")
    probs = [c for c in got.columns if c.startswith("prob_")]
    assert len(probs) == 7
    mean = sum(m.loc[got.index, probs].to_numpy() for m in member) / 3
    assert np.abs(got[probs].to_numpy() - mean).max() < 1e-5
    assert (got["pred"] == [p.removeprefix("prob_") for p in got[probs].idxmax(axis=1)]).all()
    # its reported figures are those of its predictions, fold by fold, and it compares like a run
    fold03 = r["folds"][0]
    assert fold03["metrics"]["ua"] == pytest.approx(
        M.classification_metrics(got.truth.map(CLASSES.index), got.pred.map(CLASSES.index), 7)["ua"])
    assert sum(map(sum, fold03["confusion"])) == fold03["n_test"] == 14
    c = compare_runs(ens, outs[0], resamples=100)
    assert c.a_value == pytest.approx(r["metrics"]["ua"]["mean"]) and "seed 0,1,2" in c.a

    # it files on the leaderboard like any run, and the board says it is an ensemble
    from seqd_builder.benchmark.tasks import load_task
    from seqd_builder.leaderboard import board_markdown, build_board, load_submissions, submit

    dev = "test from a development checkout"  # the working tree of a test run may be dirty
    submit(ens, tmp_path / "subs", allow_dirty=dev)
    submit(outs[0], tmp_path / "subs", allow_dirty=dev)
    table = board_markdown(build_board(load_task("emodb"), load_submissions(tmp_path / "subs")["emodb"]))
    assert "| ensemble of 0, 1, 2 |" in table and "| 0 |" in table

    with pytest.raises(SubmissionError, match="seeds repeat"):
        ensemble_runs([outs[0], outs[0]], tmp_path / "x.json")
    other = tmp_path / "epochs3.json"
    run_task("emodb", "baseline", data, upstream=TinyFbank(layers=2), out=other, seed=5, progress=False,
             config_overrides={**FAST, "training": {**FAST["training"], "epochs": 3}})
    with pytest.raises(SubmissionError, match="not seeds of one config") as e:
        ensemble_runs([outs[0], other], tmp_path / "x.json")
    assert "config differs from s0.json beyond training.seed (in training)" in e.value.reasons[0]
    with pytest.raises(SubmissionError, match="is itself an ensemble"):
        ensemble_runs([ens, outs[0]], tmp_path / "x.json")
    assert not (tmp_path / "x.json").exists()
