"""One filed leaderboard entry and the safe name it is filed under.

File names are derived, never taken from the submission: ``<model>-<upstream>-<first 8 hex digits of
the config hash>`` with every part reduced to ``[a-z0-9-]``. A name given on the command line must
already have that shape; it is refused, not rewritten, so nobody is surprised by where a file went, and
a path (``../x``, ``a/b``) can never be one.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import SubmissionError

NAME_PATTERN = r"^[a-z0-9]+(?:[._-][a-z0-9]+)*$"
MAX_NAME = 100
_NAME_RE = re.compile(NAME_PATTERN)
_PART = 40


def slug(text: str, limit: int = _PART) -> str:
    """``text`` reduced to lower-case ASCII letters, digits and single hyphens (``x`` when nothing
    is left)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    reduced = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return reduced[:limit].strip("-") or "x"


def derive_name(data: dict) -> str:
    """The file name (without ``.json``) of a validated result."""
    upstream = data["upstream"]["name"]
    # Local paths name the model by their last part; hub ids keep their owner.
    if "/" in upstream and (upstream.startswith(("/", ".", "~")) or upstream.count("/") > 1):
        upstream = upstream.rstrip("/").rsplit("/", 1)[-1] or upstream
    digest = data["config_hash"].split(":", 1)[1][:8]
    return f"{slug(data['model'])}-{slug(upstream)}-{digest}"


def check_name(name: str) -> str:
    """``name`` when it is a safe file name; :class:`SubmissionError` otherwise."""
    if not isinstance(name, str) or len(name) > MAX_NAME or not _NAME_RE.match(name):
        raise SubmissionError(
            f"name {str(name)[:120]!r} is refused",
            [f"a name is 1-{MAX_NAME} lower-case letters and digits, joined by single '-', '_' or '.' "
             f"(pattern {NAME_PATTERN}); it is a name, not a path"],
            hint="leave --name out to use the derived name <model>-<upstream>-<config hash>")
    return name


@dataclass(frozen=True)
class Submission:
    """A validated result as filed: ``leaderboard/submissions/<task>/<name>.json``."""

    name: str
    task: str
    data: dict[str, Any]
    path: Path | None = None

    def __post_init__(self):
        check_name(self.name)
        if self.data.get("task") != self.task:
            raise SubmissionError(f"submission {self.name!r} is misfiled",
                                  [f"it is filed under task {self.task!r} but its task is "
                                   f"{self.data.get('task')!r}"], file=self.path)

    @property
    def model(self) -> str:
        return self.data["model"]

    @property
    def upstream(self) -> dict:
        return self.data["upstream"]

    @property
    def synthetic(self) -> bool:
        return bool((self.data.get("dataset") or {}).get("synthetic"))

    def metric(self, name: str) -> float | None:
        summary = self.data["metrics"].get(name)
        return None if summary is None else summary["mean"]

    def identity(self) -> tuple:
        """What makes two filings the same run (used to refuse the same result twice)."""
        return (self.data["model"], self.data["upstream"]["name"], self.data["config_hash"],
                tuple(self.data["seeds"]))
