"""The unified multi-scale schema: vocabularies, typed records and the ``datasets.Features``."""

from .define import CATEGORIES, DIMENSIONS, GENDERS, Category, Dimension, Gender, RejectReason, Split
from .features import COLUMN_DOCS, FEATURES, SAMPLING_RATE
from .records import LABEL_FORMATS, LabelFile, PhoneSegment, RawItem, Rejection, Utterance, Vote

__all__ = [
    "CATEGORIES", "DIMENSIONS", "GENDERS", "Category", "Dimension", "Gender", "RejectReason", "Split",
    "COLUMN_DOCS", "FEATURES", "SAMPLING_RATE", "LABEL_FORMATS", "LabelFile", "PhoneSegment", "RawItem", "Rejection", "Utterance", "Vote",
]
