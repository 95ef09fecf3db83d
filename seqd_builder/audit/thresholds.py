"""The audit's thresholds: declared once, with their defaults documented (docs/audit.md).

A threshold decides only whether a measured value is *reported as a warning*; every value is kept in
the audit JSON whatever the thresholds say, and nothing is ever dropped from the dataset because of
them. Records are frozen and checked on creation, so a bad value fails where it is given.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigError


@dataclass(frozen=True)
class Thresholds:
    """When a measurement becomes a warning. Defaults are documented in docs/audit.md."""

    clip_level: float = 0.999
    """|sample| at or above this share of full scale counts as clipped."""
    clipped_share: float = 0.001
    """Warn when more than this share of a file's samples is clipped (0.1%)."""
    dc_offset: float = 0.01
    """Warn when the mean sample value exceeds this (1% of full scale)."""
    silence_top_db: float = 40.0
    """``librosa.effects.split``: frames more than this many dB under the file's loudest frame are
    silence."""
    edge_silence_s: float = 1.5
    """Warn when leading or trailing silence lasts longer than this (seconds)."""
    speech_ratio: float = 0.3
    """Warn when less than this share of the file is speech (a mostly silent file)."""
    snr_db: float = 15.0
    """Warn when the energy-percentile SNR estimate is below this (dB)."""
    lufs_low: float = -50.0
    """Warn when the integrated loudness (ITU-R BS.1770, pyloudnorm) is under this (LUFS)."""
    min_duration_s: float = 0.5
    """Warn when a file is shorter than this (seconds), whatever its corpus."""
    duration_mad: float = 5.0
    """Warn when log-duration is more than this many scaled MADs from its corpus' median."""
    near_duplicate_ncc: float = 0.95
    """Two files are near-duplicates when their energy envelopes correlate at least this much at the
    best lag *and* their aligned log-mel spectrograms correlate at least ``near_duplicate_spec``."""
    near_duplicate_spec: float = 0.98
    near_duplicate_overlap: float = 0.8
    """The aligned part must cover at least this share of the shorter file's frames."""
    candidates: int = 8
    """Nearest neighbours (by spectral summary) of each file that are verified as near-duplicates."""
    imbalance_ratio: float = 10.0
    """Warn when the largest class of a split is more than this many times its smallest."""

    def __post_init__(self):
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name in ("lufs_low",):
                continue
            if not isinstance(value, (int, float)) or value < 0:
                raise ConfigError(f"audit threshold {f.name}={value!r} must be a number >= 0",
                                  hint="see docs/audit.md for the defaults")
        for name in ("clip_level", "clipped_share", "speech_ratio", "near_duplicate_ncc",
                     "near_duplicate_spec", "near_duplicate_overlap"):
            if getattr(self, name) > 1:
                raise ConfigError(f"audit threshold {name}={getattr(self, name)!r} must be in [0, 1]",
                                  hint="see docs/audit.md for the defaults")

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_mapping(cls, values: dict[str, Any]) -> Thresholds:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(f"unknown audit thresholds {unknown}; valid: {sorted(known)}")
        return cls(**{k: float(v) if k != "candidates" else int(v) for k, v in values.items()})
