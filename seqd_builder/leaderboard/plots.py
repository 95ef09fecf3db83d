"""SVG plots for a task page, where a picture reads better than the table.

- **per fold**: the primary metric of each model on each fold: the spread across speakers says more
  about a small corpus than a mean with a standard deviation;
- **per-class recall**: pooled over folds from the confusion matrices (rows are true classes): which
  emotions a model confuses;
- **metric vs parameters**: the primary metric against the upstream's parameter count, when at least
  two entries state it.

Drawn with matplotlib's object API (``Figure`` + the SVG canvas: no pyplot, no GUI backend, nothing
global changed). Text stays text (``svg.fonttype: none``), which matplotlib XML-escapes, so a hostile
model name is shown, never executed; maths parsing is off so a ``$`` in a name is just a dollar sign.
Output is deterministic (fixed hash salt, no date) so re-rendering an unchanged board changes no file.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, NullFormatter

from .board import Board, Row
from .view import count_text

TOP = 8
"""Most models drawn in one plot (the best by rank); the table lists all."""

_RC = {
    "svg.fonttype": "none",
    "svg.hashsalt": "seqd-leaderboard",
    "text.parse_math": False,
    "text.usetex": False,
    "font.size": 9,
    "font.family": "DejaVu Sans",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
}
_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")


def _label(row: Row, limit: int = 38) -> str:
    s = row.submission
    text = f"{row.rank}. {s.model} · {s.upstream['name']}"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _scale(board: Board) -> float:
    return 100.0 if board.primary.display == "percent" else 1.0


def _axis_label(board: Board) -> str:
    spec = board.primary
    unit = " (%)" if spec.display == "percent" else ""
    return f"{spec.label}{unit} {spec.arrow}"


def _save(fig: Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="svg", bbox_inches="tight", metadata={"Date": None})
    return path


def fold_plot(board: Board, path: Path) -> Path | None:
    """Primary metric per fold, one line per model (the best :data:`TOP`)."""
    rows = [r for r in board.rows if len(r.submission.data["folds"]) > 1][:TOP]
    if not rows:
        return None
    metric, scale = board.primary.name, _scale(board)
    folds: list[str] = []
    for r in rows:
        for f in r.submission.data["folds"]:
            if f["fold"] not in folds:
                folds.append(f["fold"])
    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(max(5.5, 0.45 * len(folds) + 3.5), 3.4))
        ax = fig.subplots()
        for i, r in enumerate(rows):
            by_fold = {f["fold"]: f["metrics"].get(metric) for f in r.submission.data["folds"]}
            xs = [k for k, name in enumerate(folds) if by_fold.get(name) is not None]
            ys = [scale * by_fold[folds[k]] for k in xs]
            ax.plot(xs, ys, marker="o", markersize=4, linewidth=1.2, color=_COLORS[i % len(_COLORS)],
                    label=_label(r))
        ax.set_xticks(range(len(folds)))
        ax.set_xticklabels([f if len(f) <= 14 else f[:13] + "…" for f in folds],
                           rotation=30 if len(folds) > 6 else 0, ha="right" if len(folds) > 6 else "center")
        ax.set_xlabel("test fold")
        ax.set_ylabel(_axis_label(board))
        ax.set_title(f"{board.task.name}: {board.primary.label} on each fold")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
        return _save(fig, path)


def _pooled_recall(row: Row, classes: list[str]) -> list[float | None] | None:
    """Recall per class from the folds' confusion matrices summed (None when no fold has one)."""
    hits = dict.fromkeys(classes, 0)
    support = dict.fromkeys(classes, 0)
    seen = False
    for fold in row.submission.data["folds"]:
        matrix, labels = fold.get("confusion"), fold.get("labels")
        if not matrix or not labels:
            continue
        seen = True
        for k, true in enumerate(labels):
            if true in support:
                support[true] += sum(matrix[k])
                hits[true] += matrix[k][k]
    if not seen:
        return None
    return [hits[c] / support[c] if support[c] else None for c in classes]


def recall_plot(board: Board, path: Path) -> Path | None:
    """Per-class recall pooled over folds, grouped bars per class (the best :data:`TOP` models)."""
    classes = list(board.task.classes)
    if not classes:
        return None
    series = [(r, rec) for r in board.rows[:TOP] if (rec := _pooled_recall(r, classes)) is not None]
    if not series:
        return None
    width = 0.8 / len(series)
    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(max(5.5, 0.7 * len(classes) + 3.5), 3.4))
        ax = fig.subplots()
        for i, (r, recall) in enumerate(series):
            xs = [k + (i - (len(series) - 1) / 2) * width for k in range(len(classes))]
            ax.bar(xs, [100 * v if v is not None else 0 for v in recall], width=width,
                   color=_COLORS[i % len(_COLORS)], label=_label(r))
        ax.set_xticks(range(len(classes)))
        ax.set_xticklabels(classes, rotation=30 if len(classes) > 6 else 0,
                           ha="right" if len(classes) > 6 else "center")
        ax.set_ylim(0, 100)
        ax.set_ylabel("recall (%) ↑")
        ax.set_title(f"{board.task.name}: recall per class, pooled over folds")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
        return _save(fig, path)


def params_plot(board: Board, path: Path) -> Path | None:
    """Primary metric against upstream parameters (log scale), when two or more entries state them."""
    points = [(r, r.submission.upstream.get("parameters")) for r in board.rows]
    points = [(r, p) for r, p in points if isinstance(p, int) and p > 0 and
              r.submission.metric(board.primary.name) is not None]
    if len(points) < 2:
        return None
    scale = _scale(board)
    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(5.5, 3.4))
        ax = fig.subplots()
        for i, (r, params) in enumerate(points[:TOP]):
            y = scale * r.submission.metric(board.primary.name)
            ax.scatter([params], [y], color=_COLORS[i % len(_COLORS)], label=_label(r), zorder=3)
        ax.set_xscale("log")
        # Tick labels as 1k / 10M text: the default log labels are maths, which is switched off here.
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: count_text(int(round(v)))))
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel("upstream parameters (log scale)")
        ax.set_ylabel(_axis_label(board))
        ax.set_title(f"{board.task.name}: {board.primary.label} against model size")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
        return _save(fig, path)


PLOTS = {
    "folds": (fold_plot, "{metric} of each model on each test fold (one line per model)"),
    "recall": (recall_plot, "recall per class, pooled over all folds' confusion matrices"),
    "params": (params_plot, "{metric} against the upstream's parameter count"),
}
"""Plot name → (function, caption template); the page shows those that return a file."""
