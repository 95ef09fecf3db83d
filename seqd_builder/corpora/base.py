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
import difflib
import os
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

from ..errors import ConfigError, CorpusLayoutError
from ..registry import Registry
from ..schema import RawItem, Rejection, RejectReason
from .card import CorpusCard, load_card

ADAPTERS: Registry[type[Adapter]] = Registry(
    "corpus", package="seqd_builder.corpora", group="seqd_builder.corpora",
    skip=("base", "card", "common", "examples", "msp_labels", "protocols"), hint="run `seqd corpora` to list them")


def register(name: str):
    """Class decorator: make an adapter available to ``seqd build <name>``."""

    def wrap(cls: type[Adapter]) -> type[Adapter]:
        cls.name = name
        return ADAPTERS.register(name)(cls)

    return wrap


def adapter_names() -> list[str]:
    return ADAPTERS.names()


def adapter_class(name: str) -> type[Adapter]:
    return ADAPTERS.get(name)


def get_adapter(name: str, root: str | Path, **options) -> Adapter:
    """Instantiate the adapter for corpus ``name`` over the tree at ``root``."""
    return adapter_class(name)(root, **options)


def check_options(corpus: str, card: CorpusCard, options: dict) -> dict:
    """``options`` if every key is one the card declares (with its default) and every value has the
    default's type; otherwise a :class:`ConfigError` naming the key, the valid keys and the card.

    The card's ``options`` block is the adapter's whole option schema: a misspelt key would otherwise
    be ignored and the build would silently run with the default.
    """
    valid = sorted(card.options)
    for key, value in options.items():
        if key not in card.options:
            close = difflib.get_close_matches(key, valid, n=1)
            raise ConfigError(
                f"unknown option {key!r} for corpus {corpus!r}; valid: {', '.join(valid) or '(none)'}",
                file=card.path, hint=f"did you mean {close[0]!r}?" if close else
                "options are declared in the corpus card's `options` block")
        default = card.options[key]
        if default is not None and value is not None and not _same_kind(value, default):
            raise ConfigError(f"option {key!r} of corpus {corpus!r} is {value!r} "
                              f"({type(value).__name__}); the card's default is {default!r} "
                              f"({type(default).__name__})", file=card.path)
    return dict(options)


def _same_kind(value: object, default: object) -> bool:
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(value, bool) and isinstance(default, bool)
    if isinstance(default, (int, float)):
        return isinstance(value, (int, float))
    if isinstance(default, (list, tuple)):
        return isinstance(value, (list, tuple))
    return isinstance(value, type(default))


class Adapter(ABC):
    """Reads one corpus as distributed. Subclasses set nothing but layout knowledge.

    :meth:`example_tree` builds a small tree in the corpus' real layout from the shared test material;
    the contract suite (:func:`seqd_builder.plugin_checks.adapter_checks`) runs on it, so a new adapter
    is tested by registering it and providing its example.
    """

    name: ClassVar[str]

    def __init__(self, root: str | Path, *, card: CorpusCard | None = None, **options):
        self.root = Path(root).expanduser()
        self.card = card or load_card(self.name)
        self.options = {**self.card.options, **check_options(self.name, self.card, options)}
        if not self.root.is_dir():
            raise CorpusLayoutError(self.name, self.root, self.layout_description(),
                                    "no such folder" if not self.root.exists() else "a file")

    # --- the interface ----------------------------------------------------------------------------

    @classmethod
    def layout_description(cls) -> str:
        """One line describing the expected layout, for error messages and ``seqd corpora``."""
        return "the corpus as distributed"

    @classmethod
    def example_tree(cls, dst: Path) -> Path:
        """Build a small real-layout tree of this corpus under ``dst`` and return the ``--root``.

        Built-in corpora take theirs from :mod:`seqd_builder.corpora.examples`; a third-party adapter
        overrides this method.
        """
        from . import examples

        builder = getattr(examples, cls.name, None)
        if builder is None:
            raise NotImplementedError(f"adapter {cls.name!r} provides no example tree; implement "
                                      f"example_tree(dst) so that the contract suite can run on it")
        return builder(Path(dst))

    @classmethod
    def example_options(cls, root: Path) -> dict:
        """Options an adapter needs on its example tree (the SEQD adapter: the sheet and project)."""
        from . import examples

        options = getattr(examples, f"{cls.name}_options", None)
        return options(root) if options else {}

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
        return [Path(e.path) for e in self.scandir(folder)]

    def wav_files(self, folder: Path) -> Iterator[Path]:
        """The ``.wav`` files of a folder (any case: copies from case-insensitive file systems carry
        ``.WAV``), sorted; sub-folders are passed over and any other file is a reported skip."""
        for path in self.listdir(folder):
            if path.is_dir():
                continue
            if path.suffix.lower() != ".wav":
                self.skip(path, "other_extension", f"{path.suffix or 'no extension'}: not a wav file")
                continue
            yield path

    def scandir(self, folder: str | Path) -> list[os.DirEntry]:
        """:func:`os.scandir` of a folder, sorted by name; an unreadable folder is skipped (reported
        once, as a skip and a warning), not fatal. :meth:`listdir` and :meth:`wav_files` read through it."""
        try:
            with os.scandir(folder) as entries:
                return sorted(entries, key=lambda e: e.name)
        except OSError as exc:
            self.skip(Path(folder), "unreadable_folder", f"{exc.strerror or exc}")
            self.warn("unreadable_folder", f"{self.rel(Path(folder))}: {exc.strerror or exc}; skipped")
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
    if not (has_bad_encoding(rej.id) or has_bad_encoding(rej.source_file) or has_bad_encoding(rej.detail)):
        return rej
    return dataclasses.replace(rej, id=printable_path(rej.id), source_file=printable_path(rej.source_file),
                               reason=RejectReason.BAD_ENCODING,
                               detail=f"file or folder name is not valid UTF-8; {printable_path(rej.detail)}")
