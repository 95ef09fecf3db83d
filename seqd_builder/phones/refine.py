"""Boundary refinement with acoustic evidence.

DTW against synthetic speech puts boundaries roughly right but smears them by tens of ms. A phone
boundary is, acoustically, where the spectrum changes fastest (onset of a closure, release burst,
formant jump, onset of frication); a speech/pause boundary is where the energy rises or falls. So
each boundary is moved to the maximum of a spectral-change curve within ``window`` seconds, the curve
being weighted by a Gaussian of the displacement (width ``prior``) so that a weak change nearby beats
a strong one far away. Boundaries never cross: each stays at least ``min_phone`` inside its
neighbours. The change curve is the distance between the mean log-mel spectra of the 20 ms before
and after each 5 ms step (librosa), plus the absolute log-energy slope.
"""

from __future__ import annotations

import numpy as np

from ..schema import PhoneSegment

_HOP = 0.005
_SPAN = 4  # frames each side (20 ms)


def change_curve(audio: np.ndarray, sr: int) -> tuple[np.ndarray, np.ndarray]:
    """(times, spectral + energy change) at 5 ms steps, normalised to median 1."""
    import librosa

    hop = max(1, int(round(_HOP * sr)))
    mel = librosa.feature.melspectrogram(y=np.asarray(audio, dtype=np.float32), sr=sr,
                                         n_fft=int(0.025 * sr), hop_length=hop,
                                         win_length=int(0.025 * sr), n_mels=40, fmax=sr / 2)
    logmel = np.log(mel + 1e-8)
    energy = np.log(mel.sum(axis=0) + 1e-8)
    n = logmel.shape[1]
    kernel = np.ones(_SPAN) / _SPAN
    padded = np.pad(logmel, ((0, 0), (_SPAN, _SPAN)), mode="edge")
    smoothed = np.stack([np.convolve(row, kernel, mode="valid") for row in padded])
    # smoothed[:, i] is the mean of padded frames i..i+SPAN-1 = original frames i-SPAN..i-1
    before = smoothed[:, :n]
    after = smoothed[:, _SPAN:_SPAN + n]
    spectral = np.sqrt(((after - before) ** 2).mean(axis=0))
    e_pad = np.pad(energy, _SPAN, mode="edge")
    e_smooth = np.convolve(e_pad, kernel, mode="valid")
    slope = np.abs(e_smooth[_SPAN:_SPAN + n] - e_smooth[:n])
    curve = spectral + slope
    curve = curve / (np.median(curve) + 1e-8)
    times = np.arange(n) * hop / sr
    return times, curve


def refine_boundaries(segments: list[PhoneSegment], audio: np.ndarray, sr: int, *,
                      window: float = 0.03, prior: float = 0.02,
                      min_phone: float = 0.015) -> list[PhoneSegment]:
    """Segments with their internal boundaries moved to nearby acoustic change points."""
    if len(segments) < 2:
        return list(segments)
    times, curve = change_curve(audio, sr)
    bounds = [segments[0].start] + [s.end for s in segments]
    new = list(bounds)
    for k in range(1, len(bounds) - 1):
        b = bounds[k]
        lo = max(b - window, new[k - 1] + min_phone)
        hi = min(b + window, bounds[k + 1] - min_phone)
        if hi <= lo:
            continue
        idx = np.flatnonzero((times >= lo) & (times <= hi))
        if idx.size == 0:
            continue
        score = curve[idx] * np.exp(-0.5 * ((times[idx] - b) / prior) ** 2)
        new[k] = float(times[idx[int(np.argmax(score))]])
    return [PhoneSegment(s.phone, new[k], new[k + 1]) for k, s in enumerate(segments)]
