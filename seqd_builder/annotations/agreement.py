"""Agreement statistics: how far raters agree, per dataset and per rater.

Where a maintained implementation exists it is used: Fleiss' kappa from statsmodels (when every item
has the same number of raters), Krippendorff's alpha from the ``krippendorff`` package (nominal for
categories, ordinal for intensity levels, interval for continuous intensity and VAD), Cohen's kappa
from scikit-learn (each rater against the others' consensus). Corpora rarely give every item the same
number of raters (CREMA-D: 4-12), and statsmodels' Fleiss' kappa refuses such tables, so
:func:`fleiss_kappa` computes the generalised form for them (item agreement averaged over items with
at least two raters, chance agreement from the pooled category shares; it equals Fleiss' kappa when
the numbers are equal, which the tests check against statsmodels).

All statistics are computed from counts (items × values), so aggregated votes (CREMA-D's counts)
and per-rater lines give the same numbers for the same ratings.

Fractional votes. An IEMOCAP evaluator may tick several categories; the line becomes n votes of
weight 1/n by the same rater (:mod:`.iemocap_lines`). The consensus, the soft label and each item's
winner share use those weights as they are (:func:`~.merge.merge_votes`, ``mean_agreement``). The
statistics built on pairs of ratings cannot: Fleiss' kappa counts n_ij(n_ij - 1) agreeing pairs, and a
count of 0.5 makes that negative, and Krippendorff's coincidences have the same term; neither statistic
is defined for a rating spread over several values. For those, :func:`ratings` turns each split
rating back into one whole rating of the rater's **first listed** category (first choice, the one
the rater wrote first), weighing the line's total (1). Fleiss' kappa, Krippendorff's alpha, the
coincidence matrix, the number of ratings per item and the per-rater figures all use these whole
ratings. Votes of weight 1 or more (per-rater lines, CREMA-D's counts) are whole ratings already.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import krippendorff
import numpy as np
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import fleiss_kappa as _statsmodels_fleiss

from ..schema import Vote
from .project import Project

Votes = Mapping[str, Sequence[Vote]]


def ratings(item_votes: Sequence[Vote], project: Project) -> list[tuple[Vote, str | None]]:
    """One item's votes as whole ratings, each with its label code (None: no code).

    The fractional votes (weight < 1) of one rater on the item are the parts of one split rating. They
    become a single rating: the first of them, in order, whose label has a code (the rater's first
    choice; the first of them if none has), weighing their total. Every other vote is a rating as it
    is. Ratings keep the order of their first vote.
    """
    order: list[Vote | str] = []          # whole votes, and the raters of split ratings
    parts: dict[str, list[Vote]] = {}
    for v in item_votes:
        if v.weight >= 1.0:
            order.append(v)
        elif v.rater in parts:
            parts[v.rater].append(v)
        else:
            parts[v.rater] = [v]
            order.append(v.rater)
    out: list[tuple[Vote, str | None]] = []
    for entry in order:
        if isinstance(entry, Vote):
            out.append((entry, project.code_of(entry)))
            continue
        coded = [(v, project.code_of(v)) for v in parts[entry]]
        first, code = next(((v, c) for v, c in coded if c is not None), coded[0])
        total = math.fsum(v.weight for v, _ in coded)
        if abs(total - round(total)) < 1e-9:
            total = float(round(total))
        out.append((dataclasses.replace(first, weight=total), code))
    return out


def category_counts(votes: Votes, project: Project, *, exclude_self: bool | None = None,
                    whole_ratings: bool = False) -> np.ndarray:
    """Items × label codes matrix of category votes, rows in ``votes`` order.

    By default every vote adds its weight (a split rating 1/n to each of its categories): the table
    the consensus and the soft labels come from. ``whole_ratings=True`` counts :func:`ratings`
    instead (a split rating counts whole for its first choice): the table for kappa and alpha.
    """
    if exclude_self is None:
        exclude_self = project.merge.category_exclude_self
    codes = {c: j for j, c in enumerate(project.codes)}
    out = np.zeros((len(votes), len(codes)))
    for i, item_votes in enumerate(votes.values()):
        coded = ratings(item_votes, project) if whole_ratings else \
            [(v, project.code_of(v)) for v in item_votes]
        for v, code in coded:
            if exclude_self and v.self_rating:
                continue
            if code is not None:
                out[i, codes[code]] += v.weight
    return out


def fleiss_kappa(counts: np.ndarray) -> float | None:
    """Fleiss' kappa of an items × categories count table, generalised to varying raters per item.

    Items with fewer than two ratings carry no agreement information and are left out. With the same
    number of raters everywhere this is statsmodels' ``fleiss_kappa``, which is then called.
    """
    counts = np.asarray(counts, dtype=float)
    n = counts.sum(axis=1)
    counts, n = counts[n >= 2], n[n >= 2]
    if not len(counts):
        return None
    p_cat = counts.sum(axis=0) / n.sum()
    p_exp = float((p_cat ** 2).sum())
    if p_exp >= 1.0 - 1e-12:
        return None  # one category only: chance agreement is total, kappa undefined
    if np.all(n == n[0]):
        return float(_statsmodels_fleiss(counts, method="fleiss"))
    p_item = ((counts * (counts - 1)).sum(axis=1)) / (n * (n - 1))
    return float((p_item.mean() - p_exp) / (1.0 - p_exp))


def alpha_from_counts(counts: np.ndarray, level: str = "nominal",
                      domain: Sequence[float] | None = None) -> float | None:
    """Krippendorff's alpha (``krippendorff.alpha``) from an items × values count table."""
    counts = np.asarray(counts, dtype=float)
    pairable = counts[counts.sum(axis=1) >= 2]
    if not len(pairable) or np.count_nonzero(pairable.sum(axis=0)) < 2:
        return None  # nothing to compare, or no variation at all: alpha is undefined
    kwargs = {} if domain is None else {"value_domain": list(domain)}
    return float(krippendorff.alpha(value_counts=pairable, level_of_measurement=level, **kwargs))


