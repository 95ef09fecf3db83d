"""Signal quality of one decoded file: clipping, DC offset, silence, speech ratio, SNR, loudness.

Which library measures what (also in docs/audit.md):

- leading/trailing silence and the speech ratio: ``librosa.effects.split`` (frames more than
  ``silence_top_db`` under the loudest frame are silence), on 25 ms frames with a 10 ms hop;
- loudness: ``pyloudnorm.Meter`` (ITU-R BS.1770-4 integrated loudness, LUFS); files under 0.4 s (one
  gating block) have none;
- SNR: an energy-percentile estimate, 10·log10 of the 95th over the 10th percentile of the frame
  power (``librosa.feature.rms``). It is not WADA-SNR: on studio recordings with silence around the
  speech it measures the distance between speech and the noise floor, which is what a curator wants to
  compare across files of one corpus; it is not a calibrated SNR of noisy speech;
- clipping share and DC offset: numpy over the samples.

The frame energies are computed once and shared with the near-duplicate fingerprint
(:mod:`.duplicates`), so each file is decoded and framed once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import librosa
import numpy as np
import pyloudnorm

from ..audio import SAMPLING_RATE
from .thresholds import Thresholds

SR = SAMPLING_RATE  # the rows are at the schema's one rate
FRAME = 400   # 25 ms
HOP = 160     # 10 ms
SNR_CAP_DB = 100.0
"""An all-digital-zero noise floor makes the percentile ratio infinite; it is reported as this."""

_METER: dict[int, pyloudnorm.Meter] = {}


@dataclass(frozen=True)
class SignalStats:
    """What :func:`measure` finds in one file (seconds, shares in [0, 1], dB, LUFS)."""

    duration: float
    peak: float
    clipped_share: float
    dc_offset: float
    lead_silence: float
    trail_silence: float
    speech_ratio: float
    snr_db: float | None
    lufs: float | None

    def __post_init__(self):
        if not (0.0 <= self.clipped_share <= 1.0 and 0.0 <= self.speech_ratio <= 1.0):
            raise ValueError(f"shares out of [0, 1]: {self}")

    def to_json(self) -> dict:
        return {k: (None if v is None else round(float(v), 5)) for k, v in self.__dict__.items()}


def speech_intervals(y: np.ndarray, top_db: float) -> np.ndarray:
    """``librosa.effects.split`` on the audit's frames: [n, 2] sample intervals of non-silence."""
    if not len(y) or not np.any(y):
        return np.zeros((0, 2), dtype=int)
    return librosa.effects.split(y, top_db=top_db, frame_length=FRAME, hop_length=HOP)


def loudness(y: np.ndarray, sr: int = SR) -> float | None:
    """Integrated loudness in LUFS (pyloudnorm), or None (shorter than one block, or silent)."""
    if len(y) < int(0.4 * sr) + 1:
        return None
    meter = _METER.get(sr) or _METER.setdefault(sr, pyloudnorm.Meter(sr))
    value = meter.integrated_loudness(y.astype(np.float64))
    return float(value) if math.isfinite(value) else None


def snr_percentile(frame_power: np.ndarray) -> float | None:
    """10·log10(P95 / P10) of the frame power; None for fewer than 10 frames."""
    if len(frame_power) < 10:
        return None
    hi, lo = np.percentile(frame_power, [95, 10])
    if hi <= 0:
        return 0.0
    if lo <= 0:
        return SNR_CAP_DB
    return float(min(SNR_CAP_DB, 10 * math.log10(hi / lo)))


def measure(y: np.ndarray, thresholds: Thresholds, sr: int = SR) -> tuple[SignalStats, np.ndarray]:
    """Signal statistics of 16 kHz mono float samples, and the speech intervals found."""
    n = len(y)
    duration = n / sr
    if n == 0:
        return SignalStats(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, None, None), np.zeros((0, 2), int)
    a = np.abs(y)
    intervals = speech_intervals(y, thresholds.silence_top_db)
    if len(intervals):
        speech = float((intervals[:, 1] - intervals[:, 0]).sum()) / n
        lead, trail = intervals[0, 0] / sr, (n - intervals[-1, 1]) / sr
    else:
        speech, lead, trail = 0.0, duration, 0.0
    power = librosa.feature.rms(y=y, frame_length=FRAME, hop_length=HOP, center=False)[0] ** 2 \
        if n >= FRAME else np.array([float(np.mean(y ** 2))])
    stats = SignalStats(
        duration=duration, peak=float(a.max()),
        clipped_share=float(np.count_nonzero(a >= thresholds.clip_level)) / n,
        dc_offset=float(y.mean()), lead_silence=float(lead), trail_silence=float(trail),
        speech_ratio=min(1.0, speech), snr_db=snr_percentile(power), lufs=loudness(y, sr))
    return stats, intervals


def problems(stats: SignalStats, thresholds: Thresholds) -> list[tuple[str, str]]:
    """(kind, detail) for each threshold this file crosses."""
    t, out = thresholds, []
    if stats.clipped_share > t.clipped_share:
        out.append(("clipping", f"{100 * stats.clipped_share:.2f}% of samples at or above "
                                f"{t.clip_level:g} of full scale (threshold {100 * t.clipped_share:g}%)"))
    if abs(stats.dc_offset) > t.dc_offset:
        out.append(("dc_offset", f"mean sample value {stats.dc_offset:+.4f} (threshold ±{t.dc_offset:g})"))
    if stats.speech_ratio < t.speech_ratio:
        out.append(("mostly_silent", f"speech in {100 * stats.speech_ratio:.1f}% of the file "
                                     f"(threshold {100 * t.speech_ratio:g}%)"))
    for edge, value in (("leading", stats.lead_silence), ("trailing", stats.trail_silence)):
        if value > t.edge_silence_s:
            out.append((f"{edge}_silence", f"{value:.2f} s of {edge} silence (threshold {t.edge_silence_s:g} s)"))
    if stats.snr_db is not None and stats.snr_db < t.snr_db:
        out.append(("low_snr", f"energy-percentile SNR {stats.snr_db:.1f} dB (threshold {t.snr_db:g} dB)"))
    if stats.lufs is not None and stats.lufs < t.lufs_low:
        out.append(("quiet", f"integrated loudness {stats.lufs:.1f} LUFS (threshold {t.lufs_low:g})"))
    return out
