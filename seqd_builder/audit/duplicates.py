"""Exact and near-duplicate audio, within a corpus and across the corpora of one dataset folder.

*Exact* duplicates share the content hash (BLAKE2b) of their decoded 16 kHz samples: the same audio
under two ids, whatever container or file name it came in.

*Near* duplicates survive resampling, a gain change and trimming. Each file gets a fingerprint made
from one log-mel spectrogram (``librosa.feature.melspectrogram``, 32 bands up to 4 kHz, 25 ms frames,
10 ms hop: bands above 4 kHz are where resampling to 8 kHz and back differs):

1. a spectral summary (per-band mean and std of the log-mel over the speech frames, the per-file mean
   removed, so gain does not move it), standardised over the folder; each file's ``candidates`` nearest
   neighbours by cosine similarity are the only pairs verified, so the cost grows with N·k, not N²;
2. verification: the normalised cross-correlation (Pearson at every lag, computed with FFTs and
   cumulative sums) of the two log-energy envelopes, which finds the offset a trim introduced and is
   blind to gain; at the best lag the aligned log-mel spectrograms must correlate as well. Two takes
   of one sentence by one speaker share the words and often the melody, so the envelope alone is not
   enough; the spectrogram at the same lag is.

Thresholds are declared in :class:`.Thresholds`; the pairs found are grouped (connected components) and
every member is named with its id and source file.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import librosa
import numpy as np
from scipy.signal import correlate

from .signal import FRAME, HOP, SR
from .thresholds import Thresholds

N_MELS = 32
FMAX = 4000.0
FLOOR_DB = 60.0
"""Envelope and spectrogram values more than this under the file's maximum are clamped: digital
silence would otherwise dominate the correlation with its -100 dB frames."""

_MEL = librosa.filters.mel(sr=SR, n_fft=512, n_mels=N_MELS, fmax=FMAX)


@dataclass(frozen=True)
class Fingerprint:
    """The content hash, log-mel frames ``[T, N_MELS]``, envelope ``[T]`` (dB) and summary vector.

    The log-mel is kept as uint8 steps of 0.25 dB above the file's floor (max - 60 dB): 3.2 kB per
    second of audio instead of 12.8 as float32, and the correlation it serves ignores the offset."""

    key: str
    digest: str
    logmel: np.ndarray
    envelope: np.ndarray
    summary: np.ndarray


def content_hash(y: np.ndarray) -> str:
    return hashlib.blake2b(np.ascontiguousarray(y, dtype=np.float32).tobytes(), digest_size=16).hexdigest()


def fingerprint(key: str, y: np.ndarray, intervals: np.ndarray) -> Fingerprint:
    """The fingerprint of one file's samples; ``intervals`` are its speech intervals (samples)."""
    if len(y) < FRAME:
        y = np.pad(y, (0, FRAME - len(y)))
    spec = np.abs(librosa.stft(y, n_fft=512, hop_length=HOP, win_length=FRAME, center=False)) ** 2
    mel = _MEL @ spec                                           # [N_MELS, T]
    logmel = 10 * np.log10(mel + 1e-10)
    logmel = np.maximum(logmel, logmel.max() - FLOOR_DB)
    energy = 10 * np.log10(mel.sum(axis=0) + 1e-10)
    envelope = np.maximum(energy, energy.max() - FLOOR_DB)
    frames = np.zeros(logmel.shape[1], dtype=bool)
    for start, end in intervals:
        frames[start // HOP: max(start // HOP + 1, (end - FRAME) // HOP + 1)] = True
    speech = logmel[:, frames] if frames.any() else logmel
    centred = speech - speech.mean()
    summary = np.concatenate([centred.mean(axis=1), centred.std(axis=1)]).astype(np.float32)
    steps = np.round((logmel - (logmel.max() - FLOOR_DB)) * 4).astype(np.uint8)
    return Fingerprint(key, content_hash(y), np.ascontiguousarray(steps.T),
                       envelope.astype(np.float32), summary)


def best_lag_ncc(a: np.ndarray, b: np.ndarray, min_overlap: int) -> tuple[float, int]:
    """(max Pearson correlation, lag) of ``a[i]`` against ``b[i + lag]`` over the lags whose overlap
    has at least ``min_overlap`` frames; (-1, 0) when no lag has."""
    m, n = len(a), len(b)
    if min(m, n) < max(2, min_overlap):
        return -1.0, 0
    lags = np.arange(-(m - 1), n)
    lo = np.maximum(0, -lags)                 # overlapping part: a[lo:hi], b[lo+lag:hi+lag]
    hi = np.minimum(m, n - lags)
    cnt = hi - lo
    ok = cnt >= min_overlap
    lags, lo, hi, cnt = lags[ok], lo[ok], hi[ok], cnt[ok]
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    ca, ca2 = np.concatenate([[0], np.cumsum(a64)]), np.concatenate([[0], np.cumsum(a64 ** 2)])
    cb, cb2 = np.concatenate([[0], np.cumsum(b64)]), np.concatenate([[0], np.cumsum(b64 ** 2)])
    sab = correlate(b64, a64, mode="full", method="fft")[lags + m - 1]
    sa, sa2 = ca[hi] - ca[lo], ca2[hi] - ca2[lo]
    sb, sb2 = cb[hi + lags] - cb[lo + lags], cb2[hi + lags] - cb2[lo + lags]
    cov = sab - sa * sb / cnt
    var = np.maximum(sa2 - sa ** 2 / cnt, 0) * np.maximum(sb2 - sb ** 2 / cnt, 0)
    r = np.where(var > 1e-9, cov / np.sqrt(np.maximum(var, 1e-18)), -1.0)
    k = int(np.argmax(r))
    return float(r[k]), int(lags[k])


def spectral_correlation(a: Fingerprint, b: Fingerprint, lag: int) -> float:
    """Pearson correlation of the two log-mel spectrograms aligned at ``lag`` (gain removed)."""
    m, n = len(a.logmel), len(b.logmel)
    lo, hi = max(0, -lag), min(m, n - lag)
    if hi - lo < 2:
        return -1.0
    x = a.logmel[lo:hi].ravel().astype(np.float32)
    y = b.logmel[lo + lag:hi + lag].ravel().astype(np.float32)
    x, y = x - x.mean(), y - y.mean()
    den = float(np.sqrt((x ** 2).sum() * (y ** 2).sum()))
    return float((x * y).sum() / den) if den > 0 else -1.0


def _neighbours(summaries: np.ndarray, k: int, chunk: int = 2048) -> list[tuple[int, int]]:
    """Unordered pairs (i < j) of each row's ``k`` nearest rows by cosine, in chunks of rows."""
    z = summaries - summaries.mean(axis=0)
    z /= z.std(axis=0) + 1e-6
    z /= np.linalg.norm(z, axis=1, keepdims=True) + 1e-9
    k = min(k, len(z) - 1)
    pairs: set[tuple[int, int]] = set()
    if k <= 0:
        return []
    for start in range(0, len(z), chunk):
        sim = z[start:start + chunk] @ z.T
        rows = np.arange(sim.shape[0])
        sim[rows, rows + start] = -np.inf
        top = np.argpartition(-sim, k - 1, axis=1)[:, :k]
        for r, js in enumerate(top):
            i = r + start
            for j in js:
                pairs.add((min(i, int(j)), max(i, int(j))))
    return sorted(pairs)


def find_duplicates(prints: list[Fingerprint], thresholds: Thresholds) -> dict:
    """Exact groups (same content hash) and verified near-duplicate pairs and groups.

    Returns ``{"exact": [[key, …], …], "near": [{"a", "b", "envelope_ncc", "spectral_corr",
    "lag_s"}, …], "near_groups": [[key, …], …], "checked_pairs": int}``.
    """
    by_hash: dict[str, list[int]] = {}
    for i, fp in enumerate(prints):
        by_hash.setdefault(fp.digest, []).append(i)
    exact = [[prints[i].key for i in g] for g in by_hash.values() if len(g) > 1]
    same = {i: g[0] for g in by_hash.values() for i in g}
    near, checked = [], 0
    if len(prints) > 1:
        summaries = np.stack([fp.summary for fp in prints])
        for i, j in _neighbours(summaries, thresholds.candidates):
            if same[i] == same[j]:
                continue  # an exact duplicate, reported as such
            checked += 1
            a, b = prints[i], prints[j]
            shorter = min(len(a.envelope), len(b.envelope))
            ncc, lag = best_lag_ncc(a.envelope, b.envelope,
                                    int(np.ceil(thresholds.near_duplicate_overlap * shorter)))
            if ncc < thresholds.near_duplicate_ncc:
                continue
            spec = spectral_correlation(a, b, lag)
            if spec >= thresholds.near_duplicate_spec:
                near.append({"a": a.key, "b": b.key, "envelope_ncc": round(ncc, 4),
                             "spectral_corr": round(spec, 4), "lag_s": round(lag * HOP / SR, 3)})
    return {"exact": exact, "near": near, "near_groups": _components(near), "checked_pairs": checked}


def _components(pairs: list[dict]) -> list[list[str]]:
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for p in pairs:
        parent[root(p["a"])] = root(p["b"])
    groups: dict[str, list[str]] = {}
    for x in parent:
        groups.setdefault(root(x), []).append(x)
    return sorted(sorted(g) for g in groups.values())
