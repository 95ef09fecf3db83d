"""The label files of MSP-Podcast releases, read into entries: consensus rows, partitions, speakers, votes.

Split from :mod:`seqd_builder.corpora.msp_podcast` (which holds the layout, the items and the checks)
because the formats are many: the CSV and JSON consensus files under both spellings, ``labels.txt``,
``Partitions.txt``, ``Speaker_ids.txt`` and the worker lines. :class:`MspLabelFiles` is a mixin of the
adapter: its methods use the adapter's ``root``, ``options``, ``warn`` and ``reject``.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import AnnotationError, CorpusLayoutError, SeqdError
from ..schema import Rejection, Vote

CONSENSUS_NAMES = ("labels_consensus.csv", "labels_concensus.csv",
                   "labels_consensus.json", "labels_concensus.json", "labels.txt")
AUDIO_DIRS = ("Audios", "Audio")
_PARTITION = re.compile(r"^\s*(?P<split>[A-Za-z0-9]+)\s*;\s*(?P<file>\S+\.wav)\s*$")
_SPEAKER = re.compile(r"^\s*Speaker_(?P<id>\d+)\s*;\s*(?P<gender>\w+)\s*$")
_SEGMENT = re.compile(r"^\s*(?P<file>\S+\.wav)\s*;\s*(?P<id>\w*)\s*$")
_TXT_SUMMARY = re.compile(r"^(?P<file>\S+\.wav);\s*(?P<code>\w*);\s*A:(?P<a>[\d.]+);\s*V:(?P<v>[\d.]+);"
                          r"\s*D:(?P<d>[\d.]+);\s*$")


def _absent(value: str | None) -> bool:
    """A column that is missing, empty or NA (WHiSER-format files write NA)."""
    return value is None or value.strip() in ("", "NA")


@dataclass
class _Entry:
    """What the files say about one audio file (native tokens), and where."""

    file: str
    source: str = ""
    line: int | None = None
    code: str | None = None
    act: float | None = None
    val: float | None = None
    dom: float | None = None
    speaker: str | None = None
    gender: str | None = None
    split: str | None = None
    has_label: bool = False
    problems: list[tuple[str, str, str, int | None]] = field(default_factory=list)



class MspLabelFiles:
    """Readers of the release's label files (mixed into the MSP-Podcast adapter)."""

    def _number(self, value, what: str) -> float | None:
        if value is None or str(value).strip() in ("", "NA", "Unknown"):
            return None
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ValueError(f"{what} is not a number: {value!r}") from None

    def _entry(self, row: dict, source: str, line: int | None) -> _Entry:
        file = (row.get("FileName") or "").strip()
        if not file:
            raise ValueError("empty FileName")
        def text(key):  # noqa: E306 - a column that may be absent
            return None if row.get(key) is None else str(row[key]).strip()
        return _Entry(file=file, source=source, line=line, code=text("EmoClass") or None,
                      act=self._number(row.get("EmoAct"), "EmoAct"),
                      val=self._number(row.get("EmoVal"), "EmoVal"),
                      dom=self._number(row.get("EmoDom"), "EmoDom"),
                      speaker=text("SpkrID"), gender=text("Gender"), split=text("Split_Set"),
                      has_label=True)

    def _read_labels(self, path: Path, entries: dict[str, _Entry], rejections: list[Rejection]) -> None:
        source = self.rel(path)
        if path.suffix == ".json":
            data = json.loads(path.read_text(encoding="utf-8-sig"))
            for file, row in data.items():
                try:
                    self._add(entries, rejections, self._entry({"FileName": file, **row}, source, None))
                except ValueError as exc:
                    rejections.append(self.reject(Path(file).stem, source, "malformed_line",
                                                  f"{source}: entry {file!r}: {exc}"))
            return
        if path.suffix == ".txt":
            self._read_labels_txt(path, entries, rejections)
            return
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            missing = [c for c in ("FileName", "EmoClass") if c not in (reader.fieldnames or [])]
            if missing:
                raise CorpusLayoutError(self.name, self.root, f"{source} with columns FileName, "
                                        f"EmoClass, EmoAct, EmoVal, EmoDom[, SpkrID, Gender, Split_Set]",
                                        f"columns {reader.fieldnames}")
            for row in reader:
                line = reader.line_num
                if None in row or any(v is None for v in row.values()):
                    rejections.append(self.reject(self._id_of(row.get("FileName"), line), source,
                                                  "malformed_line", f"{source}:{line}: expected "
                                                  f"{len(reader.fieldnames)} fields", line))
                    continue
                try:
                    self._add(entries, rejections, self._entry(row, source, line))
                except ValueError as exc:
                    rejections.append(self.reject(self._id_of(row.get("FileName"), line), source,
                                                  "malformed_line", f"{source}:{line}: {exc}", line))

    def _read_labels_txt(self, path: Path, entries: dict[str, _Entry], rejections: list[Rejection]) -> None:
        """Summary lines of labels.txt (``<file>; <code>; A:x; V:x; D:x;``) when no CSV/JSON exists."""
        source = self.rel(path)
        at_block_start = True
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                at_block_start = True
                continue
            if not at_block_start:
                continue  # a worker line (read for votes)
            at_block_start = False
            match = _TXT_SUMMARY.match(line.strip())
            if match is None:
                rejections.append(self.reject(self._id_of(line.split(";")[0], number), source,
                                              "malformed_line", f"{source}:{number}: expected "
                                              f"'<file>.wav; <class>; A:x; V:x; D:x;', got {line!r}", number))
                continue
            self._add(entries, rejections, _Entry(
                file=match["file"], source=source, line=number, code=match["code"] or None,
                act=float(match["a"]), val=float(match["v"]), dom=float(match["d"]), has_label=True))

    @staticmethod
    def _id_of(file: str | None, line: int) -> str:
        file = (file or "").strip()
        stem = file[:-4] if file.lower().endswith(".wav") else file
        return stem.replace("/", "_") or f"line{line}"

    # --- Partitions.txt and Speaker_ids.txt --------------------------------------------------------

    def _read_partitions(self, entries: dict[str, _Entry], rejections: list[Rejection], *,
                         labelled: bool) -> None:
        path = self._optional("Partitions.txt", "Partition.txt")
        if path is None:
            return
        source = self.rel(path)
        for number, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), start=1):
            if not line.strip():
                continue
            match = _PARTITION.match(line)
            if match is None:
                rejections.append(self.reject(self._id_of(line.split(";")[-1], number), source,
                                              "malformed_line", f"{source}:{number}: expected "
                                              f"'<split>; <file>.wav', got {line!r}", number))
                continue
            file, split = match["file"], match["split"]
            entry = entries.get(file)
            if entry is None:
                entries[file] = _Entry(file=file, source=source, line=number, split=split,
                                       has_label=not labelled)
            elif _absent(entry.split) or entry.split in self.options.get("unassigned_split_tokens", []):
                entry.split = split
            elif entry.split != split:
                self._disagree["split"] += 1

    def _read_speakers(self, entries: dict[str, _Entry]) -> None:
        path = self._optional("Speaker_ids.txt")
        if path is None:
            return
        source = self.rel(path)
        genders: dict[str, str] = {}
        in_table = True
        for number, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), start=1):
            if not line.strip():
                continue
            if line.lstrip().startswith("*"):
                in_table = False
                continue
            if in_table and (m := _SPEAKER.match(line)):
                genders[m["id"]] = m["gender"]
                continue
            m = _SEGMENT.match(line)
            if m is None:
                self.warn("malformed_line", f"{source}:{number}: unrecognised line ignored: {line.strip()[:80]!r}")
                continue
            in_table = False
            speaker = m["id"] or "Unknown"
            if speaker != "Unknown" and speaker not in genders:
                self.warn("missing_metadata", f"{source}:{number}: speaker {speaker} has no 'Speaker_{speaker};' "
                                      f"line (gender unknown)")
            entry = entries.get(m["file"])
            if entry is None:  # named only here: reported as missing metadata later
                entry = entries[m["file"]] = _Entry(file=m["file"], source=source, line=number)
            if _absent(entry.speaker):
                entry.speaker = speaker
            elif entry.speaker != speaker:
                self._disagree["speaker"] += 1
            if _absent(entry.gender):
                entry.gender = genders.get(speaker, "Unknown")
        self.speaker_genders = genders

    # --- votes, transcripts, alignments ------------------------------------------------------------

    def _votes(self) -> dict[str, list[Vote]]:
        path = self._detailed_file()
        if path is None:
            if self._labels_file() is not None:
                self.warn("missing_file", "no Labels/labels_detailed.csv or labels.txt: votes are empty "
                                          "(labels_detailed.json alone is not read)")
            return {}
        try:
            from ..annotations.readers import read_msp_detailed, read_msp_labels_txt
        except ImportError:
            self.warn("missing_file", f"{self.rel(path)}: vote readers not installed, votes left empty")
            return {}
        reader = read_msp_detailed if path.suffix == ".csv" else read_msp_labels_txt

        def collect(error: AnnotationError) -> None:
            self.warn("malformed_line", f"vote line ignored: {error}")

        try:
            return reader(path, on_error=collect)
        except SeqdError as exc:
            self.warn("malformed_line", f"votes not read: {exc}")
            return {}
