"""The ranked table of one task: which metrics are columns, in which order the rows go.

Shared by the HTML page, the Markdown export and the plots so that they always rank alike. Columns: the
task's primary metric first, then the task's other metrics, then any further metric a submission
reports (in ``leaderboard/metrics.yaml`` order). Rows sort by the primary metric in its declared
direction, ties broken by the following columns, then by model and file name; equal primary values
share a rank ("1, 2, 2, 4").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..benchmark.tasks import Task
from ..errors import ConfigError
from .metrics import MetricSpec, load_metrics
from .submission import Submission


@dataclass(frozen=True)
class Row:
    rank: int
    submission: Submission


@dataclass(frozen=True)
class Board:
    task: Task
    columns: tuple[MetricSpec, ...]
    rows: tuple[Row, ...]

    @property
    def primary(self) -> MetricSpec:
        return self.columns[0]

    @property
    def synthetic(self) -> bool:
        """True when any number on the board comes from synthetic data."""
        return self.task.synthetic or any(r.submission.synthetic for r in self.rows)

    def best(self, spec: MetricSpec) -> float | None:
        values = [v for r in self.rows if (v := r.submission.metric(spec.name)) is not None]
        if not values:
            return None
        return max(values) if spec.direction == "higher" else min(values)


def _columns(task: Task, submissions: Iterable[Submission]) -> tuple[MetricSpec, ...]:
    specs = load_metrics()
    missing = [m for m in (task.primary_metric, *task.metrics) if m not in specs]
    if missing:
        raise ConfigError(f"task {task.name!r} uses metrics {missing} that leaderboard/metrics.yaml "
                          f"does not declare; declared: {', '.join(specs)}", file=task.path)
    present = {name for s in submissions for name in s.data["metrics"]}
    order = [task.primary_metric] + [m for m in task.metrics if m != task.primary_metric]
    order += [m for m in specs if m in present and m not in order]
    return tuple(specs[m] for m in order)


def _sort_key(columns: tuple[MetricSpec, ...], submission: Submission) -> tuple:
    key = []
    for spec in columns:
        value = submission.metric(spec.name)
        key.append((1, 0.0) if value is None else (0, spec.better_first(value)))
    return (*key, submission.model, submission.name)


def build_board(task: Task, submissions: Iterable[Submission]) -> Board:
    """Rank ``submissions`` (all of task ``task``) into a :class:`Board`."""
    submissions = list(submissions)
    for s in submissions:
        if s.task != task.name:
            raise ConfigError(f"submission {s.name!r} belongs to task {s.task!r}, not {task.name!r}")
    columns = _columns(task, submissions)
    ordered = sorted(submissions, key=lambda s: _sort_key(columns, s))
    primary = columns[0]
    rows, rank = [], 0
    for i, sub in enumerate(ordered):
        if i == 0 or sub.metric(primary.name) != ordered[i - 1].metric(primary.name):
            rank = i + 1
        rows.append(Row(rank=rank, submission=sub))
    return Board(task=task, columns=columns, rows=tuple(rows))
