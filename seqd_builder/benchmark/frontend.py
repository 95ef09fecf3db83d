"""The contract between the benchmark runner and its front-ends ("upstreams").

The runner never knows how features are made: it calls :func:`load_upstream` with a spec string
(``fbank``, a Hugging Face model path or hub id, ``ct2:whisper-base`` …) and gets an object that
satisfies :class:`Upstream`. The implementations live in :mod:`seqd_builder.benchmark.upstreams`
(``get_upstream(spec, **kw)``); this module only states the contract and resolves specs, so that the
runner, the models and the tests are written against one narrow interface (s3prl's upstream/downstream
split, without its registry of hub entry points).

A learned weighted sum over the ``num_layers`` layers is the *model's* business
(:class:`~seqd_builder.benchmark.models.layers.LayerSum`), so one cached feature tensor serves every
model and layer choice.
"""

from __future__ import annotations

import importlib
from typing import Protocol, runtime_checkable

import numpy as np
import torch

from ..errors import ConfigError, MissingToolError


@runtime_checkable
class Upstream(Protocol):
    """What the runner needs from a front-end.

    ``forward`` takes 16 kHz float32 mono waveforms and returns ``(feats, lengths)``: ``feats`` is a
    float tensor ``[B, L, T, D]`` (``L = num_layers`` hidden layers, ``T`` frames padded to the longest
    item, ``D = dim``) and ``lengths`` a long tensor ``[B]`` of valid frames per item. Frames past an
    item's length may hold anything: the runner masks them.

    ``frozen`` upstreams are run once per run (and per speed-perturbed copy) and their features reused
    by every fold and epoch; ``cacheable`` says their features may also be stored on disk across runs
    (``get_upstream(spec, cache=True)`` returns a caching wrapper whose ``forward(waves, ids=...)`` keys
    by utterance id and audio checksum; the runner passes ids when ``forward`` accepts them).
    A fine-tuned upstream (``frozen = False``) exposes its weights as ``module`` (a
    :class:`torch.nn.Module`), or is a module itself: the runner trains them with the model's.
    """

    name: str
    dim: int
    num_layers: int
    frozen: bool
    cacheable: bool
    parameters: int | None

    def forward(self, waves: list[np.ndarray]) -> tuple[torch.Tensor, torch.Tensor]: ...


def load_upstream(spec: str | Upstream, **kwargs) -> Upstream:
    """Resolve ``spec`` through ``seqd_builder.benchmark.upstreams.get_upstream``.

    An object that already satisfies :class:`Upstream` is returned as is (tests and notebooks pass
    their own front-ends this way).
    """
    if not isinstance(spec, str):
        check_upstream(spec)
        return spec
    try:
        module = importlib.import_module("seqd_builder.benchmark.upstreams")
    except ModuleNotFoundError as exc:  # pragma: no cover - only before the front-ends are installed
        raise MissingToolError(f"no front-end implementations found ({exc}); cannot resolve upstream "
                               f"{spec!r}", hint="install seqd-builder with its benchmark front-ends "
                                                 "or pass an Upstream object") from exc
    upstream = module.get_upstream(spec, **kwargs)
    check_upstream(upstream)
    return upstream


def check_upstream(upstream) -> None:
    missing = [a for a in ("name", "dim", "num_layers", "frozen", "forward") if not hasattr(upstream, a)]
    if missing:
        raise ConfigError(f"upstream {upstream!r} lacks {missing}; an upstream needs name, dim, "
                          f"num_layers, frozen, cacheable, parameters and forward(waves)")
    if not upstream.frozen and trainable_module(upstream) is None:
        raise ConfigError(f"upstream {upstream.name!r} is not frozen but exposes no torch.nn.Module "
                          f"(``module``), so its parameters cannot be trained")


def trainable_module(upstream) -> torch.nn.Module | None:
    """The module whose parameters train with the model (None for a frozen upstream)."""
    if upstream.frozen:
        return None
    if isinstance(upstream, torch.nn.Module):
        return upstream
    return getattr(upstream, "module", None)


def accepts_ids(upstream) -> bool:
    import inspect

    try:
        return "ids" in inspect.signature(upstream.forward).parameters
    except (TypeError, ValueError):
        return False


def upstream_info(upstream: Upstream, layers: str) -> dict:
    """The ``upstream`` block of results.json."""
    params = getattr(upstream, "num_parameters", None)
    if params is None:
        params = getattr(upstream, "parameters", None)
    if callable(params):  # an nn.Module without the attribute: count its parameters
        params = sum(p.numel() for p in upstream.parameters())
    info = {"name": str(upstream.name), "frozen": bool(upstream.frozen), "layers": layers,
            "parameters": int(params) if params is not None else None}
    sha = getattr(upstream, "weights_sha256", None)
    if isinstance(sha, str) and len(sha) == 64:  # weights a rerun must load: recorded by content
        info["weights_sha256"] = sha
    return info
