"""The contract between the benchmark runner and its front-ends ("upstreams").

The runner never knows how features are made: it calls :func:`load_upstream` with a spec string
(``fbank``, a Hugging Face model path or hub id, ``ct2:whisper-base`` …) and gets an object that
satisfies :class:`~seqd_builder.benchmark.upstreams.base.Upstream`, the one upstream type (its
docstring states the contract). The implementations live in :mod:`seqd_builder.benchmark.upstreams`
and are found through its registry (``get_upstream(spec, **kw)``); this module resolves specs and
checks objects that follow the contract without subclassing it (tests and notebooks pass their own
front-ends), so that the runner, the models and the tests are written against one narrow interface
(s3prl's upstream/downstream split).

A learned weighted sum over the ``num_layers`` layers is the *model's* business
(:class:`~seqd_builder.benchmark.models.layers.LayerSum`), so one cached feature tensor serves every
model and layer choice.
"""

from __future__ import annotations

import importlib

import torch

from ..errors import ConfigError, MissingToolError
from .upstreams.base import Upstream


def load_upstream(spec: str | Upstream, **kwargs) -> Upstream:
    """Resolve ``spec`` through ``seqd_builder.benchmark.upstreams.get_upstream``.

    An object that already follows the :class:`Upstream` contract is returned as is (tests and
    notebooks pass their own front-ends this way).
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
    """Refuse an object that does not follow the :class:`Upstream` contract, naming what it lacks."""
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
