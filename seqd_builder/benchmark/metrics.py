"""The metric registry: every metric a result may carry, declared once, with the function computing it.

Each :class:`Metric` names which target it scores (``category``, ``vad`` or an auxiliary head), which
way is better, the range a valid value lies in, and its function. Everything else is derived from or
checked against :data:`METRICS`: the task files' allowed metrics (:func:`task_metrics`), the enums of
``benchmark/schema/results.schema.json``, the leaderboard's ``leaderboard/metrics.yaml`` (labels and
display only; direction and range are compared with this registry when it is loaded) and the scoring of
folds in :mod:`seqd_builder.benchmark.scoring`. A new metric is one entry here plus its label there.

* WA = ``accuracy_score`` (weighted accuracy: share of correct utterances), UA = ``balanced_accuracy_score``
  (unweighted accuracy: mean recall over the classes present in the truth), macro-F1 =
  ``f1_score(average="macro")`` over the classes present in truth or prediction.
* CCC (Lin's concordance correlation) has no scikit-learn function; :func:`ccc` implements
  ``2 cov(x, y) / (var x + var y + (mean x - mean y)^2)`` with population (1/N) moments, computed over the
  whole test set of a fold (corpus-level, not averaged over batches).
* PER: edit distance of the CTC head's phones to the reference over the reference length.

Torch-free on purpose: external submissions are scored by this code without a deep-learning stack.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.metrics import accuracy_score, balanced_accuracy_score, confusion_matrix, f1_score

from ..errors import ConfigError
from ..schema import DIMENSIONS

TARGETS = ("category", "vad", "intensity", "gender", "phones")
DIRECTIONS = ("higher", "lower")


def ccc(x: np.ndarray, y: np.ndarray) -> float:
    """Lin's concordance correlation coefficient with population variance; 0 for constant inputs."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    mx, my = x.mean(), y.mean()
    vx, vy = x.var(), y.var()  # population variance (ddof=0)
    cov = ((x - mx) * (y - my)).mean()
    denom = vx + vy + (mx - my) ** 2
    return float(2.0 * cov / denom) if denom > 0 else 0.0


def _quiet(fn):
    """scikit-learn warns that a fold's prediction holds a class its truth lacks: expected per fold."""
    def wrapped(truth, pred):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return float(fn(np.asarray(truth), np.asarray(pred)))
    return wrapped


_wa = _quiet(accuracy_score)
_ua = _quiet(balanced_accuracy_score)
_f1 = _quiet(lambda t, p: f1_score(t, p, average="macro", zero_division=0))


def _ccc_of(k: int) -> Callable:
    return lambda truth, pred: ccc(np.asarray(pred)[:, k], np.asarray(truth)[:, k])


def _ccc_mean(truth, pred) -> float:
    return float(np.mean([_ccc_of(k)(truth, pred) for k in range(len(DIMENSIONS))]))


def edit_distance(a: Sequence, b: Sequence) -> int:
    """Levenshtein distance (unit costs) between two sequences."""
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i]
        for j, y in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y)))
        prev = cur
    return prev[-1]


def _per(refs, hyps) -> float:
    pairs = [(r, h) for r, h in zip(refs, hyps) if r]
    total = sum(len(r) for r, _ in pairs)
    return sum(edit_distance(r, h) for r, h in pairs) / total if total else float("nan")


@dataclass(frozen=True)
class Metric:
    """One metric. ``fn(truth, pred)`` scores one fold: class indices for ``category`` and the
    auxiliary heads, ``[N, 3]`` arrays for ``vad``, phone sequences for ``phones``."""

    name: str
    target: str
    direction: str
    low: float | None
    high: float | None
    fn: Callable
    task_metric: bool = True  # a task may list it (auxiliary-head metrics are reported, not ranked)

    def __post_init__(self):
        if self.target not in TARGETS:
            raise ConfigError(f"metric {self.name!r}: target {self.target!r}; valid: {', '.join(TARGETS)}")
        if self.direction not in DIRECTIONS:
            raise ConfigError(f"metric {self.name!r}: direction {self.direction!r}; valid: "
                              f"{', '.join(DIRECTIONS)}")

    @property
    def range(self) -> tuple[float | None, float | None]:
        return (self.low, self.high)


