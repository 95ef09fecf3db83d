"""Log-mel filterbank: the offline default upstream (no weights, nothing to download).

80 mel bins over 25 ms Hann windows every 10 ms (the Kaldi/ESPnet convention for SER and ASR), power
spectrum from ``torch.stft`` and the filters from ``librosa.filters.mel``, so no torchaudio is needed.
Each utterance is transformed on its own so padding never leaks into the last frames of a short clip.
Normalisation (per-utterance mean/variance) is optional because a downstream model may prefer a global
statistic fitted on the training fold.
"""

from __future__ import annotations

from typing import Any

import librosa
import numpy as np
import torch

from ...errors import UnknownLabelError
from . import register
from .base import SAMPLING_RATE, Upstream, pad_stack

NORMALISATIONS = ("none", "utterance")


@register("fbank")
class FbankUpstream(Upstream):
    spec_syntax = "fbank"
    spec_argument = False
    frame_rate = 100.0

    def __init__(self, n_mels: int = 80, win_ms: float = 25.0, hop_ms: float = 10.0,
                 normalize: str = "none", floor: float = 1e-6):
        super().__init__()
        if normalize not in NORMALISATIONS:
            raise UnknownLabelError("fbank normalisation", normalize, NORMALISATIONS)
        self.n_mels, self.win_ms, self.hop_ms, self.normalize, self.floor = (
            int(n_mels), float(win_ms), float(hop_ms), normalize, float(floor))
        self.win = int(round(SAMPLING_RATE * self.win_ms / 1000))
        self.hop = int(round(SAMPLING_RATE * self.hop_ms / 1000))
        self.n_fft = 1 << (self.win - 1).bit_length()  # 400 samples → 512-point FFT
        self.name = "fbank"
        self.dim = self.n_mels
        self.num_layers = 1
        self.parameters = 0
        self.frozen = True
        self.cacheable = True
        self.frame_rate = 1000.0 / self.hop_ms
        mel = librosa.filters.mel(sr=SAMPLING_RATE, n_fft=self.n_fft, n_mels=self.n_mels, fmin=20.0,
                                  fmax=SAMPLING_RATE / 2)
        self._mel = torch.from_numpy(mel.astype(np.float32))
        self._window = torch.hann_window(self.win)

    def config(self) -> dict[str, Any]:
        return {"name": self.name, "n_mels": self.n_mels, "win_ms": self.win_ms, "hop_ms": self.hop_ms,
                "n_fft": self.n_fft, "normalize": self.normalize, "floor": self.floor}

    def transform(self, wave: np.ndarray) -> torch.Tensor:
        """``[T, n_mels]`` log-mel features of one waveform."""
        x = torch.from_numpy(wave)
        if x.numel() < self.n_fft:
            x = torch.nn.functional.pad(x, (0, self.n_fft - x.numel()))
        spec = torch.stft(x, n_fft=self.n_fft, hop_length=self.hop, win_length=self.win,
                          window=self._window, center=True, return_complex=True)
        power = spec.abs().pow(2)                        # [F, T]
        feats = torch.log(self._mel @ power + self.floor).T  # [T, n_mels]
        if self.normalize == "utterance":
            feats = (feats - feats.mean(0)) / (feats.std(0) + 1e-5)
        return feats

    def _forward(self, waves):
        feats, lengths = pad_stack([self.transform(w).unsqueeze(0) for w in waves])
        return feats.to(self.device), lengths
