"""The interface every reference model implements, and what the runner tells a model.

A model follows scikit-learn's split: the constructor stores the spec and its hyperparameters, nothing
about the data is learned outside ``forward``. The runner calls, per batch,
``out = model(feats, lengths, augment)``, ``loss, parts = model.loss(out, batch, epoch)`` and, at
evaluation, ``model.predict(out)``. Before training it calls ``model.fit_setup(train_batches_info)`` with
the statistics that must come from training rows only (normalisation, class weights).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from ...errors import ConfigError
from .layers import InputStage


@dataclass(frozen=True)
class ModelSpec:
    """What a model needs to know about its inputs and targets."""

    dim: int
    num_layers: int
    targets: tuple[str, ...]
    classes: tuple[str, ...] = ()
    n_intensity: int = 0
    n_phones: int = 0  # including the CTC blank; 0 when the fold has no phones
    epochs: int = 1

    def __post_init__(self):
        if self.dim <= 0 or self.num_layers <= 0:
            raise ConfigError(f"invalid input shape dim={self.dim}, num_layers={self.num_layers}")


@dataclass
class TrainStats:
    """Statistics of a fold's training rows (never validation or test)."""

    mean: torch.Tensor
    std: torch.Tensor
    category: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    vad: np.ndarray = field(default_factory=lambda: np.zeros((0, 3), np.float32))
    # mean and std [2D] over the training rows of each row's frame mean and std of the normalised input
    # (augment.utterance_stats); None when the features are not frozen (fine-tuned upstream)
    utterance: tuple[torch.Tensor, torch.Tensor] | None = None
    gender: np.ndarray | None = None  # 0/1 or -1 per training row (class weights of a gender head)


class BenchModel(nn.Module):
    """Base class: input stage (normalisation + layer sum) and the runner-facing methods."""

    name = "base"
    requires: tuple[str, ...] = ()  # targets the model cannot do without
    needs_utterance_stats = False  # whether fit_setup needs TrainStats.utterance (frozen features only)

    def __init__(self, spec: ModelSpec):
        super().__init__()
        missing = [t for t in self.requires if t not in spec.targets]
        if missing:
            raise ConfigError(f"model {self.name!r} needs targets {missing}; the task has "
                              f"{list(spec.targets)}", hint="pick a task with these targets")
        self.spec = spec
        self.input = InputStage(spec.num_layers, spec.dim)

    def fit_setup(self, stats: TrainStats) -> None:
        self.input.set_stats(stats.mean, stats.std)

    def forward(self, feats: torch.Tensor, lengths: torch.Tensor, augment=None) -> dict:
        raise NotImplementedError

    def loss(self, out: dict, batch: dict, epoch: int) -> tuple[torch.Tensor, dict[str, float]]:
        raise NotImplementedError

    @torch.no_grad()
    def predict(self, out: dict) -> dict[str, np.ndarray]:
        """Numpy predictions: ``category`` (class index), ``category_prob``, ``vad``, ``intensity`` …"""
        pred = {}
        if "category" in out:
            prob = torch.softmax(out["category"].float(), dim=-1)
            pred["category_prob"] = prob.cpu().numpy()
            pred["category"] = prob.argmax(-1).cpu().numpy()
        if "vad" in out:
            pred["vad"] = out["vad"].float().cpu().numpy()
        if "gender" in out:
            pred["gender"] = out["gender"].argmax(-1).cpu().numpy()
        return pred
