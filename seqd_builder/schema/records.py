"""Typed, frozen records that flow through a build.

Two stages, two records (data flows one way):

* :class:`RawItem` is what a corpus adapter yields: the corpus' own values, untouched (native label
  codes, native scales, native speaker ids), plus where they came from (file and line).
* :class:`Utterance` is one row of the unified schema: labels mapped through the corpus card, scales
  normalised to [0, 1], ids prefixed with the corpus name. It is checked on creation, so a bad value
  fails where it is made, not three steps later in the parquet writer.

:class:`Rejection` is what becomes of an item that cannot be used; every source item ends either as an
``Utterance`` in the dataset or as a ``Rejection`` in ``rejected.jsonl``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from ..errors import RecordError
from .define import CATEGORIES, GENDERS, RejectReason, Split


def _check_unit(name: str, value: float | None, where: str) -> None:
    if value is None:
        return
    if not isinstance(value, (int, float)) or math.isnan(value) or not 0.0 <= value <= 1.0:
        raise RecordError(f"{where}: {name} must be a number in [0, 1] or None, got {value!r}")


@dataclass(frozen=True)
class PhoneSegment:
    """One aligned phone: label and start/end in seconds from the start of the utterance."""

    phone: str
    start: float
    end: float

    def __post_init__(self):
        if not self.phone:
            raise RecordError("PhoneSegment: empty phone label")
        if not (self.start >= 0 and self.end >= self.start):
            raise RecordError(f"PhoneSegment {self.phone!r}: need 0 <= start <= end, got "
                            f"start={self.start!r} end={self.end!r}")


@dataclass(frozen=True)
class Vote:
    """One rater's label for one utterance.

    ``category_native`` is the rater's label exactly as the corpus wrote it (e.g. IEMOCAP's
    ``Anger``, one word of a multi-category line; MSP's ``Other-confused``); ``category`` is its
    unified primary category, or None where it has none. ``intensity``/``arousal``/``valence``/
    ``dominance`` are on the corpus' native scale here (the card records it);
    :func:`seqd_builder.corpora.card.CorpusCard.normalise` maps them to [0, 1] for the published row.
    ``weight`` is > 1 for aggregated counts (CREMA-D's tabulated votes give counts per emotion, not
    per-rater lines) and 1/n for each of the n categories of one rater's multi-category line (IEMOCAP).
    """

    rater: str
    category: str | None = None
    category_native: str | None = None
    intensity: float | None = None
    arousal: float | None = None
    valence: float | None = None
    dominance: float | None = None
    self_rating: bool = False
    weight: float = 1.0

    def __post_init__(self):
        if self.category is not None and self.category not in CATEGORIES:
            raise RecordError(f"Vote by {self.rater!r}: unknown category {self.category!r}; "
                            f"valid: {', '.join(CATEGORIES)}")
        if not self.weight > 0:
            raise RecordError(f"Vote by {self.rater!r}: weight must be > 0, got {self.weight!r}")


_VOTE_FIELDS = tuple(f.name for f in fields(Vote))

LABEL_FORMATS = ("xlabel", "phseg", "textgrid")


@dataclass(frozen=True)
class LabelFile:
    """A corpus' own phone-label file, named by the adapter and read by the build's workers.

    Reading label files is most of what an adapter would otherwise do per item (EmoDB: 0.4 ms per
    file, as much as decoding its audio), and the adapter runs in the build's one parent process; so
    the adapter only names the file and its format, and :func:`seqd_builder.phones.read_label_file`
    reads it in a worker, next to the decoded audio whose length closes an xlabel file's last segment.
    ``tier`` names the TextGrid tier (``textgrid`` only).
    """

    path: str
    format: str
    tier: str | None = None

    def __post_init__(self):
        if self.format not in LABEL_FORMATS:
            raise RecordError(f"{self.path}: label format {self.format!r}; valid: {', '.join(LABEL_FORMATS)}")
        if self.tier is not None and self.format != "textgrid":
            raise RecordError(f"{self.path}: a tier is only meaningful for TextGrid labels")


@dataclass(frozen=True)
class RawItem:
    """One source utterance as the corpus describes it (native values).

    Adapters fill what the corpus has and leave the rest None; the corpus card supplies the rest
    (language, speaker genders, label maps, scales). ``source_file``/``source_line`` point at the
    annotation line that described the item (or at the audio file when the file name is the only
    metadata), so every later error and rejection can name its origin.
    """

    native_id: str
    audio_path: Path | None
    source_file: str
    source_line: int | None = None
    speaker: str | None = None
    gender: str | None = None          # native token (e.g. "Male", "F"); None: the card's speaker table
    age: int | None = None
    language: str | None = None        # None: the card's language
    text: str | None = None
    category: str | None = None        # native code, e.g. "W" (EmoDB), "05" (RAVDESS), "xxx" (IEMOCAP)
    category_perceived: str | None = None  # native perceived label where it differs from the intended
    intensity: str | float | None = None   # native level token or value
    arousal: float | None = None       # native scale (card: dimensions.range)
    valence: float | None = None
    dominance: float | None = None
    votes: tuple[Vote, ...] = ()
    agreement: float | None = None
    split: str | None = None           # native split token; None: the card's default split
    phones: tuple[str, ...] | None = None
    phone_alignment: tuple[PhoneSegment, ...] | None = None
    phone_labels: LabelFile | None = None  # a label file the build's workers read into phone_alignment
    segment: tuple[float, float] | None = None  # (start, end) s, for items cut from a longer file

    def __post_init__(self):
        if not self.native_id or "/" in self.native_id:
            raise RecordError(f"{self.source_file}: native id must be non-empty and contain no '/', "
                            f"got {self.native_id!r}")
        if self.segment is not None and not (0 <= self.segment[0] < self.segment[1]):
            raise RecordError(f"{self.native_id}: segment must be (start, end) with 0 <= start < end, "
                            f"got {self.segment!r}")
        if self.phone_labels is not None and self.phone_alignment is not None:
            raise RecordError(f"{self.native_id}: give phone_alignment or phone_labels, not both")


@dataclass(frozen=True)
class Utterance:
    """One row of the unified schema, before its audio is attached.

    The audio is decoded, checked and resampled by the build pipeline, which adds ``audio`` bytes and
    ``duration`` when it writes the row (see :mod:`seqd_builder.pipeline.audio`).
    """

    id: str
    corpus: str
    language: str
    speaker: str
    split: str
    audio_path: str | None
    source_file: str
    source_line: int | None = None
    segment: tuple[float, float] | None = None
    gender: str | None = None
    age: int | None = None
    text: str | None = None
    category: str | None = None
    category_native: str | None = None
    category_perceived: str | None = None
    category_perceived_native: str | None = None
    intensity: float | None = None
    intensity_level: int | None = None
    arousal: float | None = None
    valence: float | None = None
    dominance: float | None = None
    phones: tuple[str, ...] = ()
    phone_alignment: tuple[PhoneSegment, ...] | None = None
    phone_labels: LabelFile | None = None  # not a column: read into phone_alignment by the build
    votes: tuple[Vote, ...] = ()
    category_distribution: tuple[tuple[str, float], ...] = ()
    agreement: float | None = None

    def __post_init__(self):
        where = self.id or "<utterance>"
        if not self.id.startswith(f"{self.corpus}/"):
            raise RecordError(f"{where}: id must start with the corpus name {self.corpus!r}/")
        if not self.speaker.startswith(f"{self.corpus}/"):
            raise RecordError(f"{where}: speaker must start with the corpus name, got {self.speaker!r}")
        Split.check(self.split, file=self.source_file, line=self.source_line)
        if self.gender is not None and self.gender not in GENDERS:
            raise RecordError(f"{where}: gender {self.gender!r}; valid: {', '.join(GENDERS)} or None")
        for name in ("category", "category_perceived"):
            value = getattr(self, name)
            if value is not None and value not in CATEGORIES:
                raise RecordError(f"{where}: {name} {value!r}; valid: {', '.join(CATEGORIES)} or None")
        for name in ("intensity", "arousal", "valence", "dominance", "agreement"):
            _check_unit(name, getattr(self, name), where)
        if self.intensity_level is not None and self.intensity_level < 0:
            raise RecordError(f"{where}: intensity_level must be >= 0, got {self.intensity_level}")
        for cat, weight in self.category_distribution:
            if cat not in CATEGORIES or not 0 <= weight <= 1:
                raise RecordError(f"{where}: category_distribution entry ({cat!r}, {weight!r}) invalid")

    def to_row(self) -> dict[str, Any]:
        """The row's label columns as plain Python values (audio and duration are added later)."""
        return {
            "id": self.id, "corpus": self.corpus, "language": self.language,
            "speaker": self.speaker, "gender": self.gender, "age": self.age, "text": self.text,
            "category": self.category, "category_native": self.category_native,
            "category_perceived": self.category_perceived,
            "category_perceived_native": self.category_perceived_native,
            "intensity": self.intensity, "intensity_level": self.intensity_level,
            "arousal": self.arousal, "valence": self.valence, "dominance": self.dominance,
            "phones": list(self.phones),
            # plain dicts built field by field: dataclasses.asdict deep-copies recursively and was a
            # quarter of a build's CPU time on EmoDB's phone alignments
            "phone_alignment": None if self.phone_alignment is None
            else [{"phone": s.phone, "start": s.start, "end": s.end} for s in self.phone_alignment],
            "votes": [{f: getattr(v, f) for f in _VOTE_FIELDS} for v in self.votes],
            "category_distribution": [{"category": c, "weight": w} for c, w in self.category_distribution],
            "agreement": self.agreement, "split": self.split,
        }


@dataclass(frozen=True)
class Rejection:
    """A source item that is not in the dataset, and why. One line of ``rejected.jsonl``."""

    id: str
    corpus: str
    source_file: str
    reason: str
    detail: str
    line: int | None = None
    extra: dict = field(default_factory=dict)

    def __post_init__(self):
        RejectReason.check(self.reason)

    def to_json(self) -> dict[str, Any]:
        out = {"id": self.id, "corpus": self.corpus, "source_file": self.source_file,
               "line": self.line, "reason": self.reason, "detail": self.detail}
        if self.extra:
            out["extra"] = self.extra
        return out
