"""Frozen front-end features computed ahead of training, sharded over machines and processes.

``seqd bench features TASK --data DIR --model CFG [--upstream SPEC] [--shard I/N] [--cache DIR]``
fills the feature cache (:class:`~seqd_builder.benchmark.upstreams.cache.CachedUpstream`: one file
per utterance, keyed by the upstream's name and config hash, the utterance id and the SHA-256 of the
waveform it was given) with exactly the entries ``seqd bench run ... --cache`` will look up: the
task's rows, at each of the config's speeds, through the config's waveform transform, under the ids
the runner uses. Training then computes no feature (every lookup is a hit).

The work is split twice, both times into contiguous ranges of the task's rows in dataset order (the
same rule as ``seqd build --shard``, :mod:`seqd_builder.pipeline.shard`): ``--shard I/N`` picks this
machine's range (a SLURM array task), and under ``accelerate launch --num_processes P`` accelerate's
``PartialState.split_between_processes`` splits that range over the P processes (one per GPU).
Processes never coordinate: each entry is written atomically (temporary file, then rename), so two
processes that computed the same entry leave one intact file, and a killed run is resumed by running
it again (finished entries are hits). Memory stays at one batch: features go to disk, not to a list.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from tqdm.auto import tqdm

from ..pipeline.shard import Shard
from ..errors import ConfigError


@dataclass
class FeatureReport:
    upstream: str
    shard: str
    process: int
    processes: int
    rows: int            # task rows of this process (per speed)
    speeds: list[float]
    hits: int
    misses: int
    seconds: float
    cache_dir: str

    def summary(self) -> str:
        return (f"{self.upstream}: part {self.shard}, process {self.process}/{self.processes}: "
                f"{self.rows} rows × {len(self.speeds)} speeds, computed {self.misses}, already cached "
                f"{self.hits} ({self.seconds:.1f} s) → {self.cache_dir}")


def shard_rows(rows: list[int], shard: Shard | None) -> list[int]:
    """This machine's contiguous range of the task rows (all of them without ``shard``)."""
    if shard is None:
        return list(rows)
    first, end = shard.bounds(len(rows))
    return list(rows[first:end])


def extract_part(task: str, data_dir: str | Path, *, model: str = "speecheq", upstream: str | None = None,
                 upstream_options: dict[str, Any] | None = None, cache_dir: str | Path | None = None,
                 shard: Shard | str | None = None, state=None, batch_size: int = 8,
                 progress: bool = True) -> FeatureReport:
    """Fill the feature cache for this machine's part (and, under accelerate, this process's share).

    ``state`` is an ``accelerate.PartialState`` (made here when None: one process unless started by
    ``accelerate launch``).
    """
    from accelerate import PartialState

    from .augment import speed_perturb
    from .config import load_model_config
    from .data import load_task_data
    from .frontend import accepts_ids, load_upstream
    from .recipe import wave_prep
    from .tasks import load_task

    started = time.monotonic()
    if isinstance(shard, str):
        shard = Shard.parse(shard)
    # on a machine without GPUs the launched processes are CPU processes (gloo): accelerate picks
    # that only when told, and would otherwise run each process alone
    state = state or PartialState(cpu=not torch.cuda.is_available())
    task_obj = load_task(task)
    overrides: dict[str, Any] = {}
    if upstream is not None:
        overrides["upstream"] = {"spec": upstream, "options": dict(upstream_options or {})}
    cfg = load_model_config(model, overrides)
    up = load_upstream(cfg["upstream"]["spec"], **cfg["upstream"].get("options", {}),
                       cache=cache_dir or True)
    if not hasattr(up, "hits"):
        raise ConfigError(f"upstream {cfg['upstream']['spec']!r} of model {model!r} is fine-tuned: its "
                          f"features change during training and are never cached",
                          hint="precompute features only for frozen upstreams")
    if hasattr(up, "to"):
        up.to(state.device)
    data = load_task_data(task_obj, data_dir)
    prep = wave_prep(cfg, data, (), fine_tuned=False)
    speeds = [1.0] + [s for s in cfg["augment"].get("speed", [1.0]) if s != 1.0]
    ids_ok = accepts_ids(up)
    mine = shard_rows(list(range(len(data))), shard)
    with state.split_between_processes(mine) as rows:
        rows = list(rows)
    bar = tqdm(total=len(rows) * len(speeds), desc=f"features {up.name} part {shard or '0/1'}",
               unit="utt", disable=not progress or not state.is_local_main_process)
    for speed in speeds:
        for start in range(0, len(rows), batch_size):
            chunk = rows[start:start + batch_size]
            # the runner's own recipe (runner.extract_features): same waves, same ids, same keys
            waves = [speed_perturb(data.wave(i), speed) for i in chunk]
            if not prep.identity:
                waves = [prep(w) for w in waves]
            kw = {"ids": [f"{data.ids[i]}@{speed:g}" for i in chunk]} if ids_ok else {}
            with torch.no_grad():
                up.forward(waves, **kw)
            bar.update(len(chunk))
    bar.close()
    return FeatureReport(up.name, str(shard or Shard(0, 1)), state.process_index, state.num_processes,
                         len(rows), speeds, up.hits, up.misses, time.monotonic() - started, str(up.dir))
