"""Seed ensembles: one result from several runs of one config that differ only in the training seed.

Why: on a few hundred utterances a model trained from scratch moves by a point or more of UA from one
seed to the next (benchmark/quality/RESULTS.md), about as much as the differences between configs.
Averaging the class probabilities (or the VAD predictions) of a few seeds is the field's usual remedy,
and it is honest only if the members are otherwise the same run. So this module refuses members that
differ in anything but ``training.seed``: task, model, front-end, every other config value, folds, test
utterances and labels. Members are complete, resumable runs of ``seqd bench run`` and stay on disk;
the ensemble is computed from their ``predictions.csv`` and costs no training. Its ``results.json``
lists the seeds, names the members in ``config.ensemble`` (so its config hash differs from any single
run's) and keeps the runner's layout (a run folder with per-fold predictions), so ``seqd bench compare``
and the leaderboard take it like any other run.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Sequence

import numpy as np

from ..errors import SubmissionError
from ..schema import DIMENSIONS
from . import scoring
from .compare import Run, check_paired, load_run
from .config import config_hash
from .results import code_version, now_iso, validate_results
from .runfolder import run_folder

RULE = "mean of the members' class probabilities (argmax); mean of their VAD predictions"


def _without_seed(cfg: dict) -> dict:
    cfg = copy.deepcopy(cfg)
    cfg.get("training", {}).pop("seed", None)
    return cfg


def _check_members(runs: list[Run]) -> None:
    if len(runs) < 2:
        raise SubmissionError("an ensemble needs at least two runs", hint="give the results.json of each seed")
    first = runs[0]
    reasons = []
    for r in runs[1:]:
        check_paired(first, r, purpose="combined into one ensemble")
        for key in ("task", "model"):
            if r.results.get(key) != first.results.get(key):
                reasons.append(f"{r.path.name}: {key} {r.results.get(key)!r} differs from "
                               f"{first.results.get(key)!r}")
        up, up_first = ((x.results.get("upstream") or {}).get("name") for x in (r, first))
        if up != up_first:
            reasons.append(f"{r.path.name}: front-end {up!r} differs from {up_first!r}")
        if _without_seed(r.results.get("config", {})) != _without_seed(first.results.get("config", {})):
            a, b = _without_seed(first.results["config"]), _without_seed(r.results["config"])
            keys = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
            reasons.append(f"{r.path.name}: config differs from {first.path.name} beyond training.seed "
                           f"(in {', '.join(keys)})")
    reasons += [f"{r.path.name} is itself an ensemble" for r in runs if "ensemble" in r.results.get("config", {})]
    seeds = [s for r in runs for s in r.results.get("seeds", [])]
    if len(set(seeds)) != len(seeds):
        reasons.append(f"seeds repeat across members: {seeds}")
    if reasons:
        raise SubmissionError("these runs are not seeds of one config", reasons,
                              hint="rerun one config with `seqd bench run ... --seed N` for each member")


def ensemble_runs(paths: Sequence[str | Path], out: str | Path) -> dict:
    """Combine seed runs into one result, written to ``out`` (and its run folder); returns it."""
    from .tasks import load_task

    runs = [load_run(p) for p in paths]
    _check_members(runs)
    first = runs[0].results
    task = load_task(first["task"])
    ids = runs[0].predictions["id"]
    tables = [r.predictions.set_index("id").loc[ids].reset_index() for r in runs]
    base = tables[0]
    merged = base[["id", "speaker", "fold"] if "speaker" in base else ["id", "fold"]].copy()
    fold_meta = {f["fold"]: f for f in first["folds"]}
    categorical = "truth" in base
    if categorical:
        probs = [f"prob_{c}" for c in task.classes]
        lacking = [r.path.name for r, t in zip(runs, tables) if not set(probs) <= set(t)]
        if lacking:
            raise SubmissionError("category ensembles average class probabilities, which these runs did not "
                                  f"write: {', '.join(lacking)}", hint="use runs made by `seqd bench run`")
        p = np.mean([t[probs].to_numpy(float) for t in tables], axis=0)
        code = {c: i for i, c in enumerate(task.classes)}
        truth = base["truth"].map(lambda v: code.get(v, -1)).to_numpy()
        pred = p.argmax(1)
        merged["truth"] = base["truth"]
        merged["pred"] = [task.classes[k] for k in pred]
        for k, c in enumerate(probs):
            merged[c] = np.round(p[:, k], 6)
    vad = {f"pred_{d}" for d in DIMENSIONS} <= set(base)
    if vad:
        vt = base[[f"truth_{d}" for d in DIMENSIONS]].to_numpy(float)
        vp = np.mean([t[[f"pred_{d}" for d in DIMENSIONS]].to_numpy(float) for t in tables], axis=0)
        for k, d in enumerate(DIMENSIONS):
            merged[f"truth_{d}"], merged[f"pred_{d}"] = vt[:, k], np.round(vp[:, k], 6)
    # the runner's own per-fold metrics and pooled arrays, over a table whose rows are these utterances
    table = SimpleNamespace(category=truth if categorical else None, vad=vt if vad else None,
                            speakers=base["speaker"].tolist() if "speaker" in base else None)
    preds = {**({"category": pred} if categorical else {}), **({"vad": vp} if vad else {})}
    folds_json, scores = [], []
    for fold in runs[0].folds:
        rows = np.flatnonzero(merged["fold"].to_numpy() == fold)
        fold_pred = {k: v[rows] for k, v in preds.items()}
        metrics, extra = scoring.fold_metrics(task, table, fold_pred, rows, None)
        meta = {k: fold_meta[fold][k] for k in ("test_speakers", "n_train") if k in fold_meta[fold]}
        folds_json.append({"fold": fold, **meta, "n_test": int(len(rows)), "metrics": metrics, **extra})
        scores.append(scoring.FoldScores.from_pooled(fold, scoring.pooled_arrays(table, fold_pred, rows),
                                                     len(task.classes)))
    boot = {**scoring.DEFAULT_BOOTSTRAP, **first["config"].get("bootstrap", {})}
    averaged = scoring.summarise(task.metrics, folds_json, scores, boot)
    seeds = sorted(s for r in runs for s in r.results["seeds"])
    config = _without_seed(first["config"])
    config["ensemble"] = {"seeds": seeds, "members": [r.path.name for r in runs], "rule": RULE}
    result = {
        **{k: first[k] for k in ("schema_version", "task", "model", "upstream", "protocol",
                                 "primary_metric", "hardware", "dataset") if k in first},
        "config": config, "config_hash": config_hash(config), "code_version": code_version(),
        "seeds": seeds, "metrics": averaged, "folds": folds_json,
        "runtime_s": round(sum(float(r.results.get("runtime_s", 0.0)) for r in runs), 3), "date": now_iso(),
        "notes": (f"seed ensemble of {len(runs)} runs (seeds {', '.join(map(str, seeds))}): {RULE}; "
                  f"runtime is the members' total; averaging: "
                  f"{scoring.averaging_text(boot['resamples'], boot['seed'], boot.get('cluster'))}")[:2000],
    }
    validate_results(result)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    for fold in runs[0].folds:
        fdir = run_folder(out) / "folds" / fold
        fdir.mkdir(parents=True, exist_ok=True)
        merged[merged["fold"] == fold].to_csv(fdir / "predictions.csv", index=False)
    out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return result

