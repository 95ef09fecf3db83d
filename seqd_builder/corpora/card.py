"""Corpus cards: the declarative knowledge about one corpus, read from ``corpora/<name>.yaml``.

A card holds what a curator may need to correct without touching code: licence and citation, the
native label set and its map onto the unified taxonomy, intensity and VAD scales, speaker tables,
transcripts keyed by text codes, official splits, evaluation protocols and the published counts the
adapter checks against. :meth:`CorpusCard.normalise` is the one pure function that turns an adapter's
:class:`~seqd_builder.schema.RawItem` into a unified :class:`~seqd_builder.schema.Utterance`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


from ..assets import asset_dir
from ..yamlfile import read_mapping
from ..errors import ConfigError, UnknownLabelError
from ..schema import CATEGORIES, GENDERS, RawItem, Split, Utterance, Vote
from ..schema.scales import IntensityScale
from ..schema.scales import linear as _linear
from ..typed import validate_file_record

_REQUIRED = ("name", "title", "language", "licence", "citation", "categories")
_REDISTRIBUTION = ("allowed", "noncommercial", "restricted", "unclear")


@dataclass(frozen=True)
class SourceAudio:
    """The audio format of the distribution as its owners publish it (``audio:`` in the card).

    The build counts the source files' rates and channels against it and reports a copy in another
    format (RAVDESS is published at 48 kHz; a resampled 16 kHz copy builds, and the card says so).
    """

    __pydantic_config__ = {"extra": "forbid"}  # a misspelt key is refused, not ignored

    sample_rate: int | None = None
    channels: int | None = None
    format: str | None = None
    note: str = ""


@dataclass(frozen=True)
class CorpusCard:
    """A validated corpus card. Build one with :func:`load_card`."""

    name: str
    title: str
    language: str
    licence: dict[str, Any]
    citation: str
    categories: dict[str, str | None]
    path: Path | None = None
    description: str = ""
    homepage: str = ""
    languages: tuple[str, ...] = ()
    audio: SourceAudio = field(default_factory=SourceAudio)
    perceived_categories: dict[str, str | None] | None = None
    vote_categories: dict[str, str | None] = field(default_factory=dict)
    intensity: IntensityScale | None = None
    vote_intensity: IntensityScale | None = None  # raters' scale where it differs from ``intensity``
    dimensions: dict[str, Any] | None = None
    genders: dict[str, str | None] = field(default_factory=dict)
    speakers: dict[str, dict[str, Any]] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)
    splits: dict[str, str] = field(default_factory=dict)
    default_split: str = Split.TRAIN
    official_split: bool = False
    protocols: dict[str, Any] = field(default_factory=dict)
    expected: dict[str, Any] = field(default_factory=dict)
    phones: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        where = str(self.path or self.name)
        for native, unified in {**self.categories, **(self.perceived_categories or {}),
                                **self.vote_categories}.items():
            if unified is not None and unified not in CATEGORIES:
                raise UnknownLabelError("unified category", unified, CATEGORIES, file=where,
                                        hint=f"fix the map entry for {native!r} in the card")
        for token, gender in self.genders.items():
            if gender is not None and gender not in GENDERS:
                raise UnknownLabelError("gender", gender, GENDERS, file=where)
        for spk, info in self.speakers.items():
            if info.get("gender") is not None and info["gender"] not in GENDERS:
                raise UnknownLabelError("gender", info["gender"], GENDERS, file=where,
                                        hint=f"fix speaker {spk!r} in the card")
        for token, split in {**self.splits, "(default)": self.default_split}.items():
            Split.check(split, file=where)
        red = self.licence.get("redistribution")
        if red not in _REDISTRIBUTION:
            raise UnknownLabelError("licence.redistribution", red, _REDISTRIBUTION, file=where)
        if self.dimensions is not None:
            lo, hi = self.dimensions.get("range", (None, None))
            if lo is None or not hi > lo:
                raise ConfigError(f"{where}: dimensions.range must be [low, high], got "
                                  f"{self.dimensions.get('range')!r}")

    # --- label mapping (pure) -------------------------------------------------------------------

    def map_category(self, native: str | None, where: str = "", *, perceived: bool = False) -> str | None:
        """Unified category for a native code; a mapped ``null`` means "no consensus"."""
        if native is None:
            return None
        table = self.perceived_categories if perceived and self.perceived_categories else self.categories
        if native not in table:
            raise UnknownLabelError("perceived category" if perceived else "category", native, table,
                                    file=where or self.path)
        return table[native]

    def map_vote_category(self, native: str | None) -> str | None:
        """Unified primary category of a rater's label; unknown or free-text labels map to None.

        Rater labels are auxiliary (the raw text is always kept in ``category_native``), so an
        unknown one does not reject the utterance.
        """
        if not native:
            return None
        key = native.strip()
        for table in (self.vote_categories, self.categories):
            for k, v in table.items():
                if k.lower() == key.lower():
                    return v
        return None

    def map_gender(self, token: str | None, speaker: str | None, where: str = "") -> str | None:
        if token is not None:
            key = token.strip()
            if key in GENDERS:
                return key
            if key not in self.genders:
                raise UnknownLabelError("gender", token, [*GENDERS, *self.genders], file=where)
            return self.genders[key]
        if speaker is not None and speaker in self.speakers:
            return self.speakers[speaker].get("gender")
        return None

    def map_dimension(self, value: float | None, what: str, where: str = "") -> float | None:
        if value is None:
            return None
        if self.dimensions is None:
            raise ConfigError(f"{self.path}: the card declares no dimensions scale, but {what}={value}")
        return _linear(value, *self.dimensions["range"], what, where)

    def map_split(self, token: str | None, where: str = "") -> str:
        if token is None:
            return self.default_split
        if token not in self.splits:
            raise UnknownLabelError("split", token, self.splits, file=where)
        return self.splits[token]

    def normalise(self, raw: RawItem) -> Utterance:
        """Map a native item onto the unified schema. Raises :class:`UnknownLabelError`."""
        from ..annotations import summarise_votes  # one merging implementation for every corpus

        where = f"{raw.source_file}:{raw.source_line}" if raw.source_line else raw.source_file
        category = self.map_category(raw.category, where)
        perceived = None
        if raw.category_perceived is not None and ":" not in raw.category_perceived:
            perceived = self.map_category(raw.category_perceived, where, perceived=True)
        intensity, level = (self.intensity.map(raw.intensity, where) if self.intensity
                            else (None, None))
        if raw.intensity is not None and self.intensity is None:
            raise UnknownLabelError("intensity", raw.intensity, ["(none: the card declares no scale)"],
                                    file=where)
        votes = tuple(self._normalise_vote(v, where) for v in raw.votes)
        distribution, agreement = (), raw.agreement
        if votes:
            summary = summarise_votes(
                votes, exclude_self=bool(self.options.get("exclude_self_votes", False)))
            distribution = summary.distribution
            if agreement is None:
                agreement = summary.agreement
        speaker = raw.speaker if raw.speaker is not None else "unknown"
        age = raw.age if raw.age is not None else self.speakers.get(speaker, {}).get("age")
        return Utterance(
            id=f"{self.name}/{raw.native_id}", corpus=self.name,
            language=raw.language or self.language, speaker=f"{self.name}/{speaker}",
            split=self.map_split(raw.split, where),
            audio_path=str(raw.audio_path) if raw.audio_path is not None else None,
            source_file=raw.source_file, source_line=raw.source_line, segment=raw.segment,
            gender=self.map_gender(raw.gender, raw.speaker, where), age=age, text=raw.text,
            category=category, category_native=raw.category,
            category_perceived=perceived, category_perceived_native=raw.category_perceived,
            intensity=intensity, intensity_level=level,
            arousal=self.map_dimension(raw.arousal, "arousal", where),
            valence=self.map_dimension(raw.valence, "valence", where),
            dominance=self.map_dimension(raw.dominance, "dominance", where),
            phones=tuple(raw.phones or ()), phone_alignment=raw.phone_alignment,
            phone_labels=raw.phone_labels,
            votes=votes, category_distribution=distribution, agreement=agreement,
        )

    def _normalise_vote(self, vote: Vote, where: str) -> Vote:
        category = vote.category if vote.category is not None else self.map_vote_category(
            vote.category_native)
        intensity = None
        scale = self.vote_intensity or self.intensity
        if vote.intensity is not None:
            if scale is None:
                raise UnknownLabelError("vote intensity", vote.intensity,
                                        ["(none: the card declares no intensity scale)"], file=where)
            if scale.levels:
                if not 1 <= vote.intensity <= scale.n_levels:
                    raise UnknownLabelError("vote intensity level", vote.intensity,
                                            [f"1..{scale.n_levels}"], file=where)
                intensity = vote.intensity / scale.n_levels
            else:
                intensity = _linear(vote.intensity, *scale.range, "vote intensity", where)
        return dataclasses.replace(
            vote, category=category, intensity=intensity,
            arousal=self.map_dimension(vote.arousal, "vote arousal", where),
            valence=self.map_dimension(vote.valence, "vote valence", where),
            dominance=self.map_dimension(vote.dominance, "vote dominance", where))

    # --- presentation -----------------------------------------------------------------------------

    def scales(self) -> dict[str, Any]:
        """The native scales, as recorded in the dataset card."""
        out: dict[str, Any] = {}
        if self.intensity is not None:
            out["intensity"] = ({"type": "ordinal", "levels": self.intensity.levels,
                                 "normalised": "level / number of levels"}
                                if self.intensity.levels else
                                {"type": "continuous", "range": list(self.intensity.range),
                                 "normalised": "(x - low) / (high - low)"})
            if self.intensity.description:
                out["intensity"]["description"] = self.intensity.description
            if self.intensity.unified is not None:  # the shared scale (schema/scales.py UNIFIED_LEVELS)
                from ..schema.scales import UNIFIED_LEVELS

                name = (lambda v: None if v is None else UNIFIED_LEVELS[v])
                out["intensity"]["unified"] = {
                    "levels": {t: name(v) for t, v in self.intensity.unified.items()},
                    "neutral": name(self.intensity.unified_neutral),
                    "scale": "0 none, 1 low, 2 medium, 3 high; null = unspecified"}
        if self.vote_intensity is not None:
            v = self.vote_intensity
            out["vote_intensity"] = ({"type": "ordinal", "levels": v.levels} if v.levels else
                                     {"type": "continuous", "range": list(v.range),
                                      "normalised": "(x - low) / (high - low)"})
            if v.description:
                out["vote_intensity"]["description"] = v.description
        if self.dimensions is not None:
            out["dimensions"] = {"range": list(self.dimensions["range"]),
                                 "normalised": "(x - low) / (high - low)",
                                 **{k: v for k, v in self.dimensions.items() if k != "range"}}
        return out


def card_path(name: str) -> Path:
    return asset_dir("corpora") / f"{name}.yaml"


def available_cards() -> list[str]:
    return sorted(p.stem for p in asset_dir("corpora").glob("*.yaml"))


def load_card(name_or_path: str | Path) -> CorpusCard:
    """Read and validate a corpus card by corpus name or by path."""
    path = Path(name_or_path)
    if not path.suffix:
        path = card_path(str(name_or_path))
    if not path.is_file():
        raise UnknownLabelError("corpus", str(name_or_path), available_cards(),
                                hint="run `seqd corpora` for the supported corpora")
    known = {f.name for f in dataclasses.fields(CorpusCard)} - {"path"}
    data = read_mapping(path, "a corpus card", fields=known, required=_REQUIRED)
    # YAML reads 01 as 1 and "01" as "01": native codes are strings, whatever the curator typed.
    for key in ("categories", "perceived_categories", "vote_categories", "genders", "texts", "splits"):
        if isinstance(data.get(key), dict):
            data[key] = {str(k): v for k, v in data[key].items()}
    if isinstance(data.get("speakers"), dict):
        data["speakers"] = {str(k): {} if v is None else v for k, v in data["speakers"].items()}
    for key in ("intensity", "vote_intensity"):  # level tokens are native codes too
        if isinstance(data.get(key), dict) and isinstance(data[key].get("levels"), dict):
            data[key] = {**data[key], "levels": {str(k): v for k, v in data[key]["levels"].items()}}
        if isinstance(data.get(key), dict) and isinstance(data[key].get("unified"), dict):
            data[key] = {**data[key], "unified": {str(k): v for k, v in data[key]["unified"].items()}}
    if data.get("citation") is not None:
        data["citation"] = str(data["citation"]).strip()
    return validate_file_record(CorpusCard, {**data, "path": path}, file=path, what="corpus card")
