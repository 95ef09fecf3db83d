"""Closed vocabularies of the unified schema, as plain-string constants.

The values go into YAML cards, parquet files and dataset cards unchanged, so they are short lower-case
words (audformat's naming: emotion, arousal, valence, dominance, speaker, gender). The order of
:data:`CATEGORIES` is the ``ClassLabel`` order of every published dataset: append new categories at the
end, never reorder, or integer labels of existing datasets change meaning.
"""

from __future__ import annotations

from ..errors import UnknownLabelError


class _Vocabulary:
    """A closed set of strings with one membership check that names the valid choices."""

    kind: str = "value"

    @classmethod
    def values(cls) -> tuple[str, ...]:
        return tuple(v for k, v in vars(cls).items() if k.isupper() and isinstance(v, str))

    @classmethod
    def check(cls, value: str, *, file=None, line=None) -> str:
        if value not in cls.values():
            raise UnknownLabelError(cls.kind, value, cls.values(), file=file, line=line)
        return value


class Category(_Vocabulary):
    """The unified fine-grained emotion taxonomy.

    Fine categories are kept apart (calm is not neutral, excited is not happy, frustrated is not angry,
    boredom is not sad); coarse label sets such as IEMOCAP's 4 classes are task-level maps over these.
    """

    kind = "category"
    NEUTRAL = "neutral"
    CALM = "calm"
    HAPPY = "happy"
    EXCITED = "excited"
    SAD = "sad"
    ANGRY = "angry"
    FRUSTRATED = "frustrated"
    FEAR = "fear"
    DISGUST = "disgust"
    SURPRISE = "surprise"
    CONTEMPT = "contempt"
    BOREDOM = "boredom"
    OTHER = "other"


CATEGORIES: tuple[str, ...] = (
    Category.NEUTRAL, Category.CALM, Category.HAPPY, Category.EXCITED, Category.SAD, Category.ANGRY,
    Category.FRUSTRATED, Category.FEAR, Category.DISGUST, Category.SURPRISE, Category.CONTEMPT,
    Category.BOREDOM, Category.OTHER,
)
assert set(CATEGORIES) == set(Category.values()), "CATEGORIES must list every Category exactly once"


class Gender(_Vocabulary):
    kind = "gender"
    FEMALE = "female"
    MALE = "male"


GENDERS: tuple[str, ...] = (Gender.FEMALE, Gender.MALE)


class Split(_Vocabulary):
    """Split names used in published datasets (HF split names and the ``split`` column).

    Corpora without an official split publish everything as ``train``; their evaluation protocol
    (folds) is declared in the corpus card and applied by benchmark tasks.
    """

    kind = "split"
    TRAIN = "train"
    VALIDATION = "validation"
    TEST = "test"
    TEST1 = "test1"
    TEST2 = "test2"
    TEST3 = "test3"


class Dimension(_Vocabulary):
    """The three affective dimensions (audformat's names)."""

    kind = "dimension"
    AROUSAL = "arousal"
    VALENCE = "valence"
    DOMINANCE = "dominance"


DIMENSIONS: tuple[str, ...] = (Dimension.AROUSAL, Dimension.VALENCE, Dimension.DOMINANCE)


class RejectReason(_Vocabulary):
    """Why a source item did not make it into the dataset (the keys of the build's accounting)."""

    kind = "rejection reason"
    MISSING_AUDIO = "missing_audio"
    CORRUPT_AUDIO = "corrupt_audio"
    TRUNCATED_AUDIO = "truncated_audio"
    EMPTY_AUDIO = "empty_audio"
    UNKNOWN_LABEL = "unknown_label"
    DUPLICATE_ID = "duplicate_id"
    MALFORMED_LINE = "malformed_line"
    BAD_ENCODING = "bad_encoding"
    MISSING_METADATA = "missing_metadata"
    INVALID_VALUE = "invalid_value"
    HIDDEN_LABEL = "hidden_label"
    TOO_FEW_RATERS = "too_few_raters"
    NO_CONSENSUS = "no_consensus"
    ENRICHMENT_FAILED = "enrichment_failed"


class Warning_(_Vocabulary):
    """Problems that were handled (the item is in the dataset) but are reported."""

    kind = "warning"
    RESAMPLED = "resampled"
    DOWNMIXED = "downmixed"
    CLIPPED = "clipped"
    NO_TRANSCRIPT = "no_transcript"
    PHONES_FAILED = "phones_failed"
    COUNT_MISMATCH = "count_mismatch"
