"""The adapter interface: how a corpus on disk becomes a stream of native records.

An adapter is small on purpose. It knows the corpus' layout and file formats and nothing else: label
maps, scales, speaker tables and splits come from the corpus card, audio decoding and checks from the
build pipeline. To add a corpus:

1. write ``corpora/<name>.yaml`` (see ``corpora/ravdess.yaml``);
2. subclass :class:`Adapter` in ``seqd_builder/corpora/<name>.py``, decorate it with
   ``@register("<name>")``, and implement :meth:`Adapter.check_layout` and :meth:`Adapter.items`;
3. add a test that builds a tiny tree with the corpus' real file names (``seqd_builder.testing``).

``items`` yields a :class:`RawItem` per source utterance, or a :class:`Rejection` for a source line that
cannot become one (malformed line, bad encoding). It must be deterministic (same tree → same order), so
that an interrupted build resumes exactly where it stopped.
"""

from __future__ import annotations

import dataclasses
import os
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

from ..errors import CorpusLayoutError, UnknownLabelError
from ..schema import RawItem, Rejection, RejectReason
from .card import CorpusCard, load_card

_REGISTRY: dict[str, type[Adapter]] = {}


def register(name: str):
    """Class decorator: make an adapter available to ``seqd build <name>``."""

    def wrap(cls: type[Adapter]) -> type[Adapter]:
        cls.name = name
        _REGISTRY[name] = cls
        return cls

    return wrap


def adapter_names() -> list[str]:
    _import_all()
    return sorted(_REGISTRY)


def adapter_class(name: str) -> type[Adapter]:
    if name not in _REGISTRY:
        _import_one(name)  # adapters live in corpora/<name>.py by convention: import just that one
    if name not in _REGISTRY:
        _import_all()
    if name not in _REGISTRY:
        raise UnknownLabelError("corpus", name, _REGISTRY, hint="run `seqd corpora` to list them")
    return _REGISTRY[name]


def get_adapter(name: str, root: str | Path, **options) -> Adapter:
    """Instantiate the adapter for corpus ``name`` over the tree at ``root``."""
    return adapter_class(name)(root, **options)


def _import_one(name: str) -> None:
    import importlib
    import importlib.util

    from .. import corpora

    module = f"{corpora.__name__}.{name}"
    if name.isidentifier() and name not in ("base", "card", "common", "protocols") \
            and importlib.util.find_spec(module) is not None:
        importlib.import_module(module)


def _import_all() -> None:
    import importlib
    import pkgutil

    from .. import corpora

    for info in pkgutil.iter_modules(corpora.__path__):
        if info.name not in ("base", "card", "common"):
            importlib.import_module(f"{corpora.__name__}.{info.name}")


