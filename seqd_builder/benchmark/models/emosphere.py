"""EmoSphere-SER (Cho et al., Interspeech 2025; official code Choddeok/EmoSphereSER).

* **Style pooling** (the released ``MelStyleEncoder``): spectral MLP (Linear → Mish → Dropout, twice),
  temporal processing by two residual gated-convolution (Conv1d + GLU) blocks, multi-head
  self-attention with a key padding mask, a linear layer and the temporal mean over valid frames.
* **VAD regression** head (the released ``EmotionRegression``: input dropout, Linear → LayerNorm → ReLU →
  Dropout, Linear to 3), trained with ``sum over A/V/D of (1 − CCC)``.
* **Auxiliary spherical-region classification**: VAD is centred on the scale midpoint and mapped to
  [-1, 1]; ``r = |(a, v, d)|``, ``θ = arccos(v / r)``, ``φ = atan2(d, a)``. By default the classes are the
  eight octants (numbered as in the released label script: I = (+a, +v, +d), II = (−a, +v, +d),
  III = (−a, −v, +d), IV = (+a, −v, +d), V–VIII the same with −d; a coordinate of exactly 0 counts as
  positive, as there). ``region_bins: [n_theta, n_phi]`` selects equal angular bins of θ ∈ [0, π] and
  φ ∈ [−π, π] instead. The weighted cross-entropy uses inverse class frequencies of the training rows
  (``N / (K n_c)``, 0 for absent classes, as released).
* **Dynamic weight**: the auxiliary loss weight of epochs 0-4 is 1.0, 0.802, 0.604, 0.406, 0.208
  (the released ``1 - (epoch / 5) * (1 - 0.01)``: ``aux_start`` 1, ``aux_floor`` 0.01, the value the line
  would reach at epoch 5 and never used, ``aux_decay_epochs`` 5); from epoch 5 on the released loop
  drops the auxiliary loss (``aux_after: 0``).
* **Targets**: the released label script scales the 1-7 ratings to ``(x - 1) / 6`` for training and
  maps predictions back with ``6 y + 1``, clipped to [1, 7], at test. That is the unified [0, 1] scale of
  our datasets, so the regression is the same; ``training.clip_test`` clips test predictions to [0, 1].
* ``region_bins`` is **our extension**: the released loaders also read 33-, 73-, 19- and 4-class region
  labels, but the script that makes them is not published, so equal angular bins stand in for them.

The released recipe as a whole (WavLM-large fine-tuned, widths 1024, lr 1e-5, batches of 64 as 4
accumulated micro-batches, fp16 autocast, 20 epochs, consensus rows, 12 s crops standardised with the
training waveforms' statistics) is ``benchmark/models/emosphere_released.yaml``; ``emosphere.yaml``
is our small-machine configuration of the same model.

Where the released code is wrong, this one does it right: (1) its evaluation script never loads the
trained pooling weights (``pool_model`` stays randomly initialised) and loads ``final_*.pt`` files the
training script never writes; here the whole model is one module saved and restored as one safetensors
file. (2) Its pooling derives frame masks from waveform lengths assuming a 20 ms hop and lets padded
frames leak into valid ones through the convolutions; here masks come from the front-end's frame
lengths and padded frames are zeroed before every convolution, so outputs are invariant to padding.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ...errors import ConfigError
from . import register
from .base import BenchModel, ModelSpec, TrainStats
from .layers import aux_weight, ccc_loss, inverse_frequency, masked_ce

OCTANTS = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII")


# --- spherical regions -----------------------------------------------------------------------------

def to_centred(vad: np.ndarray, low: float = 0.0, high: float = 1.0) -> np.ndarray:
    """VAD on the scale [low, high] (the unified [0, 1] by default) mapped to [-1, 1] around its midpoint."""
    vad = np.asarray(vad, dtype=np.float64)
    return 2.0 * (vad - low) / (high - low) - 1.0


def spherical(avd: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(r, θ, φ)`` of centred ``[N, 3]`` points in (arousal, valence, dominance) order.

    θ = arccos(v / r) ∈ [0, π] is measured from the valence axis; φ = atan2(d, a) ∈ [−π, π]. At the origin
    (r = 0) the angles are undefined and set to θ = π/2, φ = 0.
    """
    a, v, d = avd[:, 0], avd[:, 1], avd[:, 2]
    r = np.sqrt(a * a + v * v + d * d)
    with np.errstate(invalid="ignore", divide="ignore"):
        theta = np.where(r > 0, np.arccos(np.clip(v / np.where(r > 0, r, 1), -1, 1)), math.pi / 2)
    phi = np.where(r > 0, np.arctan2(d, a), 0.0)
    return r, theta, phi


