"""Readers for the phone alignments that corpora ship: EmoDB xlabel, IEMOCAP Sphinx-3, TextGrid.

Each returns ``list[PhoneSegment]`` with the corpus' own labels (map them with
:meth:`~seqd_builder.phones.inventory.PhoneSet.normalise`). Malformed lines raise
:class:`~seqd_builder.errors.AnnotationError` naming file and line.

EmoDB time marks are segment *starts*. The xlabel format conventionally writes each segment's end
time, and the corpus notes say so, but EmoDB's files do not follow it: read as end times, every
plosive closure (p/t/k) would cover the preceding vowel (median level -18 dBFS over 280 closures of 80
files), read as start times the closures are silent (-40 dBFS), and the syllable files (``silb/``)
agree with the start reading. Hence ``marks="start"`` is the default of :func:`read_xlabel` and the
region before the first mark (leading silence) is unlabelled.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import AnnotationError
from ..schema import LabelFile, PhoneSegment

_XLABEL_PHONE = re.compile(r"^[^\s+\-\[\]]*")
_SPHINX_FRAME_RATE = 100.0  # Sphinx-3 phseg frames per second (10 ms)
_SPHINX_PHONE = re.compile(r"^(?P<phone>[^()\s]+)(?:\((?P<context>[^)]*)\)(?P<position>[a-z]?))?$")


def _xlabel_rows(path: Path) -> list[tuple[int, float, str]]:
    """(line number, time, phone field) for each data line; diacritic fields are dropped."""
    lines = path.read_text(encoding="latin-1").splitlines()
    try:
        body = lines.index("#") + 1
    except ValueError:
        raise AnnotationError("xlabel header has no terminating '#' line", file=path) from None
    rows = []
    phone = _XLABEL_PHONE.match
    for number, line in enumerate(lines[body:], start=body + 1):
        parts = line.split(None, 2)
        if not parts:
            continue
        try:
            time = float(parts[0])
        except ValueError:
            raise AnnotationError(f"expected 'time colour label', got {line!r}", file=path,
                                  line=number) from None
        rows.append((number, time, phone(parts[2].strip()).group(0) if len(parts) > 2 else ""))
    return rows


def read_xlabel(path: str | Path, *, marks: str = "start",
                duration: float | None = None) -> list[PhoneSegment]:
    """Segments of an ESPS/xlabel file (EmoDB ``lablaut/*.lablaut``).

    The label's first field is the phone; the TAB- or space-separated diacritic fields (``+asp``,
    ``-sth``, stress digits) are dropped. A line whose phone field is empty (only diacritics) marks a
    feature change inside the phone before it, so it extends that phone instead of starting one.

    ``marks="start"`` (EmoDB, see the module docstring): each time is its segment's start, the
    segment ends at the next mark, and the last one ends at ``duration`` (the audio length) or, when
    that is not given, at its own start. ``marks="end"`` (classic ESPS): each time is the end and a
    segment starts where the previous one ended (the first at 0).
    """
    path = Path(path)
    if marks not in ("start", "end"):
        raise AnnotationError(f"marks must be 'start' or 'end', got {marks!r}", file=path)
    rows = _xlabel_rows(path)
    if not rows:
        return []
    if marks == "start":
        ends = [t for _, t, _ in rows[1:]] + [max(duration, rows[-1][1]) if duration else rows[-1][1]]
        spans = [(t, end) for (_, t, _), end in zip(rows, ends)]
    else:
        starts = [0.0] + [t for _, t, _ in rows[:-1]]
        spans = list(zip(starts, [t for _, t, _ in rows]))
    out: list[PhoneSegment] = []
    for (number, _, phone), (start, end) in zip(rows, spans):
        if end < start:
            raise AnnotationError(f"time marks go backwards ({start} then {end})", file=path,
                                  line=number)
        if not phone:
            if out:
                out[-1] = PhoneSegment(out[-1].phone, out[-1].start, end)
            continue
        out.append(PhoneSegment(phone, start, end))
    return out


def read_phseg(path: str | Path) -> list[PhoneSegment]:
    """Segments of a Sphinx-3 phone segmentation (IEMOCAP ``ForcedAlignment/*/*.phseg``).

    Rows are ``SFrm EFrm SegAScr Phone ...`` with inclusive frame numbers at 100 frames/s, so a
    segment spans ``SFrm/100`` to ``(EFrm+1)/100`` s. The phone field may carry Sphinx's triphone
    context and word position, ``AH(B,T)b``: we keep the base phone (``AH``) and drop context and
    position (b/i/e/s), which are decoding detail, not a label. The header (``SFrm …``) and the
    closing ``Total score`` line are skipped.
    """
    path = Path(path)
    out: list[PhoneSegment] = []
    for number, line in enumerate(path.read_text(encoding="latin-1").splitlines(), start=1):
        fields = line.split()
        if not fields or fields[0] == "SFrm" or line.lstrip().lower().startswith("total score"):
            continue
        try:
            first, last = int(fields[0]), int(fields[1])
            int(fields[2])
            match = _SPHINX_PHONE.match(fields[3])
        except (ValueError, IndexError):
            raise AnnotationError(f"expected 'SFrm EFrm SegAScr Phone', got {line.strip()!r}",
                                  file=path, line=number) from None
        if match is None:
            raise AnnotationError(f"unreadable phone field {fields[3]!r}", file=path, line=number)
        out.append(PhoneSegment(match["phone"], first / _SPHINX_FRAME_RATE,
                                (last + 1) / _SPHINX_FRAME_RATE))
    return out


def read_textgrid(path: str | Path, tier: str = "phones") -> list[PhoneSegment]:
    """Intervals of one tier of a Praat TextGrid (MFA output, MSP-Podcast ``ForceAligned/``).

    Read with praatio; empty intervals (unlabelled gaps) are skipped. An unknown tier name raises an
    error that lists the tiers the file has.
    """
    from praatio import textgrid

    path = Path(path)
    try:
        grid = textgrid.openTextgrid(str(path), includeEmptyIntervals=False)
    except Exception as exc:  # praatio raises several unrelated types for malformed files
        raise AnnotationError(f"not a readable TextGrid: {exc}", file=path) from exc
    if tier not in grid.tierNames:
        raise AnnotationError(f"no tier {tier!r}; tiers: {', '.join(grid.tierNames)}", file=path,
                              hint="pass tier= with one of the file's tier names")
    return [PhoneSegment(e.label.strip(), float(e.start), float(e.end))
            for e in grid.getTier(tier).entries if e.label.strip()]


def read_label_file(labels: LabelFile, duration: float | None = None) -> list[PhoneSegment]:
    """The segments of a :class:`~seqd_builder.schema.LabelFile`, with the reader its format names.

    ``duration`` (the audio's length in seconds) closes the last segment of an xlabel file, whose
    marks are segment starts; the other formats carry their own end times.
    """
    if labels.format == "xlabel":
        return read_xlabel(labels.path, duration=duration)
    if labels.format == "phseg":
        return read_phseg(labels.path)
    return read_textgrid(labels.path, tier=labels.tier or "phones")