class Adapter(ABC):
    """Reads one corpus as distributed. Subclasses set nothing but layout knowledge."""

    name: ClassVar[str]

    def __init__(self, root: str | Path, *, card: CorpusCard | None = None, **options):
        self.root = Path(root).expanduser()
        self.card = card or load_card(self.name)
        self.options = {**self.card.options, **options}
        if not self.root.is_dir():
            raise CorpusLayoutError(self.name, self.root, self.layout_description(),
                                    "no such folder" if not self.root.exists() else "a file")

    # --- the interface ----------------------------------------------------------------------------

    @classmethod
    def layout_description(cls) -> str:
        """One line describing the expected layout, for error messages and ``seqd corpora``."""
        return "the corpus as distributed"

    @abstractmethod
    def check_layout(self) -> None:
        """Raise :class:`CorpusLayoutError` (expected vs found) when ``root`` is not this corpus."""

    @abstractmethod
    def items(self) -> Iterator[RawItem | Rejection]:
        """Every source utterance, in a deterministic order."""

    def input_files(self) -> list[Path]:
        """Annotation and metadata files whose checksums go into the build manifest."""
        return []

    def source_listing(self) -> list[str] | None:
        """The source files that must each end as a row, a rejection or a skip (relative paths).

        Listed independently of :meth:`items` (the build counts ``found`` from it, so an item the
        stream lost fails the accounting). None for corpora whose units are annotation records
        rather than files (IEMOCAP segments, sheet-driven corpora): the build then counts the stream.
        """
        return None

    def build_notes(self) -> dict:
        """Facts found while reading (e.g. the encoding of each transcript file), for the manifest."""
        return {}

    # --- handled problems ------------------------------------------------------------------------
    # Problems an adapter handled but must report (the item is kept): a malformed metadata line, a
    # transcript that needed a fallback encoding, counts that differ from the card's. The pipeline
    # resets the log before the streaming pass and writes it to reports/<config>/source_warnings.jsonl.
    # Kinds in use: count_mismatch, no_transcript, supplied_text, malformed_line, bad_encoding,
    # label_mismatch, mixed_layout, unlisted_file, missing_file, missing_metadata, missing_cell.

    def _reset_warnings(self) -> None:
        self._warnings: list[tuple[str, str]] = []
        self._skipped: list[dict[str, str]] = []

    def skip(self, path: Path, reason: str, detail: str = "") -> None:
        """Record a source file (or folder) left out by design: a song file, another extension, an
        unreadable folder. Skips are reported by reason and count in the accounting."""
        if not hasattr(self, "_skipped"):
            self._reset_warnings()
        self._skipped.append({"path": self.rel(path), "reason": reason, "detail": detail})

    def skipped(self) -> list[dict[str, str]]:
        """Skips of the last :meth:`items` run."""
        return list(getattr(self, "_skipped", []))

    def listdir(self, folder: Path) -> list[Path]:
        """A folder's entries, sorted; an unreadable folder is skipped (reported), not fatal."""
        try:
            return sorted(folder.iterdir())
        except OSError as exc:
            self.skip(folder, "unreadable_folder", f"{exc.strerror or exc}")
            self.warn("unreadable_folder", f"{self.rel(folder)}: {exc.strerror or exc}; skipped")
            return []

    def warn(self, kind: str, message: str) -> None:
        if not hasattr(self, "_warnings"):
            self._reset_warnings()
        self._warnings.append((kind, message))

    def warnings(self, kind: str | None = None) -> list[str]:
        """Warnings of the last :meth:`items` run (of one ``kind`` when given), as messages."""
        return [m for k, m in getattr(self, "_warnings", []) if kind is None or k == kind]

    def warning_records(self) -> list[tuple[str, str]]:
        return list(getattr(self, "_warnings", []))

    def warning_kinds(self) -> Counter:
        return Counter(k for k, _ in getattr(self, "_warnings", []))

    def count_warnings(self) -> list[str]:
        """Mismatches between the found and the published counts (valid after ``items()``)."""
        return self.warnings("count_mismatch")

    # --- helpers for subclasses --------------------------------------------------------------------

    def layout_error(self, found: str | list[str] | None = None) -> CorpusLayoutError:
        if found is None:
            found = [p.name + ("/" if p.is_dir() else "") for p in self.root.iterdir()]
        return CorpusLayoutError(self.name, self.root, self.layout_description(), found)

    def reject(self, native_id: str, source: str | Path, reason: str, detail: str,
               line: int | None = None) -> Rejection:
        return Rejection(id=f"{self.name}/{native_id}", corpus=self.name, source_file=str(source),
                         line=line, reason=reason, detail=detail)

    def rel(self, path: Path) -> str:
        """A path relative to the corpus root, as recorded in reports (portable across machines).

        Lexical, like ``Path.relative_to``, whose parsing cost showed in build profiles: this runs
        once per utterance in the build's parent process.
        """
        text, root = str(path), str(self.root).rstrip(os.sep) + os.sep
        return printable_path(text[len(root):] if text.startswith(root) else text)


def printable_path(text: str) -> str:
    """A path as valid UTF-8 text: bytes of a non-UTF-8 name (surrogate escapes) as ``\\xNN``.

    Reports and the journal are UTF-8; a raw surrogate would make writing them fail.
    """
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def has_bad_encoding(text: str) -> bool:
    try:
        text.encode("utf-8")
        return False
    except UnicodeEncodeError:
        return True


def printable_rejection(rej: Rejection) -> Rejection:
    """An adapter's rejection with its id and path as valid UTF-8 (a non-UTF-8 file name)."""
    if not (has_bad_encoding(rej.id) or has_bad_encoding(rej.source_file)):
        return rej
    return dataclasses.replace(rej, id=printable_path(rej.id), source_file=printable_path(rej.source_file),
                               reason=RejectReason.BAD_ENCODING,
                               detail=f"file or folder name is not valid UTF-8; {rej.detail}")
