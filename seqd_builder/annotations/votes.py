"""Summaries of a set of votes on one item: vote distribution, plurality and its share."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..schema import CATEGORIES, Vote


@dataclass(frozen=True)
class VoteSummary:
    """``distribution``: (category, share) in taxonomy order; ``winners``: the tied top categories."""

    distribution: tuple[tuple[str, float], ...]
    winners: tuple[str, ...]
    agreement: float | None
    n_votes: float

    @property
    def consensus(self) -> str | None:
        """The plurality category, or None on a tie or with no categorical votes."""
        return self.winners[0] if len(self.winners) == 1 else None


def summarise_votes(votes: Sequence[Vote], *, exclude_self: bool = False) -> VoteSummary:
    """Weighted vote shares over unified categories; votes without a unified category are ignored."""
    counts: dict[str, float] = {}
    for vote in votes:
        if vote.category is None or (exclude_self and vote.self_rating):
            continue
        counts[vote.category] = counts.get(vote.category, 0.0) + vote.weight
    total = sum(counts.values())
    if not total:
        return VoteSummary((), (), None, 0.0)
    top = max(counts.values())
    distribution = tuple((c, counts[c] / total) for c in CATEGORIES if c in counts)
    winners = tuple(c for c in CATEGORIES if counts.get(c) == top)
    return VoteSummary(distribution, winners, top / total, total)
