"""Fold export, scoring of external predictions (hostile files included) and content provenance, on
EmoDB built from the real distribution."""

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from seqd_builder.benchmark.external import ExternalModel, score_predictions
from seqd_builder.benchmark.folds import export_folds
from seqd_builder.benchmark.provenance import data_fingerprint, effective_config
from seqd_builder.benchmark.config import config_hash, load_model_config
from seqd_builder.errors import SubmissionError
from seqd_builder.leaderboard.validate import check_result

MODEL = ExternalModel("oracle-ish", description="test predictions", link="https://example.org/x")


@pytest.fixture(scope="module")
def emodb(emodb_built):
    return emodb_built


@pytest.fixture(scope="module")
def folds(emodb, tmp_path_factory):
    out = tmp_path_factory.mktemp("folds") / "emodb"
    return out, export_folds("emodb", emodb, out)


def _test_rows(folds_dir):
    return pd.concat([pd.read_csv(p, dtype=str) for p in sorted(folds_dir.glob("folds/*/test.csv"))],
                     ignore_index=True)


def test_folds_are_the_runners_with_published_counts(folds):
    out, summary = folds
    assert summary["dataset"]["utterances"] == 535 and "partial" not in summary["dataset"]
    assert summary["labels"] == ["angry", "boredom", "disgust", "fear", "happy", "neutral", "sad"]
    assert len(summary["folds"]) == 10 and sum(f["test"] for f in summary["folds"]) == 535
    test = _test_rows(out)
    # EmoDB's published class counts (README of the shared data)
    assert test["label"].value_counts().to_dict() == {"angry": 127, "boredom": 81, "neutral": 79,
                                                      "happy": 71, "fear": 69, "sad": 62, "disgust": 46}
    for f in summary["folds"]:
        fdir = out / "folds" / f["fold"]
        roles = {r: pd.read_csv(fdir / f"{r}.csv", dtype=str) for r in ("train", "validation", "test")}
        speakers = {r: set(t["speaker"]) for r, t in roles.items()}
        assert not speakers["test"] & (speakers["train"] | speakers["validation"])  # speaker-independent
        jsonl = [json.loads(x) for x in (fdir / "test.jsonl").read_text().splitlines()]
        assert [r["id"] for r in jsonl] == roles["test"]["id"].tolist()


def test_the_data_fingerprint_is_a_function_of_content_not_path(emodb, tmp_path):
    moved = tmp_path / "elsewhere" / "copy-of-emodb"
    shutil.copytree(emodb, moved)
    assert data_fingerprint(moved) == data_fingerprint(emodb) is not None
    listing = moved / "checksums" / "emodb.sha256"
    listing.write_text(listing.read_text().replace("0", "1", 1))  # one audio file's content differs
    assert data_fingerprint(moved) != data_fingerprint(emodb)


def test_config_hash_ignores_runtime_options():
    cfg = load_model_config("baseline")
    cached = {**cfg, "upstream": {**cfg["upstream"], "options": {"cache": True, "threads": 2}}}
    assert config_hash(cached) == config_hash(cfg)
    assert effective_config(cached) == cfg
    assert config_hash({**cfg, "training": {**cfg["training"], "lr": 0.5}}) != config_hash(cfg)


