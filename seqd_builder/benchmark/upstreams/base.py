"""The upstream (front-end) interface every reference model consumes.

An upstream turns raw 16 kHz mono waveforms into frame features. It returns *all* its layers
(``[B, L, T, D]``) so that a downstream model can learn a weighted sum of layers (SUPERB-style) or take
the last one; ``lengths`` gives each utterance's real frame count, because batches are padded.

Frozen upstreams are pure functions of the audio and may be cached to disk (``cacheable``); a
fine-tuned one exposes its weights through :attr:`Upstream.module` so that the trainer can hand them
to its optimiser. ``parameters`` counts the upstream's weights (``None`` where the format does not say).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from ...audio import SAMPLING_RATE
from ...errors import AudioError



class Upstream:
    """The one upstream type: what the runner needs from a front-end, and the base of every built-in.

    ``forward`` takes 16 kHz float32 mono waveforms and returns ``(feats, lengths)``: ``feats`` is a
    float tensor ``[B, L, T, D]`` (``L = num_layers`` hidden layers, ``T`` frames padded to the longest
    item, ``D = dim``) and ``lengths`` a long tensor ``[B]`` of valid frames per item. Frames past an
    item's length may hold anything: the runner masks them.

    ``frozen`` upstreams are run once per run (and per speed-perturbed copy) and their features reused
    by every fold and epoch; ``cacheable`` says their features may also be stored on disk across runs
    (``get_upstream(spec, cache=True)`` returns a caching wrapper whose ``forward(waves, ids=...)`` keys
    by utterance id and audio checksum; the runner passes ids when ``forward`` accepts them). A
    fine-tuned upstream (``frozen = False``) exposes its weights as :attr:`module`, or is a
    ``torch.nn.Module`` itself: the runner trains them with the model's.

    Subclasses set the attributes in ``__init__``, implement :meth:`_forward`, and register with
    ``@seqd_builder.benchmark.upstreams.register("<kind>")``, declaring ``spec_syntax`` and
    ``spec_argument``. Objects that follow this contract without subclassing it are accepted too
    (:func:`seqd_builder.benchmark.frontend.check_upstream` checks them).
    """

    name: str
    dim: int
    frozen: bool = True
    num_layers: int = 1
    parameters: int | None = None
    cacheable: bool = True
    #: frames per second of the output (for logs and CTC sanity checks)
    frame_rate: float = 100.0

    def __init__(self) -> None:
        self.device = torch.device("cpu")

    # --- what subclasses provide ---------------------------------------------------------------------

    def config(self) -> dict[str, Any]:
        """Everything that changes the features; hashed into the cache key."""
        return {"name": self.name}

    def _forward(self, waves: list[np.ndarray]) -> tuple[torch.Tensor, torch.Tensor]:
        raise NotImplementedError

    # --- shared behaviour ---------------------------------------------------------------------------

    @property
    def module(self) -> torch.nn.Module | None:
        """The trainable ``torch.nn.Module`` behind this upstream, or ``None`` (frozen or no weights)."""
        return None

    def to(self, device: str | torch.device) -> Upstream:
        self.device = torch.device(device)
        return self

    def config_hash(self) -> str:
        blob = json.dumps(self.config(), sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()[:16]

    def forward(self, waves: Sequence[np.ndarray]) -> tuple[torch.Tensor, torch.Tensor]:
        """Features ``[B, L, T, D]`` (zero-padded in time) and frame counts ``[B]``."""
        checked = [check_wave(w, i) for i, w in enumerate(waves)]
        if self.frozen:
            with torch.no_grad():
                return self._forward(checked)
        return self._forward(checked)

    __call__ = forward

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(name={self.name!r}, dim={self.dim}, layers={self.num_layers}, "
                f"frozen={self.frozen})")


def check_wave(wave: np.ndarray, index: int = 0) -> np.ndarray:
    """A float32 mono waveform, or :class:`AudioError` naming what is wrong with it."""
    arr = np.asarray(wave)
    if arr.ndim != 1:
        raise AudioError(f"waveform {index} has shape {arr.shape}; upstreams take mono 1-D arrays at "
                         f"{SAMPLING_RATE} Hz", hint="downmix and resample first (soundfile + soxr)")
    if arr.size == 0:
        raise AudioError(f"waveform {index} is empty")
    if not np.all(np.isfinite(arr)):
        raise AudioError(f"waveform {index} holds NaN or infinite samples")
    return np.ascontiguousarray(arr, dtype=np.float32)


def pad_stack(items: Sequence[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """Stack ``[L, T_i, D]`` tensors into ``[B, L, max T, D]`` with zeros, and their lengths."""
    lengths = torch.tensor([x.shape[1] for x in items], dtype=torch.long)
    first = items[0]
    out = first.new_zeros((len(items), first.shape[0], int(lengths.max()), first.shape[2]))
    for i, x in enumerate(items):
        out[i, :, : x.shape[1]] = x
    return out, lengths
