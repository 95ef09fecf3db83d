"""Score predictions made by any toolkit on a task's folds: ``seqd bench score`` and its Python API.

A researcher exports the folds (``seqd bench folds``), trains with their own pipeline, and hands back one
prediction per test utterance. The file is checked against the task's folds with *every* problem
reported at once (a wrong file is refused whole, nothing is written), then scored by the code the
runner uses (:mod:`seqd_builder.benchmark.scoring`): the same metrics, fold average and interval.
The result says ``provenance.kind: external`` and carries the model as its submitter declares it;
the leaderboard marks such entries, since nobody here retrained them.

Accepted files: CSV (``.csv``) or JSON Lines (``.jsonl``), one row per test utterance: ``id`` (or
EmoBox's ``key``), ``fold``, and either ``pred`` (a class of the task) and/or ``prob_<class>`` for every
class (summing to 1; ``pred`` defaults to their arg-max), or ``pred_arousal``, ``pred_valence``,
``pred_dominance`` for attribute tasks.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..checksums import file_sha256
from ..errors import SubmissionError
from ..schema import DIMENSIONS
from . import scoring
from .config import config_hash
from .folds import describe
from .predictions import score_table
from .tasks import Task, load_task
from .taskdata import load_task_data, primary_target

PROB_TOLERANCE = 1e-3
"""How far a row's class probabilities may sum from 1 (rounding in the writer's float format)."""

SHOWN = 200  # reasons listed in full; the rest are counted by kind


@dataclass(frozen=True)
class ExternalModel:
    """The model behind external predictions, as its submitter declares it (nothing here is checked
    beyond form: the leaderboard shows it as declared)."""

    name: str
    description: str = ""
    upstream: str | None = None
    pretraining_data: str | None = None
    link: str | None = None
    submitter: str | None = None
    seeds: tuple[int, ...] = (0,)
    frozen: bool = True

    def __post_init__(self):
        problems = []
        if not self.name.strip() or len(self.name) > 100:
            problems.append(f"model name {self.name[:120]!r} must be 1 to 100 characters")
        if self.link and not self.link.startswith(("http://", "https://")):
            problems.append(f"link {self.link[:120]!r} must start with http:// or https://")
        if not self.seeds:
            problems.append("seeds must name at least one seed")
        if problems:
            raise SubmissionError("the declared model is invalid", problems)


def read_predictions(path: str | Path) -> tuple[pd.DataFrame, list[str]]:
    """The rows of a prediction file (all values as read) with a ``_line`` column, and the problems met
    while reading (a line that is not a JSON object, an unknown format)."""
    path = Path(path)
    if not path.is_file():
        raise SubmissionError(f"no prediction file {path}", hint="give a .csv or .jsonl file")
    problems: list[str] = []
    if path.suffix.lower() == ".csv":
        try:
            table = pd.read_csv(path, dtype=str, keep_default_na=False)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
            raise SubmissionError(f"{path} is not a readable CSV file", [str(exc)[:300]]) from None
        table["_line"] = np.arange(len(table)) + 2  # line 1 is the header
    elif path.suffix.lower() in (".jsonl", ".json"):
        records = []
        for n, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except ValueError as exc:
                problems.append(f"line {n}: not JSON ({exc.args[0][:80]})")
                continue
            if not isinstance(obj, dict):
                problems.append(f"line {n}: a JSON object is expected, found {type(obj).__name__}")
                continue
            records.append({**{k: v for k, v in obj.items()}, "_line": n})
        table = pd.DataFrame.from_records(records) if records else pd.DataFrame(columns=["_line"])
    else:
        raise SubmissionError(f"{path}: unknown prediction format {path.suffix!r}",
                              hint="write predictions as .csv or .jsonl")
    if "key" in table and "id" not in table:  # EmoBox's name for the utterance id
        table = table.rename(columns={"key": "id"})
    return table, problems


def _number(value: Any) -> float | None:
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def check_predictions(task: Task, table: pd.DataFrame, tested: dict[str, str],
                      fold_ids: dict[str, list[str]]) -> list[str]:
    """Every problem of ``table`` against the task's folds (``tested``: id -> the fold testing it)."""
    problems: list[str] = []
    cols = set(table.columns)
    vad = primary_target(task) == "vad"
    probs = [f"prob_{c}" for c in task.classes]
    for need in ("id", "fold"):
        if need not in cols:
            problems.append(f"column {need!r} is missing (columns: {sorted(cols - {'_line'})})")
    if vad:
        missing = [f"pred_{d}" for d in DIMENSIONS if f"pred_{d}" not in cols]
        if missing:
            problems.append(f"columns {missing} are missing: attribute tasks need pred_<dimension>")
    else:
        stray = sorted(c for c in cols if c.startswith("prob_") and c not in probs)
        if stray:
            problems.append(f"columns {stray} name no class of task {task.name!r} ({', '.join(task.classes)})")
        has_prob = [c for c in probs if c in cols]
        if has_prob and len(has_prob) != len(probs):
            problems.append(f"class probabilities are given for {len(has_prob)} of {len(probs)} classes; "
                            f"missing {[c for c in probs if c not in cols]}")
        if "pred" not in cols and not has_prob:
            problems.append("neither a 'pred' column nor prob_<class> columns: nothing to score")
    if problems:
        return problems
    seen: dict[str, int] = {}
    for row in table.to_dict(orient="records"):
        line, uid, fold = row["_line"], str(row.get("id")), str(row.get("fold"))
        where = f"line {line}"
        if uid in seen:
            problems.append(f"{where}: id {uid!r} is predicted twice (first on line {seen[uid]})")
            continue
        seen[uid] = line
        if uid not in tested:
            problems.append(f"{where}: id {uid!r} is no test utterance of task {task.name!r}")
        elif fold not in fold_ids:
            problems.append(f"{where}: fold {fold!r} is not a fold of task {task.name!r} "
                            f"(valid: {', '.join(fold_ids)})")
        elif tested[uid] != fold:
            problems.append(f"{where}: id {uid!r} is tested in fold {tested[uid]!r}, not {fold!r}")
        if vad:
            bad = [f"pred_{d}" for d in DIMENSIONS if _number(row.get(f"pred_{d}")) is None]
            if bad:
                problems.append(f"{where}: {', '.join(bad)} is not a finite number")
            continue
        pred = row.get("pred")
        if "pred" in cols and (pred is None or (isinstance(pred, float) and math.isnan(pred)) or pred == ""):
            if not all(c in cols for c in probs):
                problems.append(f"{where}: 'pred' is empty")
        elif "pred" in cols and str(pred) not in task.classes:
            problems.append(f"{where}: label {str(pred)[:50]!r} is not a class of task {task.name!r} "
                            f"(valid: {', '.join(task.classes)})")
        if all(c in cols for c in probs):
            values = [_number(row.get(c)) for c in probs]
            if any(v is None for v in values):
                problems.append(f"{where}: a class probability is missing, NaN or not a number")
            elif any(v < 0 for v in values):
                problems.append(f"{where}: a class probability is negative")
            elif abs(sum(values) - 1.0) > PROB_TOLERANCE:
                problems.append(f"{where}: class probabilities sum to {sum(values):.6g}, not 1 "
                                f"(tolerance {PROB_TOLERANCE})")
    for fold, ids in fold_ids.items():
        absent = [i for i in ids if i not in seen]
        if absent:
            problems.append(f"fold {fold}: {len(absent)} of {len(ids)} test ids have no prediction, e.g. "
                            f"{absent[:3]}")
    return problems


