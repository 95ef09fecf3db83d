"""The fast consumer path: our datasets as decoded 16 kHz arrays and as a PyTorch DataLoader.

Every published dataset embeds its audio as WAV bytes (16-bit PCM, 16 kHz, mono). ``datasets``
decodes an ``Audio`` column with torchcodec by default, which sets up a demuxer per row for what is a
44-byte header and a PCM payload: measured on our builds it is 10–30x slower than libsndfile on the
same bytes (``benchmark/perf/load_throughput.py``). This module reads the column with
``Audio(decode=False)`` and decodes the bytes with soundfile, in batches of rows and with only the
columns asked for, so that Arrow → Python conversion of the label lists (votes, phone alignments) is
not paid for rows that do not need them.

For plain ``datasets`` users the whole recipe is one cast and one call::

    ds = load_dataset(PATH, CONFIG, split="train").cast_column("audio", Audio(decode=False))
    wave, rate = soundfile.read(io.BytesIO(ds[0]["audio"]["bytes"]), dtype="float32")

The functions below add what a training loop needs: a check of the sample rate (audio of another
rate, as in a foreign dataset, is resampled with soxr, never passed on silently), label columns as
class indices, a :class:`torch.utils.data.Dataset` and a collate function that pads a batch and
returns the lengths.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from .errors import ConfigError
from .schema.features import SAMPLING_RATE


def decode(audio: dict[str, Any], sampling_rate: int = SAMPLING_RATE) -> np.ndarray:
    """One ``{"bytes", "path"}`` cell of an undecoded ``Audio`` column → float32 mono samples.

    Multi-channel audio is averaged to mono and another rate resampled (soxr, high quality); our own
    datasets need neither, since the build wrote 16 kHz mono.
    """
    data = audio.get("bytes")
    if data is None:
        path = audio.get("path")
        if path is None:
            raise ConfigError("an audio cell with neither bytes nor path",
                              hint="load the dataset with Audio(decode=False); see docs/interop.md")
        wave, rate = sf.read(path, dtype="float32", always_2d=False)
    else:
        wave, rate = sf.read(io.BytesIO(data), dtype="float32", always_2d=False)
    if wave.ndim == 2:
        wave = wave.mean(axis=1, dtype=np.float32)
    if rate != sampling_rate:
        import soxr

        wave = soxr.resample(wave, rate, sampling_rate, quality="HQ").astype(np.float32, copy=False)
    return wave


def undecoded(dataset):
    """``dataset`` with its ``audio`` column as ``{"bytes", "path"}`` (no decoding on access)."""
    from datasets import Audio

    feature = dataset.features.get("audio")
    if feature is None:
        raise ConfigError(f"the dataset has no 'audio' column; columns: {', '.join(dataset.column_names)}")
    if isinstance(feature, Audio) and not feature.decode:
        return dataset
    return dataset.cast_column("audio", Audio(sampling_rate=getattr(feature, "sampling_rate", None),
                                              decode=False))


def load(path: str | Path, config: str | None = None, split: str = "train",
         columns: Sequence[str] | None = None):
    """``datasets.load_dataset(path, config, split=split)`` with undecoded audio and only ``columns``.

    ``columns`` (besides ``audio``, which is always kept) selects the label columns to read; None
    keeps all. Works offline on a folder written by ``seqd build`` and on a Hub repository id.
    """
    from datasets import load_dataset

    ds = load_dataset(str(path), config, split=split)
    if columns is not None:
        unknown = sorted(set(columns) - set(ds.column_names))
        if unknown:
            raise ConfigError(f"unknown columns {', '.join(unknown)}; valid: {', '.join(ds.column_names)}")
        ds = ds.select_columns(["audio", *[c for c in columns if c != "audio"]])
    return undecoded(ds)


def iter_arrays(dataset, columns: Sequence[str] = (), batch_size: int = 64,
                sampling_rate: int = SAMPLING_RATE) -> Iterator[dict[str, Any]]:
    """Rows as ``{"audio": float32 array, <column>: value, …}``, decoded with soundfile.

    Reads ``batch_size`` rows at a time through Arrow (one conversion per batch, not per row) and only
    ``audio`` plus ``columns``.
    """
    ds = undecoded(dataset).select_columns(["audio", *columns])
    for batch in ds.iter(batch_size=batch_size):
        for i, cell in enumerate(batch["audio"]):
            row = {"audio": decode(cell, sampling_rate)}
            for c in columns:
                row[c] = batch[c][i]
            yield row


@dataclass
class AudioBatch:
    """A padded batch: ``audio`` (batch, max samples) float32, ``lengths`` in samples, label columns."""

    audio: Any
    lengths: Any
    labels: dict[str, Any]
    ids: list[str] | None = None


def _fill(feature) -> Any:
    """What a null becomes in a tensor: -100 for class indices and integers (the ignore index of
    torch's losses), NaN for floats (a masked loss skips it); None for other types (kept as lists)."""
    from datasets import ClassLabel, Value

    if isinstance(feature, ClassLabel) or (isinstance(feature, Value) and "int" in feature.dtype):
        return -100
    if isinstance(feature, Value) and feature.dtype.startswith("float"):
        return float("nan")
    return None


def _torch_label(values: list[Any]):
    """Numbers → a long or float tensor; strings and lists stay Python lists."""
    import torch

    if values and all(isinstance(v, (bool, int, np.integer)) for v in values):
        return torch.tensor([int(v) for v in values], dtype=torch.long)
    if values and all(isinstance(v, (int, float, np.floating)) for v in values):
        return torch.tensor([float(v) for v in values], dtype=torch.float32)
    return values


def collate(rows: list[dict[str, Any]]) -> AudioBatch:
    """Pad :class:`TorchDataset` items to the longest; numeric labels become tensors.

    Nulls were filled by the dataset (-100 for class indices, NaN for floats), so a column is one
    dtype in every batch.
    """
    import torch

    lengths = torch.tensor([len(r["audio"]) for r in rows], dtype=torch.long)
    audio = torch.zeros(len(rows), int(lengths.max()) if rows else 0, dtype=torch.float32)
    for i, r in enumerate(rows):
        audio[i, : len(r["audio"])] = torch.from_numpy(r["audio"])
    names = [k for k in rows[0] if k not in ("audio", "id")] if rows else []
    ids = [r["id"] for r in rows] if rows and "id" in rows[0] else None
    return AudioBatch(audio=audio, lengths=lengths,
                      labels={k: _torch_label([r[k] for r in rows]) for k in names}, ids=ids)


class TorchDataset:
    """A map-style ``torch.utils.data.Dataset`` over one of our datasets (or any with ``audio``).

    ``columns`` are the label columns each item carries. Items are decoded with soundfile in the
    DataLoader's workers; the Arrow table is memory-mapped, so workers share it instead of copying.
    Subclassing ``torch.utils.data.Dataset`` is not needed: a DataLoader takes anything with
    ``__len__`` and ``__getitem__``, and this keeps torch an import of :func:`dataloader` only.
    """

    def __init__(self, dataset, columns: Sequence[str] = ("category",),
                 sampling_rate: int = SAMPLING_RATE):
        unknown = sorted(set(columns) - set(dataset.column_names))
        if unknown:
            raise ConfigError(f"unknown columns {', '.join(unknown)}; valid: "
                              f"{', '.join(dataset.column_names)}")
        self.columns = tuple(columns)
        self.sampling_rate = sampling_rate
        self.dataset = undecoded(dataset).select_columns(["audio", *self.columns])
        self._fill = {c: _fill(dataset.features[c]) for c in self.columns}

    def _value(self, column: str, value: Any) -> Any:
        return self._fill[column] if value is None else value

    def __len__(self) -> int:
        return self.dataset.num_rows

    def __getitem__(self, index: int) -> dict[str, Any]:
        row = self.dataset[int(index)]
        out = {"audio": decode(row["audio"], self.sampling_rate)}
        for c in self.columns:
            out[c] = self._value(c, row[c])
        return out

    def __getitems__(self, indices: list[int]) -> list[dict[str, Any]]:
        """A whole batch in one Arrow read (torch's DataLoader calls this when it exists)."""
        indices = list(map(int, indices))
        if indices and indices == list(range(indices[0], indices[0] + len(indices))):
            rows = self.dataset[indices[0]:indices[0] + len(indices)]  # a slice: no take() copy
        else:
            rows = self.dataset[indices]
        return [{"audio": decode(cell, self.sampling_rate),
                 **{c: self._value(c, rows[c][i]) for c in self.columns}}
                for i, cell in enumerate(rows["audio"])]


def dataloader(dataset, columns: Sequence[str] = ("category",), batch_size: int = 16,
               shuffle: bool = False, num_workers: int = 0, seed: int | None = None, **kwargs):
    """A ``torch.utils.data.DataLoader`` of padded :class:`AudioBatch` es over ``dataset``.

    ``kwargs`` go to the DataLoader unchanged (``pin_memory``, ``persistent_workers``, …).
    """
    import torch
    from torch.utils.data import DataLoader

    generator = None
    if seed is not None:
        generator = torch.Generator()
        generator.manual_seed(seed)
    return DataLoader(TorchDataset(dataset, columns), batch_size=batch_size, shuffle=shuffle,
                      num_workers=num_workers, collate_fn=collate, generator=generator, **kwargs)

