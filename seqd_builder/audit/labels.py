"""Label distribution and imbalance per split; rater agreement where the corpus has it.

Imbalance is the ratio of the largest to the smallest class present in a split (a class absent from a
split is listed as absent, not counted as zero: corpora differ in their category sets). Rater
agreement comes from the rows themselves: the ``agreement`` column (share of the consensus category,
EmoDB's listener recognition rate) and, where raw ``votes`` exist, Fleiss' kappa over the items' vote
counts, computed by :func:`seqd_builder.annotations.agreement.fleiss_kappa` (statsmodels where every
item has the same number of raters, its generalisation otherwise).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..annotations.agreement import fleiss_kappa

NO_LABEL = "(no consensus)"


def distribution(categories: Sequence[str | None], splits: Sequence[str]) -> dict[str, Any]:
    """Counts per split and class, the imbalance ratio and the majority share of each split."""
    per_split: dict[str, Counter] = {}
    for cat, split in zip(categories, splits):
        per_split.setdefault(split, Counter())[cat if cat is not None else NO_LABEL] += 1
    out: dict[str, Any] = {}
    for split, counts in sorted(per_split.items()):
        labelled = {k: v for k, v in counts.items() if k != NO_LABEL}
        n = sum(labelled.values())
        out[split] = {
            "counts": dict(sorted(counts.items())),
            "classes": len(labelled),
            "imbalance_ratio": round(max(labelled.values()) / min(labelled.values()), 3) if labelled else None,
            "majority_share": round(max(labelled.values()) / n, 4) if n else None,
            "unlabelled": counts.get(NO_LABEL, 0),
        }
    return out


def agreement(agreement_col: Sequence[float | None], votes: Sequence[list[dict] | None]) -> dict[str, Any] | None:
    """Summary of the ``agreement`` column and Fleiss' kappa of the raw votes; None when neither exists."""
    values = np.array([a for a in agreement_col if a is not None], dtype=float)
    voted = [v for v in votes if v]
    if not len(values) and not voted:
        return None
    out: dict[str, Any] = {"items_with_agreement": int(len(values))}
    if len(values):
        out["agreement_mean"] = round(float(values.mean()), 4)
        out["agreement_median"] = round(float(np.median(values)), 4)
        out["agreement_under_0.5"] = int((values < 0.5).sum())
    if voted:
        cats = sorted({str(x.get("category")) for v in voted for x in v if x.get("category") is not None})
        index = {c: i for i, c in enumerate(cats)}
        table = np.zeros((len(voted), len(cats)))
        for i, v in enumerate(voted):
            for x in v:
                if x.get("category") is not None:
                    table[i, index[str(x["category"])]] += x.get("weight") or 1.0
        raters = table.sum(axis=1)
        out.update({"items_with_votes": len(voted), "raters_per_item_mean": round(float(raters.mean()), 3),
                    "fleiss_kappa": None if (k := fleiss_kappa(table)) is None else round(k, 4)})
    return out
