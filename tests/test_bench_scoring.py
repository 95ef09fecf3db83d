"""The metric registry and the torch-free scoring module: one home for every metric name, committed
results reproduced by it, intervals of the reported fold mean."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score

from seqd_builder.assets import repo_root
from seqd_builder.benchmark import metrics as M
from seqd_builder.benchmark import scoring as S
from seqd_builder.benchmark.compare import load_predictions
from seqd_builder.benchmark.predictions import score_table
from seqd_builder.benchmark.rescore import rescore
from seqd_builder.benchmark.tasks import METRICS as TASK_METRICS, list_tasks, load_task
from seqd_builder.leaderboard.metrics import load_metrics

ROOT = repo_root()
QUALITY = sorted((ROOT / "benchmark" / "quality" / "results").glob("*.json"))
FILED = sorted((ROOT / "leaderboard" / "submissions").glob("*/*.json"))


def test_importing_the_scoring_code_does_not_import_torch():
    code = ("import sys; import seqd_builder.benchmark.scoring, seqd_builder.benchmark.predictions, "
            "seqd_builder.benchmark.rescore, seqd_builder.benchmark.compare, seqd_builder.benchmark.results; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'accelerate')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=ROOT).stdout.strip()
    assert out == "[]"


def test_schema_tasks_and_leaderboard_agree_with_the_registry():
    schema = json.loads((ROOT / "benchmark" / "schema" / "results.schema.json").read_text())
    props = schema["properties"]
    assert props["metrics"]["propertyNames"]["enum"] == list(M.METRICS)
    assert props["primary_metric"]["enum"] == list(M.task_metrics()) == list(TASK_METRICS)
    specs = load_metrics()  # refuses a declaration that contradicts the registry
    assert list(specs) == list(M.METRICS)
    for name, spec in specs.items():
        assert (spec.direction, spec.low, spec.high) == (M.METRICS[name].direction, *M.METRICS[name].range)
    for task in map(load_task, list_tasks()):
        assert all(M.METRICS[m].target in task.targets for m in task.metrics), task.name


def test_a_leaderboard_declaration_contradicting_the_registry_is_refused(tmp_path, monkeypatch):
    from seqd_builder.errors import ConfigError
    from seqd_builder.leaderboard import metrics as LM

    data = yaml.safe_load(LM.metrics_file().read_text())
    data["per"]["direction"] = "higher"
    data["new_metric"] = {"direction": "higher", "range": [0, 1]}
    bad = tmp_path / "metrics.yaml"
    bad.write_text(yaml.safe_dump(data))
    monkeypatch.setattr(LM, "metrics_file", lambda: bad)
    LM.load_metrics.cache_clear()
    try:
        with pytest.raises(ConfigError) as err:
            LM.load_metrics()
        assert "per: direction/range higher" in str(err.value)
        assert "new_metric: not a registered metric" in str(err.value)
    finally:
        LM.load_metrics.cache_clear()


def test_a_task_listing_a_metric_of_a_target_it_lacks_is_refused(tmp_path):
    from seqd_builder.errors import ConfigError

    text = (ROOT / "benchmark" / "tasks" / "emodb.yaml").read_text().replace(
        "metrics: [ua, wa, macro_f1]", "metrics: [ua, wa, ccc_mean]")
    (tmp_path / "t.yaml").write_text(text)
    with pytest.raises(ConfigError, match=r"\['ccc_mean'\] score targets this task does not have"):
        load_task(tmp_path / "t.yaml")


@pytest.mark.parametrize("seed", range(4))
def test_counts_metrics_equal_sklearn_also_batched(seed):
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 5, (3, 40))
    pred = np.where(rng.random((3, 40)) < 0.5, truth, rng.integers(0, 6, (3, 40)))
    cms = np.stack([np.bincount(t * 6 + p, minlength=36).reshape(6, 6) for t, p in zip(truth, pred)])
    batched = M.counts_metrics(cms)
    for b, (t, p) in enumerate(zip(truth, pred)):
        assert batched["wa"][b] == pytest.approx(accuracy_score(t, p))
        assert batched["ua"][b] == pytest.approx(balanced_accuracy_score(t, p))
        assert batched["macro_f1"][b] == pytest.approx(f1_score(t, p, average="macro"))


@pytest.mark.parametrize("path", QUALITY + FILED, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_committed_result_is_reproduced_by_the_scoring_module(path):
    """Fold metrics recomputed from the committed predictions (or confusion matrices) equal the stated
    ones, and the stated means and intervals are what this code computes: rescoring changes nothing."""
    results = json.loads(path.read_text(encoding="utf-8"))
    assert rescore(results, run_dir=path.with_suffix("")) == results


def test_the_interval_is_that_of_the_fold_mean_and_holds_it():
    outside = 0
    for path in QUALITY:
        for name, summary in json.loads(path.read_text())["metrics"].items():
            if "ci95" in summary:
                outside += not summary["ci95"][0] <= summary["mean"] <= summary["ci95"][1]
    assert outside == 0


def test_predictions_and_confusion_matrices_give_the_same_interval():
    path = ROOT / "benchmark/quality/results/ravdess__peer-compare-linsvm.json"
    results = json.loads(path.read_text())
    task = load_task("ravdess")
    folds = [f["fold"] for f in results["folds"]]
    entries, scores = score_table(task, load_predictions(path.with_suffix(""), folds), folds)
    from_predictions = S.summarise(task.metrics, entries, scores)
    from_counts = S.summarise(task.metrics, results["folds"], None)
    assert from_predictions == from_counts


def test_speaker_clustered_interval_resamples_speakers_and_falls_back_to_folds_on_loso():
    ravdess = ROOT / "benchmark/quality/results/ravdess__peer-compare-linsvm.json"
    emodb = ROOT / "benchmark/quality/results/emodb__peer-compare-linsvm.json"
    plain = rescore(json.loads(ravdess.read_text()), run_dir=ravdess.with_suffix(""))
    clustered = rescore(json.loads(ravdess.read_text()), run_dir=ravdess.with_suffix(""), cluster="speaker")
    # RAVDESS tests 4 actors per fold: 4 units per fold instead of 64 utterances
    assert clustered["metrics"]["ua"]["ci95"] != plain["metrics"]["ua"]["ci95"]
    lo, hi = clustered["metrics"]["ua"]["ci95"]
    assert lo < clustered["metrics"]["ua"]["mean"] < hi
    assert clustered["metrics"]["ua"]["mean"] == plain["metrics"]["ua"]["mean"]
    assert "test speakers" in clustered["notes"]
    loso = rescore(json.loads(emodb.read_text()), run_dir=emodb.with_suffix(""), cluster="speaker")
    per_fold = [f["metrics"]["ua"] for f in loso["folds"]]  # one speaker per fold: whole folds resampled
    lo, hi = loso["metrics"]["ua"]["ci95"]
    assert min(per_fold) <= lo < np.mean(per_fold) < hi <= max(per_fold)


def test_a_result_whose_folds_do_not_reproduce_is_refused():
    from seqd_builder.errors import SubmissionError

    path = ROOT / "benchmark/quality/results/emodb__baseline__fbank.json"
    results = json.loads(path.read_text())
    results["folds"][0]["metrics"]["ua"] += 0.01
    with pytest.raises(SubmissionError, match="does not reproduce"):
        rescore(results, run_dir=Path("/nonexistent"))
