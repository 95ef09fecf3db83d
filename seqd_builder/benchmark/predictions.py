"""Per-utterance prediction tables (the runner's ``predictions.csv`` layout) and their scoring.

A table has one row per test utterance: ``id``, ``fold``, ``speaker``, and for category tasks ``truth``
and ``pred`` (class names; ``truth`` empty where the row has no task class) and optionally
``prob_<class>``; for VAD tasks ``truth_<dim>`` and ``pred_<dim>``. :func:`score_table` turns such a table
into the per-fold entries of a results.json and the inputs of their intervals, with exactly the code
the runner uses (:mod:`seqd_builder.benchmark.scoring`).
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Sequence

import numpy as np
import pandas as pd

from ..schema import DIMENSIONS
from . import scoring

TRUTH_VAD = tuple(f"truth_{d}" for d in DIMENSIONS)
PRED_VAD = tuple(f"pred_{d}" for d in DIMENSIONS)


def score_table(task, table: pd.DataFrame, folds: Sequence[str],
                fold_meta: dict[str, dict] | None = None) -> tuple[list[dict], list[scoring.FoldScores]]:
    """Per-fold result entries (metrics, labels, confusion) and the :class:`FoldScores` of ``folds``."""
    code = {c: i for i, c in enumerate(task.classes)}
    categorical = "category" in task.targets and "pred" in table
    vad = "vad" in task.targets and set(PRED_VAD) <= set(table)
    truth = (table["truth"].astype(str).map(lambda v: code.get(v, -1)).to_numpy() if categorical else None)
    pred_c = (table["pred"].astype(str).map(lambda v: code.get(v, -1)).to_numpy() if categorical else None)
    vt = table[list(TRUTH_VAD)].to_numpy(float) if vad else None
    vp = table[list(PRED_VAD)].to_numpy(float) if vad else None
    speakers = table["speaker"].astype(str).tolist() if "speaker" in table else None
    data = SimpleNamespace(category=truth, vad=vt, speakers=speakers)
    preds = {**({"category": pred_c} if categorical else {}), **({"vad": vp} if vad else {})}
    fold_of = table["fold"].astype(str).to_numpy()
    entries, scores = [], []
    for fold in folds:
        rows = np.flatnonzero(fold_of == fold)
        fold_pred = {k: v[rows] for k, v in preds.items()}
        metrics, extra = scoring.fold_metrics(task, data, fold_pred, rows, None)
        meta = (fold_meta or {}).get(fold, {})
        entry = {"fold": fold, **meta, "n_test": int(len(rows)), "metrics": metrics, **extra}
        if speakers is not None and "test_speakers" not in meta:
            entry["test_speakers"] = sorted({speakers[i] for i in rows})[:500]
        entries.append(entry)
        scores.append(scoring.FoldScores.from_pooled(fold, scoring.pooled_arrays(data, fold_pred, rows),
                                                     len(task.classes)))
    return entries, scores
