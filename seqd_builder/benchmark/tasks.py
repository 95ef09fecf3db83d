"""Benchmark tasks, declared in ``benchmark/tasks/<name>.yaml``.

A task fixes everything that makes two results comparable: the dataset config (corpus), the label set
(fine categories or a coarse map over them), the protocol (a protocol name of the corpus card), the
targets, the primary metric and the fold-averaging rule. Models and upstreams vary; tasks do not.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


from ..assets import asset_dir
from ..errors import ConfigError, UnknownLabelError
from ..schema import CATEGORIES
from ..typed import validate_file_record
from ..yamlfile import read_mapping
from .metrics import METRICS as REGISTRY, task_metrics

TARGETS = ("category", "intensity", "vad", "phones", "gender")
INTENSITY_SCALES = ("native", "unified")
METRICS = task_metrics()  # derived from the metric registry


@dataclass(frozen=True)
class Task:
    name: str
    title: str
    corpus: str
    protocol: str
    targets: tuple[str, ...]
    primary_metric: str
    metrics: tuple[str, ...]
    classes: tuple[str, ...] = ()
    label_map: dict[str, str] = field(default_factory=dict)
    n_folds: int | None = None
    averaging: str = "unweighted mean over folds"
    description: str = ""
    synthetic: bool = False
    path: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # several corpora (multi-corpus and cross-corpus tasks, seqd_builder/benchmark/multicorpus.py):
    # ``corpora`` the corpora whose rows the task reads, ``protocols`` each one's card protocol
    # (default: ``protocol``), ``train_on`` / ``test_on`` the corpora that train and that are tested
    # (default: all), ``test_ids`` an id-list file per test corpus (EmoBox track-2 style test sets)
    corpora: tuple[str, ...] = ()
    protocols: dict[str, str] = field(default_factory=dict)
    train_on: tuple[str, ...] = ()
    test_on: tuple[str, ...] = ()
    test_ids: dict[str, str] = field(default_factory=dict)
    # the scale the intensity target is read on: "native" (the card's own levels, intensity_level) or
    # "unified" (the cards' map onto 0 none .. 3 high, schema/scales.py), so corpora train together
    intensity_scale: str = "native"

    def __post_init__(self):
        where = self.path or self.name
        for t in self.targets:
            if t not in TARGETS:
                raise UnknownLabelError("target", t, TARGETS, file=where)
        for m in (*self.metrics, self.primary_metric):
            if m not in METRICS:
                raise UnknownLabelError("metric", m, METRICS, file=where)
        wrong = [m for m in self.metrics if REGISTRY[m].target not in self.targets]
        if wrong:
            raise ConfigError(f"metrics {wrong} score targets this task does not have "
                              f"({', '.join(self.targets)})", file=where,
                              hint="a category task reports wa/ua/macro_f1, a vad task ccc_*")
        if self.primary_metric not in self.metrics:
            raise ConfigError(f"primary_metric {self.primary_metric!r} must be one of metrics "
                              f"{list(self.metrics)}", file=where)
        for src, dst in self.label_map.items():
            if src not in CATEGORIES:
                raise UnknownLabelError("category", src, CATEGORIES, file=where)
            if dst not in self.classes:
                raise UnknownLabelError("class", dst, self.classes, file=where)
        for c in self.classes:
            if c not in CATEGORIES and c not in self.label_map.values():
                raise UnknownLabelError("class", c, CATEGORIES, file=where)
        if "category" in self.targets and not self.classes:
            raise ConfigError("a category task must list its classes", file=where)
        if self.intensity_scale not in INTENSITY_SCALES:
            raise UnknownLabelError("intensity_scale", self.intensity_scale, INTENSITY_SCALES, file=where)
        if self.corpora:
            from .multicorpus import check_task

            check_task(self)

    @property
    def corpus_list(self) -> tuple[str, ...]:
        """The corpora of the task: ``corpora`` of a multi-corpus task, else ``(corpus,)``."""
        return tuple(self.corpora) or (self.corpus,)

    @property
    def multi(self) -> bool:
        return bool(self.corpora)

    def class_of(self, category: str | None) -> str | None:
        """The task class of a unified category, or None when the task leaves it out."""
        if category is None:
            return None
        category = self.label_map.get(category, category)
        return category if category in self.classes else None


def task_dir() -> Path:
    return asset_dir("benchmark", "tasks")


def list_tasks() -> list[str]:
    return sorted(p.stem for p in task_dir().glob("*.yaml"))


def load_task(name_or_path: str | Path) -> Task:
    path = Path(name_or_path)
    if path.suffix not in (".yaml", ".yml"):
        path = task_dir() / f"{name_or_path}.yaml"
    if not path.is_file():
        raise UnknownLabelError("task", str(name_or_path), list_tasks(),
                                hint="run `seqd bench list` for the tasks")
    known = {f.name for f in dataclasses.fields(Task)} - {"classes", "label_map", "path"}
    data = read_mapping(path, "a task file", fields=known | {"labels"})
    labels = data.pop("labels", {}) or {}
    if not isinstance(labels, dict):
        raise ConfigError(f"labels must be a mapping with classes and map, got {labels!r}", file=path)
    if data.get("corpora") and "corpus" not in data:  # a multi-corpus task is named by its corpora
        data["corpus"] = "+".join(data["corpora"])
    if isinstance(data.get("protocol"), dict):  # one protocol per corpus
        data["protocols"], data["protocol"] = dict(data["protocol"]), "composed"
    missing = [k for k in ("name", "title", "corpus", "protocol", "targets", "primary_metric", "metrics")
               if k not in data]
    if missing:
        raise ConfigError(f"task file lacks {missing}", file=path)
    return validate_file_record(Task, {**data, "path": path, "classes": labels.get("classes") or (),
                                       "label_map": labels.get("map") or {}},
                                file=path, what="task file")
