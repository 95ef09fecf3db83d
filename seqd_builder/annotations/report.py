"""The merge report (Markdown and HTML), rendered by jinja2 from ``annotations/templates/``.

Templates use ``StrictUndefined`` (a missing value is an error, not an empty cell) and the HTML one is
autoescaped: rater ids, labels and comments come from curators' sheets and must not become markup.
The Markdown one escapes ``<``, ``>`` and ``&`` in every value for the same reason (Markdown renderers
pass raw HTML through: an id such as ``<img onerror=...>`` would run in a viewer).
"""

from __future__ import annotations

import html
from pathlib import Path

import jinja2

from ..assets import asset_dir
from .curate import MergeResult
from .merge import Status

MAX_LISTED = 50
"""Items without consensus and sheet issues listed in the report (the merged table has them all)."""


def number(value, digits: int = 3) -> str:
    """Numbers for tables: integers as such, others with ``digits`` decimals, None as a dash."""
    if value is None:
        return "–"
    if float(value).is_integer():
        return f"{float(value):.0f}"
    return f"{float(value):.{digits}f}"


def _markdown_text(value):
    return html.escape(value, quote=False) if isinstance(value, str) else value


def percent(value) -> str:
    """Shares for people, as every page of the project shows them: percent with one decimal."""
    return "–" if value is None else f"{100 * float(value):.1f}%"


def _environment(autoescape: bool) -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(asset_dir("annotations", "templates"))),
                             undefined=jinja2.StrictUndefined, autoescape=autoescape,
                             finalize=None if autoescape else _markdown_text,
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["num"] = number
    env.filters["pct"] = percent
    return env


def report_context(result: MergeResult) -> dict:
    """Everything the templates show, as plain values."""
    project, rules = result.project, result.project.merge
    codes = list(project.codes)
    matrix = result.coincidence
    total_pairs = float(matrix.sum())
    unresolved = [i for i in result.items if i.consensus.status != Status.CONSENSUS]
    raters = [{"rater": r.rater, "role": r.role or "–", "n_items": r.n_items,
               "n_compared": r.n_compared, "agreement": r.agreement, "kappa": r.kappa,
               "intensity_mad": r.intensity_mad,
               "dimension_mad": [r.dimension_mad.get(d) for d in project.dimensions],
               "self_rating": r.self_rating, "flagged": r.flagged} for r in result.raters]
    return {
        "project": {"name": project.name, "title": project.title or project.name,
                    "description": project.description.strip(),
                    "path": str(project.path) if project.path else "(in memory)"},
        "sources": list(result.sources),
        "rules": [
            ("category", f"plurality over {', '.join(codes)}; ties: {rules.ties}"
             + (f" (joined with '{rules.separator}')" if rules.ties == "keep" else "")
             + (f" by priority {', '.join(rules.tie_break or codes)}" if rules.ties == "break" else "")
             + ("; self-ratings excluded" if rules.category_exclude_self else "")),
            ("thresholds", f"at least {rules.min_raters} rater(s)"
             + (f" and at least {percent(rules.min_agreement)} of the votes for the winning label"
                if rules.min_agreement > 0 else "")
             + f", otherwise {rules.insufficient.replace('_', ' ')}"
             + ("" if rules.min_agreement > 0 else "; with enough raters, any plurality wins")),
            ("no consensus", f"written as {project.no_consensus!r}" if project.no_consensus
             else "written as an empty label"),
            ("intensity", "no scale declared" if project.intensity is None else
             f"{rules.intensity} of the " + ("raters who chose the consensus"
                                            if rules.intensity_raters == "consensus" else "all raters")),
            ("dimensions", "none declared" if not project.dimensions else
             f"{rules.dimensions} of {', '.join(project.dimensions)}"
             + ("; self-ratings excluded" if rules.dimensions_exclude_self else "")),
            ("flag raters", f"Cohen's kappa with the others' consensus below {rules.flag_below:g} "
             f"(at least 5 comparable items)"),
        ],
        "n_items": len(result.items),
        "n_rejected": sum(i.rejected for i in result.items),
        "status_counts": list(result.status_counts().items()),
        "label_counts": list(result.label_counts().items()),
        "agreement": result.agreement,
        "alphas": list(result.agreement.as_dict()["krippendorff_alpha"].items()),
        "codes": codes,
        "coincidence": [[float(x) for x in row] for row in matrix],
        "coincidence_share": [[float(x) / total_pairs if total_pairs else 0.0 for x in row]
                              for row in matrix],
        "dimensions": list(project.dimensions),
        "raters": raters,
        "n_flagged": sum(r["flagged"] for r in raters),
        "unresolved": [{"utterance": i.utterance, "status": i.consensus.status,
                        "label": i.consensus.label or "–",
                        "votes": ", ".join(f"{code} {percent(share)}" for code, share in
                                           i.consensus.distribution),
                        "source": i.source} for i in unresolved[:MAX_LISTED]],
        "n_unresolved": len(unresolved),
        "issues": [{"where": f"{i.file}:{i.line}" if i.line is not None else i.file,
                    "kind": i.kind, "severity": i.severity, "message": i.message}
                   for i in result.issues[:MAX_LISTED]],
        "n_issues": len(result.issues),
        "max_listed": MAX_LISTED,
    }


def render_report(result: MergeResult, fmt: str = "md") -> str:
    """The report as Markdown (``md``) or a standalone HTML page (``html``)."""
    if fmt not in ("md", "html"):
        raise ValueError(f"unknown report format {fmt!r}; valid: md, html")
    env = _environment(autoescape=fmt == "html")
    return env.get_template(f"report.{fmt}.j2").render(**report_context(result))


def write_report(result: MergeResult, out: str | Path) -> list[Path]:
    """Write ``report.md`` and ``report.html`` under ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in ("md", "html"):
        path = out / f"report.{fmt}"
        path.write_text(render_report(result, fmt), encoding="utf-8")
        written.append(path)
    return written