def test_external_predictions_score_like_a_run(emodb, folds, tmp_path):
    out, summary = folds
    test = _test_rows(out)
    rng = np.random.default_rng(0)
    classes = summary["labels"]
    pred = np.where(rng.random(len(test)) < 0.7, test["label"], rng.choice(classes, len(test)))
    test.assign(pred=pred)[["id", "fold", "pred"]].to_csv(tmp_path / "p.csv", index=False)
    result = score_predictions("emodb", tmp_path / "p.csv", emodb, MODEL, out=tmp_path / "r.json")
    assert result["provenance"]["kind"] == "external" and result["provenance"]["link"] == MODEL.link
    assert check_result(result) == [] or all("uncommitted" in r for r in check_result(result))
    from sklearn.metrics import balanced_accuracy_score

    per_fold = [balanced_accuracy_score(test["label"][test["fold"] == f["fold"]],
                                        pred[test["fold"] == f["fold"]]) for f in summary["folds"]]
    assert result["metrics"]["ua"]["mean"] == pytest.approx(np.mean(per_fold), abs=1e-12)
    lo, hi = result["metrics"]["ua"]["ci95"]
    assert lo < result["metrics"]["ua"]["mean"] < hi
    # probabilities in JSONL with EmoBox's `key`: the same predictions give the same result
    probs = np.full((len(test), len(classes)), 0.0)
    probs[np.arange(len(test)), [classes.index(p) for p in pred]] = 1.0
    with open(tmp_path / "p.jsonl", "w") as fh:
        for (uid, fold), row in zip(test[["id", "fold"]].itertuples(index=False), probs):
            fh.write(json.dumps({"key": uid, "fold": fold, **{f"prob_{c}": v for c, v in zip(classes, row)}})
                     + "\n")
    again = score_predictions("emodb", tmp_path / "p.jsonl", emodb, MODEL)
    assert again["metrics"] == result["metrics"]


def test_a_hostile_prediction_file_is_refused_whole_with_every_problem(emodb, folds, tmp_path):
    out, summary = folds
    test = _test_rows(out)
    classes = summary["labels"]
    t = test[["id", "fold"]].copy()
    for c in classes:
        t[f"prob_{c}"] = f"{1.0 / len(classes):.6f}"
    t["pred"] = test["label"]
    t.loc[3, "pred"] = "joy"                                 # unknown label
    t.loc[4, "prob_angry"] = "nan"                           # NaN
    t.loc[5, "prob_angry"] = "0.9"                           # does not sum to 1
    t.loc[6, "fold"] = "08" if t.loc[6, "fold"] != "08" else "09"  # right id, wrong fold
    t.loc[7, "fold"] = "99"                                  # no such fold
    t = pd.concat([t, t.iloc[[10]], pd.DataFrame([{**t.iloc[0].to_dict(), "id": "emodb/nope"}])],
                  ignore_index=True)                         # duplicate id, extra id
    t = t.drop(index=[20, 21])                               # missing ids
    t.to_csv(tmp_path / "bad.csv", index=False)
    target = tmp_path / "never.json"
    with pytest.raises(SubmissionError) as err:
        score_predictions("emodb", tmp_path / "bad.csv", emodb, MODEL, out=target)
    text = str(err.value)
    for expected in ("line 5: label 'joy' is not a class", "line 6: a class probability is missing, NaN",
                     "line 7: class probabilities sum to 1.7", "is tested in fold", "line 9: fold '99' is not a fold",
                     "is predicted twice (first on line 12)", "id 'emodb/nope' is no test utterance",
                     "2 of 49 test ids have no prediction"):
        assert expected in text, expected
    assert "8 problems" in text and not target.exists()


@pytest.mark.parametrize("content, message", [
    ("id,fold\n", "neither a 'pred' column nor prob_<class> columns"),
    ("fold,pred\nx,angry\n", "column 'id' is missing"),
    ("id,fold,prob_angry,prob_joy\n", "['prob_joy'] name no class"),
])
def test_malformed_columns_are_named(emodb, tmp_path, content, message):
    (tmp_path / "p.csv").write_text(content)
    with pytest.raises(SubmissionError, match=message.replace("[", r"\[").replace("(", r"\(")):
        score_predictions("emodb", tmp_path / "p.csv", emodb, MODEL)


def test_jsonl_garbage_and_unknown_format(emodb, tmp_path):
    (tmp_path / "p.jsonl").write_text('{"id": "emodb/03a01Fa", "fold": "03", "pred": "happy"}\nnot json\n[1]\n')
    with pytest.raises(SubmissionError) as err:
        score_predictions("emodb", tmp_path / "p.jsonl", emodb, MODEL)
    assert "line 2: not JSON" in str(err.value) and "line 3: a JSON object is expected" in str(err.value)
    (tmp_path / "p.xlsx").write_text("x")
    with pytest.raises(SubmissionError, match="unknown prediction format"):
        score_predictions("emodb", tmp_path / "p.xlsx", emodb, MODEL)