def _summarised(problems: list[str]) -> list[str]:
    if len(problems) <= SHOWN:
        return problems
    kinds = Counter(p.split(": ", 1)[-1].split(" ")[0] for p in problems[SHOWN:])
    return problems[:SHOWN] + [f"… and {len(problems) - SHOWN} more ({dict(kinds)})"]


def score_predictions(task: str | Task, predictions: str | Path, data_dir: str | Path,
                      model: ExternalModel, *, out: str | Path | None = None,
                      bootstrap: dict | None = None) -> dict:
    """Check and score ``predictions`` on ``task`` with the data in ``data_dir``; the results.json
    (written to ``out`` when given, only once everything is valid) is returned."""
    from .results import code_version, now_iso, validate_results

    task = task if isinstance(task, Task) else load_task(task)
    data = load_task_data(task, data_dir)
    protocol, folds = data.folds()
    fold_ids = {f.name: [data.ids[i] for i in f.test] for f in folds}
    tested = {uid: fold for fold, ids in fold_ids.items() for uid in ids}
    table, problems = read_predictions(predictions)
    problems += check_predictions(task, table, tested, fold_ids)
    if problems:
        raise SubmissionError(f"{predictions}: {len(problems)} problem{'s' * (len(problems) != 1)}; "
                              "nothing was scored or written", _summarised(problems),
                              hint="fix every listed problem; `seqd bench folds` lists the test ids of "
                                   "each fold")
    row_of = {uid: k for k, uid in enumerate(data.ids)}
    idx = np.array([row_of[str(u)] for u in table["id"]])
    scored = pd.DataFrame({"id": table["id"].astype(str), "fold": table["fold"].astype(str),
                           "speaker": [data.speakers[i] for i in idx]})
    if primary_target(task) == "vad":
        for k, d in enumerate(DIMENSIONS):
            scored[f"truth_{d}"] = data.vad[idx, k]
            scored[f"pred_{d}"] = table[f"pred_{d}"].astype(float).to_numpy()
    else:
        scored["truth"] = [task.classes[c] for c in data.category[idx]]
        probs = [f"prob_{c}" for c in task.classes]
        if "pred" in table and table["pred"].astype(str).isin(task.classes).all():
            scored["pred"] = table["pred"].astype(str).to_numpy()
        else:
            scored["pred"] = [task.classes[k] for k in table[probs].astype(float).to_numpy().argmax(1)]
    order = [f.name for f in folds]
    meta = {f.name: {"n_train": int(len(f.train) + len(f.validation))} for f in folds}
    entries, scores = score_table(task, scored, order, meta)
    boot = {**scoring.DEFAULT_BOOTSTRAP, **(bootstrap or {})}
    declared = {k: v for k, v in (("description", model.description), ("upstream", model.upstream),
                                  ("pretraining_data", model.pretraining_data), ("link", model.link))
                if v}
    sha = file_sha256(predictions)
    config = {"name": model.name, "model": "external", "external": declared, "predictions_sha256": sha,
              "bootstrap": boot}
    result = {
        "schema_version": 1, "task": task.name, "model": model.name,
        "upstream": {"name": model.upstream or "external", "frozen": bool(model.frozen), "parameters": None},
        "config": config, "config_hash": config_hash(config), "code_version": code_version(),
        "seeds": [int(s) for s in model.seeds],
        "protocol": {"name": protocol.name, "n_folds": len(folds), "averaging": task.averaging[:200]},
        "primary_metric": task.primary_metric,
        "metrics": scoring.summarise(task.metrics, entries, scores, boot), "folds": entries,
        "runtime_s": 0.0, "hardware": {"device": "external", "cpu": None, "gpu": None},
        "date": now_iso(), "dataset": describe(task, data, data_dir),
        "provenance": {"kind": "external", **declared, "predictions_sha256": sha},
        "notes": (f"external predictions scored by `seqd bench score`; averaging: "
                  f"{scoring.averaging_text(boot['resamples'], boot['seed'], boot.get('cluster'))}")[:2000],
    }
    if model.submitter:
        result["submitter"] = model.submitter
    validate_results(result)
    if out is not None:
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return result


__all__ = ["ExternalModel", "check_predictions", "read_predictions", "score_predictions"]
