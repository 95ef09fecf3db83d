"""The runner end to end on tiny synthetic datasets: results.json, seeds, resume, protocol checks, CLI."""

import dataclasses
import json
import sys
from pathlib import Path

import jsonschema
import pandas as pd
import pytest
import torch
from safetensors.torch import load_file

from seqd_builder.benchmark import runner as runner_mod
from seqd_builder.benchmark.results import load_schema, validate_results
from seqd_builder.benchmark.runfolder import run_folder
from seqd_builder.benchmark.runner import run_task
from seqd_builder.errors import BuildError, ConfigError, ProtocolError, SubmissionError

sys.path.insert(0, str(Path(__file__).parent))
from bench_helpers import (  # noqa: E402, F401
    TinyFbank, TrainableFbank, category_rows, one_thread, save_rows)

FAST = {"training": {"epochs": 2, "batch_size": 16, "lr": 3e-3}, "bootstrap": {"resamples": 100}}



@pytest.fixture(scope="module")
def emodb_like(tmp_path_factory) -> Path:
    return save_rows(category_rows(per_class=2), tmp_path_factory.mktemp("bench") / "emodb-like")


def test_results_follow_the_schema_and_write_predictions(emodb_like, tmp_path):
    out = tmp_path / "res" / "baseline.json"
    r = run_task("emodb", "baseline", emodb_like, upstream=TinyFbank(layers=2), out=out,
                 config_overrides=FAST, folds=["03", "08"], progress=False)
    on_disk = json.loads(out.read_text())
    assert on_disk == json.loads(json.dumps(r))
    jsonschema.Draft202012Validator(load_schema()).validate(on_disk)
    assert r["task"] == "emodb" and r["model"] == "baseline" and r["seeds"] == [0]
    assert r["upstream"] == {"name": "tiny-fbank24", "frozen": True, "layers": "weighted sum of 2",
                             "parameters": 0}
    assert r["config_hash"].startswith("sha256:") and r["config"]["training"]["epochs"] == 2
    # the rows carry no transcript: the text overlap of the protocol is unknown, recorded as null
    assert r["protocol"] == {"name": "loso", "n_folds": 2, "averaging": r["protocol"]["averaging"],
                             "text_overlap": None}
    assert "unweighted mean over folds" in r["protocol"]["averaging"]
    assert "partial run: 2 of 10 folds" in r["notes"]
    assert r["code_version"].startswith("0.")
    assert [f["fold"] for f in r["folds"]] == ["03", "08"]
    for f in r["folds"]:
        assert f["n_test"] == 14 and f["n_train"] == 112 and f["test_speakers"] == [f"emodb/{f['fold']}"]
        assert sum(map(sum, f["confusion"])) == 14 and f["labels"][0] == "angry"
    ua = r["metrics"]["ua"]
    assert ua["mean"] == pytest.approx(sum(f["metrics"]["ua"] for f in r["folds"]) / 2)
    assert ua["ci95"][0] <= ua["ci95"][1]
    pred = pd.read_csv(run_folder(out) / "folds" / "03" / "predictions.csv")
    assert len(pred) == 14 and {"id", "speaker", "truth", "pred", "prob_angry"} <= set(pred.columns)
    assert (pred["speaker"] == "emodb/03").all()
    state = load_file(run_folder(out) / "folds" / "03" / "model.safetensors")
    assert "input.mean" in state and state["input.layers.weights"].shape == (2,)
    broken = dict(r, config_hash="md5:x")
    with pytest.raises(SubmissionError, match="config_hash"):
        validate_results(broken)