def octant(avd: np.ndarray) -> np.ndarray:
    """Octant index 0..7 (I..VIII) of centred points; 0 counts as positive (released convention)."""
    a, v, d = avd[:, 0] >= 0, avd[:, 1] >= 0, avd[:, 2] >= 0
    quadrant = np.select([a & v, ~a & v, ~a & ~v, a & ~v], [0, 1, 2, 3])
    return quadrant + 4 * (~d)


def angular_bin(avd: np.ndarray, n_theta: int, n_phi: int) -> np.ndarray:
    """Equal-angle bins: ``θ_bin * n_phi + φ_bin``; ``n_theta * n_phi`` classes."""
    _, theta, phi = spherical(avd)
    tb = np.minimum((theta / math.pi * n_theta).astype(int), n_theta - 1)
    pb = np.minimum(((phi + math.pi) / (2 * math.pi) * n_phi).astype(int), n_phi - 1)
    return tb * n_phi + pb


def region_labels(vad01: np.ndarray, bins: tuple[int, int] | None = None) -> np.ndarray:
    """Region class of unified [0, 1] VAD rows (arousal, valence, dominance); -1 where VAD is missing."""
    vad01 = np.asarray(vad01, dtype=np.float64).reshape(-1, 3)
    missing = np.isnan(vad01).any(axis=1)
    avd = to_centred(np.nan_to_num(vad01, nan=0.5))
    labels = octant(avd) if bins is None else angular_bin(avd, *bins)
    return np.where(missing, -1, labels)


# --- style pooling ---------------------------------------------------------------------------------

class Mish(nn.Module):
    def forward(self, x):
        return x * torch.tanh(F.softplus(x))


