"""The settings of a published recipe that act outside the model: precision, training rows, waveforms.

EmoSphere-SER's released training (``benchmark/models/emosphere_released.yaml``) differs from our
small-machine defaults in ways the model cannot see: it runs under fp16 autocast with a GradScaler,
trains and validates only on rows whose consensus category is one of the corpus's own classes, and
crops every clip to 12 s and standardises it with the training waveforms' mean and std. This module
turns the config's ``training.mixed_precision``, ``training.train_rows`` and ``audio`` settings into an
accelerator, folds and a waveform transform, so the runner stays one code path. Every setting defaults to
what the runner did before it existed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np
import torch

from ..errors import ConfigError
from .augment import speed_perturb
from .data import TaskData, WavePrep, wave_stats
from .train import TrainConfig


def resolve_precision(requested: str, cuda: bool | None = None) -> tuple[str, list[str]]:
    """The precision to run with, and a note when it is not the requested one.

    Autocast is a CUDA feature here: on CPU a requested fp16/bf16 runs in float32 (CPU autocast exists
    for bf16 but is slower than float32 on most CPUs, and fp16 needs a GradScaler CPUs lack), and the
    results say so.
    """
    cuda = torch.cuda.is_available() if cuda is None else cuda
    if requested == "no":
        return "no", []
    if not cuda:
        return "no", [f"mixed precision {requested} requested, float32 used (no CUDA device)"]
    if requested == "bf16" and not torch.cuda.is_bf16_supported():
        raise ConfigError("training.mixed_precision bf16 needs a GPU with bfloat16 support",
                          hint="use fp16 on this GPU")
    return requested, []


def make_accelerator(train_cfg: TrainConfig, accelerator=None):
    """``(accelerator, notes)``: a new ``Accelerator`` with the config's precision, or the caller's
    (refused when its precision differs from the config's, rather than silently used)."""
    precision, notes = resolve_precision(train_cfg.mixed_precision)
    if accelerator is not None:
        if accelerator.mixed_precision != precision:
            raise ConfigError(f"the accelerator passed runs mixed precision {accelerator.mixed_precision!r}, "
                              f"the config asks for {precision!r}",
                              hint="pass no accelerator, or one made with "
                                   f"Accelerator(mixed_precision={precision!r})")
        return accelerator, notes
    from accelerate import Accelerator

    try:
        return Accelerator(mixed_precision=precision), notes
    except ValueError as exc:  # accelerate's process-wide state was set up with another precision
        raise ConfigError(f"cannot switch to mixed precision {precision!r} in this process: {exc}",
                          hint="run each precision in its own process (one `seqd bench run` each)") from exc


def restrict_rows(data: TaskData, folds: list, train_rows: str) -> list:
    """Folds whose training and validation rows keep only consensus rows (``train_rows: consensus``).

    The released label script drops rows without an 8-class consensus (MSP-Podcast's X, no agreement,
    and O, other) before training and validation; test rows are all kept, so the test set stays the
    task's and the scores compare with other runs of it.
    """
    if train_rows == "all":
        return folds
    keep = data.consensus if data.consensus is not None else np.zeros(len(data), bool)
    out = []
    for f in folds:
        train, val = f.train[keep[f.train]], f.validation[keep[f.validation]]
        if not len(train):
            raise ConfigError(f"training.train_rows: consensus keeps no training row of fold {f.name!r} "
                              f"(none of its {len(f.train)} rows has a consensus category)",
                              hint="the dataset needs its `category` column; or set train_rows: all")
        out.append(replace(f, train=train, validation=val))
    return out


def wave_prep(cfg: dict, data: TaskData, fit_rows, fine_tuned: bool, progress: bool = False) -> WavePrep:
    """The waveform transform of one fold from the config's ``audio`` section (identity without one).

    Standardisation statistics come from the fold's fitting rows only. It is refused for a frozen
    front-end, whose features are computed once for every fold, before any fold's statistics exist.
    """
    audio = cfg.get("audio") or {}
    max_seconds = audio.get("max_seconds")
    if not audio.get("standardise"):
        return WavePrep(max_seconds=max_seconds)
    if not fine_tuned:
        raise ConfigError("audio.standardise needs a fine-tuned front-end (upstream option frozen: false): "
                          "a frozen one's features are computed once for all folds",
                          hint="set audio.standardise: false, or fine-tune the upstream")
    mean, std = wave_stats(data, fit_rows, progress)
    return WavePrep(max_seconds=max_seconds, mean=mean, std=std)


def wave_source(data: TaskData, speeds: list[float], prep: WavePrep) -> Callable[[int, int], np.ndarray]:
    """``(row, speed copy) -> waveform`` for a fine-tuned front-end: speed perturbation, then ``prep``."""
    return lambda i, copy: prep(speed_perturb(data.wave(i), speeds[copy]))
