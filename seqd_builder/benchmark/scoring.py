"""Scoring of predictions: per-fold metrics, the fold average that a result reports, and its interval.

One torch-free module used by everything that turns predictions into a ``results.json``: the runner,
seed ensembles, the paired comparison, the quality peers and ``seqd bench score`` for predictions made
by any toolkit. A number on the board therefore means the same thing whoever trained the model.

* Per fold, :func:`fold_metrics` applies the functions of the metric registry
  (:mod:`seqd_builder.benchmark.metrics`) to the fold's test rows that carry a label.
* The reported point is the unweighted mean over folds (each fold counts once, whatever its size).
* Its 95% interval is a percentile bootstrap *of that fold mean*: each replicate resamples the test
  utterances within every fold, scores each fold and averages the folds, as ``seqd bench compare``
  does. (Pooling utterances across folds, as results before this module did, gives the interval of
  a different number, the pooled metric, which on leave-one-speaker-out EmoDB excluded its own fold
  mean in 19 of 23 runs.) For categories, resampling utterances is a multinomial draw over the cells
  of the fold's confusion matrix, so the interval follows from the counts alone and is the same
  whether computed from per-utterance predictions or from a filed result's confusion matrices.
* ``cluster="speaker"`` resamples test speakers instead of utterances (all of a drawn speaker's
  utterances enter), the honest choice when utterances of one speaker are not independent. When a
  fold tests a single speaker (leave-one-speaker-out), speakers and folds coincide and whole folds
  are resampled instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from ..errors import ConfigError
from . import metrics as M
from .metrics import METRICS, edit_distance  # noqa: F401  (re-exported: one scoring surface)

CLUSTERS = (None, "speaker")
DEFAULT_BOOTSTRAP = {"resamples": 1000, "seed": 0}
_CHUNK = 200  # replicates scored at once (bounds memory on large test sets)


def averaging_text(resamples: int = 1000, seed: int = 0, cluster: str | None = None) -> str:
    """How the reported number and its interval are computed, as results.json's notes state it."""
    unit = "test speakers (whole folds where a fold tests one speaker)" if cluster else "test utterances"
    return (f"unweighted mean over folds; 95% CI: percentile bootstrap ({resamples} resamples, seed "
            f"{seed}) of the fold mean, {unit} resampled within each fold")


AVERAGING = averaging_text()
TASK_AVERAGING = "unweighted mean over folds; 95% CI: bootstrap of the fold mean, resampled within folds"


# --- one fold ----------------------------------------------------------------------------------------

def fold_metrics(task, data, pred: dict, rows, vocab) -> tuple[dict, dict]:
    """Metrics of one fold (and its labels and confusion matrix for category tasks).

    ``data`` holds per-row targets (``category``, ``vad``, ``intensity``, ``gender``, ``phones``: any
    object with those arrays); ``pred`` the fold's predictions in ``rows`` order.
    """
    rows = np.asarray(rows, dtype=int)
    m: dict[str, float] = {}
    extra: dict = {}
    if not len(rows) or not pred:
        return m, extra
    if "category" in pred and "category" in task.targets:
        truth = data.category[rows]
        ok = truth >= 0
        m.update(M.classification_metrics(truth[ok], pred["category"][ok], len(task.classes)))
        extra = {"labels": list(task.classes),
                 "confusion": M.confusion(truth[ok], pred["category"][ok], len(task.classes))}
    if "vad" in pred and "vad" in task.targets:
        truth = data.vad[rows]
        ok = ~np.isnan(truth).any(axis=1)
        if ok.sum() >= 2:
            m.update(M.vad_metrics(truth[ok], pred["vad"][ok]))
    for key in ("intensity", "gender"):
        if key in pred:
            truth = getattr(data, key)[rows]
            ok = truth >= 0
            if ok.any():
                m[f"{key}_ua"] = METRICS[f"{key}_ua"].fn(truth[ok], pred[key][ok])
    if "phones" in pred and vocab is not None:
        refs = [data.phones[i] for i in rows]
        hyps = [[vocab.phones[t - 1] for t in seq] for seq in pred["phones"]]
        if any(refs):
            m["per"] = METRICS["per"].fn(refs, hyps)
    return m, extra


def pooled_arrays(data, pred: dict, rows) -> dict:
    """The fold's truth and predictions as JSON lists (what its interval is computed from)."""
    rows = np.asarray(rows, dtype=int)
    out: dict[str, Any] = {}
    if "category" in pred:
        out["category_truth"] = data.category[rows].tolist()
        out["category_pred"] = np.asarray(pred["category"]).astype(int).tolist()
    if "vad" in pred:
        out["vad_truth"] = np.where(np.isnan(data.vad[rows]), None, data.vad[rows]).tolist()
        out["vad_pred"] = np.asarray(pred["vad"], dtype=float).tolist()
    speakers = getattr(data, "speakers", None)
    if speakers is not None:
        out["speakers"] = [speakers[i] for i in rows]
    return out


# --- across folds ------------------------------------------------------------------------------------

