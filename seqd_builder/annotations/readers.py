"""Readers for the raw-vote files that corpora ship, returning :class:`~seqd_builder.schema.Vote` lists.

The CREMA-D and MSP-Podcast adapters call these, and so do the real-data checks that reproduce each
corpus' published consensus with :func:`~seqd_builder.annotations.merge.merge_votes` and the project
files ``annotations/projects/crema_d.yaml`` and ``msp_podcast.yaml``. Votes keep the native label
exactly as written (``category_native``) and carry the unified category resolved through the project.

A malformed line raises :class:`~seqd_builder.errors.AnnotationError` naming file and line; pass
``on_error`` (a callable taking that error) to collect such lines and go on instead.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

from ..errors import AnnotationError
from ..schema import Vote
from .iemocap_lines import (SUMMARY_FORMAT, is_blank_line, is_summary_line, malformed_message,
                            parse_evaluator_line, parse_summary)
from .project import Project, load_project

ErrorHandler = Callable[[AnnotationError], None] | None

CREMA_MODALITIES = {"voice": 1, "face": 2, "audiovisual": 3}
"""``tabulatedVotes.csv`` row index = 100000 * query type + clip number (``tabulateVotesV2.r``)."""

_CREMA_MEAN_COLUMNS = {"A": "meanAngerResp", "D": "meanDisgustResp", "F": "meanFearResp",
                       "H": "meanHappyResp", "N": "meanNeutralResp", "S": "meanSadResp"}


def _fail(message: str, path: Path, line: int, on_error: ErrorHandler) -> None:
    error = AnnotationError(message, file=path, line=line,
                            hint="fix or delete the line; the rest of the file is fine")
    if on_error is None:
        raise error
    on_error(error)


def read_crema_tabulated(path: str | Path, modality: str = "voice", *,
                         project: Project | None = None,
                         on_error: ErrorHandler = None) -> dict[str, list[Vote]]:
    """CREMA-D ``processedResults/tabulatedVotes.csv`` → {clip name: votes} for one modality.

    One :class:`Vote` per emotion letter that got votes: ``rater`` is ``<modality>:<letter>`` (the file
    holds counts, not rater ids), ``weight`` the number of raters, ``intensity`` their mean 1-100 level
    (the file's ``mean<Emotion>Resp``; -1 there means no votes). Clips keep the file's order.
    """
    if modality not in CREMA_MODALITIES:
        raise AnnotationError(f"unknown modality {modality!r}; valid: {', '.join(CREMA_MODALITIES)}")
    path = Path(path)
    project = project or load_project("crema_d")
    query = CREMA_MODALITIES[modality]
    out: dict[str, list[Vote]] = {}
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        need = ["fileName", "numResponses", *_CREMA_MEAN_COLUMNS, *_CREMA_MEAN_COLUMNS.values()]
        missing = [c for c in need if header is None or c not in header]
        if missing:
            raise AnnotationError(f"not a CREMA-D tabulatedVotes.csv: missing columns {missing}",
                                  file=path, line=1)
        col = {name: i for i, name in enumerate(header)}
        for row in reader:
            line = reader.line_num
            if not row:
                continue
            if len(row) != len(header):
                _fail(f"expected {len(header)} fields, found {len(row)}", path, line, on_error)
                continue
            try:
                index = int(row[0])
            except ValueError:
                _fail(f"row index {row[0]!r} is not an integer", path, line, on_error)
                continue
            if index // 100000 != query:
                continue
            clip = row[col["fileName"]]
            try:
                counts = {k: int(row[col[k]]) for k in _CREMA_MEAN_COLUMNS}
                means = {k: float(row[col[m]]) for k, m in _CREMA_MEAN_COLUMNS.items()}
                n = int(row[col["numResponses"]])
            except ValueError as exc:
                _fail(f"clip {clip!r}: not a number ({exc})", path, line, on_error)
                continue
            if sum(counts.values()) != n or any(c < 0 for c in counts.values()):
                _fail(f"clip {clip!r}: vote counts {counts} do not add up to numResponses={n}",
                      path, line, on_error)
                continue
            if clip in out:
                _fail(f"clip {clip!r} appears twice for modality {modality!r}", path, line, on_error)
                continue
            out[clip] = [
                Vote(rater=f"{modality}:{letter}", category=project.category_of(letter),
                     category_native=letter, intensity=means[letter] if means[letter] >= 0 else None,
                     weight=float(count))
                for letter, count in counts.items() if count > 0]
    return out


def parse_msp_worker(text: str, project: Project) -> Vote:
    """One MSP worker annotation ``WORKERid; Primary; Secondary,...; A:x; V:x; D:x;`` as a Vote.

    The secondary emotions have no place in :class:`Vote` and are dropped; the primary label is kept
    as written in ``category_native`` (``Other-Concerned``), its unified category resolved by the
    project (every ``Other-…`` is ``other``). Raises ValueError on a malformed annotation.
    """
    parts = [p.strip() for p in text.strip().split(";")]
    if parts and parts[-1] == "":
        parts = parts[:-1]
    if len(parts) != 6:
        raise ValueError(f"expected 'WORKER; primary; secondary; A:x; V:x; D:x;' (6 fields), found "
                         f"{len(parts)} in {text.strip()!r}")
    worker, primary, _secondary, *scales = parts
    values = {}
    for key, part in zip(("A", "V", "D"), scales):
        tag, _, number = part.partition(":")
        if tag.strip() != key:
            raise ValueError(f"expected '{key}:<value>', found {part!r}")
        values[key] = float(number)
    if not worker:
        raise ValueError("empty worker id")
    code = project.resolve(primary) if primary else None
    return Vote(rater=worker, category=project.category_of(code), category_native=primary or None,
                arousal=values["A"], valence=values["V"], dominance=values["D"])


def read_msp_detailed(path: str | Path, *, project: Project | None = None,
                      on_error: ErrorHandler = None) -> dict[str, list[Vote]]:
    """MSP-Podcast ``Labels/labels_detailed.csv`` (``FileName,EmoDetail``) → {file name: votes}.

    One :class:`Vote` per worker line (see :func:`parse_msp_worker`), files in order of first
    appearance. A worker annotating the same file twice is a malformed line.
    """
    path = Path(path)
    project = project or load_project("msp_podcast")
    out: dict[str, list[Vote]] = {}
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if header != ["FileName", "EmoDetail"]:
            raise AnnotationError(f"not an MSP labels_detailed.csv: header {header!r}, expected "
                                  f"['FileName', 'EmoDetail']", file=path, line=1)
        for row in reader:
            line = reader.line_num
            if not row:
                continue
            if len(row) != 2:
                _fail(f"expected 2 fields (FileName,EmoDetail), found {len(row)}", path, line, on_error)
                continue
            try:
                vote = parse_msp_worker(row[1], project)
            except ValueError as exc:
                _fail(f"{row[0]}: {exc}", path, line, on_error)
                continue
            votes = out.setdefault(row[0], [])
            if any(v.rater == vote.rater for v in votes):
                _fail(f"{row[0]}: worker {vote.rater} annotated this file twice", path, line, on_error)
                continue
            votes.append(vote)
    return out


def read_msp_labels_txt(path: str | Path, *, project: Project | None = None,
                        on_error: ErrorHandler = None) -> dict[str, list[Vote]]:
    """MSP-Podcast ``Labels/labels.txt`` (summary line, worker lines, blank line) → {file: votes}.

    Summary lines (``<file>; <EmoClass>; A:…; V:…; D:…;``) open a block; the consensus they hold is
    not returned (merge the votes to get it, or read ``labels_consensus.csv``).
    """
    path = Path(path)
    project = project or load_project("msp_podcast")
    out: dict[str, list[Vote]] = {}
    current: str | None = None
    with path.open(encoding="utf-8") as fh:
        for line_no, text in enumerate(fh, start=1):
            text = text.strip()
            if not text:
                current = None
                continue
            head = text.split(";", 1)[0].strip()
            if current is None:
                if not head.lower().endswith(".wav"):
                    _fail(f"expected a summary line '<file>.wav; <class>; A:…', found {text!r}",
                          path, line_no, on_error)
                    continue
                current = head
                out.setdefault(current, [])
                continue
            try:
                vote = parse_msp_worker(text, project)
            except ValueError as exc:
                _fail(f"{current}: {exc}", path, line_no, on_error)
                continue
            out[current].append(vote)
    return out


def read_iemocap_evaluation(path: str | Path, *, project: Project | None = None,
                            on_error: ErrorHandler = None) -> dict[str, list[Vote]]:
    """IEMOCAP ``EmoEvaluation/<dialog>.txt`` evaluator lines → {utterance id: votes}.

    The lines are parsed and turned into votes by :mod:`.iemocap_lines`, the same code the corpus
    adapter (``seqd build iemocap``) uses, so both give the same votes for the same file. Its rule: a
    ``C-`` line listing n categories gives n votes of weight 1/n, each with its own word as
    ``category_native``; an ``A-`` line gives one vote (val/act/dom, 1-5); an actor line (``F1``/``M1``)
    is ``self_rating`` only when that actor is the speaker, and actor rater ids carry the session
    (``Ses01:C-F1``). Only the word → category lookup is the reader's own: the project's label table
    (``annotations/projects/iemocap.yaml``). The project's rules leave self-ratings out of the
    consensus, as the summary line does.

    A malformed summary line (its evaluator lines are skipped with it), a malformed evaluator line,
    or an evaluator line before any summary line is reported with file and line.
    """
    path = Path(path)
    project = project or load_project("iemocap")

    def category_of(word: str) -> str | None:
        return project.category_of(project.resolve(word))

    out: dict[str, list[Vote]] = {}
    current: str | None = None
    skipping = False  # evaluator lines of a malformed summary line go with it
    with path.open(encoding="utf-8", errors="replace") as fh:
        for line_no, raw in enumerate(fh, start=1):
            text = raw.rstrip("\n").rstrip("\r")
            if is_blank_line(text):
                continue
            if is_summary_line(text):
                match = parse_summary(text)
                current, skipping = (match["id"], False) if match else (None, True)
                if match is None:
                    _fail(f"expected {SUMMARY_FORMAT}, got {text.strip()!r}", path, line_no, on_error)
                    continue
                out.setdefault(current, [])
                continue
            if current is None:
                if not skipping:
                    _fail(f"evaluator line before any utterance line: {text!r}", path, line_no, on_error)
                continue
            try:
                out[current] += parse_evaluator_line(text).votes(current, category_of)
            except ValueError as exc:
                _fail(malformed_message(current, text, str(exc)), path, line_no, on_error)
    return out
