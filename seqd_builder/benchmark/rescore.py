"""Recompute a filed result's metrics and intervals with the current scoring code, changing nothing else.

Why: the interval a result reports changed definition (see :mod:`seqd_builder.benchmark.scoring`), and
results are evidence that should not be retrained to update a derived number. From the per-utterance
predictions in the run folder beside ``results.json`` (or, for a result filed without them, from its
folds' confusion matrices, which determine every category metric and its interval), each fold is scored
again and must reproduce the fold metrics the result states; only then are the fold means, intervals
and the averaging statement replaced. A result whose folds do not reproduce is refused, not rewritten.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np

from ..errors import SubmissionError
from . import scoring
from .metrics import counts_metrics
from .runfolder import run_folder
from .tasks import load_task

TOLERANCE = 1e-9
"""Largest difference allowed between a stated fold metric and its recomputation (float noise)."""


def _check(where: str, stated: dict, fresh: dict, reasons: list[str]) -> None:
    for name, value in fresh.items():
        old = stated.get(name)
        if old is not None and not math.isclose(old, value, rel_tol=0, abs_tol=TOLERANCE):
            reasons.append(f"{where}: {name} stated {old!r}, recomputed {value!r}")


def rescore(results: dict, *, run_dir: Path | None = None, cluster: str | None = None) -> dict:
    """``results`` with fold means and intervals recomputed; raises when a fold does not reproduce."""
    from .compare import load_predictions
    from .predictions import score_table

    task = load_task(results["task"])
    folds = results["folds"]
    boot = {**scoring.DEFAULT_BOOTSTRAP, **(results.get("config") or {}).get("bootstrap", {})}
    if cluster is not None:
        boot["cluster"] = cluster
    reasons: list[str] = []
    scores = None
    if run_dir is not None and (run_dir / "folds").is_dir():
        table = load_predictions(run_dir, [f["fold"] for f in folds])
        fresh, scores = score_table(task, table, [f["fold"] for f in folds])
        for f, new in zip(folds, fresh):
            _check(f"fold {f['fold']}", f["metrics"], new["metrics"], reasons)
            if "confusion" in f and f["confusion"] != new.get("confusion"):
                reasons.append(f"fold {f['fold']}: confusion matrix differs from the predictions'")
    elif all("confusion" in f for f in folds):
        for f in folds:
            fresh = {k: float(v) for k, v in counts_metrics(np.asarray(f["confusion"])).items()}
            _check(f"fold {f['fold']}", f["metrics"], fresh, reasons)
    else:
        scores = []  # nothing to resample: the stale interval is withdrawn below, not kept
    if reasons:
        raise SubmissionError(f"result of {results.get('model')} on {results['task']} does not reproduce",
                              reasons[:20], hint="rescore only results made by this code's scoring")
    out = dict(results)
    metrics = scoring.summarise(task.metrics, folds, scores, boot)
    out["metrics"] = {k: metrics.get(k, v) for k, v in results["metrics"].items()}
    text = scoring.averaging_text(boot["resamples"], boot["seed"], boot.get("cluster"))
    if scores == []:
        out["metrics"] = {k: {n: x for n, x in v.items() if n != "ci95"} for k, v in out["metrics"].items()}
        text = ("unweighted mean over folds; no 95% CI: filed without the per-utterance predictions or "
                "confusion matrices its interval needs")
    notes = results.get("notes", "")
    out["notes"] = (re.sub(r"averaging: [^;]*(; (no )?95% CI: [^;]*)?", lambda _: f"averaging: {text}", notes,
                           count=1) if "averaging: " in notes else f"averaging: {text}; {notes}".rstrip("; "))
    out["notes"] = out["notes"][:2000]
    out["protocol"] = {**results["protocol"], "averaging": task.averaging[:200]}
    return out


def rescore_file(path: str | Path, *, write: bool = True, cluster: str | None = None) -> dict:
    """Rescore ``path`` (its run folder beside it when present) and write it back unless ``write`` is
    False; returns the new result."""
    path = Path(path)
    results = json.loads(path.read_text(encoding="utf-8"))
    new = rescore(results, run_dir=run_folder(path), cluster=cluster)
    if write:
        path.write_text(json.dumps(new, indent=2, ensure_ascii=False) + ("\n" if path.read_text(
            encoding="utf-8").endswith("\n") else ""), encoding="utf-8")
    return new