def fold_average(per_fold: Sequence[dict[str, float]]) -> dict[str, dict[str, float]]:
    """Unweighted mean and population std over folds of every metric that all folds report."""
    keys = set.intersection(*(set(m) for m in per_fold)) if per_fold else set()
    out = {}
    for k in sorted(keys):
        vals = np.array([m[k] for m in per_fold], dtype=np.float64)
        out[k] = {"mean": float(vals.mean()), "std": float(vals.std())}
    return out


@dataclass
class FoldScores:
    """What one fold's interval needs: labelled truth and predictions, and the speakers of the rows.

    ``category_truth`` uses -1 for rows without a task class; ``vad_truth`` NaN for missing values.
    A filed result without predictions gives its confusion matrix instead (:meth:`from_confusion`).
    """

    name: str
    category_truth: np.ndarray | None = None
    category_pred: np.ndarray | None = None
    vad_truth: np.ndarray | None = None
    vad_pred: np.ndarray | None = None
    speakers: np.ndarray | None = None
    n_classes: int = 0
    confusion: np.ndarray | None = field(default=None, repr=False)

    def __post_init__(self):
        if self.category_truth is not None and self.confusion is None:
            t = np.asarray(self.category_truth, dtype=int)
            p = np.asarray(self.category_pred, dtype=int)
            ok = t >= 0
            k = self.n_classes
            self.confusion = np.bincount(t[ok] * k + p[ok], minlength=k * k).reshape(k, k)

    @classmethod
    def from_pooled(cls, name: str, pooled: dict, n_classes: int) -> "FoldScores":
        vt = pooled.get("vad_truth")
        return cls(name=name, n_classes=n_classes,
                   category_truth=(np.asarray(pooled["category_truth"], dtype=int)
                                   if "category_truth" in pooled else None),
                   category_pred=(np.asarray(pooled["category_pred"], dtype=int)
                                  if "category_pred" in pooled else None),
                   vad_truth=(np.array([[np.nan if v is None else v for v in r] for r in vt], dtype=float)
                              .reshape(-1, 3) if vt is not None else None),
                   vad_pred=np.asarray(pooled["vad_pred"], dtype=float).reshape(-1, 3)
                   if "vad_pred" in pooled else None,
                   speakers=np.asarray(pooled["speakers"]) if "speakers" in pooled else None)

    @classmethod
    def from_confusion(cls, name: str, confusion: Sequence[Sequence[int]]) -> "FoldScores":
        cm = np.asarray(confusion, dtype=np.int64)
        return cls(name=name, n_classes=len(cm), confusion=cm)


def _percentile(values: np.ndarray) -> tuple[float, float]:
    lo, hi = np.percentile(values, [2.5, 97.5])
    return float(lo), float(hi)


