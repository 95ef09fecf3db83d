"""Experiment files of the quality runs (``benchmark/quality/experiments/*.yaml``), read and checked.

An experiment declares its tasks, the peers it runs, the model runs (model config, upstream, override
blocks deep-merged in order, a tag and why it runs) and the seed ensembles. Keeping them as data lets a
reader see every run and its reason in one place, and keeps the runner script free of history.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from seqd_builder.benchmark.config import deep_merge
from seqd_builder.errors import ConfigError

EXPERIMENTS = Path(__file__).resolve().parent / "experiments"
_KEYS = {"description", "tasks", "upstream_options", "peers", "blocks", "runs", "ensembles"}
_RUN_KEYS = {"tag", "model", "upstream", "overrides", "why"}
_ENSEMBLE_KEYS = {"tag", "upstream", "seeds"}


@dataclass(frozen=True)
class ModelRun:
    tag: str
    model: str
    upstream: str
    overrides: dict
    why: str


@dataclass(frozen=True)
class Ensemble:
    tag: str
    upstream: str
    seeds: tuple[int, ...]


@dataclass(frozen=True)
class Experiment:
    path: Path
    description: str
    tasks: tuple[str, ...]
    upstream_options: dict = field(default_factory=dict)
    peers: tuple[str, ...] = ()
    runs: tuple[ModelRun, ...] = ()
    ensembles: tuple[Ensemble, ...] = ()

    def options_for(self, upstream: str) -> dict:
        return dict(self.upstream_options.get(upstream, {}))


def experiment_files() -> list[Path]:
    return sorted(EXPERIMENTS.glob("*.yaml"))


def _unknown(found, valid, what: str, path: Path) -> None:
    bad = sorted(set(found) - valid)
    if bad:
        raise ConfigError(f"{what}: unknown keys {bad}; valid: {', '.join(sorted(valid))}", file=path)


def load_experiment(path: str | Path, known_peers=None) -> Experiment:
    """Read an experiment file; unknown keys, blocks and peers are refused with the file named."""
    path = Path(path)
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    _unknown(data, _KEYS, "experiment", path)
    blocks = data.get("blocks") or {}
    runs = []
    for i, run in enumerate(data.get("runs") or []):
        _unknown(run, _RUN_KEYS, f"runs[{i}]", path)
        merged: dict = {}
        for name in run.get("overrides") or []:
            if name not in blocks:
                raise ConfigError(f"runs[{i}] ({run.get('tag')}): unknown override block {name!r}; "
                                  f"valid: {', '.join(sorted(blocks))}", file=path)
            merged = deep_merge(merged, blocks[name])
        runs.append(ModelRun(tag=str(run["tag"]), model=str(run["model"]), upstream=str(run["upstream"]),
                             overrides=merged, why=str(run.get("why", ""))))
    tags = [(r.tag, r.upstream) for r in runs]
    if len(tags) != len(set(tags)):
        raise ConfigError(f"two runs share a tag and upstream: {sorted(t for t in tags if tags.count(t) > 1)}",
                          file=path)
    ensembles = []
    for i, ens in enumerate(data.get("ensembles") or []):
        _unknown(ens, _ENSEMBLE_KEYS, f"ensembles[{i}]", path)
        ensembles.append(Ensemble(str(ens["tag"]), str(ens["upstream"]), tuple(int(s) for s in ens["seeds"])))
    peers = tuple(data.get("peers") or ())
    if known_peers is not None:
        _unknown(peers, set(known_peers), "peers", path)
    return Experiment(path=path, description=str(data.get("description", "")),
                      tasks=tuple(data.get("tasks") or ()), upstream_options=dict(data.get("upstream_options") or {}),
                      peers=peers, runs=tuple(runs), ensembles=tuple(ensembles))
