"""Augmentation and normalisation for small SER corpora.

* Speed perturbation (Ko et al. 2015, Kaldi's ``perturb_data_dir_speed``): a waveform is read as if
  sampled at ``factor × 16 kHz`` and resampled to 16 kHz with soxr, which changes tempo and pitch
  together. For a frozen front-end each factor's features are computed once per run; each training item
  draws one copy per epoch.
* SpecAugment (Park et al. 2019) time and feature masking on the normalised features, written with
  torch ops (no torchaudio): masked cells are set to 0, the training mean after normalisation. Masks stay
  inside each item's valid frames.
* Per-fold feature normalisation: mean and standard deviation per layer and feature dimension over the
  frames of the fold's *training* rows only, stored in the model as buffers so a checkpoint carries them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import soxr
import torch

from ..errors import ConfigError
from ..schema import SAMPLING_RATE


def speed_perturb(wave: np.ndarray, factor: float) -> np.ndarray:
    """``wave`` played ``factor`` times faster (shorter for factor > 1), pitch shifted with it."""
    if factor == 1.0:
        return wave
    if not 0.5 <= factor <= 2.0:
        raise ConfigError(f"speed factor {factor} out of range; valid: [0.5, 2.0]")
    return soxr.resample(wave, SAMPLING_RATE * factor, SAMPLING_RATE).astype(np.float32)


@dataclass(frozen=True)
class SpecAugment:
    """Time and feature masking; widths are maxima, drawn uniformly per mask."""

    time_masks: int = 2
    time_width: float = 0.05  # fraction of the item's valid frames
    freq_masks: int = 2
    freq_width: int = 8  # feature dimensions

    def __post_init__(self):
        if self.time_masks < 0 or self.freq_masks < 0 or not 0 <= self.time_width <= 0.5:
            raise ConfigError(f"invalid SpecAugment settings {self}; masks >= 0, time_width in [0, 0.5]")

    def __call__(self, feats: torch.Tensor, lengths: torch.Tensor,
                 generator: torch.Generator | None = None) -> torch.Tensor:
        """Masked copy of ``feats`` ``[B, L, T, D]``; the same mask applies to every layer."""
        B, _, T, D = feats.shape
        keep = torch.ones(B, T, D, dtype=torch.bool)
        frames = torch.arange(T)
        dims = torch.arange(D)
        for b in range(B):
            n = int(lengths[b])
            wmax = max(1, int(self.time_width * n))
            for _ in range(self.time_masks):
                w = int(torch.randint(0, wmax + 1, (1,), generator=generator))
                t0 = int(torch.randint(0, max(1, n - w + 1), (1,), generator=generator))
                keep[b] &= ~((frames >= t0) & (frames < t0 + w))[:, None]
            for _ in range(self.freq_masks):
                w = int(torch.randint(0, min(self.freq_width, D) + 1, (1,), generator=generator))
                f0 = int(torch.randint(0, max(1, D - w + 1), (1,), generator=generator))
                keep[b] &= ~((dims >= f0) & (dims < f0 + w))[None, :]
        return feats * keep[:, None].to(feats.device, feats.dtype)


def feature_stats(features: list[torch.Tensor], indices) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and std ``[L, D]`` over all frames of the rows ``indices`` (training rows only)."""
    total, total_sq, count = None, None, 0
    for i in indices:
        f = features[int(i)].double()  # [L, T, D]
        s, sq = f.sum(dim=1), (f * f).sum(dim=1)
        total = s if total is None else total + s
        total_sq = sq if total_sq is None else total_sq + sq
        count += f.shape[1]
    mean = total / count
    var = (total_sq / count - mean * mean).clamp_min(0)
    return mean.float(), var.sqrt().clamp_min(1e-5).float()


def utterance_stats(features: list[torch.Tensor], indices, mean: torch.Tensor,
                    std: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and std ``[2D]``, over the rows ``indices``, of each row's frame mean and std of the input.

    The input is what a model's input stage gives: frames normalised with ``mean`` and ``std`` ``[L, D]``,
    then averaged over the ``L`` layers (the learned layer sum starts uniform, so this is exact for one
    layer and at initialisation). A model standardises its utterance statistics with these before a
    linear head, as scikit-learn's ``StandardScaler`` does before the pooled-feature peers: frame
    normalisation alone leaves the per-utterance means a fraction of a unit wide and the stds all near 1.
    """
    from .models.layers import masked_stats  # the model's own formula, so the two cannot drift apart

    mean64, std64 = mean.double()[:, None], std.double()[:, None]
    rows = []
    for i in indices:
        x = ((features[int(i)].double() - mean64) / std64).mean(dim=0)[None]  # [1, T, D]
        rows.append(masked_stats(x, torch.ones(x.shape[:2], dtype=torch.bool))[0])
    per_row = torch.stack(rows)
    return per_row.mean(dim=0).float(), per_row.std(dim=0, unbiased=False).clamp_min(1e-5).float()
