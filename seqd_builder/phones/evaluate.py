"""Boundary accuracy of an alignment against a hand-labelled one, across inventories.

Gold and hypothesis rarely use the same inventory or even the same phone sequence (a labeller writes
the realised ``l a p m`` where eSpeak predicts canonical ``l a p ə n``). So both sides are first put
into IPA (each through its declared phone set), neighbouring pauses are merged, and the two sequences
are aligned by weighted edit distance: identical IPA base symbols cost 0, the same broad class
(vowel, plosive, fricative, nasal, liquid, glide) 0.5, other speech phones 1, a pause against a
phone 2 (never paired in practice), insertions and deletions 0.75. Every gold segment paired with a
hypothesis segment contributes one boundary: the distance between their start times. The first
segment of the file (which starts at 0 on both sides by construction) is not counted. Gold phones
left unpaired (deleted or inserted realisations) contribute nothing; ``coverage`` reports the share
of gold boundaries that were compared.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..schema import PhoneSegment
from .inventory import PAUSE, base_symbol, broad_class

_GAP = 0.75


def merge_pauses(segments: list[PhoneSegment], *, leading_from_zero: bool = True) -> list[PhoneSegment]:
    """IPA segments with consecutive pauses merged into one ``sil``; a gap before the first
    segment (EmoDB's unlabelled leading silence) becomes a pause from 0."""
    out: list[PhoneSegment] = []
    if leading_from_zero and segments and segments[0].start > 0:
        out.append(PhoneSegment("sil", 0.0, segments[0].start))
    for seg in segments:
        label = "sil" if broad_class(seg.phone) == PAUSE else seg.phone
        if out and label == "sil" and out[-1].phone == "sil":
            out[-1] = PhoneSegment("sil", out[-1].start, max(out[-1].end, seg.end))
        else:
            out.append(PhoneSegment(label, seg.start, seg.end))
    return out


def _cost(a: str, b: str) -> float:
    ca, cb = broad_class(a), broad_class(b)
    if (ca == PAUSE) != (cb == PAUSE):
        return 2.0
    if base_symbol(a) == base_symbol(b):
        return 0.0
    return 0.5 if ca == cb else 1.0


def pair_segments(gold: list[PhoneSegment], hyp: list[PhoneSegment]) -> list[tuple[int, int]]:
    """Index pairs (gold, hypothesis) of the minimum-cost edit alignment."""
    n, m = len(gold), len(hyp)
    cost = np.zeros((n + 1, m + 1))
    cost[:, 0] = np.arange(n + 1) * _GAP
    cost[0, :] = np.arange(m + 1) * _GAP
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            cost[i, j] = min(cost[i - 1, j - 1] + _cost(gold[i - 1].phone, hyp[j - 1].phone),
                             cost[i - 1, j] + _GAP, cost[i, j - 1] + _GAP)
    pairs, i, j = [], n, m
    while i > 0 and j > 0:
        if np.isclose(cost[i, j], cost[i - 1, j - 1] + _cost(gold[i - 1].phone, hyp[j - 1].phone)):
            pairs.append((i - 1, j - 1))
            i, j = i - 1, j - 1
        elif np.isclose(cost[i, j], cost[i - 1, j] + _GAP):
            i -= 1
        else:
            j -= 1
    return pairs[::-1]


def signed_boundaries(gold: list[PhoneSegment], hyp: list[PhoneSegment]
                      ) -> tuple[list[tuple[str, str, float]], int]:
    """(left class, right class, hypothesis minus gold start in s) for each paired boundary, with
    the classes of the hypothesis' segments on either side (what an aligner knows at run time), and
    the number of gold boundaries."""
    gold, hyp = merge_pauses(gold), merge_pauses(hyp)
    out = [(broad_class(hyp[j - 1].phone), broad_class(hyp[j].phone), hyp[j].start - gold[i].start)
           for i, j in pair_segments(gold, hyp) if i > 0 and j > 0]
    return out, max(len(gold) - 1, 0)


def boundary_errors(gold: list[PhoneSegment], hyp: list[PhoneSegment]) -> tuple[np.ndarray, int]:
    """Absolute start-time errors (s) of paired segments, and the number of gold boundaries."""
    signed, n_gold = signed_boundaries(gold, hyp)
    return np.asarray([abs(e) for _, _, e in signed], dtype=float), n_gold


@dataclass(frozen=True)
class BoundaryScore:
    """Summary over many utterances: share within 20/50 ms, median and mean error, coverage."""

    n_boundaries: int
    n_gold: int
    within_20ms: float
    within_50ms: float
    median_ms: float
    mean_ms: float

    @property
    def coverage(self) -> float:
        return self.n_boundaries / self.n_gold if self.n_gold else 0.0

    @classmethod
    def from_errors(cls, errors: np.ndarray, n_gold: int) -> "BoundaryScore":
        errors = np.asarray(errors, dtype=float)
        if errors.size == 0:
            return cls(0, n_gold, float("nan"), float("nan"), float("nan"), float("nan"))
        return cls(int(errors.size), int(n_gold), float((errors <= 0.020).mean()),
                   float((errors <= 0.050).mean()), float(np.median(errors) * 1000),
                   float(errors.mean() * 1000))

    def as_dict(self) -> dict:
        return {"boundaries": self.n_boundaries, "gold_boundaries": self.n_gold,
                "coverage": round(self.coverage, 4), "within_20ms": round(self.within_20ms, 4),
                "within_50ms": round(self.within_50ms, 4), "median_ms": round(self.median_ms, 1),
                "mean_ms": round(self.mean_ms, 1)}
