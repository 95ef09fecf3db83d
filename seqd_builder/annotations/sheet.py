"""The SEQD annotation sheet: one long table, one line per (utterance, rater). Reading and validation.

The format is specified in ``annotations/README.md``. Reading never stops at the first problem: every
line is checked against the project (known label, level in range, values on the declared scales, no
rater rating the same item twice, known raters where the project demands it) and every problem becomes
an :class:`Issue` that names file and line, so a curator fixes a sheet in one pass. Lines with an
error are left out of the votes; :meth:`Sheet.check` raises one error listing them all.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import AnnotationError
from ..schema import RejectReason, Vote
from .project import Project

REQUIRED_COLUMNS = ("utterance", "rater", "category")
OPTIONAL_COLUMNS = ("intensity", "arousal", "valence", "dominance", "self_rating", "comment",
                    "speaker", "gender", "text", "split")
ITEM_COLUMNS = ("speaker", "gender", "text", "split")
"""Columns that describe the utterance, not the rating: every line of an utterance must agree."""

_TRUE = {"1", "true", "yes", "y", "t", "self"}
_FALSE = {"", "0", "false", "no", "n", "f"}


class IssueKind:
    """What is wrong with a sheet line. ``reject_reason`` maps each onto the build's vocabulary."""

    MALFORMED = "malformed_line"
    UNKNOWN_LABEL = "unknown_label"
    OUT_OF_RANGE = "out_of_range"
    DUPLICATE = "duplicate_rating"
    UNKNOWN_RATER = "unknown_rater"
    INCONSISTENT = "inconsistent_item"
    TOO_FEW_RATERS = "too_few_raters"
    BAD_ENCODING = "bad_encoding"
    EMPTY = "empty_sheet"

    REJECT_REASON = {BAD_ENCODING: RejectReason.BAD_ENCODING, EMPTY: RejectReason.MALFORMED_LINE,MALFORMED: RejectReason.MALFORMED_LINE, UNKNOWN_LABEL: RejectReason.UNKNOWN_LABEL,
                     OUT_OF_RANGE: RejectReason.INVALID_VALUE, DUPLICATE: RejectReason.DUPLICATE_ID,
                     UNKNOWN_RATER: RejectReason.INVALID_VALUE, INCONSISTENT: RejectReason.INVALID_VALUE,
                     TOO_FEW_RATERS: RejectReason.MISSING_METADATA}


@dataclass(frozen=True)
class Issue:
    """One problem in a sheet. ``severity`` is ``error`` (the line is not used) or ``warning``."""

    kind: str
    message: str
    file: str
    line: int | None
    utterance: str | None = None
    severity: str = "error"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.message}"

    @property
    def reject_reason(self) -> str:
        return IssueKind.REJECT_REASON[self.kind]


@dataclass(frozen=True)
class Annotation:
    """One valid sheet line: who rated which utterance how, and where the line is."""

    utterance: str
    vote: Vote
    file: str
    line: int
    comment: str = ""
    item: tuple[tuple[str, str], ...] = ()   # (column, value) of the non-empty ITEM_COLUMNS


@dataclass(frozen=True)
class Sheet:
    """Every annotation of a project, read from one or more files, with the problems found."""

    project: Project
    files: tuple[Path, ...]
    annotations: tuple[Annotation, ...]
    issues: tuple[Issue, ...] = field(default=())

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "warning"]

    def utterances(self) -> list[str]:
        """Utterance ids in order of first appearance (the order of the merged table)."""
        return list(dict.fromkeys(a.utterance for a in self.annotations))

    def votes(self) -> dict[str, list[Vote]]:
        out: dict[str, list[Vote]] = {}
        for a in self.annotations:
            out.setdefault(a.utterance, []).append(a.vote)
        return out

    def by_utterance(self) -> dict[str, list[Annotation]]:
        out: dict[str, list[Annotation]] = {}
        for a in self.annotations:
            out.setdefault(a.utterance, []).append(a)
        return out

    def check(self) -> Sheet:
        """Raise :class:`AnnotationError` listing every error (file:line each); return self if none."""
        errors = self.errors
        if errors:
            shown = [str(i) for i in errors[:50]]
            if len(errors) > 50:
                shown.append(f"… and {len(errors) - 50} more")
            raise AnnotationError(
                f"{len(errors)} invalid annotation line(s):\n  - " + "\n  - ".join(shown),
                hint="fix the lines above (the project file declares the labels and scales)")
        return self