def test_cli_score_exits_2_and_writes_nothing_on_a_bad_file(emodb, tmp_path, capsys):
    from seqd_builder.cli import main

    (tmp_path / "p.csv").write_text("id,fold,pred\nemodb/03a01Fa,03,joy\n")
    code = main(["bench", "score", "emodb", str(tmp_path / "p.csv"), "--data", str(emodb), "--model", "m",
                 "--out", str(tmp_path / "r.json")])
    err = capsys.readouterr().err
    assert code == 2 and "label 'joy' is not a class" in err and "Traceback" not in err
    assert not (tmp_path / "r.json").exists()


def test_emobox_emodb_folds_are_emoboxs_lists_and_not_speaker_independent(emodb, tmp_path, shared_data):
    summary = export_folds("emodb_emobox", emodb, tmp_path / "f")
    assert [(f["train"], f["validation"], f["test"]) for f in summary["folds"]] == [(428, 0, 107)] * 5
    assert summary["speaker_independent"] is False
    listed = shared_data / "meta/emodb/emobox/folds/fold_2/emodb_test_fold_2.jsonl"
    keys = {json.loads(x)["key"].replace("emodb-", "emodb/", 1) for x in listed.read_text().splitlines()}
    assert set(pd.read_csv(tmp_path / "f/folds/fold2/test.csv")["id"]) == keys


def test_ravdess_subset_on_emoboxs_actor_folds_is_flagged_partial(tmp_path, shared_data):
    from seqd_builder.pipeline.stream import build
    from seqd_builder.testing import make_ravdess_tree

    make_ravdess_tree(tmp_path / "src")
    build(["ravdess"], tmp_path / "hf", root=tmp_path / "src", progress=False)
    summary = export_folds("ravdess_emobox", tmp_path / "hf", tmp_path / "f")
    assert {k: summary["dataset"].get(k) for k in ("utterances", "corpus_utterances", "published_utterances",
                                                   "partial")} == {"utterances": 360, "corpus_utterances": 360,
                                                                   "published_utterances": 1440, "partial": True}
    assert [(f["train"], f["validation"], f["test"]) for f in summary["folds"]] == [(300, 0, 60)] * 6
    for k, fold in enumerate(summary["folds"], 1):  # EmoBox's test lists, restricted to the subset
        listed = shared_data / f"meta/ravdess/emobox/folds/fold_{k}/ravdess_test_fold_{k}.jsonl"
        keys = {json.loads(x)["key"].replace("ravdess-", "ravdess/", 1) for x in listed.read_text().splitlines()}
        ours = set(pd.read_csv(tmp_path / f"f/folds/{fold['fold']}/test.csv")["id"])
        assert ours <= keys and len(keys) == 240


def test_the_board_marks_external_dirty_and_partial_entries_and_refuses_unexplained_dirty_ones():
    from seqd_builder.benchmark.tasks import load_task
    from seqd_builder.leaderboard import board_markdown, build_board
    from seqd_builder.leaderboard.submission import Submission
    from seqd_builder.leaderboard.testing import make_result

    dirty = make_result("ravdess", code_version="0.1.0+gabc.dirty")
    assert any("uncommitted changes" in r for r in check_result(dirty))
    dirty["provenance"] = {"kind": "run", "dirty_allowed": "a test"}
    assert check_result(dirty) == []
    ext = make_result("ravdess", model="wav2vec2-probe", seed=1, provenance={"kind": "external"},
                      dataset={"name": "ravdess", "utterances": 360, "corpus_utterances": 360,
                               "published_utterances": 1440, "partial": True})
    assert check_result(ext) == []
    rows = [Submission(name=n, task="ravdess", data=d) for n, d in (("a", dirty), ("b", ext))]
    table = board_markdown(build_board(load_task("ravdess"), rows))
    assert "wav2vec2-probe [external] [360 of 1440 utterances]" in table
    assert "speecheq [uncommitted code]" in table
