"""The submissions folder: ``<submissions>/<task>/<name>.json``, one validated result per file.

It is a reviewed folder in the repository (a pull request adds a file), so loading re-validates every
file: a hand-edited or misfiled entry stops the render with every problem named, rather than showing up
as a silently wrong row.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from ..assets import repo_root
from ..errors import SubmissionError
from .submission import Submission, check_name, derive_name
from .validate import check_result, load_result, read_json


def default_submissions_dir() -> Path:
    """``leaderboard/submissions`` of the checkout, or of the working directory for an installed
    package."""
    checkout = repo_root() / "leaderboard" / "submissions"
    return checkout if checkout.is_dir() else Path.cwd() / "leaderboard" / "submissions"


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def serialise(data: dict) -> str:
    """The filed form: the result unchanged, two-space indented, so reviews show readable diffs."""
    return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def submit(results_path: str | Path, submissions_dir: str | Path | None = None,
           name: str | None = None, *, replace: bool = False, allow_dirty: str | None = None) -> Path:
    """Validate ``results_path`` and file it as ``<submissions_dir>/<task>/<name>.json``.

    ``name`` defaults to :func:`~seqd_builder.leaderboard.submission.derive_name`. Filing the same run
    (model, upstream, config hash, seeds) a second time under another name is refused; filing over an
    existing, different file needs ``replace=True``. A result of a working tree with uncommitted changes
    is refused unless ``allow_dirty`` gives the reason to file it anyway (recorded, and shown as a mark).
    Returns the path written.
    """
    submissions_dir = Path(submissions_dir) if submissions_dir is not None else default_submissions_dir()
    data = load_result(results_path, allow_dirty=allow_dirty)
    name = check_name(name) if name is not None else derive_name(data)
    entry = Submission(name=name, task=data["task"], data=data)
    task_dir = submissions_dir / entry.task
    target = task_dir / f"{name}.json"
    # Defence in depth: the name pattern and the task pattern already rule out separators.
    if target.resolve().parent != task_dir.resolve():
        raise SubmissionError(f"name {name!r} is refused", ["it would leave the task's folder"])
    text = serialise(data)
    for other in _task_files(task_dir):
        if other.name == target.name:
            continue
        try:
            existing = json.loads(other.read_text(encoding="utf-8"))
            same = Submission(name=other.stem, task=entry.task, data=existing).identity()
        except (ValueError, KeyError, TypeError, SubmissionError, OSError):
            continue  # a broken neighbour is reported by render, not here
        if same == entry.identity():
            raise SubmissionError(f"{results_path} is already on the leaderboard",
                                  [f"{other} holds the same run (model, upstream, config hash, seeds)"],
                                  hint=f"delete {other} first to re-file it under another name")
    if target.exists() and not replace:
        if target.read_text(encoding="utf-8") == text:
            return target  # filing the identical file again is a no-op
        raise SubmissionError(f"{target} exists and holds a different result",
                              [f"{target.name} is taken by another run with the same model, upstream "
                               "and config hash prefix"],
                              hint="pass --name NAME to file it beside, or --replace to overwrite it")
    write_atomic(target, text)
    return target


def _task_files(task_dir: Path) -> list[Path]:
    return sorted(task_dir.glob("*.json")) if task_dir.is_dir() else []


def load_submissions(submissions_dir: str | Path) -> dict[str, list[Submission]]:
    """Every filed submission by task (folders in name order, files in name order).

    Raises :class:`SubmissionError` listing every invalid, misfiled or misnamed file at once.
    """
    from ..benchmark.tasks import list_tasks

    submissions_dir = Path(submissions_dir)
    if not submissions_dir.is_dir():
        raise SubmissionError(f"{submissions_dir} is not a folder",
                              hint="pass the leaderboard/submissions folder of the repository")
    known = set(list_tasks())
    boards: dict[str, list[Submission]] = {}
    reasons: list[str] = []
    for folder in sorted(p for p in submissions_dir.iterdir() if p.is_dir()):
        if folder.name not in known:
            if any(folder.glob("*.json")):
                reasons.append(f"{folder}: unknown task {folder.name!r}; valid: {', '.join(sorted(known))}")
            continue
        for path in _task_files(folder):
            try:
                check_name(path.stem)
            except SubmissionError as exc:
                reasons.append(f"{path}: {exc.reasons[0]}")
                continue
            try:
                data = read_json(path)
                if isinstance(data, dict) and data.get("task") != folder.name:
                    reasons.append(f"{path}: it is filed under task {folder.name!r} but its task is "
                                   f"{str(data.get('task'))[:80]!r}")
                    continue
                problems = check_result(data)
                if problems:
                    reasons += [f"{path}: {p}" for p in problems]
                    continue
                boards.setdefault(folder.name, []).append(
                    Submission(name=path.stem, task=folder.name, data=data, path=path))
            except SubmissionError as exc:
                detail = exc.reasons or [exc.message]
                reasons += [f"{path}: {r}" for r in detail]
    if reasons:
        raise SubmissionError(f"{submissions_dir} holds submissions that cannot be rendered", reasons,
                              hint="fix or remove the listed files; `seqd leaderboard validate FILE` "
                                   "checks one")
    return boards
