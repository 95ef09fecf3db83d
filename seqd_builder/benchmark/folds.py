"""Export a task's folds so any toolkit can train and test on exactly the rows ``seqd bench run`` uses.

For each fold, ``<out>/folds/<fold>/{train,validation,test}.{jsonl,csv}`` list the rows with their id,
speaker, corpus and label (the task class, or arousal/valence/dominance for attribute tasks), and
``<out>/task.json`` states the task, its label set, the protocol, the fold sizes and the data's content
fingerprint (:mod:`seqd_builder.benchmark.provenance`). Predictions for the ``test`` rows, scored with
``seqd bench score``, then give a result comparable with every other entry on the task's board.
The folds come from the same call the runner makes (:meth:`TaskData.folds`), which asserts that
speaker-independent folds share no speaker.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from ..schema import DIMENSIONS
from .provenance import corpus_coverage, data_fingerprint, rows_fingerprint
from .tasks import Task, load_task
from .taskdata import TaskData, load_task_data, primary_target

ROLES = ("train", "validation", "test")


def label_columns(task: Task, data: TaskData, rows: np.ndarray) -> dict[str, list]:
    """The label of each row: the task class, or one column per attribute."""
    if primary_target(task) == "vad":
        return {d: [None if np.isnan(v) else float(v) for v in data.vad[rows, k]] for k, d in enumerate(DIMENSIONS)}
    return {"label": [task.classes[c] if c >= 0 else None for c in data.category[rows]]}


def task_labels(task: Task, data: TaskData) -> list:
    if primary_target(task) == "vad":
        return [tuple(round(float(x), 6) for x in v) for v in data.vad]
    return [task.classes[c] for c in data.category]


def audio_fingerprint(data: TaskData) -> str:
    """``sha256:<hex>`` over the task rows' audio bytes, for a folder without a build manifest."""
    import hashlib

    digest = hashlib.sha256()
    column = data.dataset.data.column("audio")
    for uid, row in sorted(zip(data.ids, data.rows.tolist())):
        cell = column[int(row)].as_py() or {}
        digest.update(uid.encode() + b"\0" + hashlib.sha256(cell.get("bytes") or b"").digest())
    return "sha256:" + digest.hexdigest()


def describe(task: Task, data: TaskData, data_dir: str | Path | None) -> dict:
    """The data's identity as a result records it (``dataset`` block): content fingerprints, never
    the folder's path."""
    fingerprint = data_fingerprint(data_dir) if data_dir is not None else None
    info = {"name": task.corpus, "synthetic": bool(task.synthetic),
            "fingerprint": fingerprint or audio_fingerprint(data),
            "rows_fingerprint": rows_fingerprint(data.ids, data.speakers, task_labels(task, data)),
            "utterances": int(len(data))}
    if data_dir is not None:
        info.update(corpus_coverage(data_dir, task.corpus))
    return info


def export_folds(task: str | Task, data_dir: str | Path, out: str | Path) -> dict:
    """Write every fold's rows under ``out`` and return the summary written to ``out/task.json``."""
    task = task if isinstance(task, Task) else load_task(task)
    data = load_task_data(task, data_dir)
    protocol, folds = data.folds()
    out = Path(out)
    corpus_col = data.dataset.data.column("corpus").to_pylist() if "corpus" in data.dataset.column_names \
        else [task.corpus] * len(data.dataset)
    summary_folds = []
    for fold in folds:
        fdir = out / "folds" / fold.name
        fdir.mkdir(parents=True, exist_ok=True)
        sizes = {}
        for role in ROLES:
            rows = np.asarray(getattr(fold, role), dtype=int)
            table = pd.DataFrame({"id": [data.ids[i] for i in rows], "fold": fold.name, "role": role,
                                  "speaker": [data.speakers[i] for i in rows],
                                  "corpus": [corpus_col[int(data.rows[i])] or task.corpus for i in rows],
                                  **label_columns(task, data, rows)})
            table.to_csv(fdir / f"{role}.csv", index=False)
            (fdir / f"{role}.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n"
                                                         for r in table.to_dict(orient="records")),
                                                 encoding="utf-8")
            sizes[role] = int(len(rows))
        summary_folds.append({"fold": fold.name, **sizes,
                              "test_speakers": sorted({data.speakers[i] for i in fold.test})})
    summary = {"task": task.name, "title": task.title, "corpus": task.corpus, "protocol": protocol.name,
               "speaker_independent": bool(getattr(protocol, "speaker_independent", True)),
               "targets": list(task.targets), "primary_metric": task.primary_metric,
               "metrics": list(task.metrics), "averaging": task.averaging,
               "labels": list(task.classes) if primary_target(task) != "vad" else list(DIMENSIONS),
               "label_map": dict(task.label_map), "dataset": describe(task, data, data_dir),
               "folds": summary_folds,
               "predictions": "one row per test id of each fold: id, fold, and pred (a label) and/or "
                              "prob_<label> columns, or pred_<dimension> for attribute tasks"}
    out.mkdir(parents=True, exist_ok=True)
    (out / "task.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")
    return summary
