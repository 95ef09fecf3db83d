"""Simulated raters for the demo: several raters of declared reliability labelling a truth table.

The demo's synthetic corpus has a known truth (category, intensity level, optionally VAD). Raters
label it with their declared accuracy and noise, so the walk-through shows what curation looks like:
merging recovers most of the truth, ties and low-agreement items appear, and the per-rater figures
flag the noisy, biased rater. Deterministic for a given seed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import ConfigError
from ..schema import CATEGORIES, DIMENSIONS

SHEET_COLUMNS = ("utterance", "rater", "category", "intensity", "arousal", "valence", "dominance",
                 "self_rating", "comment")


@dataclass(frozen=True)
class SimulatedRater:
    """A rater's declared reliability.

    ``accuracy``: chance of giving the true category; otherwise a wrong one, ``bias`` (a category)
    with probability ``bias_share`` and a uniformly drawn other label else. ``intensity_shift`` and
    ``intensity_sd`` perturb the level (then rounded and clipped to the scale); ``vad_sd`` perturbs
    the dimensions (rounded to whole scale points, as on a SAM scale). ``coverage``: share of the
    utterances the rater labels.
    """

    name: str
    role: str = "crowd"
    accuracy: float = 0.75
    intensity_shift: float = 0.0
    intensity_sd: float = 0.5
    vad_sd: float = 0.6
    bias: str | None = None
    bias_share: float = 0.0
    coverage: float = 1.0

    def __post_init__(self):
        for name in ("accuracy", "bias_share", "coverage"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ConfigError(f"simulated rater {self.name!r}: {name} must be in [0, 1], "
                                  f"got {getattr(self, name)!r}")


DEFAULT_RATERS: tuple[SimulatedRater, ...] = (
    SimulatedRater("careful", role="expert", accuracy=0.92, intensity_sd=0.3, vad_sd=0.3),
    SimulatedRater("average1", accuracy=0.75),
    SimulatedRater("average2", accuracy=0.72, coverage=0.9),
    SimulatedRater("average3", accuracy=0.70, intensity_shift=0.3, coverage=0.9),
    SimulatedRater("noisy", accuracy=0.35, intensity_shift=-0.8, intensity_sd=1.0, vad_sd=1.4,
                   bias="neutral", bias_share=0.6, coverage=0.8),
)
"""One careful expert, three average crowd raters (two of them skip some items), one noisy rater
who over-uses ``neutral`` and under-rates intensity: the report flags that one."""


def _records(truth) -> list[dict]:
    if hasattr(truth, "to_dict"):
        truth = truth.to_dict(orient="records")
    rows = [dict(r) for r in truth]
    for i, row in enumerate(rows):
        for col in ("utterance", "category"):
            if not row.get(col):
                raise ConfigError(f"truth row {i}: missing {col!r} (columns: utterance, category, "
                                  f"intensity, and optionally arousal, valence, dominance)")
    return rows


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def simulate_raters(truth, *, seed: int = 0, raters: Sequence[SimulatedRater] = DEFAULT_RATERS,
                    labels: Sequence[str] | None = None, intensity_levels: int | None = None,
                    dimension_range: tuple[float, float] = (1.0, 5.0)):
    """A SEQD annotation sheet (pandas DataFrame, columns :data:`SHEET_COLUMNS`) for ``truth``.

    ``truth``: a DataFrame or an iterable of mappings with ``utterance``, ``category``, ``intensity``
    (level 1..N, or empty) and optionally ``arousal``/``valence``/``dominance`` on
    ``dimension_range``. ``labels``: the label codes raters choose from (default: the categories in
    ``truth``); ``intensity_levels``: N (default: the highest level in ``truth``). Write the result with
    ``.to_csv(path, index=False)`` and merge it with a project declaring the same labels and scales
    (:func:`write_demo_project`).
    """
    import pandas as pd

    rows = _records(truth)
    rng = np.random.default_rng(seed)
    labels = list(labels or dict.fromkeys(str(r["category"]) for r in rows))
    if len(labels) < 2:
        raise ConfigError(f"need at least two labels to simulate confusions, got {labels}")
    levels = [int(r["intensity"]) for r in rows if not _missing(r.get("intensity"))]
    n_levels = intensity_levels or (max(levels) if levels else None)
    lo, hi = dimension_range
    out = []
    for row in rows:
        truth_label = str(row["category"])
        for rater in raters:
            if rng.random() >= rater.coverage:
                continue
            if rng.random() < rater.accuracy:
                label = truth_label
            elif rater.bias in labels and rater.bias != truth_label and rng.random() < rater.bias_share:
                label = rater.bias
            else:
                label = str(rng.choice([x for x in labels if x != truth_label]))
            level = ""
            if n_levels and not _missing(row.get("intensity")):
                noisy = float(row["intensity"]) + rater.intensity_shift + rng.normal(0, rater.intensity_sd)
                level = int(np.clip(np.floor(noisy + 0.5), 1, n_levels))
            dims = {}
            for dim in DIMENSIONS:
                value = row.get(dim)
                dims[dim] = "" if _missing(value) else float(
                    np.clip(np.round(float(value) + rng.normal(0, rater.vad_sd)), lo, hi))
            out.append({"utterance": row["utterance"], "rater": rater.name, "category": label,
                        "intensity": level, **dims, "self_rating": "false", "comment": ""})
    return pd.DataFrame(out, columns=list(SHEET_COLUMNS))


def write_demo_project(path: str | Path, categories: Iterable[str], *,
                       intensity_levels: Sequence[str] = ("low", "medium", "high"),
                       dimension_range: tuple[float, float] | None = (1.0, 5.0),
                       raters: Sequence[SimulatedRater] = DEFAULT_RATERS, language: str = "en",
                       extra: Mapping | None = None) -> Path:
    """Write a project file whose labels are the unified ``categories`` themselves, for
    :func:`simulate_raters` output; merge rules: plurality, ties kept, at least 3 raters, median
    intensity of the consensus raters, mean VAD. ``language`` goes into the corpus card; ``extra``
    adds or replaces top-level project fields (e.g. ``{"corpus": {...}}``)."""
    import yaml

    categories = list(categories)
    bad = [c for c in categories if c not in CATEGORIES]
    if bad:
        raise ConfigError(f"unknown categories {bad}; valid: {', '.join(CATEGORIES)}")
    data = {
        "name": "demo", "title": "Simulated raters on the demo corpus",
        "description": "Five simulated raters of declared reliability (seqd_builder.annotations."
                       "simulate): one careful expert, three average crowd raters, one noisy rater "
                       "biased towards neutral.",
        "labels": {c: c for c in categories},
        "intensity": {"levels": list(intensity_levels)},
        "roles": {"expert": {"description": "trained annotator"},
                  "crowd": {"description": "crowd worker"}},
        "raters": {r.name: {"role": r.role} for r in raters},
        "unknown_raters": "error",
        "merge": {"category": {"ties": "keep", "separator": ":"}, "min_raters": 3,
                  "min_agreement": 0.0, "insufficient": "no_consensus",
                  "intensity": {"method": "median", "raters": "consensus"},
                  "dimensions": {"method": "mean"}, "reliability": {"flag_below": 0.3}},
        "corpus": {"language": language, "title": "Demo corpus with simulated raters"},
    }
    if dimension_range is not None:
        data["dimensions"] = {"names": list(DIMENSIONS), "range": list(dimension_range)}
    data.update(extra or {})
    path = Path(path)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path
