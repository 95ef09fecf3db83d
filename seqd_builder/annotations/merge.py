"""Merging one item's votes into a consensus, by the rules a project declares.

This is the one merging implementation: SEQD sheets, CREMA-D's tabulated vote counts and MSP-Podcast's
per-worker lines all go through :func:`merge_votes` (the real-data tests reproduce both corpora's own
consensus files from it). Votes carry a ``weight``: 1 for a rater's line, the count for an aggregated
row (CREMA-D), so "number of raters" below always means the sum of weights.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..schema import Vote
from .project import Project


class Status:
    """How an item's category came out (the ``status`` column of the merged table)."""

    CONSENSUS = "consensus"          # one plurality winner
    TIE = "tie"                      # several winners, kept as a tie or declared no consensus
    TIE_BROKEN = "tie_broken"        # several winners, one chosen by the declared tie-break rule
    TOO_FEW_RATERS = "too_few_raters"
    LOW_AGREEMENT = "low_agreement"
    NO_VOTES = "no_votes"            # nobody gave a category (e.g. dimensional raters only)

    INSUFFICIENT = (TOO_FEW_RATERS, LOW_AGREEMENT)


@dataclass(frozen=True)
class Consensus:
    """The merged labels of one item, on the project's native scales.

    ``label`` is what the published ``category_native`` holds: the winner's code, the kept tie
    (``A:D``), or the project's ``no_consensus`` code (or None). ``category`` is the unified category,
    None unless there is a single winner. ``distribution`` is the soft label over codes (label order).
    """

    label: str | None
    category: str | None
    status: str
    winners: tuple[str, ...]
    agreement: float | None
    n_raters: float
    distribution: tuple[tuple[str, float], ...]
    intensity: float | None = None
    intensity_by_label: tuple[tuple[str, float | None], ...] = ()
    arousal: float | None = None
    valence: float | None = None
    dominance: float | None = None

    @property
    def intensity_level(self) -> int | None:
        """The ordinal level nearest the merged intensity (halves round up), for ordinal scales."""
        return None if self.intensity is None else int(math.floor(self.intensity + 0.5))


def weighted_median(values: Sequence[float], weights: Sequence[float]) -> float:
    """The median of values repeated by weight; the midpoint of the two middle ones for even totals.

    With unit weights this is :func:`numpy.median`.
    """
    order = np.argsort(values, kind="stable")
    v = np.asarray(values, dtype=float)[order]
    w = np.asarray(weights, dtype=float)[order]
    cum = np.cumsum(w)
    half = cum[-1] / 2.0
    lower = v[np.searchsorted(cum, half, side="left")]
    upper = v[np.searchsorted(cum, half, side="right")] if np.isclose(cum, half).any() else lower
    return float((lower + upper) / 2.0)


def _centre(pairs: list[tuple[float, float]], method: str) -> float | None:
    if not pairs:
        return None
    values, weights = zip(*pairs)
    if method == "median":
        return weighted_median(values, weights)
    return float(np.average(values, weights=weights))


def merge_votes(votes: Sequence[Vote], project: Project) -> Consensus:
    """Merge one item's votes by ``project.merge`` (see ``annotations/README.md`` for every rule).

    Category: weighted plurality over the project's label codes (votes whose label resolves to no code
    do not vote). Thresholds come first (``min_raters``, ``min_agreement``), then ties: kept
    colon-joined, declared no consensus, or broken by the declared priority. Intensity: mean or median of
    the raters who chose the winner(s) (or of all raters). Dimensions: mean or median, optionally
    without self-ratings.
    """
    rules = project.merge
    codes = project.codes
    counts: dict[str, float] = {}
    coded: list[tuple[str, Vote]] = []
    for vote in votes:
        if rules.category_exclude_self and vote.self_rating:
            continue
        code = project.code_of(vote)
        if code is None:
            continue
        counts[code] = counts.get(code, 0.0) + vote.weight
        coded.append((code, vote))
    total = sum(counts.values())
    dims = _dimensions(votes, project)
    if not total:
        return Consensus(project.no_consensus, None, Status.NO_VOTES, (), None, 0.0, (),
                         **dims, **_intensity(votes, (), project, coded))
    top = max(counts.values())
    winners = tuple(c for c in codes if counts.get(c) == top)
    agreement = top / total
    distribution = tuple((c, counts[c] / total) for c in codes if c in counts)
    if total < rules.min_raters:
        status, chosen = Status.TOO_FEW_RATERS, ()
    elif agreement < rules.min_agreement - 1e-12:
        status, chosen = Status.LOW_AGREEMENT, ()
    elif len(winners) == 1:
        status, chosen = Status.CONSENSUS, winners
    elif rules.ties == "break":
        priority = rules.tie_break or codes
        ranked = sorted(winners, key=lambda c: priority.index(c) if c in priority else len(priority))
        status, chosen = Status.TIE_BROKEN, ranked[:1]
    else:
        status, chosen = Status.TIE, winners if rules.ties == "keep" else ()
    if len(chosen) == 1:
        label, category = chosen[0], project.category_of(chosen[0])
    elif chosen:
        label, category = rules.separator.join(chosen), None
    else:
        label, category = project.no_consensus, None
    return Consensus(label, category, status, winners, agreement, total, distribution,
                     **dims, **_intensity(votes, chosen, project, coded))


def _intensity(votes, chosen, project: Project, coded) -> dict:
    rules = project.merge
    if project.intensity is None:
        return {}
    by_label = []
    for code in chosen:
        pairs = [(v.intensity, v.weight) for c, v in coded if c == code and v.intensity is not None]
        by_label.append((code, _centre(pairs, rules.intensity)))
    if rules.intensity_raters == "all":
        pool = [(v.intensity, v.weight) for v in votes if v.intensity is not None]
    else:
        pool = [(v.intensity, v.weight) for c, v in coded if c in chosen and v.intensity is not None]
    return {"intensity": _centre(pool, rules.intensity), "intensity_by_label": tuple(by_label)}


def _dimensions(votes, project: Project) -> dict:
    rules = project.merge
    out = {}
    for dim in project.dimensions:
        pairs = [(getattr(v, dim), v.weight) for v in votes
                 if getattr(v, dim) is not None and not (rules.dimensions_exclude_self and v.self_rating)]
        out[dim] = _centre(pairs, rules.dimensions)
    return out
