"""Multi-corpus and cross-corpus tasks on the real EmoDB (535) and RAVDESS subset (360), built into one
dataset folder with both configs: composed folds, class coverage, the unified intensity scale, results
schema for multi- and cross-corpus runs, and the matrix page (hostile names escaped)."""

from __future__ import annotations

import dataclasses
import json
from collections import Counter

import numpy as np
import pytest

from seqd_builder.benchmark import metrics as M
from seqd_builder.benchmark.data import load_task_data
from seqd_builder.benchmark.matrix import TRACK2_CLASSES, cell_task, shared_classes
from seqd_builder.benchmark.multicorpus import (check_disjoint, missing_classes, multi_corpus_block,
                                                parse_sources, read_id_list)
from seqd_builder.benchmark.results import validate_results
from seqd_builder.benchmark.scoring import FoldScores
from seqd_builder.benchmark.tasks import Task, load_task
from seqd_builder.pipeline import build
from seqd_builder.corpora import load_card
from seqd_builder.corpora.card import available_cards
from seqd_builder.errors import ConfigError, ProtocolError, UnknownLabelError
from seqd_builder.schema.scales import UNIFIED_LEVELS, IntensityScale


@pytest.fixture(scope="module")
def both(shared_data, tmp_path_factory):
    """One dataset folder holding the emodb and ravdess configs."""
    out = tmp_path_factory.mktemp("mc") / "hf"
    build(["ravdess", "emodb"], out, progress=False, workers=1, phones="none",
          roots={"ravdess": shared_data / "audio" / "ravdess", "emodb": shared_data / "audio" / "emodb"})
    return out


@pytest.fixture(scope="module")
def joint(both):
    return load_task_data(load_task("emodb_ravdess"), both)


def test_joint_rows_from_one_folder_with_two_configs(joint):
    assert Counter(joint.corpus) == {"emodb": 535, "ravdess": 360}  # the published counts
    assert len(set(joint.ids)) == len(joint)


def test_composed_folds_are_each_corpus_protocol_and_speaker_disjoint(joint):
    protocol, folds = joint.folds()
    assert protocol.parts == {"emodb": "loso", "ravdess": "speaker_folds"}
    assert len(folds) == 10 + 6
    spk = np.asarray(joint.speakers)
    corpus = np.asarray(joint.corpus)
    tested = Counter()
    for f in folds:
        test_corpus = set(corpus[f.test])
        assert len(test_corpus) == 1
        (c,) = test_corpus
        tested[c] += len(f.test)
        for a, b in (("train", "test"), ("train", "validation"), ("validation", "test")):
            assert not set(spk[getattr(f, a)]) & set(spk[getattr(f, b)]), (f.name, a, b)
        other = "ravdess" if c == "emodb" else "emodb"  # the other corpus trains in full
        assert (corpus[f.train] == other).sum() == (corpus == other).sum()
        assert set(corpus[f.validation]) == {c}
    assert tested == {"emodb": 535, "ravdess": 360}  # every row tested exactly once


def test_composed_folds_equal_the_single_corpus_test_folds(both, joint):
    single = load_task_data(load_task("ravdess"), both)
    _, sfolds = single.folds()
    _, jfolds = joint.folds()
    for sf in sfolds:
        jf = next(f for f in jfolds if f.name == f"ravdess:{sf.name}")
        assert sorted(single.ids[i] for i in sf.test) == sorted(joint.ids[i] for i in jf.test)


def test_speaker_shared_across_roles_is_refused(joint):
    _, folds = joint.folds()
    f = folds[0]
    leaky = dataclasses.replace(f, train=np.concatenate([f.train, f.test[:1]]))
    with pytest.raises(ProtocolError, match="both train and test"):
        check_disjoint([leaky], joint.speakers, joint.corpus)


