"""Metrics: CCC by hand, scikit-learn metrics, the fast bootstrap path, fold averaging."""

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score

from seqd_builder.benchmark import metrics as M
from seqd_builder.benchmark import scoring as S


def test_ccc_matches_a_hand_computed_case():
    x = np.array([1.0, 2.0, 3.0, 4.0])
    y = np.array([2.0, 2.0, 4.0, 5.0])
    # means 2.5, 3.25; population variances 1.25, 1.6875; covariance (1/4)·5.5 = 1.375
    expected = 2 * 1.375 / (1.25 + 1.6875 + (2.5 - 3.25) ** 2)
    assert M.ccc(x, y) == pytest.approx(expected)
    assert expected == pytest.approx(11 / 14)  # 2.75 / 3.5
    assert M.ccc(x, x) == pytest.approx(1.0)
    assert M.ccc(x, -x) < 0
    assert M.ccc(np.ones(4), x) == 0.0  # constant prediction: no concordance
    assert M.ccc(x, x + 1) < 1.0  # a bias lowers CCC (unlike Pearson's r)


def test_vad_metrics_order_and_mean():
    rng = np.random.default_rng(0)
    truth = rng.random((50, 3))
    pred = truth.copy()
    pred[:, 1] = rng.random(50)
    m = M.vad_metrics(truth, pred)
    assert m["ccc_arousal"] == pytest.approx(1.0) and m["ccc_dominance"] == pytest.approx(1.0)
    assert m["ccc_valence"] < 0.5
    assert m["ccc_mean"] == pytest.approx((2 + m["ccc_valence"]) / 3)


def test_classification_metrics_are_sklearns():
    truth = np.array([0, 0, 0, 1, 1, 2, 2, 2, 2, 3])
    pred = np.array([0, 1, 0, 1, 1, 2, 0, 2, 3, 3])
    m = M.classification_metrics(truth, pred, 4)
    assert m["wa"] == accuracy_score(truth, pred) == pytest.approx(0.7)
    assert m["ua"] == balanced_accuracy_score(truth, pred)
    assert m["ua"] == pytest.approx(np.mean([2 / 3, 1.0, 0.5, 1.0]))
    assert m["macro_f1"] == f1_score(truth, pred, average="macro")
    assert M.confusion(truth, pred, 5)[0] == [2, 1, 0, 0, 0]


@pytest.mark.parametrize("seed", range(5))
def test_fast_path_equals_sklearn(seed):
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 5, 40)
    pred = np.where(rng.random(40) < 0.5, truth, rng.integers(0, 6, 40))  # includes a class absent in truth
    slow = M.classification_metrics(truth, pred, 6)
    fast = M.fast_classification_metrics(truth, pred, 6)
    for k in slow:
        assert fast[k] == pytest.approx(slow[k]), k


def test_fold_average_is_unweighted():
    avg = S.fold_average([{"ua": 0.5, "wa": 0.6}, {"ua": 0.7, "wa": 0.8}, {"ua": 0.9}])
    assert set(avg) == {"ua"}  # only metrics every fold reports
    assert avg["ua"]["mean"] == pytest.approx(0.7) and avg["ua"]["std"] == pytest.approx(np.std([.5, .7, .9]))
