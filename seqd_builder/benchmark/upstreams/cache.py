"""Disk cache of frozen-upstream features, so folds and epochs never run the encoder twice.

Key: (upstream name + hash of its feature-changing config, utterance id, sha256 of the waveform's
float32 samples). The audio checksum is part of the key because the same id can carry different audio
(a rebuilt corpus, a speed-perturbed copy); the config hash because ``layers`` or the weights change the
features. Each entry is one ``.npy`` file (``[L, T, D]``), written atomically and read with
``allow_pickle=False``: the cache never unpickles anything.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from ...errors import ConfigError
from .base import Upstream, check_wave, pad_stack
from .whisper_weights import cache_root

_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def audio_checksum(wave: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(wave, dtype=np.float32).tobytes()).hexdigest()


class CachedUpstream:
    """Wraps a frozen upstream; :meth:`forward` reads cached features and computes only the misses."""

    def __init__(self, upstream: Upstream, root: str | Path | None = None, memory: bool = False,
                 dtype: str = "float32"):
        if not upstream.cacheable:
            raise ConfigError(f"upstream {upstream.name!r} is not cacheable (fine-tuned upstreams change "
                              f"during training); use it without CachedUpstream")
        if dtype not in ("float32", "float16"):
            raise ConfigError(f"cache dtype {dtype!r}; valid: float32, float16")
        self.upstream = upstream
        self.dtype = dtype
        key = f"{_SAFE.sub('_', upstream.name).strip('_')}-{upstream.config_hash()}"
        if dtype != "float32":
            key += f"-{dtype}"
        self.dir = Path(root or cache_root() / "features") / key
        self.dir.mkdir(parents=True, exist_ok=True)
        self._memory: dict[str, torch.Tensor] | None = {} if memory else None
        self.hits = 0
        self.misses = 0

    def __getattr__(self, item):  # name, dim, num_layers, frozen, parameters … of the wrapped upstream
        if item == "upstream":
            raise AttributeError(item)
        return getattr(self.upstream, item)

    def path_for(self, utt_id: str | None, checksum: str) -> Path:
        name = hashlib.sha256(f"{utt_id or ''}\0{checksum}".encode()).hexdigest()[:32]
        return self.dir / name[:2] / f"{name}.npy"

    def _load(self, path: Path) -> torch.Tensor | None:
        key = str(path)
        if self._memory is not None and key in self._memory:
            return self._memory[key]
        if not path.is_file():
            return None
        x = torch.from_numpy(np.load(path, allow_pickle=False)).float()
        if self._memory is not None:
            self._memory[key] = x
        return x

    def _store(self, path: Path, x: torch.Tensor) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        with open(tmp, "wb") as fh:
            np.save(fh, x.cpu().numpy().astype(self.dtype), allow_pickle=False)
        os.replace(tmp, path)
        if self._memory is not None:
            self._memory[str(path)] = x.float()

    def forward(self, waves: Sequence[np.ndarray], ids: Sequence[str] | None = None
                ) -> tuple[torch.Tensor, torch.Tensor]:
        """Like :meth:`Upstream.forward`; ``ids`` (utterance ids) are part of the key when given."""
        if ids is not None and len(ids) != len(waves):
            raise ConfigError(f"{len(ids)} ids for {len(waves)} waveforms")
        checked = [check_wave(w, i) for i, w in enumerate(waves)]
        paths = [self.path_for(ids[i] if ids is not None else None, audio_checksum(w))
                 for i, w in enumerate(checked)]
        items: list[torch.Tensor | None] = [self._load(p) for p in paths]
        todo = [i for i, x in enumerate(items) if x is None]
        self.hits += len(items) - len(todo)
        self.misses += len(todo)
        if todo:
            feats, lengths = self.upstream.forward([checked[i] for i in todo])
            for j, i in enumerate(todo):
                x = feats[j, :, : int(lengths[j])].detach().cpu()
                self._store(paths[i], x)
                items[i] = x.float()
        out, lengths = pad_stack(items)
        return out.to(self.upstream.device), lengths

    __call__ = forward

    def warm(self, items: Iterable[tuple[str, np.ndarray]] | Sequence[str],
             load: Callable[[str], np.ndarray] | None = None, batch_size: int = 8,
             total: int | None = None, desc: str | None = None) -> None:
        """Compute and store features for every (id, wave) (or id with ``load(id)``) not yet cached."""
        batch_ids: list[str] = []
        batch_waves: list[np.ndarray] = []
        bar = tqdm(items, total=total, desc=desc or f"caching {self.upstream.name}", unit="utt")
        for item in bar:
            utt_id, wave = (item, load(item)) if load is not None else item
            batch_ids.append(utt_id)
            batch_waves.append(wave)
            if len(batch_ids) == batch_size:
                self.forward(batch_waves, batch_ids)
                batch_ids, batch_waves = [], []
        if batch_ids:
            self.forward(batch_waves, batch_ids)