def test_missing_classes_and_empty_intersection():
    task = load_task("emodb_ravdess")
    assert missing_classes(task) == {"emodb": ["calm", "surprise"], "ravdess": ["boredom"]}
    with pytest.raises(ConfigError, match="share none"):  # boredom (EmoDB only) + calm (RAVDESS only)
        Task(name="x", title="x", corpus="x", protocol="composed", targets=("category",),
             primary_metric="ua", metrics=("ua",), classes=("boredom", "calm"), corpora=("emodb", "ravdess"))
    with pytest.raises(ConfigError, match="no training corpus"):
        Task(name="x", title="x", corpus="x", protocol="composed", targets=("category",),
             primary_metric="ua", metrics=("ua",), classes=("angry", "calm"), corpora=("emodb", "ravdess"),
             train_on=("emodb",))
    with pytest.raises(UnknownLabelError):
        Task(name="x", title="x", corpus="x", protocol="composed", targets=("category",),
             primary_metric="ua", metrics=("ua",), classes=("angry",), corpora=("emodb", "nosuch"))


def test_shared_classes_of_emodb_and_ravdess():
    assert set(shared_classes(["emodb", "ravdess"])) == {"angry", "disgust", "fear", "happy", "neutral", "sad"}


def test_cross_cell_trains_on_a_tests_all_of_b(both):
    task = cell_task("emodb", "ravdess", shared_classes(["emodb", "ravdess"]))
    data = load_task_data(task, both)
    _, folds = data.folds()
    assert len(folds) == 1
    (f,) = folds
    corpus = np.asarray(data.corpus)
    assert set(corpus[f.train]) == set(corpus[f.validation]) == {"emodb"}
    assert set(corpus[f.test]) == {"ravdess"}
    assert len(f.test) == 360 - 48 - 48  # all of RAVDESS but calm and surprise
    assert len(f.train) + len(f.validation) == 535 - 81  # all of EmoDB but boredom


def test_track2_test_sets_balanced(both):
    task = cell_task("ravdess", "emodb", TRACK2_CLASSES, test_set="track2")
    data = load_task_data(task, both)
    _, (f,) = data.folds()
    labels = Counter(task.classes[data.category[i]] for i in f.test)
    assert labels == {c: 60 for c in TRACK2_CLASSES}
    # speaker-balanced as far as the corpus allows: each speaker gives min(what it has, 60 / 10) or more
    cls = np.asarray(data.category)
    for c in range(len(TRACK2_CLASSES)):
        avail = Counter(data.speakers[i] for i in np.flatnonzero(cls == c) if data.corpus[i] == "emodb")
        taken = Counter(data.speakers[i] for i in f.test if cls[i] == c)
        assert len(avail) == 10 and all(taken[s] >= min(n, 6) for s, n in avail.items())
    emobox = read_id_list("ravdess_track2_emobox.txt")
    assert len(emobox) == 240 and len(set(emobox)) == 240


def test_data_sources_parse():
    assert parse_sources(["a"]).name == "a"
    assert set(parse_sources(["emodb=x", "ravdess=y"])) == {"emodb", "ravdess"}
    with pytest.raises(ConfigError):
        parse_sources(["emodb=x", "y"])


def test_every_card_intensity_map_covers_every_native_level():
    for name in available_cards():
        card = load_card(name)
        scale = card.intensity
        if scale is None or scale.levels is None:
            continue
        assert scale.unified is not None, f"{name}: no unified intensity map"
        assert set(scale.unified) == set(scale.levels), name
        for level in set(scale.levels.values()):
            assert scale.unified_level(level, "happy") in range(len(UNIFIED_LEVELS)), (name, level)
        assert scale.unified_level(None, "happy") is None  # unspecified stays unspecified, not low
        assert scale.unified_level(1, "neutral") == 0


def test_unified_scale_refuses_gaps_and_unknown_names():
    with pytest.raises(ConfigError, match="every native level"):
        IntensityScale(levels={"LO": 1, "HI": 2}, unified={"LO": "low"})
    with pytest.raises(UnknownLabelError):
        IntensityScale(levels={"LO": 1}, unified={"LO": "extreme"})


def test_unified_intensity_of_real_rows(joint):
    lv = Counter(zip(joint.corpus, joint.intensity.tolist()))
    # RAVDESS subset: 24 neutral (none), normal -> medium, strong -> high; EmoDB has no intensity
    assert lv[("ravdess", 0)] == 24 and lv[("ravdess", 2)] == 192 - 24 and lv[("ravdess", 3)] == 168
    assert lv[("emodb", -1)] == 535
    assert joint.n_intensity == len(UNIFIED_LEVELS)