def value_counts(votes: Votes, attr: str, *, exclude_self: bool = False
                 ) -> tuple[np.ndarray, list[float]] | None:
    """Items × distinct values count table of a numeric vote field (``intensity``, ``arousal`` …)."""
    values = sorted({getattr(v, attr) for vs in votes.values() for v in vs
                     if getattr(v, attr) is not None and not (exclude_self and v.self_rating)})
    if not values:
        return None
    index = {x: j for j, x in enumerate(values)}
    out = np.zeros((len(votes), len(values)))
    for i, vs in enumerate(votes.values()):
        for v in vs:
            x = getattr(v, attr)
            if x is not None and not (exclude_self and v.self_rating):
                out[i, index[x]] += v.weight
    return out, values


def coincidence(counts: np.ndarray) -> np.ndarray:
    """Categories × categories: how often one rater chose the row while another rater of the same item
    chose the column (ordered pairs of distinct raters, summed over items). Symmetric; its diagonal is
    agreement, the rest is the confusion between raters."""
    counts = np.asarray(counts, dtype=float)
    return counts.T @ counts - np.diag(counts.sum(axis=0))


@dataclass(frozen=True)
class RaterStats:
    """One rater against the consensus of the *other* raters (leave-one-out, so a rater does not
    agree with themselves). ``kappa`` is Cohen's kappa over the items with a unique leave-one-out
    winner; ``*_mad`` are mean absolute differences from the others' mean on the same items."""

    rater: str
    role: str | None
    n_items: int
    n_compared: int
    agreement: float | None
    kappa: float | None
    intensity_mad: float | None
    dimension_mad: dict[str, float | None]
    self_rating: bool
    flagged: bool


def rater_stats(votes: Votes, project: Project) -> list[RaterStats]:
    """Per-rater reliability, flagging raters whose kappa is below ``merge.flag_below``.

    Each rater counts with one whole rating per item (:func:`ratings`: a split rating is its first
    choice). Aggregated votes (whole ratings of weight other than 1, e.g. CREMA-D's counts) have no
    rater identity: none are returned for them.
    """
    rated = [ratings(item_votes, project) for item_votes in votes.values()]
    if _aggregated(rated):
        return []
    raters: dict[str, dict] = {}
    for coded in rated:
        for v, code in coded:
            r = raters.setdefault(v.rater, {"items": 0, "own": [], "loo": [], "int": [],
                                            "dims": {d: [] for d in project.dimensions}, "self": False})
            r["items"] += 1
            r["self"] |= v.self_rating
            others = [(o, c) for o, c in coded if o is not v and not o.self_rating]
            if code is not None:
                tally: dict[str, int] = {}
                for _, c in others:
                    if c is not None:
                        tally[c] = tally.get(c, 0) + 1
                if tally:
                    top = max(tally.values())
                    winners = [c for c, k in tally.items() if k == top]
                    if len(winners) == 1:
                        r["own"].append(code)
                        r["loo"].append(winners[0])
            if v.intensity is not None:
                xs = [o.intensity for o, _ in others if o.intensity is not None]
                if xs:
                    r["int"].append(abs(v.intensity - float(np.mean(xs))))
            for d in project.dimensions:
                if getattr(v, d) is not None:
                    xs = [getattr(o, d) for o, _ in others if getattr(o, d) is not None]
                    if xs:
                        r["dims"][d].append(abs(getattr(v, d) - float(np.mean(xs))))
    out = []
    for rater, r in raters.items():
        n = len(r["own"])
        agreement = float(np.mean([a == b for a, b in zip(r["own"], r["loo"])])) if n else None
        kappa = None
        if n >= 2 and len(set(r["own"]) | set(r["loo"])) > 1:
            kappa = float(cohen_kappa_score(r["own"], r["loo"], labels=list(project.codes)))
        flagged = kappa is not None and n >= 5 and kappa < project.merge.flag_below
        out.append(RaterStats(
            rater=rater, role=project.role_of(rater), n_items=r["items"], n_compared=n,
            agreement=agreement, kappa=kappa,
            intensity_mad=float(np.mean(r["int"])) if r["int"] else None,
            dimension_mad={d: float(np.mean(x)) if x else None for d, x in r["dims"].items()},
            self_rating=r["self"], flagged=flagged))
    return sorted(out, key=lambda s: s.rater)


