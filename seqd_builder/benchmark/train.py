"""Training one fold: accelerate, AdamW, early stopping on the validation fold, safetensors checkpoints.

One code path serves CPU, one GPU and ``accelerate launch`` multi-GPU: the model, optimiser and data
loaders go through :meth:`accelerate.Accelerator.prepare`, and backward through ``accelerator.backward``.
Seeds are fixed with :func:`accelerate.utils.set_seed` (Python, NumPy, torch) at the start of every fold
and the shuffling generator is seeded, so the same seed gives the same numbers on CPU.

Gradient accumulation (``grad_accum`` micro-batches of ``batch_size`` per optimiser step) goes through
``accelerator.accumulate``: the loss of each micro-batch (a batch CCC, for a CCC loss) is divided by
``grad_accum`` and the optimiser steps every ``grad_accum`` micro-batches and at the end of the epoch,
as EmoSphere-SER's released loop does. Mixed precision is the accelerator's (``accelerator.autocast``
around the front-end and the model; the GradScaler for fp16 sits in ``accelerator.backward``). A
fine-tuned front-end is switched to train mode for training steps and to eval mode for validation and
test, with the model.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from tqdm.auto import tqdm

from ..errors import ConfigError
from .augment import SpecAugment
from .data import collate

MIXED_PRECISION = ("no", "fp16", "bf16")
TRAIN_ROWS = ("all", "consensus")


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 30
    batch_size: int = 16
    eval_batch_size: int = 32
    lr: float = 1e-3
    upstream_lr: float = 5e-5
    weight_decay: float = 1e-2
    patience: int | None = 8  # None: no early stopping (all epochs run, the best one is still kept)
    grad_clip: float = 5.0  # 0: no clipping
    seed: int = 0
    min_epochs: int = 1
    refit: bool = False
    # the settings below exist for the published recipes (benchmark/models/emosphere_released.yaml);
    # their defaults are the behaviour every earlier result was produced with
    grad_accum: int = 1  # micro-batches of batch_size per optimiser step
    mixed_precision: str = "no"  # "no" | "fp16" | "bf16"; autocast on CUDA only (recipe.resolve_precision)
    train_rows: str = "all"  # "all" | "consensus": fitting and validation rows with a consensus category
    clip_test: bool = False  # VAD test predictions clipped to the task scale [0, 1]

    def __post_init__(self):
        if int(self.grad_accum) < 1:
            raise ConfigError(f"training.grad_accum must be >= 1, got {self.grad_accum}")
        if self.mixed_precision not in MIXED_PRECISION:
            raise ConfigError(f"training.mixed_precision {self.mixed_precision!r} is not one of "
                              f"{list(MIXED_PRECISION)}")
        if self.train_rows not in TRAIN_ROWS:
            raise ConfigError(f"training.train_rows {self.train_rows!r} is not one of {list(TRAIN_ROWS)}")
        if self.patience is not None and int(self.patience) < 1:
            raise ConfigError(f"training.patience must be >= 1 or null (no early stopping), "
                              f"got {self.patience}")


@dataclass
class FoldOutcome:
    best_epoch: int
    epochs: int
    history: list[dict] = field(default_factory=list)
    state: dict | None = None


def make_loader(dataset, batch_size: int, shuffle: bool, seed: int, epoch: int = 0):
    g = torch.Generator()
    g.manual_seed(seed * 1000 + epoch)
    return torch.utils.data.DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, generator=g,
                                       collate_fn=collate, num_workers=0)


def run_batches(model, loader, accelerator, *, train: bool, epoch: int, optimizer=None,
                augment: SpecAugment | None = None, grad_clip: float = 0.0, feats_fn=None,
                generator: torch.Generator | None = None, progress=None,
                upstream: torch.nn.Module | None = None):
    """One pass over ``loader``; returns (mean loss parts, collected predictions).

    ``upstream`` (a fine-tuned front-end's module) is put in the same mode as the model: its dropout,
    LayerDrop and time masking act in training steps only.
    """
    model.train(train)
    if upstream is not None:
        upstream.train(train)
    sums: dict[str, float] = {}
    n = 0
    preds: list[tuple[np.ndarray, dict]] = []
    aug = (lambda x, lengths: augment(x, lengths, generator)) if (train and augment) else None
    core = accelerator.unwrap_model(model)
    clipped = (list(model.parameters()) + (list(upstream.parameters()) if upstream is not None else [])
               if train and grad_clip else [])
    for batch in loader:
        batch = to_device(batch, accelerator.device)
        # one micro-batch: its loss is divided by grad_accum in backward, and the prepared optimiser
        # steps and clears only when accelerate syncs (every grad_accum batches and at the epoch's end);
        # the forward pass is inside too, where DDP decides whether to reduce gradients
        with accelerator.accumulate(model) if train else contextlib.nullcontext():
            with torch.set_grad_enabled(train), accelerator.autocast():
                feats, lengths = (feats_fn(batch) if feats_fn is not None
                                  else (batch["feats"], batch["lengths"]))
                out = model(feats, lengths, aug)
            with torch.set_grad_enabled(train):  # the loss in float32, outside autocast
                loss, parts = core.loss(out, batch, epoch)
            if train:
                accelerator.backward(loss)
                if grad_clip and accelerator.sync_gradients:
                    accelerator.clip_grad_norm_(clipped, grad_clip)
                optimizer.step()
                optimizer.zero_grad(set_to_none=True)
            else:
                preds.append((batch["index"].cpu().numpy(), core.predict(out)))
        for k, v in parts.items():
            sums[k] = sums.get(k, 0.0) + v
        n += 1
        if progress is not None:
            progress.update(1)
    return {k: v / max(n, 1) for k, v in sums.items()}, preds


def to_device(batch: dict, device) -> dict:
    return {k: (v.to(device, non_blocking=True) if isinstance(v, torch.Tensor) else v)
            for k, v in batch.items()}


def train_fold(model, train_ds, val_ds, cfg: TrainConfig, accelerator, *,
               score: Callable[[list], float], augment: SpecAugment | None = None,
               upstream: torch.nn.Module | None = None, feats_fn=None, desc: str = "",
               progress: bool = True) -> FoldOutcome:
    """Train with early stopping on ``score(val_predictions)`` (higher is better).

    Without validation rows the model trains for ``cfg.epochs`` and the last epoch is kept; with
    ``cfg.patience=None`` every epoch runs and the best validation epoch is kept.
    ``upstream`` (a fine-tuned front-end's module) trains with ``cfg.upstream_lr`` (its parameters that
    require gradients: a frozen CNN feature encoder stays out of the optimiser).
    """
    groups = [{"params": [p for p in model.parameters() if p.requires_grad], "lr": cfg.lr}]
    if upstream is not None:
        groups.append({"params": [p for p in upstream.parameters() if p.requires_grad],
                       "lr": cfg.upstream_lr})
    optimizer = torch.optim.AdamW(groups, weight_decay=cfg.weight_decay)
    accelerator.gradient_accumulation_steps = int(cfg.grad_accum)  # a caller's accelerator too
    model, optimizer = accelerator.prepare(model, optimizer)
    gen = torch.Generator()
    gen.manual_seed(cfg.seed)
    outcome = FoldOutcome(best_epoch=-1, epochs=0)
    best, bad = -np.inf, 0
    steps = (len(train_ds) + cfg.batch_size - 1) // cfg.batch_size
    bar = tqdm(total=cfg.epochs * steps, desc=desc or "training", unit="batch", leave=False,
               disable=not progress or not accelerator.is_local_main_process)
    for epoch in range(cfg.epochs):
        train_ds.set_epoch(epoch)
        loader = accelerator.prepare(make_loader(train_ds, cfg.batch_size, True, cfg.seed, epoch))
        losses, _ = run_batches(model, loader, accelerator, train=True, epoch=epoch, optimizer=optimizer,
                                augment=augment, grad_clip=cfg.grad_clip, feats_fn=feats_fn,
                                generator=gen, progress=bar, upstream=upstream)
        record = {"epoch": epoch, **{f"train_{k}": v for k, v in losses.items()}}
        outcome.epochs = epoch + 1
        if val_ds is not None and len(val_ds):
            # evaluation loaders are not sharded: every process scores the whole validation set
            vloader = make_loader(val_ds, cfg.eval_batch_size, False, cfg.seed)
            _, preds = run_batches(model, vloader, accelerator, train=False, epoch=epoch, feats_fn=feats_fn,
                                   upstream=upstream)
            value = score(preds)
            record["validation"] = value
            if value > best:
                best, bad = value, 0
                outcome.best_epoch = epoch
                outcome.state = {k: v.detach().cpu().clone() for k, v in accelerator.unwrap_model(model).state_dict().items()}
            else:
                bad += 1
            bar.set_postfix(val=f"{value:.3f}", best=f"{best:.3f}")
        outcome.history.append(record)
        if (val_ds is not None and len(val_ds) and cfg.patience is not None and bad >= cfg.patience
                and epoch + 1 >= cfg.min_epochs):
            break
    bar.close()
    if outcome.state is None:
        outcome.best_epoch = outcome.epochs - 1
        outcome.state = {k: v.detach().cpu().clone() for k, v in accelerator.unwrap_model(model).state_dict().items()}
    accelerator.unwrap_model(model).load_state_dict(outcome.state)
    return outcome


def predict(model, dataset, cfg: TrainConfig, accelerator, feats_fn=None,
            upstream: torch.nn.Module | None = None) -> list:
    loader = make_loader(dataset, cfg.eval_batch_size, False, cfg.seed)
    _, preds = run_batches(model, loader, accelerator, train=False, epoch=cfg.epochs, feats_fn=feats_fn,
                           upstream=upstream)
    return preds