def _fake_run(task, data):
    protocol, folds = data.folds()
    rng = np.random.default_rng(0)
    folds_json, scores = [], []
    k = len(task.classes)
    for f in folds:
        truth = data.category[f.test]
        pred = np.where(rng.random(len(truth)) < 0.6, truth, rng.integers(0, k, len(truth)))
        cm = np.bincount(truth * k + pred, minlength=k * k).reshape(k, k)
        ua = float(np.mean([cm[c, c] / cm[c].sum() for c in range(k) if cm[c].sum()]))
        folds_json.append({"fold": f.name, "corpus": data.corpus[int(f.test[0])], "n_test": int(len(f.test)),
                           "metrics": {"ua": ua, "wa": float((truth == pred).mean()),
                                       "macro_f1": float(M.classification_metrics(truth, pred, k)["macro_f1"])},
                           "labels": list(task.classes), "confusion": cm.tolist()})
        scores.append(FoldScores(name=f.name, category_truth=truth, category_pred=pred, n_classes=k))
    metrics, multi = multi_corpus_block(task, protocol, folds_json, scores, {"resamples": 200, "seed": 0})
    result = {"schema_version": 1, "task": task.name, "model": "fake", "upstream": {"name": "x", "frozen": True},
              "config": {"model": "fake"}, "config_hash": "sha256:" + "0" * 64, "code_version": "0", "seeds": [0],
              "protocol": {"name": protocol.name, "n_folds": len(folds), "averaging": "x"},
              "primary_metric": "ua", "metrics": metrics, "folds": folds_json, "runtime_s": 1.0,
              "hardware": {"device": "cpu"}, "date": "2026-01-01T00:00:00+00:00", **multi}
    validate_results(result)
    return result


def test_results_schema_valid_for_multi_corpus_run(joint):
    res = _fake_run(joint.task, joint)
    per = {c: v["metrics"]["ua"]["mean"] for c, v in res["corpora"].items()}
    assert res["metrics"]["ua"]["mean"] == pytest.approx(np.mean(list(per.values())))  # unweighted
    lo, hi = res["metrics"]["ua"]["ci95"]
    assert lo <= res["metrics"]["ua"]["mean"] <= hi
    assert res["corpora"]["emodb"]["n_folds"] == 10 and res["corpora"]["ravdess"]["n_folds"] == 6
    bad = json.loads(json.dumps(res))
    bad["corpora"]["emodb"]["n_folds"] = 0
    with pytest.raises(Exception):
        validate_results(bad)


def test_results_schema_valid_for_cross_corpus_run(both):
    task = cell_task("ravdess", "emodb", shared_classes(["emodb", "ravdess"]))
    res = _fake_run(task, load_task_data(task, both))
    assert list(res["corpora"]) == ["emodb"] and res["multi_corpus"]["train_on"] == ["ravdess"]


def test_matrix_page_renders_and_escapes_hostile_names(tmp_path):
    from seqd_builder.leaderboard.matrix import render_matrix

    evil = '<script>alert(1)</script>'
    summary = {"corpora": ["emodb", evil], "classes": ["angry", "sad"], "model": f'm"{evil}',
               "upstream": "u&<b>", "primary_metric": "ua", "test_set": None,
               "cells": [{"train": a, "test": b, "metric": "ua", "mean": 0.5 + 0.1 * (a == b),
                          "ci95": [0.4, 0.7], "file": f"{a}__{b}.json"}
                         for a in ["emodb", evil] for b in ["emodb", evil]]}
    html = render_matrix(summary, tmp_path / "m.html").read_text(encoding="utf-8")
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "u&amp;&lt;b&gt;" in html
    assert html.count("<rect ") == 4 and "60.0" in html and "50.0" in html
    assert "Content-Security-Policy" in html


