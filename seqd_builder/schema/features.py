"""The unified schema as one ``datasets.Features`` object.

Declared, never inferred: every published dataset, whatever its corpus, has exactly these columns and
types, so datasets from different corpora concatenate and a consumer's code is written once. Columns a
corpus cannot fill are null (or empty lists), and the corpus card says why.
"""

from __future__ import annotations

from datasets import Audio, ClassLabel, Features, List, Value

from .define import CATEGORIES, GENDERS

SAMPLING_RATE = 16_000
"""Every published dataset carries 16 kHz mono audio."""

PHONE_SEGMENT = {"phone": Value("string"), "start": Value("float32"), "end": Value("float32")}

VOTE = {
    "rater": Value("string"),
    "category": Value("string"),
    "category_native": Value("string"),
    "intensity": Value("float32"),
    "arousal": Value("float32"),
    "valence": Value("float32"),
    "dominance": Value("float32"),
    "self_rating": Value("bool"),
    "weight": Value("float32"),
}

FEATURES = Features({
    "id": Value("string"),
    "corpus": Value("string"),
    "language": Value("string"),
    "audio": Audio(sampling_rate=SAMPLING_RATE),
    "duration": Value("float32"),
    "speaker": Value("string"),
    "gender": ClassLabel(names=list(GENDERS)),
    "age": Value("int32"),
    "text": Value("string"),
    "category": ClassLabel(names=list(CATEGORIES)),
    "category_native": Value("string"),
    "category_perceived": ClassLabel(names=list(CATEGORIES)),
    "category_perceived_native": Value("string"),
    "intensity": Value("float32"),
    "intensity_level": Value("int32"),
    "arousal": Value("float32"),
    "valence": Value("float32"),
    "dominance": Value("float32"),
    "phones": List(Value("string")),
    "phone_alignment": List(PHONE_SEGMENT),
    "votes": List(VOTE),
    "category_distribution": List({"category": Value("string"), "weight": Value("float32")}),
    "agreement": Value("float32"),
    "split": Value("string"),
})
"""The one schema. Column order here is the column order of every parquet shard."""

COLUMN_DOCS: dict[str, str] = {
    "id": "`<corpus>/<native utterance id>`, unique within the dataset",
    "corpus": "corpus name (the card's `name`)",
    "language": "BCP-47 language tag (`en`, `de`, `zh`)",
    "audio": "16 kHz mono audio, embedded (WAV bytes); decoded by `datasets`",
    "duration": "seconds, after resampling",
    "speaker": "`<corpus>/<native speaker id>`",
    "gender": "female / male, or null where unknown",
    "age": "years, where the corpus publishes it",
    "text": "transcript, or null",
    "category": "unified fine category (the label the corpus' protocol uses); null when no consensus",
    "category_native": "the corpus' own code, untouched",
    "category_perceived": "perceived (listener) category where the corpus has one beside the intended",
    "category_perceived_native": "the perceived label as written (ties colon-joined, e.g. `A:D`)",
    "intensity": "[0, 1]: native ordinal level / number of levels, or a linear map of a continuous scale",
    "intensity_level": "ordinal level on the native scale (1..N), or null",
    "arousal": "[0, 1]: linear map of the native scale (the card records it)",
    "valence": "[0, 1]: linear map of the native scale",
    "dominance": "[0, 1]: linear map of the native scale",
    "phones": "phone sequence; the card names the inventory",
    "phone_alignment": "list of {phone, start, end} (s), or null",
    "votes": "raw per-rater labels: native category, unified category, scales mapped to [0, 1]",
    "category_distribution": "soft label: share of (weighted) votes per unified category",
    "agreement": "share of votes for the consensus category (or listener recognition rate)",
    "split": "official split (HF split name); protocols' folds are declared in the card",
}
assert set(COLUMN_DOCS) == set(FEATURES), "every column needs a line in COLUMN_DOCS"
