"""One error root for everything a user can get wrong.

Every error names the offending value, the valid choices where there is a closed set, and the location
(file and line) where it came from, so that a message alone tells the user what to fix. Each class also
derives from the matching built-in exception, so ``except ValueError`` in user code keeps working
(audformat does the same). The CLI turns any :class:`SeqdError` into a one-line message plus the
``hint`` and a non-zero exit; tracebacks appear only with ``SEQD_DEBUG=1``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path


def _location(file: str | Path | None, line: int | None) -> str:
    if file is None:
        return ""
    return f"{file}:{line}" if line is not None else str(file)


class SeqdError(Exception):
    """Root of all seqd-builder errors.

    ``hint`` is the next thing the user should do; the CLI prints it under the message.
    """

    def __init__(self, message: str, *, hint: str | None = None,
                 file: str | Path | None = None, line: int | None = None):
        self.file = str(file) if file is not None else None
        self.line = line
        self.hint = hint
        where = _location(file, line)
        full = f"{where}: {message}" if where else message
        super().__init__(full)
        self.message = full


class ConfigError(SeqdError, ValueError):
    """A card, task, project or configuration file is invalid."""


class RecordError(SeqdError, ValueError):
    """A record (utterance, vote, phone segment) with an invalid value, refused on creation."""


class CorpusLayoutError(SeqdError, FileNotFoundError):
    """``--root`` does not hold the corpus layout the adapter expects.

    The message says what was expected and what was found, so a user who pointed at the parent
    folder or at an unpacked sub-folder sees it at once.
    """

    def __init__(self, corpus: str, root: str | Path, expected: str, found: Iterable[str] | str,
                 *, hint: str | None = None):
        if not isinstance(found, str):
            found_list = sorted(found)
            shown = ", ".join(found_list[:12]) + (" …" if len(found_list) > 12 else "")
            found = shown or "(empty folder)"
        self.corpus, self.root, self.expected, self.found = corpus, str(root), expected, found
        super().__init__(
            f"{root} does not look like the {corpus!r} corpus: expected {expected}; found {found}",
            hint=hint or f"point --root at the folder that holds the {corpus} distribution as unpacked")


def _closest(value: str, choices: list[str]) -> str | None:
    """The choice a typo most likely meant (``crema-d`` → ``crema_d``), or None when none is close.

    Compared case- and separator-insensitively first, since that is the commonest slip with names.
    """
    def norm(s: str) -> str:
        return s.lower().replace("-", "_").replace(" ", "_")

    exact = [c for c in choices if norm(c) == norm(value)]
    if exact:
        return exact[0]
    near = difflib.get_close_matches(norm(value), [norm(c) for c in choices], n=1, cutoff=0.7)
    return next((c for c in choices if near and norm(c) == near[0]), None)


class UnknownLabelError(SeqdError, ValueError):
    """A label that the corpus card does not map. Names the value and the valid choices."""

    def __init__(self, kind: str, value: object, choices: Iterable[object], *,
                 file: str | Path | None = None, line: int | None = None, hint: str | None = None):
        self.kind, self.value, self.choices = kind, value, sorted(map(str, choices))
        self.suggestion = _closest(str(value), self.choices)
        maybe = f"; did you mean {self.suggestion!r}?" if self.suggestion else ""
        super().__init__(f"unknown {kind} {value!r}; valid: {', '.join(self.choices)}{maybe}",
                         file=file, line=line,
                         hint=hint or "fix the source or add the label to the corpus card's map")


class AnnotationError(SeqdError, ValueError):
    """A malformed annotation line or an annotation that breaks the project's rules."""


class AudioError(SeqdError, ValueError):
    """An audio file that cannot be used (missing, corrupt, truncated, empty)."""


class BuildError(SeqdError, RuntimeError):
    """A build that cannot go on (output folder in use by another corpus, inconsistent resume state)."""


class ProtocolError(SeqdError, ValueError):
    """A split or fold protocol that breaks its own promise (e.g. folds that share speakers)."""


class SubmissionError(SeqdError, ValueError):
    """A leaderboard submission that fails validation; ``reasons`` lists every problem at once."""

    def __init__(self, message: str, reasons: Iterable[str] = (), **kwargs):
        self.reasons = list(reasons)
        body = message if not self.reasons else message + ":\n  - " + "\n  - ".join(self.reasons)
        super().__init__(body, **kwargs)


class HubError(SeqdError, ConnectionError):
    """The Hugging Face Hub could not be reached, or refused a request (token, rights, repository)."""


class MissingToolError(SeqdError, RuntimeError):
    """An optional external tool (Montreal Forced Aligner, Chromium, Whisper weights) is absent."""


def require(module: str, extra: str):
    """Import an optional package, or raise :class:`MissingToolError` naming the extra that installs it
    (``require("lhotse", "interop")``)."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingToolError(f"{module} is not installed",
                               hint=f"pip install 'seqd-builder[{extra}]'") from exc
