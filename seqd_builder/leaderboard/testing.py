"""Realistic results.json documents for tests and examples, built from simulated predictions.

Nothing here is a benchmark result. Each fold draws true labels, lets a model of a given ``skill`` get
each utterance right with that probability (otherwise it picks a wrong class at random), and computes
the metrics from those predictions with scikit-learn, so confusion matrices, fold metrics, fold
averages and bootstrap intervals agree with each other exactly as they do in a real run. VAD tasks get
predictions correlated with the truth and corpus-level CCC per dimension.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np

from ..benchmark import metrics as M
from ..benchmark.scoring import FoldScores, summarise
from ..benchmark.tasks import Task, load_task, task_dir

TOY_VAD_TASK = """\
name: toy_vad
title: "Toy VAD regression (synthetic, for tests)"
description: Attribute regression on a generated corpus; exists only for the leaderboard's tests.
corpus: demo
protocol: speaker_folds
n_folds: 3
targets: [vad]
primary_metric: ccc_mean
metrics: [ccc_mean, ccc_arousal, ccc_valence, ccc_dominance]
averaging: unweighted mean over folds
synthetic: true
"""


def task_assets(root: str | Path, real: tuple[str, ...] = ("emodb", "ravdess")) -> Path:
    """An assets root (for ``SEQD_ASSETS``) whose ``benchmark/tasks`` holds copies of the ``real``
    task files and the synthetic ``toy_vad`` task, so tests see a fixed set of tasks whatever other
    task files the repository gains. Schema, metrics and templates still come from the checkout."""
    tasks = Path(root) / "benchmark" / "tasks"
    tasks.mkdir(parents=True, exist_ok=True)
    for name in real:
        shutil.copyfile(task_dir() / f"{name}.yaml", tasks / f"{name}.yaml")
    (tasks / "toy_vad.yaml").write_text(TOY_VAD_TASK, encoding="utf-8")
    return Path(root)


def make_result(task: str | Task, *, model: str = "speecheq", upstream: str = "fbank",
                skill: float = 0.7, seed: int = 0, n_test: int = 48, parameters: int | None = None,
                frozen: bool = True, fold_names: list[str] | None = None,
                bootstrap: int = 200, **overrides: Any) -> dict:
    """A schema-valid, internally consistent results.json for ``task`` (a name or a :class:`Task`).

    ``overrides`` replace top-level fields after the document is built (e.g. ``notes=...``).
    """
    task = task if isinstance(task, Task) else load_task(task)
    rng = np.random.default_rng(seed)
    n_folds = task.n_folds or 1
    names = fold_names or [f"fold{i + 1}" for i in range(n_folds)]
    classes = list(task.classes)
    folds, scores = [], []
    for i, fold in enumerate(names):
        n = int(n_test + rng.integers(-n_test // 5, n_test // 5 + 1))
        entry: dict[str, Any] = {"fold": fold, "test_speakers": [f"{task.corpus}/spk{i + 1:02d}"],
                                 "n_train": n * (n_folds - 1), "n_test": n,
                                 "epochs": int(rng.integers(8, 30))}
        if classes:
            truth = rng.integers(0, len(classes), n)
            truth[: len(classes)] = np.arange(len(classes))  # every class tested in every fold
            right = rng.random(n) < skill
            wrong = (truth + rng.integers(1, len(classes), n)) % len(classes)
            pred = np.where(right, truth, wrong)
            entry["metrics"] = M.classification_metrics(truth, pred, len(classes))
            entry["labels"] = classes
            entry["confusion"] = M.confusion(truth, pred, len(classes))
            scores.append(FoldScores(fold, category_truth=truth, category_pred=pred, n_classes=len(classes)))
        else:
            truth = rng.random((n, 3))
            pred = skill * truth + (1 - skill) * rng.random((n, 3))
            entry["metrics"] = M.vad_metrics(truth, pred)
            scores.append(FoldScores(fold, vad_truth=truth, vad_pred=pred))
        folds.append(entry)
    metrics = summarise(list(folds[0]["metrics"]) if bootstrap else [], folds, scores,
                        {"resamples": max(bootstrap, 1), "seed": seed})
    config = {"task": task.name, "model": {"name": model, "hidden": 256, "dropout": 0.2},
              "upstream": {"name": upstream, "frozen": frozen},
              "train": {"lr": 1e-3, "batch_size": 16, "max_epochs": 40, "patience": 6, "seed": seed}}
    canonical = json.dumps(config, sort_keys=True, separators=(",", ":")).encode()
    result = {
        "schema_version": 1,
        "task": task.name,
        "model": model,
        "upstream": {"name": upstream, "frozen": frozen, "parameters": parameters,
                     **({} if upstream == "fbank" else {"layers": "last"})},
        "config": config,
        "config_hash": "sha256:" + hashlib.sha256(canonical).hexdigest(),
        "code_version": "0.1.0+g807ffc1",
        "seeds": [seed],
        "protocol": {"name": task.protocol, "n_folds": len(names), "averaging": task.averaging},
        "primary_metric": task.primary_metric,
        "metrics": metrics,
        "folds": folds,
        "runtime_s": float(round(60 + 400 * rng.random(), 1)),
        "hardware": {"device": "cpu", "cpu": "x86_64, 2 cores", "gpu": None, "torch": "2.13.0"},
        "date": "2026-11-21T18:00:00+00:00",
        "submitter": "seqd-builder tests",
        "dataset": {"name": f"{task.corpus}-hf", "fingerprint": f"{seed:016x}",
                    "synthetic": bool(task.synthetic)},
    }
    result.update(overrides)
    return result


CROWDED = (  # (model, upstream, upstream parameters): names as long as real submissions get
    ("speecheq_stats_noaux_refit_bdrop75", "ct2-whisper:base", 20_590_592),
    ("speecheq_stats", "ct2-whisper:base", 20_590_592),
    ("peer:whisper-pooled-lr-trainonly", "ct2-whisper:base", None),
    ("speecheq_noaug", "microsoft/wavlm-base-plus", 94_381_056),
    ("emosphere_noaux", "openai/whisper-large-v3", 1_541_384_960),
    ("baseline", "fbank", 0),
    ("peer:egemaps-rbfsvm", "opensmile:eGeMAPSv02", None),
    ("speecheq_stats_noaux", "fbank", 0),
    ("speecheq", "facebook/hubert-large-ll60k", 315_438_720),
)


def crowded_results(task: str | Task = "emodb", n: int = 19) -> list[dict]:
    """``n`` results of one task for pages with many entries: long model and upstream names, several
    upstream sizes (and size-less peers), and a seed ensemble beside a single seed of the same config
    (``speecheq_stats`` on ``ct2-whisper:base``), the pair that must not look alike."""
    out = []
    for i in range(n):
        model, upstream, params = CROWDED[i % len(CROWDED)]
        out.append(make_result(task, model=model, upstream=upstream, parameters=params, seed=i,
                               skill=0.45 + 0.4 * ((i * 7) % n) / n, bootstrap=20))
    single = next(r for r in out if r["model"] == "speecheq_stats")
    ensemble = json.loads(json.dumps(single))
    ensemble["config"]["ensemble"] = {"seeds": [0, 1, 2], "members": ["s0.json", "s1.json", "s2.json"],
                                      "rule": "mean of the members' class probabilities"}
    canonical = json.dumps(ensemble["config"], sort_keys=True, separators=(",", ":")).encode()
    ensemble.update(seeds=[0, 1, 2], config_hash="sha256:" + hashlib.sha256(canonical).hexdigest())
    out[-1] = ensemble
    return out