def test_same_seed_same_numbers_and_resume(emodb_like, tmp_path, monkeypatch):
    kw = dict(upstream=TinyFbank(), config_overrides={**FAST, "augment": {
        "speed": [0.9, 1.0, 1.1], "specaugment": {"time_masks": 1, "freq_masks": 1, "freq_width": 4}}},
        folds=["09"], progress=False)
    a = run_task("emodb", "baseline", emodb_like, out=tmp_path / "a.json", **kw)
    b = run_task("emodb", "baseline", emodb_like, out=tmp_path / "b.json", **kw)
    assert a["folds"] == b["folds"] and a["metrics"] == b["metrics"] and a["config_hash"] == b["config_hash"]
    pa = pd.read_csv(run_folder(tmp_path / "a.json") / "folds" / "09" / "predictions.csv")
    pb = pd.read_csv(run_folder(tmp_path / "b.json") / "folds" / "09" / "predictions.csv")
    pd.testing.assert_frame_equal(pa, pb)
    c = run_task("emodb", "baseline", emodb_like, out=tmp_path / "c.json", seed=1, **kw)
    assert c["seeds"] == [1] and c["config_hash"] != a["config_hash"]

    # rerunning into a finished run folder trains nothing and gives the same results
    def no_training(*args, **kwargs):
        raise AssertionError("a finished fold was trained again")
    monkeypatch.setattr(runner_mod, "train_fold", no_training)
    again = run_task("emodb", "baseline", emodb_like, out=tmp_path / "a.json", **kw)
    assert again["folds"] == a["folds"] and again["metrics"] == a["metrics"]
    with pytest.raises(BuildError, match="finished folds of config"):
        run_task("emodb", "baseline", emodb_like, out=tmp_path / "a.json", seed=7,
                 **{k: v for k, v in kw.items()})


def test_a_failed_run_leaves_nothing_that_blocks_the_next(emodb_like, tmp_path, monkeypatch):
    """The default ``--out results.json`` keeps its folds in ``results.run/``, not in ``results/``."""
    out = tmp_path / "results.json"
    kw = dict(upstream=TinyFbank(), config_overrides=FAST, folds=["12"], progress=False)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ConfigError, match="holds no dataset.*EmptyDatasetError"):
        run_task("emodb", "baseline", empty, out=out, **kw)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty"]  # refused before writing anything

    def crash(*args, **kwargs):
        raise RuntimeError("killed in training")
    monkeypatch.setattr(runner_mod, "train_fold", crash)
    with pytest.raises(RuntimeError):
        run_task("emodb", "baseline", emodb_like, out=out, seed=3, **kw)
    assert run_folder(out) == tmp_path / "results.run" and (run_folder(out) / "config.json").is_file()
    monkeypatch.undo()
    r = run_task("emodb", "baseline", emodb_like, out=out, seed=4, **kw)  # another config takes over
    assert r["seeds"] == [4] and not (tmp_path / "results").exists()


def test_refit_trains_again_on_train_and_validation(emodb_like, tmp_path, monkeypatch):
    """``training.refit``: the tested model is retrained on train + validation for the chosen epochs."""
    calls = []
    real = runner_mod.train_fold

    def spy(model, train_ds, val_ds, cfg, *args, **kwargs):
        calls.append((len(train_ds), None if val_ds is None else len(val_ds), cfg.epochs))
        return real(model, train_ds, val_ds, cfg, *args, **kwargs)
    monkeypatch.setattr(runner_mod, "train_fold", spy)
    cfg = {**FAST, "training": {**FAST["training"], "epochs": 3, "min_epochs": 2, "refit": True}}
    r = run_task("emodb", "baseline", emodb_like, upstream=TinyFbank(), out=tmp_path / "r.json",
                 config_overrides=cfg, folds=["12"], progress=False)
    saved = json.loads((run_folder(tmp_path / "r.json") / "folds" / "12" / "result.json").read_text())
    best = saved["selection"]["best_epoch"]
    # selection on 112 training rows with 14 validation rows, then 126 rows without validation
    assert calls == [(112, 14, 3), (126, None, max(best + 1, 2))]
    fold = r["folds"][0]
    assert fold["n_train"] == 126 and fold["epochs"] == max(best + 1, 2)
    assert r["config"]["training"]["refit"] is True
    # the small-corpus SpeechEQ config (input statistics, branch dropout, refit) runs end to end
    r = run_task("emodb", "speecheq_stats", emodb_like, upstream=TinyFbank(), out=tmp_path / "s.json",
                 config_overrides={**cfg, "params": {"hidden": 16, "rnn_layers": 0}}, folds=["12"],
                 progress=False)
    assert r["model"] == "speecheq_stats" and r["folds"][0]["n_train"] == 126
    assert r["config"]["params"]["branch_dropout"] == 0.5 and r["config"]["training"]["refit"] is True
    # a config without the refit key hashes as it did before the key existed
    from seqd_builder.benchmark.config import load_model_config
    assert "refit" not in load_model_config("baseline")["training"]


