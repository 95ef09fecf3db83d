"""The static leaderboard site: ``index.html``, one page and one Markdown table per task, plots,
and each submission's config and full result as JSON files the pages link to.

Layout of ``out_dir``::

    index.html                  tasks, best entry of each, links
    <task>.html  <task>.md      ranked table (HTML with fold details; Markdown for READMEs and cards)
    plots/<task>-<kind>.svg     per-fold, per-class recall, metric-vs-parameters
    configs/<task>/<name>.json  the resolved config each run used
    results/<task>/<name>.json  the filed result, unchanged
    style.css
    .seqd-leaderboard.json      what this render wrote (so the next render removes stale files of
                                its own, and nothing else, from a folder it shares)

Pages carry no script and a Content-Security-Policy that forbids scripts, so even a bug in escaping
could not run submitted code.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable
from pathlib import Path

from .. import __version__
from ..benchmark.tasks import list_tasks, load_task
from ..errors import BuildError, UnknownLabelError
from .board import Board, build_board
from .store import write_atomic, load_submissions, serialise
from .templates import html_environment, markdown_environment, template_dir
from .view import board_view

MANIFEST = ".seqd-leaderboard.json"


def _clean_previous(out_dir: Path) -> None:
    """Remove the files the previous render listed in its manifest (and only those)."""
    manifest = out_dir / MANIFEST
    if not manifest.is_file():
        if out_dir.is_dir() and any(out_dir.iterdir()):
            raise BuildError(f"{out_dir} is not empty and was not written by `seqd leaderboard render`",
                             hint="pass an empty or new folder as --out")
        return
    try:
        written = json.loads(manifest.read_text(encoding="utf-8"))["files"]
    except (ValueError, KeyError, TypeError) as exc:
        raise BuildError(f"{manifest} is damaged ({exc})",
                         hint="delete the folder and render again") from exc
    root = out_dir.resolve()
    for rel in written:
        target = (out_dir / rel).resolve()
        if root in target.parents and target.is_file():
            target.unlink()


def _write(out_dir: Path, rel: str, text: str, written: list[str]) -> Path:
    path = out_dir / rel
    write_atomic(path, text)
    written.append(rel)
    return path


def _task_page(board: Board, out_dir: Path, written: list[str]) -> dict:
    name = board.task.name
    links = {}
    for row in board.rows:
        s = row.submission
        config_rel = f"configs/{name}/{s.name}.json"
        result_rel = f"results/{name}/{s.name}.json"
        _write(out_dir, config_rel, json.dumps(s.data["config"], indent=2, sort_keys=True,
                                               ensure_ascii=False) + "\n", written)
        _write(out_dir, result_rel, serialise(s.data), written)
        links[s.name] = (config_rel, result_rel)
    from .plots import PLOTS  # matplotlib loads only when a site is drawn

    plots = []
    if board.rows:
        for kind, (draw, caption) in PLOTS.items():
            rel = f"plots/{name}-{kind}.svg"
            if draw(board, out_dir / rel) is not None:
                written.append(rel)
                text = caption.format(metric=board.primary.label)
                plots.append({"src": rel, "kind": kind, "caption": text[0].upper() + text[1:]})
    view = board_view(board, links=links, plots=plots)
    context = {"board": view, "version": __version__, "md_href": f"{name}.md"}
    _write(out_dir, f"{name}.html", html_environment().get_template("task.html.j2").render(context),
           written)
    _write(out_dir, f"{name}.md", board_markdown(board), written)
    best = view["rows"][0] if view["rows"] else None
    return {"name": name, "title": board.task.title, "corpus": board.task.corpus,
            "protocol": board.task.protocol, "n_folds": view["task"]["n_folds"],
            "primary": board.primary.label, "arrow": board.primary.arrow,
            "entries": len(board.rows), "synthetic": board.synthetic,
            "best_model": best["model"] if best else "", "best_upstream": best["upstream"]["name"] if best
            else "", "best_value": best["cells"][0]["value"] if best else "",
            "href": f"{name}.html", "md_href": f"{name}.md"}


def board_markdown(board: Board) -> str:
    """The ranked table of ``board`` as GitHub/Hugging Face Markdown, every value escaped."""
    view = board_view(board)
    return markdown_environment().get_template("board.md.j2").render({"board": view,
                                                                      "version": __version__})


def render_site(submissions_dir: str | Path, out_dir: str | Path, *,
                tasks: Iterable[str] | None = None) -> Path:
    """Render the leaderboard of ``submissions_dir`` into ``out_dir``; returns ``out_dir/index.html``.

    Every known task gets a page (an empty board says how to submit), or only ``tasks`` when given
    (``seqd demo`` shows just its own). Raises :class:`~seqd_builder.errors.SubmissionError` listing
    every invalid submission file, :class:`~seqd_builder.errors.UnknownLabelError` for an unknown task.
    """
    out_dir = Path(out_dir)
    known = list_tasks()
    if tasks is None:
        tasks = known
    else:
        tasks = list(dict.fromkeys(tasks))
        for name in tasks:
            if name not in known:
                raise UnknownLabelError("task", name, known, hint="run `seqd bench list` for the tasks")
    boards = load_submissions(submissions_dir)
    _clean_previous(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[str] = []
    tasks = [_task_page(build_board(load_task(name), boards.get(name, [])), out_dir, written)
             for name in tasks]
    from .matrix import render_matrices  # the cross-corpus matrices filed beside the submissions

    matrices = render_matrices(Path(submissions_dir).parent / "matrices", out_dir, written)
    shutil.copyfile(template_dir() / "style.css", out_dir / "style.css")
    written.append("style.css")
    index = _write(out_dir, "index.html", html_environment().get_template("index.html.j2").render(
        {"tasks": tasks, "version": __version__, "matrices": matrices,
         "entries": sum(t["entries"] for t in tasks)}), written)
    _write(out_dir, MANIFEST, json.dumps({"files": sorted(written)}, indent=1) + "\n", [])
    return index