def test_speecheq_gender_head_reads_the_emotion_input_with_balanced_weights():
    import torch

    from seqd_builder.benchmark.models.base import ModelSpec, TrainStats
    from seqd_builder.benchmark.models.speecheq import SpeechEQ

    spec = ModelSpec(dim=8, num_layers=1, targets=("category", "gender"), classes=("angry", "sad"))
    with pytest.raises(ConfigError, match="input_stats"):
        SpeechEQ(spec, hidden=16, gender_from="emotion")
    m = SpeechEQ(spec, hidden=16, input_stats=True, gender_from="emotion", gender_weights="balanced")
    assert m.gender.in_features == 16 + 2 * 8
    m.fit_setup(TrainStats(mean=torch.zeros(1, 8), std=torch.ones(1, 8), category=np.array([0, 1, 1]),
                           gender=np.array([0, 0, 0, 1])))  # 3 female, 1 male: male weighs 3x
    assert m.gender_weight.tolist() == pytest.approx([4 / 6, 2.0])
    out = m(torch.randn(2, 1, 20, 8), torch.tensor([20, 12]))
    assert out["gender"].shape == (2, 2)


def test_leaderboard_shows_per_corpus_columns(joint, tmp_path):
    from seqd_builder.leaderboard.site import render_site
    from seqd_builder.leaderboard.store import submit

    res = _fake_run(joint.task, joint)
    res["code_version"] = "0.1.0"
    path = tmp_path / "r.json"
    path.write_text(json.dumps(res), encoding="utf-8")
    subs = tmp_path / "subs"
    submit(path, subs)
    evil = "<img src=x onerror=alert(1)>"
    filed = tmp_path / "matrices" / "whisper-peer"
    filed.mkdir(parents=True)
    (filed / "matrix.json").write_text(json.dumps({
        "corpora": ["emodb", evil], "classes": ["angry"], "model": evil, "upstream": "u", "primary_metric": "ua",
        "cells": [{"train": "emodb", "test": evil, "mean": 0.3, "ci95": None}]}), encoding="utf-8")
    render_site(subs, tmp_path / "site", tasks=["emodb_ravdess"])
    index = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert 'href="matrix-whisper-peer.html"' in index and "<img" not in index
    page = (tmp_path / "site" / "matrix-whisper-peer.html").read_text(encoding="utf-8")
    assert "<img" not in page and "&lt;img src=x" in page and "30.0" in page
    html = (tmp_path / "site" / "emodb_ravdess.html").read_text(encoding="utf-8")
    assert "UA emodb" in html and "UA ravdess" in html
    md = (tmp_path / "site" / "emodb_ravdess.md").read_text(encoding="utf-8")
    assert "UA emodb |" in md and "UA ravdess |" in md
    emodb = res["corpora"]["emodb"]["metrics"]["ua"]["mean"]
    assert f"{100 * emodb:.1f}" in html


def test_corpus_run_pairs_a_joint_run_with_the_single_corpus_run(tmp_path):
    import pandas as pd

    from seqd_builder.benchmark.compare import Run, compare_runs
    from seqd_builder.benchmark.multicorpus import corpus_run

    rows = [("emodb:03", "emodb/03a", "angry", "angry"), ("emodb:03", "emodb/03b", "sad", "angry"),
            ("ravdess:fold1", "ravdess/x", "sad", "sad")]
    joint = Run(path=tmp_path / "j.json", task="emodb_ravdess", label="joint", folds=("emodb:03", "ravdess:fold1"),
                predictions=pd.DataFrame(rows, columns=["fold", "id", "truth", "pred"]),
                results={"task": "emodb_ravdess", "corpora": {"emodb": {}, "ravdess": {}},
                         "folds": [{"fold": "emodb:03", "corpus": "emodb"},
                                   {"fold": "ravdess:fold1", "corpus": "ravdess"}]})
    single = Run(path=tmp_path / "s.json", task="emodb", label="single", folds=("03",),
                 predictions=pd.DataFrame([("03", "emodb/03a", "angry", "sad"), ("03", "emodb/03b", "sad", "sad")],
                                          columns=["fold", "id", "truth", "pred"]), results={"task": "emodb"})
    part = corpus_run(joint, "emodb")
    assert part.task == "emodb" and part.folds == ("03",) and len(part.predictions) == 2
    c = compare_runs(part, single, resamples=100)
    assert c.a_value == pytest.approx(0.5) and c.b_value == pytest.approx(0.5)
