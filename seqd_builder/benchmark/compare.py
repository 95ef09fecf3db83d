"""Paired comparison of two benchmark runs scored on the same test utterances.

Why paired: the 95% intervals in ``results.json`` describe each run alone. Two runs on the same task are
scored on the same utterances, so most of the sampling noise (which speakers and sentences happen to
be hard) is shared; whether their intervals overlap says little about whether one run is better. The
paired bootstrap (Koehn 2004; Bisani & Ney 2004) draws one resample of the test utterances per
replicate, scores *both* runs on it, and keeps the difference. Its percentiles are the interval of the
difference, and the share of replicates in which the first run is not ahead says how often chance alone
reverses the ranking.

Resamples are drawn within each fold, and a replicate's value is the unweighted mean over folds of the
per-fold metric: the same fold-averaging rule as the reported figures, so with no resampling the two
values are exactly those in the two ``results.json`` files (tested). The per-utterance predictions come
from the run folder that ``seqd bench run`` writes next to ``results.json``
(``<results without .json>/folds/<fold>/predictions.csv``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import SubmissionError
from ..schema import DIMENSIONS
from . import metrics as M
from .runfolder import run_folder

#: metrics this module can recompute from predictions.csv
COMPARABLE = M.CLASSIFICATION + M.REGRESSION


@dataclass(frozen=True)
class Run:
    """One run's identity (from results.json) and its per-utterance predictions, in id order per fold."""

    path: Path
    task: str
    label: str
    folds: tuple[str, ...]
    predictions: pd.DataFrame  # columns: id, fold, truth, pred (and truth_/pred_<dim> for VAD)
    results: dict


@dataclass(frozen=True)
class Comparison:
    """A − B on one metric, with its paired bootstrap interval."""

    task: str
    metric: str
    a: str
    b: str
    n_folds: int
    n_utterances: int
    a_value: float
    b_value: float
    diff: float
    ci95: tuple[float, float]
    share_a_not_better: float  # share of replicates with A − B ≤ 0
    resamples: int
    per_fold: tuple[tuple[str, float, float], ...]  # (fold, A, B)

    def to_dict(self) -> dict:
        d = {k: getattr(self, k) for k in self.__dataclass_fields__}
        d["ci95"] = list(self.ci95)
        d["per_fold"] = [{"fold": f, "a": a, "b": b} for f, a, b in self.per_fold]
        return d


def load_run(path: str | Path) -> Run:
    """Read ``results.json`` and the predictions of each of its folds from the run folder beside it."""
    path = Path(path)
    try:
        results = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SubmissionError(f"no results file {path}",
                              hint="give the results.json written by `seqd bench run --out`") from None
    except json.JSONDecodeError as e:
        raise SubmissionError(f"{path} is not JSON ({e.msg})", line=e.lineno, file=path) from None
    folds = tuple(f["fold"] for f in results.get("folds", []))
    preds = load_predictions(run_folder(path), folds, source=path)
    model = results.get("model", "?")
    upstream = (results.get("upstream") or {}).get("name")
    label = f"{model} ({upstream})" if upstream and not model.startswith("peer:") else model
    seeds = results.get("seeds") or []
    if seeds and seeds != [0]:
        label += f" seed {','.join(map(str, seeds))}"
    return Run(path=path, task=str(results.get("task")), label=label, folds=folds, predictions=preds,
               results=results)


def load_predictions(run_dir: Path, folds, source: str | Path | None = None) -> pd.DataFrame:
    """The per-utterance predictions of ``folds`` from a run folder (``folds/<fold>/predictions.csv``)."""
    tables, missing = [], []
    for fold in folds:
        csv = Path(run_dir) / "folds" / fold / "predictions.csv"
        if not csv.is_file():  # the runner names fold folders with safe_name (emodb:03 -> emodb_03)
            csv = Path(run_dir) / "folds" / "".join(c if c.isalnum() or c in "-_." else "_" for c in fold) \
                / "predictions.csv"
        if not csv.is_file():
            missing.append(str(csv))
            continue
        t = pd.read_csv(csv, dtype={"fold": str, "id": str}, keep_default_na=False,
                        na_values={c: [""] for c in (*(f"truth_{d}" for d in DIMENSIONS),
                                                     *(f"pred_{d}" for d in DIMENSIONS))})
        t["fold"] = fold
        tables.append(t)
    if missing:
        raise SubmissionError(f"{source or run_dir}: per-utterance predictions missing for {len(missing)} of "
                              f"{len(folds)} folds",
                              missing[:5],
                              hint="a paired comparison needs the run folder that `seqd bench run` writes "
                                   "beside results.json; rerun the task (finished folds are skipped)")
    return pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(columns=["id", "fold"])


def check_paired(a: Run, b: Run, purpose: str = "compared paired") -> None:
    """Refuse two runs that were not scored on the same test utterances with the same labels."""
    reasons = []
    if a.task != b.task:
        reasons.append(f"tasks differ: {a.task!r} vs {b.task!r}")
    if a.folds != b.folds:
        reasons.append(f"folds differ: {list(a.folds)} vs {list(b.folds)}")
    else:
        for fold in a.folds:
            ia = set(a.predictions.loc[a.predictions.fold == fold, "id"])
            ib = set(b.predictions.loc[b.predictions.fold == fold, "id"])
            if ia != ib:
                reasons.append(f"fold {fold}: test utterances differ ({len(ia - ib)} only in A, "
                               f"{len(ib - ia)} only in B, e.g. {sorted(ia ^ ib)[:3]})")
    if not reasons and "truth" in a.predictions and "truth" in b.predictions:
        ta = a.predictions.set_index("id")["truth"]
        tb = b.predictions.set_index("id")["truth"].reindex(ta.index)
        bad = ta.index[ta.astype(str).values != tb.astype(str).values]
        if len(bad):
            reasons.append(f"{len(bad)} utterances carry different true labels, e.g. {list(bad[:3])} "
                           "(built from different dataset versions?)")
    if reasons:
        raise SubmissionError(f"{a.path} and {b.path} cannot be {purpose}", reasons,
                              hint="use runs of the same task on the same built dataset")


