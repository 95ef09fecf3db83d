"""Building blocks shared by the reference models: input stage, masking, pooling, losses."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..data import lengths_to_mask


class LayerSum(nn.Module):
    """Learned softmax-weighted sum over an upstream's ``L`` layers (SUPERB's weighted sum).

    With one layer (fbank) it is the identity and has no effect on training.
    """

    def __init__(self, num_layers: int):
        super().__init__()
        self.weights = nn.Parameter(torch.zeros(num_layers))

    def forward(self, feats: torch.Tensor) -> torch.Tensor:  # [B, L, T, D] -> [B, T, D]
        if feats.shape[1] == 1:
            return feats[:, 0]
        w = torch.softmax(self.weights, dim=0)
        return torch.einsum("l,bltd->btd", w, feats)


class InputStage(nn.Module):
    """Per-fold normalisation (buffers set from training rows) followed by the layer sum."""

    def __init__(self, num_layers: int, dim: int):
        super().__init__()
        self.register_buffer("mean", torch.zeros(num_layers, dim))
        self.register_buffer("std", torch.ones(num_layers, dim))
        self.layers = LayerSum(num_layers)

    def set_stats(self, mean: torch.Tensor, std: torch.Tensor) -> None:
        self.mean.copy_(mean)
        self.std.copy_(std)

    def normalise(self, feats: torch.Tensor) -> torch.Tensor:
        return (feats - self.mean[None, :, None]) / self.std[None, :, None]

    def forward(self, feats: torch.Tensor, lengths: torch.Tensor,
                augment=None) -> tuple[torch.Tensor, torch.Tensor]:
        """``[B, T, D]`` features (padding zeroed) and the ``[B, T]`` validity mask."""
        x = self.normalise(feats)
        if augment is not None:
            x = augment(x, lengths)
        x = self.layers(x)
        mask = lengths_to_mask(lengths, x.shape[1])
        return x * mask[..., None], mask


def masked_mean(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean over valid frames of ``x`` ``[B, T, D]``."""
    m = mask[..., None].to(x.dtype)
    return (x * m).sum(1) / m.sum(1).clamp_min(1)


def masked_stats(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean and (population) standard deviation over valid frames, concatenated: ``[B, 2D]``."""
    mu = masked_mean(x, mask)
    var = masked_mean((x - mu[:, None]) ** 2, mask)
    return torch.cat([mu, var.clamp_min(1e-5).sqrt()], dim=-1)


class AttentiveStatsPool(nn.Module):
    """Attentive statistics pooling (Okabe et al. 2018): attention-weighted mean and std."""

    def __init__(self, dim: int, hidden: int = 128):
        super().__init__()
        self.score = nn.Sequential(nn.Linear(dim, hidden), nn.Tanh(), nn.Linear(hidden, 1))

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        s = self.score(x).squeeze(-1).masked_fill(~mask, float("-inf"))
        w = torch.softmax(s, dim=1)[..., None]
        mu = (w * x).sum(1)
        sd = ((w * x * x).sum(1) - mu * mu).clamp_min(1e-5).sqrt()
        return torch.cat([mu, sd], dim=-1)


def ccc_per_dim(pred: torch.Tensor, target: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """Batch CCC per column (population moments), differentiable; ``[N, K] -> [K]``."""
    mp, mt = pred.mean(0), target.mean(0)
    vp, vt = pred.var(0, unbiased=False), target.var(0, unbiased=False)
    cov = ((pred - mp) * (target - mt)).mean(0)
    return 2 * cov / (vp + vt + (mp - mt) ** 2 + eps)


def ccc_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Sum over dimensions of ``1 - CCC`` on rows where the target is present (EmoSphere-SER's loss)."""
    ok = ~torch.isnan(target).any(dim=1)
    if ok.sum() < 2:
        return pred.sum() * 0.0
    return (1.0 - ccc_per_dim(pred[ok], target[ok])).sum()


def masked_ce(logits: torch.Tensor, target: torch.Tensor, weight: torch.Tensor | None = None,
              label_smoothing: float = 0.0) -> torch.Tensor:
    """Cross-entropy over rows whose target is not -1 (0 when none is)."""
    ok = target >= 0
    if not ok.any():
        return logits.sum() * 0.0
    return F.cross_entropy(logits[ok], target[ok], weight=weight, label_smoothing=label_smoothing)


def inverse_frequency(labels, n_classes: int) -> torch.Tensor:
    """``N / (K n_c)`` per class over the given labels (ignoring -1); 0 for absent classes."""
    labels = torch.as_tensor(labels)
    labels = labels[labels >= 0]
    counts = torch.bincount(labels, minlength=n_classes).float()
    w = labels.numel() / (n_classes * counts)
    w[counts == 0] = 0.0
    return w


def aux_weight(epoch: int, start: float = 1.0, floor: float = 0.01, decay_epochs: int = 5,
               after: float = 0.0) -> float:
    """The dynamic auxiliary weight of epoch ``epoch`` (0-based), as in EmoSphere-SER's released loop.

    ``start - (epoch / decay_epochs) * (start - floor)`` while ``epoch < decay_epochs``, then ``after``.
    With the released values (1, 0.01, 5, 0) that is 1.0, 0.802, 0.604, 0.406, 0.208, then 0: ``floor``
    is where the line would reach at epoch ``decay_epochs``, a value never used, since from that epoch
    on the weight is ``after`` (the released loop drops the auxiliary loss). ``decay_epochs=0, after=1``
    is a constant weight. Our SpeechEQ-style model can apply it to its auxiliary heads
    (``aux_schedule``), which is off by default: its configs use constant weights.
    """
    if epoch < decay_epochs:
        return start - (epoch / decay_epochs) * (start - floor)
    return after


class _GradScale(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, scale):
        ctx.scale = scale
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.scale, None


def grad_scale(x: torch.Tensor, scale: float) -> torch.Tensor:
    """``x`` in the forward pass; its gradient multiplied by ``scale`` in the backward pass.

    ``scale=1`` is a no-op and ``0`` a stop-gradient: a head reading ``grad_scale(h, s)`` still learns at
    the full rate, while only a fraction ``s`` of its gradient reaches the shared layers below ``h``.
    """
    if scale == 1.0:
        return x
    if scale == 0.0:
        return x.detach()
    return _GradScale.apply(x, float(scale))
