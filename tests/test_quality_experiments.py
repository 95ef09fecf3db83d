"""The quality experiments are data: every declared run rebuilds the configuration its committed result
was made with, and a malformed experiment file is refused with the file named."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from seqd_builder.benchmark.config import load_model_config
from seqd_builder.errors import ConfigError

QUALITY = Path(__file__).resolve().parents[1] / "benchmark" / "quality"
sys.path.insert(0, str(QUALITY))
from experiments import experiment_files, load_experiment  # noqa: E402


def _subset_equal(declared, committed, where=""):
    """Every key of the committed config has the declared value (new keys with defaults may be added)."""
    if isinstance(committed, dict):
        assert isinstance(declared, dict), where
        for key, value in committed.items():
            assert key in declared, f"{where}.{key} missing from the declared configuration"
            _subset_equal(declared[key], value, f"{where}.{key}")
    else:
        assert declared == committed or (isinstance(committed, list) and list(declared) == committed), \
            f"{where}: declared {declared!r}, committed result made with {committed!r}"


def test_every_declared_run_rebuilds_its_committed_configuration():
    checked = 0
    for path in experiment_files():
        experiment = load_experiment(path)
        for task in experiment.tasks:
            for run in experiment.runs:
                result = QUALITY / "results" / f"{task}__{run.tag}__{run.upstream.replace(':', '-')}.json"
                if not result.is_file():
                    continue
                committed = json.loads(result.read_text())["config"]
                declared = load_model_config(run.model, run.overrides)
                for key in ("params", "training", "augment", "normalise"):
                    if key in committed:
                        _subset_equal(declared[key], committed[key], f"{result.name}:{key}")
                if run.upstream != "fbank":  # runtime options (threads, cache) do not change features
                    runtime = {"threads", "cache"}
                    used = {k: v for k, v in committed["upstream"]["options"].items() if k not in runtime}
                    want = {k: v for k, v in experiment.options_for(run.upstream).items() if k not in runtime}
                    assert used == want, result.name
                checked += 1
    assert checked >= 30  # 20 runs x 2 tasks, less those never run on both


def test_malformed_experiment_is_refused(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("tasks: [emodb]\nblocks: {a: {training: {epochs: 2}}}\n"
                   "runs:\n  - {tag: x, model: baseline, upstream: fbank, overrides: [b]}\n")
    with pytest.raises(ConfigError, match=r"bad.yaml: runs\[0\] \(x\): unknown override block 'b'; valid: a"):
        load_experiment(bad)
    bad.write_text("tasks: [emodb]\nrunz: []\n")
    with pytest.raises(ConfigError, match="unknown keys \\['runz'\\]"):
        load_experiment(bad)