def _weighted_ccc(w: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """CCC of ``x`` and ``y`` under per-replicate row weights ``w`` ``[R, N]`` (population moments)."""
    n = w.sum(1)
    mx, my = w @ x / n, w @ y / n
    vx, vy = w @ (x * x) / n - mx ** 2, w @ (y * y) / n - my ** 2
    cov = w @ (x * y) / n - mx * my
    denom = vx + vy + (mx - my) ** 2
    return np.divide(2 * cov, denom, out=np.zeros_like(denom), where=denom > 1e-15)


def _fold_replicates(f: FoldScores, names: list[str], rng: np.random.Generator, resamples: int,
                     cluster: str | None) -> dict[str, np.ndarray]:
    """``resamples`` bootstrap values of each metric in ``names`` on one fold."""
    out: dict[str, list] = {n: [] for n in names}
    cat = [n for n in names if n in M.CLASSIFICATION]
    vad = [n for n in names if n in M.REGRESSION]
    if cat and cluster is None:  # utterance resampling == multinomial over the confusion cells
        cm = f.confusion.astype(np.float64)
        n = int(cm.sum())
        draws = rng.multinomial(n, (cm / n).ravel(), size=resamples).reshape(resamples, *cm.shape)
        values = M.counts_metrics(draws)
        for name in cat:
            out[name] = [values[name]]
        cat = []
    if not cat and not vad:
        return {n: np.concatenate(v) for n, v in out.items()}
    if cat:
        t = f.category_truth
        ok = t >= 0
        cells = np.eye(f.n_classes ** 2)[t[ok] * f.n_classes + f.category_pred[ok]]
        units = f.speakers[ok]
    if vad:
        vt, vp = f.vad_truth, f.vad_pred
        vok = ~np.isnan(vt).any(axis=1)
        vt, vp = vt[vok], vp[vok]
        vunits = f.speakers[vok] if cluster else None
    for start in range(0, resamples, _CHUNK):
        r = min(_CHUNK, resamples - start)
        if cat:
            w = _unit_weights(units, r, rng)
            values = M.counts_metrics((w @ cells).reshape(r, f.n_classes, f.n_classes))
            for name in cat:
                out[name].append(values[name])
        if vad:
            w = _unit_weights(vunits, r, rng, n=len(vt))
            per_dim = {f"ccc_{d}": _weighted_ccc(w, vp[:, k], vt[:, k]) for k, d in enumerate(M.DIMENSIONS)}
            per_dim["ccc_mean"] = np.mean([per_dim[f"ccc_{d}"] for d in M.DIMENSIONS], axis=0)
            for name in vad:
                out[name].append(per_dim[name])
    return {n: np.concatenate(v) for n, v in out.items()}


def _unit_weights(units: np.ndarray | None, r: int, rng: np.random.Generator, n: int | None = None):
    """Row weights ``[r, N]``: how often each row is drawn when its units (rows, or speakers) are
    resampled with replacement."""
    if units is None:
        return rng.multinomial(n, np.full(n, 1.0 / n), size=r).astype(np.float64)
    codes, inverse = np.unique(units, return_inverse=True)
    drawn = rng.multinomial(len(codes), np.full(len(codes), 1.0 / len(codes)), size=r)
    return drawn[:, inverse].astype(np.float64)


def fold_intervals(names: Sequence[str], folds: Sequence[FoldScores], point: Sequence[dict[str, float]],
                   *, resamples: int = 1000, seed: int = 0,
                   cluster: str | None = None) -> dict[str, tuple[float, float]]:
    """95% intervals of the fold-averaged ``names`` (those every fold reports in ``point``)."""
    if cluster not in CLUSTERS:
        raise ConfigError(f"bootstrap cluster {cluster!r} is not known", hint="use none or 'speaker'")
    names = [n for n in names if (n in M.CLASSIFICATION or n in M.REGRESSION)
             and all(n in p for p in point)]
    names = [n for n in names if n in M.REGRESSION or all(f.confusion is not None for f in folds)]
    names = [n for n in names if n in M.CLASSIFICATION or all(f.vad_truth is not None for f in folds)]
    if not names or not folds:
        return {}
    rng = np.random.default_rng(seed)
    if cluster == "speaker":
        if any(f.speakers is None for f in folds):
            raise ConfigError("a speaker-clustered interval needs the speaker of every test row",
                              hint="score predictions that carry a speaker column")
        if any(len(set(f.speakers.tolist())) < 2 for f in folds):  # the speaker is the fold
            pick = rng.integers(0, len(folds), (resamples, len(folds)))
            return {n: _percentile(np.array([p[n] for p in point])[pick].mean(1)) for n in names}
    per_fold = [_fold_replicates(f, names, rng, resamples, cluster) for f in folds]
    return {n: _percentile(np.mean([pf[n] for pf in per_fold], axis=0)) for n in names}


def summarise(names: Sequence[str], folds_json: Sequence[dict], scores: Sequence[FoldScores] | None,
              bootstrap: dict | None = None) -> dict[str, dict]:
    """The ``metrics`` block of a result: fold means and stds of every registered metric the folds
    report, with the interval of each of ``names`` (``scores`` None: from the folds' confusion
    matrices)."""
    b = {**DEFAULT_BOOTSTRAP, **(bootstrap or {})}
    point = [f["metrics"] for f in folds_json]
    averaged = {k: v for k, v in fold_average(point).items() if k in METRICS}
    if scores is None:
        scores = [FoldScores.from_confusion(f["fold"], f["confusion"]) if "confusion" in f
                  else FoldScores(name=f["fold"]) for f in folds_json]
    cis = fold_intervals([n for n in names if n in averaged], scores, point, resamples=int(b["resamples"]),
                         seed=int(b["seed"]), cluster=b.get("cluster"))
    for name, (lo, hi) in cis.items():
        averaged[name]["ci95"] = [lo, hi]
    return averaged


def group_mean_summary(names: Sequence[str], folds_json: Sequence[dict], scores: Sequence[FoldScores],
                       groups: Sequence[str], bootstrap: dict | None = None) -> dict[str, dict]:
    """Metrics as the unweighted mean over ``groups`` (test corpora) of each group's fold mean.

    ``std`` is over the group means; the 95% interval resamples test utterances within every fold,
    averages each group's folds and then the groups, the same replicates as :func:`fold_intervals`.
    """
    b = {**DEFAULT_BOOTSTRAP, **(bootstrap or {})}
    order = list(dict.fromkeys(groups))
    idx = {g: [k for k, x in enumerate(groups) if x == g] for g in order}
    per_group = {g: fold_average([folds_json[k]["metrics"] for k in idx[g]]) for g in order}
    keys = set.intersection(*(set(v) for v in per_group.values())) if per_group else set()
    out = {}
    for k in sorted(n for n in keys if n in METRICS):
        vals = np.array([per_group[g][k]["mean"] for g in order])
        out[k] = {"mean": float(vals.mean()), "std": float(vals.std())}
    point = [f["metrics"] for f in folds_json]
    wanted = [n for n in names if n in out and n in M.CLASSIFICATION and all(n in p for p in point)
              and all(s.confusion is not None for s in scores)]
    if wanted and b.get("cluster") is None:
        rng = np.random.default_rng(int(b["seed"]))
        reps = [_fold_replicates(s, wanted, rng, int(b["resamples"]), None) for s in scores]
        for n in wanted:
            means = [np.mean([reps[k][n] for k in idx[g]], axis=0) for g in order]
            out[n]["ci95"] = list(_percentile(np.mean(means, axis=0)))
    return out
