"""Benchmark metrics: scikit-learn where it has them, CCC by its formula, fold averages and bootstrap CIs.

* WA = ``accuracy_score`` (weighted accuracy: share of correct utterances), UA = ``balanced_accuracy_score``
  (unweighted accuracy: mean per-class recall), macro-F1 = ``f1_score(average="macro")``, confusion matrix.
* CCC (Lin's concordance correlation) has no scikit-learn function; :func:`ccc` implements
  ``2 cov(x, y) / (var x + var y + (mean x - mean y)^2)`` with population (1/N) moments, computed over the
  whole test set of a fold (corpus-level, not averaged over batches).
* Fold averaging is the unweighted mean over folds (each fold counts once, whatever its size), stated in
  every result; the 95% confidence interval is a percentile bootstrap over test utterances pooled across
  folds (1000 resamples, fixed seed), so it reflects utterance sampling, not fold-to-fold variation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from sklearn.metrics import accuracy_score, balanced_accuracy_score, confusion_matrix, f1_score

from ..schema import DIMENSIONS

AVERAGING = ("unweighted mean over folds; 95% CI: percentile bootstrap (1000 resamples, seed 0) over "
             "test utterances pooled across folds")
CLASSIFICATION = ("wa", "ua", "macro_f1")
REGRESSION = ("ccc_arousal", "ccc_valence", "ccc_dominance", "ccc_mean")


def ccc(x: np.ndarray, y: np.ndarray) -> float:
    """Lin's concordance correlation coefficient with population variance; 0 for constant inputs."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    mx, my = x.mean(), y.mean()
    vx, vy = x.var(), y.var()  # population variance (ddof=0)
    cov = ((x - mx) * (y - my)).mean()
    denom = vx + vy + (mx - my) ** 2
    return float(2.0 * cov / denom) if denom > 0 else 0.0


def classification_metrics(truth: Sequence[int], pred: Sequence[int], n_classes: int) -> dict[str, float]:
    truth, pred = np.asarray(truth), np.asarray(pred)
    labels = list(range(n_classes))
    return {
        "wa": float(accuracy_score(truth, pred)),
        "ua": float(balanced_accuracy_score(truth, pred)),
        "macro_f1": float(f1_score(truth, pred, average="macro", zero_division=0)),
    } if len(truth) else {}


def confusion(truth: Sequence[int], pred: Sequence[int], n_classes: int) -> list[list[int]]:
    return confusion_matrix(truth, pred, labels=list(range(n_classes))).astype(int).tolist()


def vad_metrics(truth: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    """CCC per dimension (columns in :data:`DIMENSIONS` order) and their mean."""
    out = {f"ccc_{d}": ccc(pred[:, i], truth[:, i]) for i, d in enumerate(DIMENSIONS)}
    out["ccc_mean"] = float(np.mean([out[f"ccc_{d}"] for d in DIMENSIONS]))
    return out


def fold_average(per_fold: Sequence[dict[str, float]]) -> dict[str, dict[str, float]]:
    """Unweighted mean and population std over folds of every metric that all folds report."""
    keys = set.intersection(*(set(m) for m in per_fold)) if per_fold else set()
    out = {}
    for k in sorted(keys):
        vals = np.array([m[k] for m in per_fold], dtype=np.float64)
        out[k] = {"mean": float(vals.mean()), "std": float(vals.std())}
    return out


def bootstrap_ci(metric: Callable[[np.ndarray], float], n: int, *, resamples: int = 1000,
                 seed: int = 0, alpha: float = 0.05) -> tuple[float, float]:
    """Percentile bootstrap CI of ``metric(indices)`` over ``n`` pooled test utterances."""
    rng = np.random.default_rng(seed)
    vals = np.array([metric(rng.integers(0, n, n)) for _ in range(resamples)])
    lo, hi = np.percentile(vals, [100 * alpha / 2, 100 * (1 - alpha / 2)])
    return float(lo), float(hi)
