"""Test helpers for the benchmark: a tiny fbank front-end and tiny synthetic datasets in the schema.

The front-end here is a test fixture only (the package's front-ends live in
``seqd_builder.benchmark.upstreams``); it satisfies the same contract so runner tests do not depend on
them. The datasets are synthetic tones whose pitch, loudness and noise follow the labels, so a model
can learn them; VAD values are drawn as continuous numbers and drive the audio (never derived from
categories).
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from seqd_builder.schema import FEATURES

SR = 16000
EMODB_SPEAKERS = ["03", "08", "09", "10", "11", "12", "13", "14", "15", "16"]
EMODB_CLASSES = ["angry", "boredom", "disgust", "fear", "happy", "neutral", "sad"]


@pytest.fixture(autouse=True)
def one_thread():
    """One torch thread: on a shared 2-core machine, contending threads make tiny models 10x slower."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


class TinyFbank:
    """Log-mel fbank (25 ms / 10 ms, ``n_mels`` bins); ``layers=2`` adds deltas as a second 'layer'."""

    frozen = True
    cacheable = True
    parameters = 0

    def __init__(self, n_mels: int = 24, layers: int = 1):
        self.name, self.dim, self.num_layers, self.n_mels = f"tiny-fbank{n_mels}", n_mels, layers, n_mels
        # triangular-free band matrix on a log-frequency axis: enough for tests, no librosa import
        edges = np.geomspace(2, 257, n_mels + 1).astype(int)
        self.mel = np.zeros((n_mels, 257), np.float32)
        for b in range(n_mels):
            self.mel[b, edges[b]: max(edges[b + 1], edges[b] + 1)] = 1.0
        self.calls = 0

    def one(self, wave):
        padded = np.pad(wave, (200, 200))
        n = 1 + (len(padded) - 400) // 160
        frames = np.lib.stride_tricks.sliding_window_view(padded, 400)[::160][:n]
        spec = np.abs(np.fft.rfft(frames * np.hanning(400).astype(np.float32), n=512)) ** 2
        x = torch.from_numpy(np.log(spec @ self.mel.T + 1e-6).astype(np.float32))
        layers = [x] if self.num_layers == 1 else [x, torch.diff(x, dim=0, prepend=x[:1])]
        return torch.stack(layers)  # [L, T, D]

    def forward(self, waves):
        self.calls += len(waves)
        items = [self.one(np.asarray(w, dtype=np.float32)) for w in waves]
        lengths = torch.tensor([x.shape[1] for x in items])
        out = torch.zeros(len(items), self.num_layers, int(lengths.max()), self.dim)
        for i, x in enumerate(items):
            out[i, :, : x.shape[1]] = x
        return out, lengths


class TrainableFbank(torch.nn.Module):
    """A fine-tunable fixture: TinyFbank followed by a trainable linear map."""

    frozen = False
    cacheable = False

    def __init__(self, n_mels: int = 16):
        super().__init__()
        self.base = TinyFbank(n_mels)
        self.name, self.dim, self.num_layers = "trainable-fbank", n_mels, 1
        self.lin = torch.nn.Linear(n_mels, n_mels)

    def forward(self, waves):
        x, lengths = self.base.forward(waves)
        return self.lin(x), lengths


def tone(freq: float, seconds: float, loud: float, noise: float, rng) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    wave = loud * np.sin(2 * np.pi * freq * t * (1 + 0.02 * rng.standard_normal()))
    wave += noise * rng.standard_normal(len(t))
    return (0.3 * wave / max(1e-3, np.abs(wave).max())).astype(np.float32)


def wav_bytes(wave: np.ndarray) -> bytes:
    buf = io.BytesIO()
    sf.write(buf, wave, SR, format="WAV", subtype="PCM_16")
    return buf.getvalue()


def base_row(i: int, corpus: str, speaker: str) -> dict:
    row = {k: None for k in FEATURES}
    row.update(id=f"{corpus}/{i:05d}", corpus=corpus, language="de", speaker=f"{corpus}/{speaker}",
               split="train", phones=[], phone_alignment=[], votes=[], category_distribution=[])
    return row


def category_rows(per_class: int = 2, seconds: float = 0.4, seed: int = 0,
                  speakers=EMODB_SPEAKERS) -> list[dict]:
    """EmoDB-shaped rows: each class a pitch band; phones and gender filled; intensity 1/2."""
    rng = np.random.default_rng(seed)
    rows, i = [], 0
    for s_i, spk in enumerate(speakers):
        for c_i, cls in enumerate(EMODB_CLASSES):
            for k in range(per_class):
                freq = 150 * 1.35 ** c_i * (1 + 0.03 * rng.standard_normal())
                wave = tone(freq, seconds * (1 + 0.2 * rng.random()), 1.0, 0.05 + 0.1 * (k % 2), rng)
                row = base_row(i, "emodb", spk)
                row.update(audio={"bytes": wav_bytes(wave), "path": None}, duration=len(wave) / SR,
                           gender="female" if s_i % 2 else "male", category=cls, category_native=cls[0].upper(),
                           intensity_level=1 + k % 2, intensity=(1 + k % 2) / 2,
                           phones=["a", cls[0], "e"][: 2 + k % 2])
                rows.append(row)
                i += 1
    return rows


def vad_rows(n_per_speaker: int = 12, seconds: float = 0.4, seed: int = 0,
             speakers=EMODB_SPEAKERS) -> list[dict]:
    """Rows with continuous VAD in [0, 1] that drive pitch (arousal), loudness×noise (valence/dominance)."""
    rng = np.random.default_rng(seed)
    rows, i = [], 0
    for spk in speakers:
        for _ in range(n_per_speaker):
            a, v, d = rng.random(3)
            freq = 120 * 2 ** (2.5 * a)
            wave = tone(freq, seconds, 1.0, 0.02 + 0.6 * v, rng) * (0.2 + 0.8 * d)
            row = base_row(i, "emodb", spk)
            row.update(audio={"bytes": wav_bytes(wave.astype(np.float32)), "path": None},
                       duration=len(wave) / SR, arousal=float(a), valence=float(v), dominance=float(d),
                       category="neutral", category_native="N")
            rows.append(row)
            i += 1
    return rows


def save_rows(rows: list[dict], folder: Path) -> Path:
    import datasets

    ds = datasets.Dataset.from_list(rows, features=FEATURES)
    ds.save_to_disk(str(folder))
    return folder
