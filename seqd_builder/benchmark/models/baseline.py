"""Baseline: masked mean pooling over frames and one linear layer per target (category, VAD)."""

from __future__ import annotations

import torch
from torch import nn

from ...errors import ConfigError
from . import register
from .base import BenchModel, ModelSpec
from .layers import ccc_loss, masked_ce, masked_mean


@register("baseline")
class Baseline(BenchModel):
    name = "baseline"

    def __init__(self, spec: ModelSpec, dropout: float = 0.0):
        super().__init__(spec)
        if "category" not in spec.targets and "vad" not in spec.targets:
            raise ConfigError(f"baseline needs a category or vad target; the task has {list(spec.targets)}")
        self.dropout = nn.Dropout(dropout)
        self.category = nn.Linear(spec.dim, len(spec.classes)) if "category" in spec.targets else None
        self.vad = nn.Linear(spec.dim, 3) if "vad" in spec.targets else None

    def forward(self, feats, lengths, augment=None) -> dict:
        x, mask = self.input(feats, lengths, augment)
        h = self.dropout(masked_mean(x, mask))
        out = {}
        if self.category is not None:
            out["category"] = self.category(h)
        if self.vad is not None:
            out["vad"] = torch.sigmoid(self.vad(h))
        return out

    def loss(self, out, batch, epoch):
        parts = {}
        if "category" in out:
            parts["category"] = masked_ce(out["category"], batch["category"])
        if "vad" in out:
            parts["vad"] = ccc_loss(out["vad"], batch["vad"])
        total = sum(parts.values())
        return total, {k: float(v.detach()) for k, v in parts.items()}