def _decode(path: Path) -> tuple[str, dict[int, str]]:
    """The sheet's text, and a message per line that is not UTF-8.

    A sheet saved as Latin-1 or cp1252 (a spreadsheet's "CSV" default) is still read, with U+FFFD for
    the bytes that are not UTF-8, so every other problem is reported too; each such line is an error
    naming its line and the first byte that is not UTF-8.
    """
    raw = path.read_bytes()
    bad: dict[int, str] = {}
    for lineno, line in enumerate(raw.split(b"\n"), start=1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as exc:
            # no guess of the encoding: on a few bytes detectors guess wrong (cp857 for Latin-1)
            bad[lineno] = (f"not UTF-8: byte 0x{line[exc.start]:02x} at column {exc.start + 1}; save "
                           f"the sheet as UTF-8 (\"CSV UTF-8\" in spreadsheet programs)")
    return raw.decode("utf-8-sig", errors="replace"), bad


def _rows(path: Path) -> Iterator[tuple[int, dict[str, str]] | tuple[int, str]]:
    """(line, row) per data line; (line, message) for a line that cannot be split into the header's
    columns or is not UTF-8. A record that spans lines (a quoted cell with line breaks) is numbered
    by its first line, where an editor shows it starting. Parquet rows are numbered as lines of the
    same table exported with a header line."""
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        table = pq.read_table(path)
        for i, row in enumerate(table.to_pylist(), start=2):
            yield i, {k: "" if v is None else str(v) for k, v in row.items()}
        return
    delimiter = "\t" if suffix in (".tsv", ".tab") else ","
    text, bad = _decode(path)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next(reader, None)
    if header is None:
        yield 1, "empty sheet: no header line and no annotations"
        return
    if 1 in bad:
        yield 1, bad[1]
    header = [h.strip() for h in header]
    yield 1, {"__header__": "\t".join(header)}
    data_lines = 0
    while True:
        first = reader.line_num + 1
        row = next(reader, None)
        if row is None:
            break
        if not row or all(not c.strip() for c in row):
            continue
        data_lines += 1
        spoilt = [bad[n] for n in range(first, reader.line_num + 1) if n in bad]
        if spoilt:
            yield first, spoilt[0]
            continue
        if len(row) != len(header):
            yield first, (f"expected {len(header)} fields ({', '.join(header)}), found {len(row)}")
            continue
        yield first, dict(zip(header, (c.strip() for c in row)))
    if not data_lines:
        yield 2, "empty sheet: a header line and no annotations"


def _check_header(columns: list[str], path: Path) -> list[Issue]:
    known = (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)
    issues = []
    for col in columns:
        if col not in known:
            issues.append(Issue(IssueKind.MALFORMED, f"unknown column {col!r}; valid: {', '.join(known)}",
                                str(path), 1))
    for col in REQUIRED_COLUMNS:
        if col not in columns:
            issues.append(Issue(IssueKind.MALFORMED, f"missing required column {col!r} (required: "
                                f"{', '.join(REQUIRED_COLUMNS)})", str(path), 1))
    return issues


def read_sheet(paths: Iterable[str | Path], project: Project) -> Sheet:
    """Read and validate SEQD annotation files (CSV, TSV or parquet) against ``project``."""
    paths = (Path(paths),) if isinstance(paths, (str, Path)) else tuple(Path(p) for p in paths)
    if not paths:
        raise AnnotationError("no annotation files given", hint="pass one or more sheets")
    annotations: list[Annotation] = []
    issues: list[Issue] = []
    seen: dict[tuple[str, str], str] = {}
    item_values: dict[tuple[str, str], tuple[str, str]] = {}
    for path in paths:
        if not path.is_file():
            raise AnnotationError(f"annotation file not found: {path}")
        file = str(path)
        columns: list[str] | None = None
        rows = list(_rows(path))
        if not rows and path.suffix.lower() == ".parquet":
            issues.append(Issue(IssueKind.EMPTY, "empty sheet: no annotations", file, None))
        for line, row in rows:
            if isinstance(row, dict) and "__header__" in row:
                columns = row["__header__"].split("\t")
                header_issues = _check_header(columns, path)
                issues += header_issues
                if any("missing required" in i.message for i in header_issues):
                    break
                continue
            if columns is None and isinstance(row, dict):  # parquet: header = the first row's keys
                columns = list(row)
                header_issues = _check_header(columns, path)
                issues += header_issues
                if any("missing required" in i.message for i in header_issues):
                    break
            if isinstance(row, str):
                kind = (IssueKind.BAD_ENCODING if row.startswith("not UTF-8") else
                        IssueKind.EMPTY if row.startswith("empty sheet") else IssueKind.MALFORMED)
                issues.append(Issue(kind, row, file, line))
                continue
            result = _parse_line(row, project, file, line)
            if isinstance(result, Issue):
                issues.append(result)
                continue
            key = (result.utterance, result.vote.rater)
            if key in seen:
                issues.append(Issue(IssueKind.DUPLICATE,
                                    f"rater {result.vote.rater!r} rated {result.utterance!r} twice "
                                    f"(first at {seen[key]})", file, line, result.utterance))
                continue
            seen[key] = f"{file}:{line}"
            for col, value in result.item:
                first = item_values.setdefault((result.utterance, col), (value, f"{file}:{line}"))
                if first[0] != value:
                    issues.append(Issue(IssueKind.INCONSISTENT,
                                        f"{col} of {result.utterance!r} is {value!r} here but "
                                        f"{first[0]!r} at {first[1]}", file, line, result.utterance))
            annotations.append(result)
    sheet = Sheet(project, paths, tuple(annotations), tuple(issues))
    return Sheet(project, paths, sheet.annotations, (*issues, *_too_few(sheet)))


def _too_few(sheet: Sheet) -> list[Issue]:
    rules = sheet.project.merge
    out = []
    for utt, anns in sheet.by_utterance().items():
        n = sum(a.vote.weight for a in anns if sheet.project.code_of(a.vote) is not None
                and not (rules.category_exclude_self and a.vote.self_rating))
        if n < rules.min_raters:
            lines = ", ".join(str(a.line) for a in anns)
            out.append(Issue(IssueKind.TOO_FEW_RATERS,
                             f"{utt!r} has {n:g} category rating(s), the project asks for at least "
                             f"{rules.min_raters} (lines {lines}); merging treats it as "
                             f"{rules.insufficient.replace('_', ' ')}", anns[0].file, anns[0].line,
                             utt, severity="warning"))
    return out


def _parse_line(row: dict[str, str], project: Project, file: str, line: int) -> Annotation | Issue:
    utt, rater = row.get("utterance", ""), row.get("rater", "")

    def issue(kind: str, message: str) -> Issue:
        return Issue(kind, message, file, line, utt or None)

    if not utt:
        return issue(IssueKind.MALFORMED, "empty utterance id")
    if "/" in utt:
        return issue(IssueKind.MALFORMED, f"utterance id {utt!r} contains '/'; use the file's stem")
    if not rater:
        return issue(IssueKind.MALFORMED, f"{utt}: empty rater id")
    if project.unknown_raters == "error" and rater not in project.raters:
        return issue(IssueKind.UNKNOWN_RATER, f"unknown rater {rater!r}; declared: "
                     f"{', '.join(sorted(project.raters))}")
    native = row.get("category", "")
    code = category = None
    if native:
        code = project.resolve(native)
        if code is None:
            return issue(IssueKind.UNKNOWN_LABEL, f"unknown category {native!r}; valid: "
                         f"{', '.join(project.spellings())}")
        category = project.category_of(code)
    intensity = None
    if row.get("intensity"):
        if project.intensity is None:
            return issue(IssueKind.OUT_OF_RANGE, f"intensity {row['intensity']!r} given, but the project "
                         f"declares no intensity scale")
        try:
            intensity = project.intensity.parse(row["intensity"])
        except ValueError as exc:
            return issue(IssueKind.OUT_OF_RANGE, str(exc))
    dims: dict[str, float | None] = {}
    for dim in ("arousal", "valence", "dominance"):
        cell = row.get(dim, "")
        if not cell:
            dims[dim] = None
            continue
        if dim not in project.dimensions:
            return issue(IssueKind.OUT_OF_RANGE, f"{dim} {cell!r} given, but the project declares "
                         f"dimensions {list(project.dimensions) or 'none'}")
        try:
            value = float(cell)
        except ValueError:
            return issue(IssueKind.MALFORMED, f"{dim} {cell!r} is not a number")
        lo, hi = project.dimension_range
        if not lo <= value <= hi:
            return issue(IssueKind.OUT_OF_RANGE, f"{dim} {value:g} out of range; valid: [{lo:g}, {hi:g}]")
        dims[dim] = value
    flag = row.get("self_rating", "").strip().lower()
    if flag not in _TRUE | _FALSE:
        return issue(IssueKind.MALFORMED, f"self_rating {row['self_rating']!r}; valid: true/false, "
                     f"yes/no, 1/0 or empty")
    self_rating = flag in _TRUE or project.is_self_role(rater)
    if code is None and intensity is None and all(v is None for v in dims.values()):
        return issue(IssueKind.MALFORMED, f"{utt}: rater {rater!r} gave no category, intensity or "
                     f"dimension")
    vote = Vote(rater=rater, category=category, category_native=native or None, intensity=intensity,
                self_rating=self_rating, **dims)
    item = tuple((c, row[c]) for c in ITEM_COLUMNS if row.get(c))
    return Annotation(utt, vote, file, line, row.get("comment", ""), item)
