"""Any Hugging Face speech encoder as an upstream (``hf:<local path or hub id>``).

Loaded through transformers' Auto classes (``AutoFeatureExtractor`` + ``AutoModel``), so WavLM,
wav2vec 2.0, HuBERT, data2vec-audio and the Whisper encoder all work without code per family. Every
hidden state is returned (``output_hidden_states=True``: the CNN/conv output plus each transformer
layer) so the downstream model can learn a weighted sum; ``layers="last"`` or a list of indices
selects fewer.

Whisper is the one family with a different contract: its feature extractor makes 80-bin log-mels
padded to the model's 30 s window, only the encoder is used (``WhisperModel.get_encoder()``), and its
output is trimmed back to each utterance's real length (2 input frames per output frame).

Nothing is downloaded at run time unless the caller passes a hub id and the files are not cached:
``local_files_only`` defaults to true (set ``HF_HUB_OFFLINE=0`` and ``local_files_only=False`` to fetch).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ...checksums import update_from_file
from ...errors import ConfigError, MissingToolError
from . import register
from .base import SAMPLING_RATE, Upstream, pad_stack

WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin", "model.safetensors.index.json")


def _weights_fingerprint(path: Path) -> str:
    """sha256 over the weight files of a local model folder (identifies random test models too)."""
    digest = hashlib.sha256()
    for name in sorted(p.name for p in path.iterdir() if p.name.startswith(("model", "pytorch_model"))):
        update_from_file(digest, path / name)
    return digest.hexdigest()


def parse_layers(layers: str | list[int] | tuple[int, ...], available: int) -> list[int]:
    """Layer indices out of ``available`` hidden states: "all", "last" or explicit indices."""
    if layers == "all":
        return list(range(available))
    if layers == "last":
        return [available - 1]
    if isinstance(layers, str):
        layers = [int(x) for x in layers.split(",") if x.strip()]
    out = [int(i) % available if -available <= int(i) < available else None for i in layers]
    if not out or None in out:
        raise ConfigError(f"layers {layers!r} out of range; the model has {available} hidden states "
                          f"(0..{available - 1}); valid: 'all', 'last' or indices")
    return out


@register("hf")
class HFUpstream(Upstream):
    spec_syntax = "hf:<local path or hub id>"
    spec_argument = True
    def __init__(self, source: str, frozen: bool = True, layers: str | list[int] = "all",
                 local_files_only: bool = True, freeze_feature_encoder: bool = True,
                 max_batch_seconds: float | None = None):
        super().__init__()
        try:
            from transformers import AutoFeatureExtractor, AutoModel
        except ImportError as exc:  # pragma: no cover - transformers is a core dependency
            raise MissingToolError("transformers is not installed", hint="pip install transformers") from exc
        self.source = str(source)
        try:
            self.extractor = AutoFeatureExtractor.from_pretrained(self.source,
                                                                  local_files_only=local_files_only)
            model = AutoModel.from_pretrained(self.source, local_files_only=local_files_only)
        except (OSError, ValueError) as exc:
            raise MissingToolError(
                f"cannot load the Hugging Face speech encoder {self.source!r}: {exc}",
                hint="pass a local folder holding config.json, preprocessor_config.json and the weights "
                     "(e.g. saved with save_pretrained), or a hub id already in the HF cache") from exc
        self.is_whisper = model.config.model_type == "whisper"
        encoder = model.get_encoder() if self.is_whisper else model
        if self.is_whisper:
            del model
        self.encoder = encoder
        self.frozen = bool(frozen)
        self.cacheable = self.frozen
        self.name = f"hf:{self.source}"
        self.dim = int(encoder.config.d_model if self.is_whisper else encoder.config.hidden_size)
        n_hidden = int(encoder.config.encoder_layers if self.is_whisper
                       else encoder.config.num_hidden_layers) + 1
        self.n_hidden = n_hidden
        self.layer_ids = parse_layers(layers, n_hidden)
        self.layers_spec = layers if isinstance(layers, str) else ",".join(map(str, layers))
        self.num_layers = len(self.layer_ids)
        self.parameters = int(sum(p.numel() for p in encoder.parameters()))
        self.frame_rate = 50.0
        self._group_norm = (not self.is_whisper
                            and getattr(encoder.config, "feat_extract_norm", "layer") == "group")
        self.weights_sha256 = (_weights_fingerprint(Path(self.source)) if Path(self.source).is_dir()
                               else None)
        self._fingerprint = (self.weights_sha256[:16] if self.weights_sha256
                             else getattr(encoder.config, "_commit_hash", None) or "hub")
        if self.frozen:
            encoder.eval()
            for p in encoder.parameters():
                p.requires_grad_(False)
        elif freeze_feature_encoder and hasattr(encoder, "freeze_feature_encoder"):
            encoder.freeze_feature_encoder()  # the usual recipe: fine-tune the transformer, not the CNN

    @property
    def module(self) -> torch.nn.Module | None:
        return None if self.frozen else self.encoder

    def to(self, device):
        super().to(device)
        self.encoder.to(self.device)
        return self

    def config(self) -> dict[str, Any]:
        return {"name": self.name, "weights": self._fingerprint, "layers": self.layer_ids,
                "model_type": self.encoder.config.model_type}

    def _selected(self, out) -> torch.Tensor:
        """The selected hidden states, ``[B, L, T, D]``.

        A fine-tuned encoder in train mode skips layers at random (LayerDrop) and then returns fewer
        hidden states, so indices no longer name layers: its last layer is read from
        ``last_hidden_state`` (as EmoSphere-SER's released code does), and other selections are refused
        when layers were skipped. Frozen encoders (eval mode) keep the indexed path their cached
        features were made with.
        """
        if not self.frozen and self.layer_ids == [self.n_hidden - 1]:
            return out.last_hidden_state[:, None]
        if len(out.hidden_states) != self.n_hidden:
            raise ConfigError(f"the fine-tuned encoder {self.source!r} returned {len(out.hidden_states)} of "
                              f"its {self.n_hidden} hidden states (LayerDrop skips layers in training), so "
                              f"layers {self.layers_spec!r} cannot be selected",
                              hint="fine-tune with layers: last, or set layerdrop 0 in the model's config.json")
        return torch.stack([out.hidden_states[i] for i in self.layer_ids], dim=1)

    def _forward(self, waves: list[np.ndarray]):
        if len(waves) > 1 and self._group_norm:
            # A GroupNorm feature encoder (wav2vec2/HuBERT/WavLM base) normalises each channel over the
            # whole padded input, so padding changes every frame of the shorter rows (measured on a tiny
            # WavLM: up to 0.59 absolute); such models also take no attention mask. One utterance at a
            # time keeps an utterance's features independent of its batch-mates (and the feature cache,
            # keyed by audio, consistent).
            parts = [self._forward([w]) for w in waves]
            feats, _ = pad_stack([f[0] for f, _ in parts])
            return feats, torch.cat([n for _, n in parts])
        n_samples = torch.tensor([len(w) for w in waves])
        if self.is_whisper:
            inputs = self.extractor(waves, sampling_rate=SAMPLING_RATE, return_tensors="pt")
            max_frames = inputs["input_features"].shape[-1] // 2
            lengths = torch.clamp((n_samples // self.extractor.hop_length + 1) // 2, 1, max_frames)
            out = self.encoder(input_features=inputs["input_features"].to(self.device),
                               output_hidden_states=True)
        else:
            inputs = self.extractor(waves, sampling_rate=SAMPLING_RATE, return_tensors="pt", padding=True)
            kwargs = {k: v.to(self.device) for k, v in inputs.items()
                      if k in ("input_values", "attention_mask")}
            out = self.encoder(**kwargs, output_hidden_states=True)
            lengths = self.encoder._get_feat_extract_output_lengths(n_samples).long()
        hidden = self._selected(out)  # [B, L, T, D]
        t_max = int(lengths.max())
        hidden = hidden[:, :, :t_max]
        lengths = torch.clamp(lengths, max=hidden.shape[2])
        mask = torch.arange(hidden.shape[2], device=hidden.device)[None, :] < lengths[:, None].to(hidden.device)
        return hidden * mask[:, None, :, None], lengths
