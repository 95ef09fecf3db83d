"""Where a benchmark run keeps its per-fold state: the run folder beside ``results.json``.

``results/emodb.json`` keeps its folds in ``results/emodb.run/``. The ``.run`` suffix is what makes the
name safe: the earlier rule (the results path without ``.json``) turned the default
``--out results.json`` into a folder ``results/``, the very name users give their folder of result
files, and a second run then tripped over the first one's leftovers. Folders written under that rule
(the committed quality runs) are still read and resumed where they exist.

A run folder whose configuration differs from the current run's is refused only when it holds a finished
fold (work that would be mixed with another configuration's); one left by a run that failed before
finishing any fold is stale and is taken over, so a failed run never blocks the next.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import BuildError

SUFFIX = ".run"


def run_folder(out: str | Path) -> Path:
    """The run folder of the results file ``out`` (an existing folder of the old naming wins)."""
    out = Path(out)
    legacy = out.with_suffix("") if out.suffix == ".json" else None
    if legacy is not None and (legacy / "folds").is_dir() and not out.with_name(out.stem + SUFFIX).exists():
        return legacy
    return out.with_name((out.stem if out.suffix == ".json" else out.name) + SUFFIX)


def finished_folds(run_dir: Path) -> list[str]:
    """Names of the folds a run folder already finished (each has its ``result.json``)."""
    return sorted(p.parent.name for p in (run_dir / "folds").glob("*/result.json"))


def prepare_run_folder(out: str | Path, config_hash: str, config: dict) -> Path:
    """Create or resume the run folder of ``out`` for a run of ``config``; returns it.

    Raises :class:`~seqd_builder.errors.BuildError` when it holds finished folds of another config.
    """
    run_dir = run_folder(out)
    if run_dir.exists() and not run_dir.is_dir():
        raise BuildError(f"run folder {run_dir} is a file", hint="use another --out or move the file away")
    cfg_file = run_dir / "config.json"
    if cfg_file.is_file():
        try:
            old = json.loads(cfg_file.read_text(encoding="utf-8")).get("config_hash")
        except (json.JSONDecodeError, AttributeError):
            old = None
        done = finished_folds(run_dir)
        if old == config_hash:
            return run_dir
        if done:
            raise BuildError(f"run folder {run_dir} holds {len(done)} finished folds of config {old}; this "
                             f"run has config {config_hash}",
                             hint=f"use another --out, or delete {run_dir} to start this config afresh")
    run_dir.mkdir(parents=True, exist_ok=True)
    cfg_file.write_text(json.dumps({"config_hash": config_hash, "config": config}, indent=2),
                        encoding="utf-8")
    return run_dir
