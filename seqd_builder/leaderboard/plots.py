"""SVG plots for a task page, where a picture reads better than the table.

- **per fold**: the primary metric of each model on each fold: the spread across speakers says more
  about a small corpus than a mean with a standard deviation;
- **per-class recall**: pooled over folds from the confusion matrices (rows are true classes): which
  emotions a model confuses;
- **metric vs parameters**: the primary metric against the upstream's parameter count, when the
  entries span at least two sizes.

Drawn with matplotlib's object API (``Figure`` + the SVG canvas: no pyplot, no GUI backend, nothing
global changed). Text stays text (``svg.fonttype: none``), which matplotlib XML-escapes, so a hostile
model name is shown, never executed; maths parsing is off so a ``$`` in a name is just a dollar sign.
Output is deterministic (fixed hash salt, no date) so re-rendering an unchanged board changes no file.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib
from matplotlib.figure import Figure

from .board import Board, Row
from .view import count_text, entry_label

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
# matplotlib's tab20 reordered so the first ten are the strong tab10 hues, then their light partners:
# each entry keeps its colour in every plot of a page (see _colour), and 20 entries stay distinct
_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#17becf", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94",
           "#f7b6d2", "#c7c7c7", "#dbdb8d", "#9edae5")
LABEL_LIMIT = 80
"""Longest legend label; names are shown whole up to this (a hostile one is cut, not the layout)."""


def _label(row: Row) -> str:
    text = f"{row.rank}. {entry_label(row.submission.data)}"
    return text if len(text) <= LABEL_LIMIT else text[: LABEL_LIMIT - 1] + "…"


def _colour(board: Board, row: Row) -> str:
    """An entry's colour, from its place in the board: the same in every plot of the page."""
    index = next(i for i, r in enumerate(board.rows) if r is row)
    return _COLORS[index % len(_COLORS)]


def _legend(ax, n: int, below: float = 0.22) -> None:
    """The legend under the axes in rank order, full labels in one or two columns: beside the axes it
    pushed the plot narrow and long names were cut; under it, the figure keeps its width on a phone."""
    handles, labels = ax.get_legend_handles_labels()
    order = sorted(range(len(labels)), key=lambda k: int(labels[k].split(".", 1)[0]))
    ax.legend([handles[k] for k in order], [labels[k] for k in order], loc="upper center",
              bbox_to_anchor=(0.5, -below), frameon=False, ncol=1 if n <= 4 else 2, fontsize=8)


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
            ax.plot(xs, ys, marker="o", markersize=4, linewidth=1.2, color=_colour(board, r),
                    label=_label(r))
        ax.set_xticks(range(len(folds)))
        ax.set_xticklabels([f if len(f) <= 14 else f[:13] + "…" for f in folds],
                           rotation=30 if len(folds) > 6 else 0, ha="right" if len(folds) > 6 else "center")
        ax.set_xlabel("test fold")
        ax.set_ylabel(_axis_label(board))
        ax.set_title(f"{board.task.name}: {board.primary.label} on each fold")
        _legend(ax, len(rows))
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
                   color=_colour(board, r), label=_label(r))
        ax.set_xticks(range(len(classes)))
        ax.set_xticklabels(classes, rotation=30 if len(classes) > 6 else 0,
                           ha="right" if len(classes) > 6 else "center")
        ax.set_ylim(0, 100)
        ax.set_ylabel("recall (%) ↑")
        ax.set_title(f"{board.task.name}: recall per class, pooled over folds")
        _legend(ax, len(series))
        return _save(fig, path)


def params_plot(board: Board, path: Path) -> Path | None:
    """Primary metric against upstream size, when the entries span two sizes or more.

    Sizes sit on an ordered axis, one position per distinct size labelled with the count and the
    upstreams of that size (a parameter-free front-end such as fbank is 0): a log axis cannot show 0,
    and on a board where most entries share one upstream it drew every point at one x value. Entries of
    one size are spread side by side so that none hides another.
    """
    points = [(r, r.submission.upstream.get("parameters")) for r in board.rows]  # every entry: dots
    points = [(r, p) for r, p in points if isinstance(p, int) and p >= 0 and
              r.submission.metric(board.primary.name) is not None]
    sizes = sorted({p for _, p in points})
    if len(sizes) < 2:
        return None
    scale = _scale(board)
    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(max(5.5, 1.9 * len(sizes) + 2.0), 3.4))
        ax = fig.subplots()
        for k, size in enumerate(sizes):
            here = [r for r, p in points if p == size]
            width = min(0.6, 0.12 * len(here))
            for j, r in enumerate(here):
                x = k + (j - (len(here) - 1) / 2) * (width / max(1, len(here) - 1) if len(here) > 1 else 0)
                ax.scatter([x], [scale * r.submission.metric(board.primary.name)], color=_colour(board, r),
                           label=_label(r), zorder=3)
        ax.set_xticks(range(len(sizes)))
        names = {size: sorted({r.submission.upstream["name"] for r, p in points if p == size}) for size in sizes}
        ax.set_xticklabels([f"{count_text(size) if size else '0'}\n" + "\n".join(names[size][:2])
                            + ("\n…" if len(names[size]) > 2 else "") for size in sizes], fontsize=8)
        ax.set_xlim(-0.6, len(sizes) - 0.4)
        ax.set_xlabel("upstream parameters")
        ax.set_ylabel(_axis_label(board))
        ax.set_title(f"{board.task.name}: {board.primary.label} against upstream size")
        _legend(ax, len(points), below=0.38)
        return _save(fig, path)


PLOTS = {
    "folds": (fold_plot, "{metric} of each model on each test fold (one line per model)"),
    "recall": (recall_plot, "recall per class, pooled over all folds' confusion matrices"),
    "params": (params_plot, "{metric} against the upstream's parameter count, every entry that states it"),
}
"""Plot name → (function, caption template); the page shows those that return a file."""