def test_speaker_overlap_is_refused_before_training(emodb_like, tmp_path, monkeypatch):
    """A card that claims a speaker-independent official split the data breaks: no fold trains."""
    from seqd_builder import corpora

    card = corpora.load_card("emodb")
    bad = dataclasses.replace(card, protocols={**card.protocols, "loso": {
        "kind": "official_split", "speaker_independent": True, "train": "train", "test": "train"}})
    monkeypatch.setattr(corpora, "load_card", lambda name: bad)

    def no_training(*args, **kwargs):
        raise AssertionError("training started")
    monkeypatch.setattr(runner_mod, "train_fold", no_training)
    with pytest.raises(ProtocolError, match="speaker-independent"):
        run_task("emodb", "baseline", emodb_like, upstream=TinyFbank(), out=tmp_path / "r.json",
                 config_overrides=FAST, progress=False)
    assert not (run_folder(tmp_path / "r.json") / "folds").exists()


@pytest.mark.slow
def test_speecheq_learns_with_its_auxiliary_heads(emodb_like, tmp_path):
    cfg = {"training": {"epochs": 8, "batch_size": 16, "lr": 3e-3, "patience": 8},
           "params": {"hidden": 32, "rnn_layers": 1}, "bootstrap": {"resamples": 100}}
    r = run_task("emodb", "speecheq", emodb_like, upstream=TinyFbank(), out=tmp_path / "s.json",
                 config_overrides=cfg, folds=["10"], progress=False)
    assert "active auxiliary heads: gender, phones" in r["notes"]
    m = r["folds"][0]["metrics"]
    assert m["ua"] > 0.3, m  # chance is 1/7
    assert {"gender_ua", "per"} <= set(m)
    saved = json.loads((run_folder(tmp_path / "s.json") / "folds" / "10" / "result.json").read_text())
    assert saved["active_heads"] == ["phones", "gender"] and len(saved["history"]) >= 1


def test_finetuned_upstream_trains_with_the_model(emodb_like, tmp_path):
    up = TrainableFbank()
    before = up.lin.weight.detach().clone()
    r = run_task("emodb", "baseline", emodb_like, upstream=up, out=tmp_path / "ft.json",
                 config_overrides={"training": {"epochs": 1, "upstream_lr": 1e-2}, "bootstrap": {"resamples": 50}},
                 folds=["11"], progress=False)
    assert r["upstream"]["frozen"] is False
    assert not torch.equal(before, up.lin.weight.detach())


def test_cli_list_and_errors(tmp_path):
    from seqd_builder.cli import main

    assert main(["bench", "list"]) == 0
    assert main(["bench", "run", "no_such_task", "--model", "baseline", "--data", str(tmp_path)]) == 2


def test_cli_run_with_the_package_fbank(emodb_like, tmp_path, capsys):
    """End to end through `seqd bench run` with the package's own front-end (once it is installed)."""
    pytest.importorskip("seqd_builder.benchmark.upstreams")
    from seqd_builder.cli import main

    out = tmp_path / "cli.json"
    code = main(["bench", "run", "emodb", "--model", "baseline", "--data", str(emodb_like),
                 "--upstream", "fbank", "--out", str(out), "--fold", "12", "--epochs", "1"])
    assert code == 0, capsys.readouterr()
    r = json.loads(out.read_text())
    validate_results(r)
    assert r["upstream"]["name"].startswith("fbank") and r["config"]["upstream"]["spec"] == "fbank"
    captured = capsys.readouterr()
    # shown as the pages show it: percent with one decimal (results.json keeps the fraction)
    assert f"UA = {100 * r['metrics']['ua']['mean']:.1f} %" in captured.out
    assert "torch CPU threads: 1" in captured.out