class GatedConv(nn.Module):
    """Residual Conv1d + GLU block; padded frames are zeroed before the convolution."""

    def __init__(self, dim: int, kernel: int, dropout: float):
        super().__init__()
        if kernel % 2 != 1:
            raise ConfigError(f"kernel must be odd, got {kernel}")
        self.conv = nn.Conv1d(dim, 2 * dim, kernel, padding=kernel // 2)
        self.drop = nn.Dropout(dropout)

    def forward(self, x, mask):  # x [B, T, C]
        h = self.conv((x * mask[..., None]).transpose(1, 2)).transpose(1, 2)
        a, b = h.chunk(2, dim=-1)
        return x + self.drop(a * torch.sigmoid(b))


class SelfAttention(nn.Module):
    """Multi-head self-attention with residual; padded keys get −inf scores."""

    def __init__(self, dim: int, heads: int, dropout: float):
        super().__init__()
        if dim % heads:
            raise ConfigError(f"hidden size {dim} is not divisible by {heads} heads")
        self.heads, self.dk = heads, dim // heads
        self.q, self.k, self.v = nn.Linear(dim, dim), nn.Linear(dim, dim), nn.Linear(dim, dim)
        self.fc = nn.Linear(dim, dim)
        self.attn_drop, self.drop = nn.Dropout(dropout), nn.Dropout(dropout)
        self.temperature = math.sqrt(dim)  # released: sqrt(d_model), not sqrt(d_k)

    def forward(self, x, mask):
        B, T, _ = x.shape
        split = (lambda t: t.view(B, T, self.heads, self.dk).transpose(1, 2))
        q, k, v = split(self.q(x)), split(self.k(x)), split(self.v(x))
        # torch's fused kernel computes softmax(q k^T * scale + mask) v with dropout on the weights,
        # the released module's arithmetic, without materialising the T x T scores in Python
        out = F.scaled_dot_product_attention(
            q, k, v, attn_mask=mask[:, None, None, :], scale=1.0 / self.temperature,
            dropout_p=self.attn_drop.p if self.training else 0.0)
        out = out.transpose(1, 2).reshape(B, T, -1)
        return self.drop(self.fc(out)) + x


class StylePooling(nn.Module):
    def __init__(self, in_dim: int, hidden: int, out_dim: int, kernel: int = 5, heads: int = 2,
                 dropout: float = 0.1):
        super().__init__()
        self.spectral = nn.Sequential(nn.Linear(in_dim, hidden), Mish(), nn.Dropout(dropout),
                                      nn.Linear(hidden, hidden), Mish(), nn.Dropout(dropout))
        self.temporal = nn.ModuleList([GatedConv(hidden, kernel, dropout), GatedConv(hidden, kernel, dropout)])
        self.attn = SelfAttention(hidden, heads, dropout)
        self.fc = nn.Linear(hidden, out_dim)

    def forward(self, x, mask):
        x = self.spectral(x)
        for block in self.temporal:
            x = block(x, mask)
        x = x * mask[..., None]
        x = self.fc(self.attn(x, mask))
        m = mask[..., None].to(x.dtype)
        return (x * m).sum(1) / m.sum(1).clamp_min(1)  # masked temporal mean


class RegressionHead(nn.Module):
    """The released ``EmotionRegression``: input dropout, [Linear, LayerNorm, ReLU, Dropout] × n, Linear."""

    def __init__(self, in_dim: int, hidden: int, out_dim: int, layers: int = 1, dropout: float = 0.5):
        super().__init__()
        mods, d = [nn.Dropout(dropout)], in_dim
        for _ in range(layers):
            mods += [nn.Linear(d, hidden), nn.LayerNorm(hidden), nn.ReLU(), nn.Dropout(dropout)]
            d = hidden
        mods.append(nn.Linear(d, out_dim))
        self.net = nn.Sequential(*mods)

    def forward(self, x):
        return self.net(x)


@register("emosphere")
class EmoSphereSER(BenchModel):
    name = "emosphere"
    requires = ("vad",)

    def __init__(self, spec: ModelSpec, hidden: int = 256, out_dim: int = 256, kernel: int = 5,
                 heads: int = 2, dropout: float = 0.1, head_hidden: int = 256, head_dropout: float = 0.5,
                 aux: bool = True, region_bins: list[int] | None = None, aux_start: float = 1.0,
                 aux_floor: float = 0.01, aux_decay_epochs: int = 5, aux_after: float = 0.0):
        super().__init__(spec)
        self.bins = tuple(region_bins) if region_bins else None
        if self.bins is not None and (len(self.bins) != 2 or min(self.bins) < 1):
            raise ConfigError(f"region_bins must be [n_theta, n_phi] >= 1, got {region_bins}")
        self.n_regions = len(OCTANTS) if self.bins is None else self.bins[0] * self.bins[1]
        self.aux = aux
        self.schedule = dict(start=aux_start, floor=aux_floor, decay_epochs=aux_decay_epochs,
                             after=aux_after)
        self.pool = StylePooling(spec.dim, hidden, out_dim, kernel, heads, dropout)
        self.vad = RegressionHead(out_dim, head_hidden, 3, dropout=head_dropout)
        self.region = RegressionHead(out_dim, head_hidden, self.n_regions, dropout=head_dropout) if aux else None
        self.register_buffer("region_weight", torch.ones(self.n_regions))

    def fit_setup(self, stats: TrainStats) -> None:
        super().fit_setup(stats)
        labels = region_labels(stats.vad, self.bins)
        self.region_weight.copy_(inverse_frequency(labels, self.n_regions))

    def forward(self, feats, lengths, augment=None) -> dict:
        x, mask = self.input(feats, lengths, augment)
        h = self.pool(x, mask)
        out = {"vad": self.vad(h)}  # unbounded regression, as released (CCC is the objective)
        if self.region is not None:
            out["region"] = self.region(h)
        return out

    def loss(self, out, batch, epoch):
        parts = {"vad": ccc_loss(out["vad"], batch["vad"])}
        total = parts["vad"]
        w = aux_weight(epoch, **self.schedule)
        if "region" in out and w > 0:
            target = torch.as_tensor(region_labels(batch["vad"].cpu().numpy(), self.bins),
                                     device=out["region"].device)
            parts["region"] = masked_ce(out["region"], target, self.region_weight)
            total = total + w * parts["region"]
        return total, {k: float(v.detach()) for k, v in parts.items()}