METRICS: dict[str, Metric] = {m.name: m for m in (
    Metric("wa", "category", "higher", 0.0, 1.0, _wa),
    Metric("ua", "category", "higher", 0.0, 1.0, _ua),
    Metric("macro_f1", "category", "higher", 0.0, 1.0, _f1),
    Metric("ccc_mean", "vad", "higher", -1.0, 1.0, _ccc_mean),
    Metric("ccc_arousal", "vad", "higher", -1.0, 1.0, _ccc_of(0)),
    Metric("ccc_valence", "vad", "higher", -1.0, 1.0, _ccc_of(1)),
    Metric("ccc_dominance", "vad", "higher", -1.0, 1.0, _ccc_of(2)),
    Metric("intensity_ua", "intensity", "higher", 0.0, 1.0, _ua, task_metric=False),
    Metric("gender_ua", "gender", "higher", 0.0, 1.0, _ua, task_metric=False),
    # insertions can push PER past 1
    Metric("per", "phones", "lower", 0.0, None, _per, task_metric=False),
)}


def names(target: str | None = None) -> tuple[str, ...]:
    """Registered metric names (of one target), in registry order."""
    return tuple(n for n, m in METRICS.items() if target is None or m.target == target)


def task_metrics() -> tuple[str, ...]:
    """The metrics a task file may list and rank by."""
    return tuple(n for n, m in METRICS.items() if m.task_metric)


CLASSIFICATION = names("category")
REGRESSION = names("vad")


def classification_metrics(truth: Sequence[int], pred: Sequence[int], n_classes: int) -> dict[str, float]:
    """WA, UA and macro-F1 by scikit-learn (UA over the classes present in ``truth``)."""
    truth, pred = np.asarray(truth), np.asarray(pred)
    if not len(truth):
        return {}
    return {name: METRICS[name].fn(truth, pred) for name in CLASSIFICATION}


def vad_metrics(truth: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    """CCC per dimension (columns in :data:`DIMENSIONS` order) and their mean."""
    out = {f"ccc_{d}": ccc(pred[:, i], truth[:, i]) for i, d in enumerate(DIMENSIONS)}
    out["ccc_mean"] = float(np.mean([out[f"ccc_{d}"] for d in DIMENSIONS]))
    return out


def confusion(truth: Sequence[int], pred: Sequence[int], n_classes: int) -> list[list[int]]:
    """Rows are true classes, columns predictions (scikit-learn's convention)."""
    return confusion_matrix(truth, pred, labels=list(range(n_classes))).astype(int).tolist()


def counts_metrics(cm: np.ndarray) -> dict[str, np.ndarray]:
    """WA, UA and macro-F1 of confusion counts ``[..., K, K]`` (any leading batch shape), vectorised
    for the bootstrap's thousands of resamples.

    Equal to :func:`classification_metrics` on the utterances the counts describe (tested): UA averages
    recall over classes present in the truth; macro-F1 averages F1 over classes present in truth or
    prediction, 0 where undefined.
    """
    cm = np.asarray(cm, dtype=np.float64)
    tp = np.diagonal(cm, axis1=-2, axis2=-1)
    support, predicted = cm.sum(-1), cm.sum(-2)
    present, seen = support > 0, (support + predicted) > 0
    recall = np.divide(tp, support, out=np.zeros_like(tp), where=present)
    f1 = np.divide(2 * tp, support + predicted, out=np.zeros_like(tp), where=seen)
    n = support.sum(-1)
    return {"wa": np.divide(tp.sum(-1), n, out=np.zeros_like(n), where=n > 0),
            "ua": recall.sum(-1) / np.maximum(present.sum(-1), 1),
            "macro_f1": f1.sum(-1) / np.maximum(seen.sum(-1), 1)}


def fast_classification_metrics(truth: np.ndarray, pred: np.ndarray, n_classes: int) -> dict[str, float]:
    """:func:`classification_metrics` from one confusion matrix (for paired bootstrap replicates)."""
    cm = np.bincount(truth * n_classes + pred, minlength=n_classes * n_classes).reshape(n_classes, n_classes)
    return {k: float(v) for k, v in counts_metrics(cm).items()}