def _scorer(metric: str, a: pd.DataFrame, b: pd.DataFrame):
    """Arrays for A and B aligned on A's row order, and a function scoring one of them on indices."""
    b = b.set_index("id").loc[a["id"]].reset_index()
    if metric in M.CLASSIFICATION:
        if "truth" not in a or "pred" not in a or "pred" not in b:
            raise SubmissionError(f"metric {metric!r} needs category predictions; these runs have none",
                                  hint=f"choose one of {list(M.REGRESSION)}")
        keep = (a["truth"].astype(str) != "").to_numpy()
        a, b = a[keep].reset_index(drop=True), b[keep].reset_index(drop=True)
        classes = sorted(set(a["truth"]) | set(a["pred"]) | set(b["pred"]))
        code = {c: i for i, c in enumerate(classes)}
        t = a["truth"].map(code).to_numpy()
        pa, pb = a["pred"].map(code).to_numpy(), b["pred"].map(code).to_numpy()
        k = len(classes)

        def score(pred, idx):
            return M.fast_classification_metrics(t[idx], pred[idx], k)[metric]
    else:
        cols = [f"truth_{d}" for d in DIMENSIONS]
        if not set(cols) <= set(a) or not {f"pred_{d}" for d in DIMENSIONS} <= set(b):
            raise SubmissionError(f"metric {metric!r} needs VAD predictions; these runs have none",
                                  hint=f"choose one of {list(M.CLASSIFICATION)}")
        keep = ~a[cols].isna().any(axis=1).to_numpy()
        a, b = a[keep].reset_index(drop=True), b[keep].reset_index(drop=True)
        t = a[cols].to_numpy(float)
        pa = a[[f"pred_{d}" for d in DIMENSIONS]].to_numpy(float)
        pb = b[[f"pred_{d}" for d in DIMENSIONS]].to_numpy(float)

        def score(pred, idx):
            return M.vad_metrics(t[idx], pred[idx])[metric]
    return a["fold"].to_numpy(), pa, pb, score


def compare_runs(a: str | Path | Run, b: str | Path | Run, *, metric: str = "ua", resamples: int = 2000,
                 seed: int = 0) -> Comparison:
    """Paired bootstrap of ``metric(A) − metric(B)``, fold-averaged as the task reports it."""
    if metric not in COMPARABLE:
        raise SubmissionError(f"unknown metric {metric!r}", hint=f"choose one of {list(COMPARABLE)}")
    ra = a if isinstance(a, Run) else load_run(a)
    rb = b if isinstance(b, Run) else load_run(b)
    check_paired(ra, rb)
    fold_of, pa, pb, score = _scorer(metric, ra.predictions, rb.predictions)
    groups = [np.flatnonzero(fold_of == f) for f in ra.folds]
    groups = [g for g in groups if len(g)]
    per_fold = tuple((f, score(pa, g), score(pb, g)) for f, g in zip(ra.folds, groups))
    va = float(np.mean([x for _, x, _ in per_fold]))
    vb = float(np.mean([y for _, _, y in per_fold]))
    rng = np.random.default_rng(seed)
    diffs = np.empty(resamples)
    for r in range(resamples):
        idx = [g[rng.integers(0, len(g), len(g))] for g in groups]
        diffs[r] = np.mean([score(pa, i) - score(pb, i) for i in idx])
    lo, hi = np.percentile(diffs, [2.5, 97.5])
    return Comparison(task=ra.task, metric=metric, a=ra.label, b=rb.label, n_folds=len(groups),
                      n_utterances=int(sum(len(g) for g in groups)), a_value=va, b_value=vb,
                      diff=va - vb, ci95=(float(lo), float(hi)),
                      share_a_not_better=float(np.mean(diffs <= 0)), resamples=resamples,
                      per_fold=tuple((f, float(x), float(y)) for f, x, y in per_fold))


def format_comparison(c: Comparison) -> str:
    pct = 100.0 if c.metric in M.CLASSIFICATION else 1.0
    fmt = "{:.1f}" if pct == 100.0 else "{:.3f}"
    sign = "{:+.1f}" if pct == 100.0 else "{:+.3f}"
    lines = [f"{c.task} · {c.metric} · {c.n_folds} folds · {c.n_utterances} test utterances, paired",
             f"  A  {c.a:<48} {fmt.format(pct * c.a_value)}",
             f"  B  {c.b:<48} {fmt.format(pct * c.b_value)}",
             f"  A − B = {sign.format(pct * c.diff)}, 95% CI [{sign.format(pct * c.ci95[0])}, "
             f"{sign.format(pct * c.ci95[1])}]; A not ahead in {100 * c.share_a_not_better:.1f}% of "
             f"{c.resamples} paired resamples",
             "  per fold (A / B): " + "  ".join(f"{f} {fmt.format(pct * x)}/{fmt.format(pct * y)}"
                                                  for f, x, y in c.per_fold)]
    return "\n".join(lines)