@dataclass(frozen=True)
class AgreementSummary:
    """The dataset-level figures, as stored in the report and the corpus card."""

    n_items: int
    n_ratings: float
    raters_per_item: tuple[float, float, float]     # min, mean, max (category ratings)
    fleiss_kappa: float | None
    alpha_category: float | None                    # Krippendorff, nominal
    alpha_intensity: float | None                   # ordinal for levels, interval for a range
    alpha_dimensions: dict[str, float | None] = field(default_factory=dict)   # interval
    mean_agreement: float | None = None             # mean share of the winning category
    intensity_level: str | None = "ordinal"         # None: the project has no intensity scale

    def as_dict(self) -> dict:
        return {"n_items": self.n_items, "n_ratings": self.n_ratings,
                "raters_per_item": {"min": self.raters_per_item[0], "mean": self.raters_per_item[1],
                                    "max": self.raters_per_item[2]},
                "fleiss_kappa": self.fleiss_kappa, "krippendorff_alpha": {
                    "category (nominal)": self.alpha_category,
                    **({f"intensity ({self.intensity_level})": self.alpha_intensity}
                       if self.intensity_level else {}),
                    **{f"{d} (interval)": a for d, a in self.alpha_dimensions.items()}},
                "mean_agreement": self.mean_agreement}


def _aggregated(rated: Sequence[Sequence[tuple[Vote, str | None]]]) -> bool:
    """Whether some whole rating weighs other than 1: counts of raters, not one rater's line."""
    return any(v.weight != 1 for item in rated for v, _ in item)


def summarise_agreement(votes: Votes, project: Project) -> AgreementSummary:
    """Every dataset-level agreement figure for the votes of a project.

    ``mean_agreement`` is the mean winner share of the weighted votes, as in each item's consensus;
    everything that pairs ratings (kappa, alpha) and the numbers of ratings use whole ratings
    (see the module docstring on fractional votes).
    """
    weighted = category_counts(votes, project)
    counts = category_counts(votes, project, whole_ratings=True)
    n = counts.sum(axis=1)
    rated = n[n > 0]
    w_total = weighted.sum(axis=1)
    shares = weighted[w_total > 0].max(axis=1) / w_total[w_total > 0]
    level = None if project.intensity is None else "ordinal" if project.intensity.levels else "interval"
    aggregated = _aggregated([ratings(item_votes, project) for item_votes in votes.values()])
    alpha_int = None
    if project.intensity is not None and not aggregated:
        table = value_counts(votes, "intensity", exclude_self=project.merge.category_exclude_self)
        if table is not None:
            alpha_int = alpha_from_counts(table[0], level, table[1])
    dims = {}
    for d in project.dimensions:
        table = value_counts(votes, d, exclude_self=project.merge.dimensions_exclude_self)
        dims[d] = alpha_from_counts(table[0], "interval", table[1]) if table is not None else None
    return AgreementSummary(
        n_items=len(votes), n_ratings=float(n.sum()),
        raters_per_item=(float(rated.min()), float(rated.mean()), float(rated.max())) if len(rated)
        else (0.0, 0.0, 0.0),
        fleiss_kappa=fleiss_kappa(counts), alpha_category=alpha_from_counts(counts, "nominal"),
        alpha_intensity=alpha_int, alpha_dimensions=dims,
        mean_agreement=float(shares.mean()) if len(shares) else None, intensity_level=level)
