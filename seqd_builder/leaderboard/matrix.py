"""The cross-corpus matrix page: a train x test heat map of one model's ``matrix.json``.

``seqd bench matrix`` writes one results file per cell and a ``matrix.json`` summary
(:mod:`seqd_builder.benchmark.matrix`); this module draws it as one HTML page: an inline SVG heat map
(fills are SVG attributes, so the pages' policy forbidding inline styles and scripts still holds) and
the same numbers as a table with their intervals. Every name and value goes through the template's
autoescaping: corpus and model names come from files anyone can submit.
"""

from __future__ import annotations

import json
from pathlib import Path

from .. import __version__
from ..errors import ConfigError
from .store import write_atomic
from .templates import html_environment

CELL, LEFT, TOP = 84, 120, 40


def _fill(value: float | None, lo: float, hi: float) -> tuple[str, str]:
    """A white-to-blue fill for ``value`` on [lo, hi] and a legible ink colour for its label."""
    if value is None:
        return "#eeeeee", "#333333"
    t = 0.0 if hi <= lo else min(max((value - lo) / (hi - lo), 0.0), 1.0)
    r, g, b = (int(round(255 + (c - 255) * t)) for c in (33, 102, 172))
    return f"#{r:02x}{g:02x}{b:02x}", "#ffffff" if t > 0.55 else "#111111"


def matrix_view(summary: dict) -> dict:
    corpora = [str(c) for c in summary["corpora"]]
    cells = {(c["train"], c["test"]): c for c in summary["cells"]}
    values = [c["mean"] for c in summary["cells"] if c.get("mean") is not None]
    lo, hi = (min(values), max(values)) if values else (0.0, 1.0)
    rows = []
    for i, a in enumerate(corpora):
        row = []
        for j, b in enumerate(corpora):
            c = cells.get((a, b), {})
            v = c.get("mean")
            fill, ink = _fill(v, lo, hi)
            ci = c.get("ci95")
            row.append({"test": b, "x": LEFT + j * CELL, "fill": fill, "ink": ink,
                        "value": "–" if v is None else f"{100 * v:.1f}",
                        "ci": f"[{100 * ci[0]:.1f}, {100 * ci[1]:.1f}]" if ci else "",
                        "file": str(c.get("file", ""))})
        rows.append({"name": a, "y": TOP + i * CELL, "cells": row})
    return {"model": str(summary.get("model", "")), "upstream": str(summary.get("upstream", "")),
            "classes": ", ".join(map(str, summary.get("classes", []))),
            "test_set": summary.get("test_set") or "",
            "metric_label": f"{str(summary.get('primary_metric', 'ua')).upper()} (%)",
            "cell": CELL, "left": LEFT, "top": TOP, "width": LEFT + CELL * len(corpora) + 10,
            "height": TOP + CELL * len(corpora) + 10,
            "col_labels": [{"name": b, "x": LEFT + j * CELL + CELL // 2} for j, b in enumerate(corpora)],
            "rows": rows}


def render_matrix(source: str | Path | dict, out: str | Path) -> Path:
    """Write the matrix page of ``source`` (a ``matrix.json``, its folder, or the summary) to ``out``."""
    if isinstance(source, dict):
        summary = source
    else:
        path = Path(source)
        path = path / "matrix.json" if path.is_dir() else path
        if not path.is_file():
            raise ConfigError(f"{path} does not exist", hint="run `seqd bench matrix` first")
        summary = json.loads(path.read_text(encoding="utf-8"))
    html = html_environment().get_template("matrix.html.j2").render({"m": matrix_view(summary),
                                                                     "version": __version__})
    out = Path(out)
    write_atomic(out, html)
    return out


def render_matrices(folder: Path, out_dir: Path, written: list[str]) -> list[dict]:
    """Render every ``<folder>/<name>/matrix.json`` to ``<out_dir>/matrix-<name>.html``; returns index links.

    ``leaderboard/matrices/<name>/`` holds a filed matrix (its summary and cell results), beside
    ``leaderboard/submissions/``.
    """
    from .submission import slug

    links = []
    for path in sorted(Path(folder).glob("*/matrix.json")) if Path(folder).is_dir() else []:
        summary = json.loads(path.read_text(encoding="utf-8"))
        rel = f"matrix-{slug(path.parent.name)}.html"
        render_matrix(summary, out_dir / rel)
        written.append(rel)
        links.append({"href": rel, "title": f"{summary.get('model', '')} on {summary.get('upstream', '')}: "
                                            f"{' × '.join(map(str, summary.get('corpora', [])))}"
                                            + (f" ({summary['test_set']})" if summary.get("test_set") else "")})
    return links
