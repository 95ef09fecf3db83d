"""The one audio path: downmix and resample to the schema's rate, for the build, the benchmark and phones.

Every part of seqd-builder that turns a file or embedded bytes into samples goes through here, so the
dataset, the benchmark's front-ends and the aligners see the same samples for the same audio:
channels are averaged to mono, and any other rate is resampled to :data:`SAMPLING_RATE` with soxr at
its high-quality setting (what librosa's ``res_type="soxr_hq"`` calls). The build adds its own checks
(truncation, digital silence, clipping) around :func:`to_mono` and :func:`resample`.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import soundfile as sf

from .schema.features import SAMPLING_RATE

__all__ = ["SAMPLING_RATE", "read_mono", "resample", "to_mono"]


def to_mono(data: np.ndarray) -> np.ndarray:
    """``[frames, channels]`` (or ``[frames]``) float samples as one float32 channel (their mean)."""
    data = np.asarray(data)
    mono = data if data.ndim == 1 else data[:, 0] if data.shape[1] == 1 else data.mean(axis=1)
    return np.ascontiguousarray(mono, dtype=np.float32)


def resample(mono: np.ndarray, rate: int, target: int = SAMPLING_RATE) -> np.ndarray:
    """``mono`` from ``rate`` to ``target`` Hz (soxr, high quality); unchanged when the rates agree."""
    if int(rate) == int(target):
        return np.ascontiguousarray(mono, dtype=np.float32)
    import soxr

    return np.ascontiguousarray(soxr.resample(mono, rate, target, quality="HQ"), dtype=np.float32)


def read_mono(source: str | Path | bytes, *, start: float = 0.0, end: float | None = None,
              target: int = SAMPLING_RATE) -> np.ndarray:
    """Samples of a file or of encoded bytes (a segment ``[start, end)`` in seconds), mono at ``target``."""
    src = io.BytesIO(source) if isinstance(source, (bytes, bytearray)) else source
    if start or end is not None:
        rate = sf.info(src).samplerate
        if isinstance(src, io.BytesIO):
            src.seek(0)
        frames = {"start": int(start * rate), "stop": None if end is None else int(end * rate)}
    else:
        frames = {}
    data, rate = sf.read(src, dtype="float32", always_2d=True, **frames)
    return resample(to_mono(data), rate, target)
