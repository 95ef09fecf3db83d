"""The demo corpus design: categories placed in (arousal, valence, dominance), voices, sentences, sizes.

The design is data (``corpora/demo/design.yaml``); this module validates it and expands it into a plan,
one :class:`PlannedUtterance` per file to synthesise. The plan fixes everything that is random (the
per-utterance scatter of the designed coordinates) from the seed and the utterance id alone, so the
same seed gives the same corpus whatever the order or the number of worker processes.

The designed (A, V, D) of a planned utterance is its ground truth *and* the input of the prosody
mapping (:mod:`seqd_builder.demo.prosody`): the labels are what physically shaped the audio, which is
what makes the corpus learnable and honest about being synthetic.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from ..assets import asset_dir
from ..errors import ConfigError, UnknownLabelError
from ..schema import CATEGORIES, DIMENSIONS, GENDERS

SIZES = ("tiny", "small")
QUALITY_KEYS = ("brightness_db", "breathiness", "jitter", "tremor_st", "bounce_st", "final_st", "rate",
                "creak")
DIMENSION_KEYS = ("f0_semitones", "f0_range", "rate_octaves", "loudness_db", "brightness_db",
                  "word_gap_s", "tilt_semitones", "formant_shift")


def design_path() -> Path:
    return asset_dir("corpora", "demo") / "design.yaml"


@dataclass(frozen=True)
class CategoryDesign:
    """One category: its full-intensity (A, V, D) target, its levels and its voice quality."""

    name: str
    vad: dict[str, float]
    levels: tuple[int, ...]
    quality: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Voice:
    """An eSpeak NG variant speaking one language: one speaker of the corpus."""

    speaker: str
    language: str
    espeak_language: str
    variant: str
    gender: str | None


@dataclass(frozen=True)
class Sentence:
    id: str
    language: str
    text: str


@dataclass(frozen=True)
class PlannedUtterance:
    """Everything needed to render one file, and its ground truth (A, V, D on the design's scale)."""

    id: str
    voice: Voice
    sentence: Sentence
    category: str
    intensity_level: int
    gain: float
    arousal: float
    valence: float
    dominance: float


@dataclass(frozen=True)
class DemoDesign:
    """A validated design. Build with :func:`load_design`."""

    path: Path
    scale: tuple[float, float]
    neutral: float
    levels: tuple[int, ...]
    level_names: dict[int, str]
    gain: dict[int, float]
    scatter_sd: float
    dimensions: dict[str, dict[str, float]]
    limits: dict[str, tuple[float, float]]
    render: dict[str, Any]
    categories: dict[str, CategoryDesign]
    voices: dict[str, Voice]
    sentences: dict[str, Sentence]
    sizes: dict[str, dict[str, Any]]
    raw: dict[str, Any] = field(repr=False, default_factory=dict)

    def sentences_for(self, language: str) -> list[Sentence]:
        return [s for s in self.sentences.values() if s.language == language]

    def designed_vad(self, category: str, level: int) -> dict[str, float]:
        """The noise-free (A, V, D) of a category at an intensity level."""
        cat = self.categories[category]
        g = self.gain[level]
        return {d: self.neutral + g * (cat.vad[d] - self.neutral) for d in DIMENSIONS}

    def plan(self, size: str = "small", seed: int = 0) -> list[PlannedUtterance]:
        """The utterances of a corpus size, in a fixed order, with their seeded coordinates."""
        if size not in self.sizes:
            raise UnknownLabelError("demo size", size, self.sizes, file=self.path)
        spec = self.sizes[size]
        voices = list(self.voices) if spec["voices"] == "all" else list(spec["voices"])
        categories = list(self.categories) if spec["categories"] == "all" else list(spec["categories"])
        levels = list(self.levels) if spec["levels"] == "all" else [int(x) for x in spec["levels"]]
        per_voice = spec.get("sentences_per_voice", "all")
        lo, hi = self.scale
        out: list[PlannedUtterance] = []
        for v_index, speaker in enumerate(voices):
            voice = self.voices[speaker]
            pool = self.sentences_for(voice.language)
            if per_voice != "all":
                pool = pool[: int(per_voice)]
            condition = 0
            for category in categories:
                cat = self.categories[category]
                for level in [lv for lv in cat.levels if lv in levels] or cat.levels[:1]:
                    # rotate sentences over voices and conditions: every sentence meets every category
                    sentence = pool[(v_index + condition) % len(pool)]
                    condition += 1
                    uid = f"{speaker}_{category}_{level}_{sentence.id}"
                    rng = np.random.default_rng([seed, zlib.crc32(uid.encode("utf-8"))])
                    scatter = rng.normal(0.0, self.scatter_sd, size=3)
                    vad = self.designed_vad(category, level)
                    a, v, d = (float(np.clip(vad[k] + s, lo, hi))
                               for k, s in zip(("arousal", "valence", "dominance"), scatter))
                    out.append(PlannedUtterance(
                        id=uid, voice=voice, sentence=sentence, category=category,
                        intensity_level=level, gain=self.gain[level],
                        arousal=round(a, 3), valence=round(v, 3), dominance=round(d, 3)))
        return out


def _pair(value: Any, what: str, path: Path) -> tuple[float, float]:
    try:
        lo, hi = (float(x) for x in value)
    except (TypeError, ValueError):
        raise ConfigError(f"{what} must be [low, high], got {value!r}", file=path) from None
    if not hi > lo:
        raise ConfigError(f"{what} must be [low, high] with high > low, got {value!r}", file=path)
    return lo, hi


def load_design(path: str | Path | None = None) -> DemoDesign:
    """Read and validate the demo design (default: ``corpora/demo/design.yaml``)."""
    path = Path(path) if path is not None else design_path()
    if not path.is_file():
        raise ConfigError(f"demo design not found at {path}",
                          hint="the design ships with seqd-builder in corpora/demo/design.yaml")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"not valid YAML: {exc}", file=path) from exc
    if not isinstance(data, dict) or data.get("synthetic") is not True:
        raise ConfigError("the demo design must be a mapping that declares `synthetic: true`", file=path)
    scale = _pair(data["scale"]["range"], "scale.range", path)
    neutral = float(data["scale"]["neutral"])
    levels = tuple(int(x) for x in data["intensity"]["levels"])
    if list(levels) != list(range(1, len(levels) + 1)):
        raise ConfigError(f"intensity.levels must be 1..N, got {list(levels)}", file=path)
    gain = {int(k): float(v) for k, v in data["intensity"]["gain"].items()}
    if sorted(gain) != list(levels) or not all(0 < gain[k] <= 1 for k in levels):
        raise ConfigError(f"intensity.gain needs a value in (0, 1] for every level {list(levels)}, "
                          f"got {gain}", file=path)
    dimensions = {}
    for dim, spec in data["dimensions"].items():
        if dim not in DIMENSIONS:
            raise UnknownLabelError("dimension", dim, DIMENSIONS, file=path)
        unknown = set(spec) - set(DIMENSION_KEYS)
        if unknown:
            raise UnknownLabelError("prosody parameter", sorted(unknown)[0], DIMENSION_KEYS, file=path,
                                    hint=f"fix dimensions.{dim}")
        dimensions[dim] = {k: float(v) for k, v in spec.items()}
    categories = {}
    for name, spec in data["categories"].items():
        if name not in CATEGORIES:
            raise UnknownLabelError("unified category", name, CATEGORIES, file=path)
        vad = {d: float(spec["vad"][d]) for d in DIMENSIONS}
        if not all(scale[0] <= x <= scale[1] for x in vad.values()):
            raise ConfigError(f"category {name}: vad {vad} outside the scale {list(scale)}", file=path)
        quality = dict(spec.get("quality") or {})
        for key in quality:
            if key not in QUALITY_KEYS:
                raise UnknownLabelError("voice quality parameter", key, QUALITY_KEYS, file=path,
                                        hint=f"fix categories.{name}.quality")
        cat_levels = tuple(int(x) for x in spec.get("levels", levels))
        if not set(cat_levels) <= set(levels):
            raise ConfigError(f"category {name}: levels {list(cat_levels)} not in {list(levels)}",
                              file=path)
        categories[name] = CategoryDesign(name, vad, cat_levels, {k: float(v) for k, v in quality.items()})
    voices = {}
    for speaker, spec in data["voices"].items():
        if "/" in speaker or not speaker:
            raise ConfigError(f"voice id {speaker!r} must be non-empty without '/'", file=path)
        gender = spec.get("gender")
        if gender is not None and gender not in GENDERS:
            raise UnknownLabelError("gender", gender, GENDERS, file=path, hint=f"fix voices.{speaker}")
        voices[speaker] = Voice(speaker, spec["language"], spec["espeak_language"], spec["variant"], gender)
    sentences = {sid: Sentence(sid, s["language"], s["text"]) for sid, s in data["sentences"].items()}
    for voice in voices.values():
        if not any(s.language == voice.language for s in sentences.values()):
            raise ConfigError(f"voice {voice.speaker}: no sentence in language {voice.language!r}",
                              file=path)
    sizes = dict(data["sizes"])
    for size, spec in sizes.items():
        for key, known in (("voices", voices), ("categories", categories)):
            if spec.get(key, "all") != "all":
                for item in spec[key]:
                    if item not in known:
                        raise UnknownLabelError(key[:-1], item, known, file=path, hint=f"fix sizes.{size}")
    limits = {k: _pair(v, f"limits.{k}", path) for k, v in data["limits"].items()}
    return DemoDesign(
        path=path, scale=scale, neutral=neutral, levels=levels,
        level_names={int(k): str(v) for k, v in data["intensity"].get("names", {}).items()},
        gain=gain, scatter_sd=float(data.get("scatter_sd", 0.0)), dimensions=dimensions, limits=limits,
        render=dict(data["render"]), categories=categories, voices=voices, sentences=sentences,
        sizes=sizes, raw=data)
