"""The cross-corpus matrix: train on corpus A, test on corpus B, for every pair of a list of corpora.

Each cell is a task built here (:func:`cell_task`) and run by :func:`~.runner.run_task`, so a cell's
results.json is an ordinary, schema-valid result with its ``corpora`` block:

* off the diagonal, A → B: training on A's rows (validation carved from A's own speakers, see
  :func:`~.multicorpus.compose_folds`), one test fold with all of B's rows over the classes A and B
  share (or B's committed id list, ``--test-set track2``);
* on the diagonal, A → A: A's in-corpus protocol (its single-corpus task's folds) over the same
  shared classes, so the diagonal says what the same model reaches when train and test match.

The classes default to the classes shared by every corpus of the matrix (one label set for the whole
matrix, so cells compare), or ``classes`` (e.g. EmoBox track 2's angry, happy, sad, neutral). The summary
``matrix.json`` lists each cell's primary metric and interval; ``seqd leaderboard matrix`` (or
:func:`seqd_builder.leaderboard.matrix.render_matrix`) draws it as a heat map page.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import ConfigError
from .tasks import Task, load_task

TEST_SETS = {"track2": {"emodb": "emodb_track2.txt", "ravdess": "ravdess360_track2.txt"}}
TRACK2_CLASSES = ("angry", "happy", "sad", "neutral")


def shared_classes(corpora) -> tuple[str, ...]:
    """Classes that every corpus's own task declares, in the first task's order."""
    tasks = [load_task(c) for c in corpora]
    common = set(tasks[0].classes).intersection(*(t.classes for t in tasks[1:]))
    if not common:
        raise ConfigError(f"the tasks of {list(corpora)} share no class",
                          hint="give the classes explicitly, e.g. --classes angry,happy,sad,neutral")
    return tuple(c for c in tasks[0].classes if c in common)


def cell_name(train: str, test: str) -> str:
    return f"xc.{train}.{test}"


def cell_task(train: str, test: str, classes, *, test_set: str | None = None,
              intensity_scale: str = "native") -> Task:
    """The task of one matrix cell (``train == test``: the in-corpus protocol over ``classes``)."""
    a, b = load_task(train), load_task(test)
    corpora = (train,) if train == test else (train, test)
    test_ids = {}
    if test_set is not None:
        lists = TEST_SETS.get(test_set)
        if lists is None:
            raise ConfigError(f"test set {test_set!r} is not known; valid: {sorted(TEST_SETS)}")
        if test not in lists:
            raise ConfigError(f"test set {test_set!r} has no list for {test!r}; lists: {sorted(lists)}")
        test_ids = {test: lists[test]}
    targets = tuple(t for t in a.targets if t in ("category", "gender", "intensity")
                    and (t != "intensity" or intensity_scale == "unified"))
    return Task(name=cell_name(train, test), title=f"{train} → {test} ({', '.join(classes)})",
                corpus="+".join(corpora), protocol="cross" if train != test else a.protocol,
                targets=targets, primary_metric=a.primary_metric,
                metrics=tuple(m for m in a.metrics if m in ("ua", "wa", "macro_f1")),
                classes=tuple(classes), label_map={k: v for k, v in {**a.label_map, **b.label_map}.items()
                                                   if v in classes},
                description=f"cross-corpus cell: train on {train}, test on {test}",
                corpora=corpora, protocols={train: a.protocol, **({test: b.protocol} if test != train else {})},
                train_on=(train,), test_on=(test,), test_ids=test_ids, intensity_scale=intensity_scale)


def run_matrix(corpora, model: str, sources, out_dir: str | Path, *, upstream=None, classes=None,
               test_set: str | None = None, intensity_scale: str = "native", config_overrides=None,
               upstream_options=None, seed=None, progress: bool = True) -> dict:
    """Fill the train x test matrix of ``corpora``: one results file per cell, and ``matrix.json``.

    Finished cells (their results.json exists) are read, not rerun.
    """
    from .runner import run_task

    corpora = list(dict.fromkeys(corpora))
    if len(corpora) < 2:
        raise ConfigError("a cross-corpus matrix needs at least two corpora", hint="e.g. emodb ravdess")
    classes = tuple(classes) if classes else (TRACK2_CLASSES if test_set else shared_classes(corpora))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    cells = []
    for a in corpora:
        for b in corpora:
            task = cell_task(a, b, classes, test_set=test_set, intensity_scale=intensity_scale)
            out = out_dir / f"{a}__{b}.json"
            if out.is_file():
                res = json.loads(out.read_text(encoding="utf-8"))
            else:
                res = run_task(task, model, _sources_for(sources, task), upstream=upstream, out=out,
                               config_overrides=config_overrides, upstream_options=upstream_options,
                               seed=seed, progress=progress)
            cells.append(cell_summary(a, b, res, out.name))
    summary = {"corpora": corpora, "classes": list(classes), "model": cells[0]["model"],
               "upstream": cells[0]["upstream"], "test_set": test_set, "primary_metric": cells[0]["metric"],
               "cells": cells}
    (out_dir / "matrix.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")
    from ..leaderboard.matrix import render_matrix

    render_matrix(summary, out_dir / "matrix.html")
    return summary


def _sources_for(sources, task):
    if isinstance(sources, dict):
        return {c: sources[c] for c in task.corpus_list if c in sources} or sources
    return sources


def cell_summary(train: str, test: str, res: dict, file: str) -> dict:
    prim = res["primary_metric"]
    m = res["metrics"].get(prim, {})
    return {"train": train, "test": test, "metric": prim, "mean": m.get("mean"), "ci95": m.get("ci95"),
            "n_folds": res["protocol"]["n_folds"], "model": res["model"],
            "upstream": res["upstream"]["name"], "file": file}
