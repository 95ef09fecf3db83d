"""MSP-Podcast as distributed by the MSP lab, in the layouts of its releases.

What is read (every name variant that circulates is accepted):

* consensus labels: ``Labels/labels_consensus.csv`` or the old spelling ``labels_concensus.csv``
  (columns read by name: FileName, EmoClass, EmoAct, EmoVal, EmoDom and, where present, SpkrID,
  Gender, Split_Set), else the JSON variant ``labels_consensus.json``/``labels_concensus.json`` (key
  order Act, Dom, Val: read by name too), else the summary lines of ``Labels/labels.txt``;
* votes: ``Labels/labels_detailed.csv`` (quoted worker lines), else the worker lines of
  ``labels.txt``, via :mod:`seqd_builder.annotations.readers`;
* splits and speakers of old releases: ``Partitions.txt`` (``<split>; <file>``) and
  ``Speaker_ids.txt`` (``Speaker_<n>; <Gender>`` lines, a ``****`` rule, then ``<file>;<n>`` or
  ``;Unknown``). The CSV's columns win where both exist; the txt files fill what the CSV lacks
  (columns absent, or a ``Split_Set`` of ``NA``), and disagreements are counted;
* audio ``Audios/<file>`` or ``Audio/<file>`` (not opened here), ``Transcripts/<stem>.txt`` and
  ``ForceAligned/<stem>.TextGrid`` where present.

Every file named anywhere (label rows, Partitions.txt, Speaker_ids.txt, the audio folder) ends as one
item or one rejection: no split (``missing_metadata``), no label row (``missing_metadata``), a
malformed row (``malformed_line`` with file:line), a second row for one file (``duplicate_id``).
Test3's labels are hidden: its turns are yielded with null labels in split ``test3`` (card option
``hidden_labels: keep``), or rejected with reason ``hidden_label`` (``reject``).

Handled problems go to the adapter's warning log (:meth:`Adapter.warn`): ``malformed_line`` (an
ignored Speaker_ids or vote line), ``missing_metadata`` (a speaker without a gender line),
``missing_file``, ``bad_encoding`` (a transcript decoded with a fallback), ``phones_failed``,
``label_mismatch`` (CSV and txt files disagree; the CSV wins) and ``count_mismatch`` (which release
the copy matches by its total, and that release's split sizes).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from ..schema import LabelFile, RawItem, Rejection, Vote
from .base import Adapter, register
from .msp_labels import AUDIO_DIRS, CONSENSUS_NAMES, MspLabelFiles, _absent, _Entry


@register("msp_podcast")
class MspPodcastAdapter(MspLabelFiles, Adapter):
    """Reads an MSP-Podcast release folder (``Labels/``, ``Audios/``, ``Partitions.txt`` …)."""

    @classmethod
    def layout_description(cls) -> str:
        return ("Labels/labels_consensus.csv (or labels_concensus.csv, .json, labels.txt) and/or "
                "Partitions.txt with Speaker_ids.txt, plus Audios/ (or Audio/)")

    # --- layout -----------------------------------------------------------------------------------

    def _labels_file(self) -> Path | None:
        for name in CONSENSUS_NAMES:
            if (self.root / "Labels" / name).is_file():
                return self.root / "Labels" / name
        return None

    def _audio_dir(self) -> Path | None:
        return next((self.root / d for d in AUDIO_DIRS if (self.root / d).is_dir()), None)

    def _optional(self, *names: str) -> Path | None:
        return next((self.root / n for n in names if (self.root / n).is_file()), None)

    def check_layout(self) -> None:
        labels, partitions = self._labels_file(), self._optional("Partitions.txt", "Partition.txt")
        if (labels is None and partitions is None) or self._audio_dir() is None:
            nested = [p for p in self.root.iterdir() if p.is_dir() and (p / "Labels").is_dir()]
            if nested:
                raise self.layout_error(f"a nested release folder: point --root at {nested[0]}")
            raise self.layout_error()

    def input_files(self) -> list[Path]:
        files = [self._labels_file(), self._detailed_file(),
                 self._optional("Partitions.txt", "Partition.txt"), self._optional("Speaker_ids.txt")]
        return [p for p in files if p is not None]

    def _detailed_file(self) -> Path | None:
        """Per-worker lines: labels_detailed.csv, else the worker lines of labels.txt."""
        return next((self.root / "Labels" / n for n in ("labels_detailed.csv", "labels.txt")
                     if (self.root / "Labels" / n).is_file()), None)

    # --- the stream -------------------------------------------------------------------------------

    def items(self) -> Iterator[RawItem | Rejection]:
        self.check_layout()
        self._reset_warnings()
        self._splits: Counter = Counter()
        self._disagree: Counter = Counter()
        self.speaker_genders: dict[str, str] = {}
        entries: dict[str, _Entry] = {}
        rejections: list[Rejection] = []
        labels = self._labels_file()
        if labels is not None:
            self._read_labels(labels, entries, rejections)
        else:
            self.warn("missing_file", "no consensus label file in Labels/: turns from Partitions.txt have "
                                  "no category and no attributes")
        self._read_partitions(entries, rejections, labelled=labels is not None)
        self._read_speakers(entries)
        yield from rejections
        votes = self._votes()
        audio_dir = self._audio_dir()
        audio_files = self._listing(audio_dir)
        transcripts = self._listing(self.root / "Transcripts")
        grids = self._listing(self.root / "ForceAligned")
        hidden = set(self.options.get("hidden_label_splits", ["Test3"]))
        unassigned = set(self.options.get("unassigned_split_tokens", ["NA", ""]))
        for entry in entries.values():
            yield self._item(entry, audio_dir, votes, hidden, unassigned, transcripts, grids)
        for name in sorted(audio_files - set(entries)):
            if name.lower().endswith(".wav"):
                yield self.reject(Path(name).stem, self.rel(audio_dir / name), "missing_metadata",
                                  f"{name} is in {audio_dir.name}/ but in no label or partition file")
        self._check_counts()

    def _item(self, e: _Entry, audio_dir: Path, votes: dict[str, list[Vote]], hidden: set[str],
              unassigned: set[str], transcripts: frozenset[str], grids: frozenset[str]
              ) -> RawItem | Rejection:
        stem = e.file[:-4] if e.file.lower().endswith(".wav") else e.file
        if not e.has_label:
            return self.reject(stem, e.source, "missing_metadata",
                               f"{e.file} is listed in {e.source} but has no row in "
                               f"{self._labels_file().name}", e.line)
        if e.split is None or e.split in unassigned:
            return self.reject(stem, e.source, "missing_metadata",
                               f"{e.file}: no split (Split_Set {e.split!r} and not in Partitions.txt)",
                               e.line)
        self._splits[e.split] += 1
        is_hidden = e.split in hidden
        if is_hidden and self.options.get("hidden_labels", "keep") == "reject":
            return self.reject(stem, e.source, "hidden_label",
                               f"{e.file}: {e.split} labels are hidden (scored online by the lab)", e.line)
        speaker = None if _absent(e.speaker) or e.speaker == "Unknown" else e.speaker
        return RawItem(
            native_id=stem, audio_path=audio_dir / e.file, source_file=e.source, source_line=e.line,
            speaker=speaker, gender=None if _absent(e.gender) else e.gender, split=e.split,
            text=self._transcript(stem) if f"{stem}.txt" in transcripts else None,
            category=None if is_hidden else e.code,
            arousal=None if is_hidden else e.act, valence=None if is_hidden else e.val,
            dominance=None if is_hidden else e.dom,
            votes=() if is_hidden else tuple(votes.get(e.file, ())),
            phone_labels=self._alignment(stem) if f"{stem}.TextGrid" in grids else None)

    # --- consensus labels --------------------------------------------------------------------------

    def _add(self, entries: dict[str, _Entry], rejections: list[Rejection], entry: _Entry) -> None:
        first = entries.get(entry.file)
        if first is not None and first.has_label:
            rejections.append(self.reject(entry.file[:-4], entry.source, "duplicate_id",
                                          f"{entry.file} has a second label row; the first is at "
                                          f"{first.source}:{first.line}", entry.line))
            return
        entries[entry.file] = entry

    def _transcript(self, stem: str) -> str | None:
        raw = (self.root / "Transcripts" / f"{stem}.txt").read_bytes()
        for encoding in self.options.get("transcript_encodings", ["utf-8", "latin-1"]):
            try:
                text = raw.decode(encoding)
            except UnicodeDecodeError:
                continue
            if encoding != "utf-8":
                self.warn("bad_encoding", f"Transcripts/{stem}.txt: not valid UTF-8, decoded as {encoding}")
            return " ".join(text.split()) or None
        self.warn("bad_encoding", f"Transcripts/{stem}.txt: undecodable, text left empty")
        return None

    def _alignment(self, stem: str):
        path = self.root / "ForceAligned" / f"{stem}.TextGrid"
        return LabelFile(str(path), "textgrid", tier=self.options.get("textgrid_tier", "phones"))

    @staticmethod
    def _listing(folder: Path | None) -> frozenset[str]:
        if folder is None:
            return frozenset()
        try:
            with os.scandir(folder) as entries:
                return frozenset(e.name for e in entries if e.is_file())
        except OSError:
            return frozenset()

    # --- reports ----------------------------------------------------------------------------------

    def build_notes(self) -> dict:
        """Which files of which layout variant were read, the split sizes and the matched release."""
        labels, detailed, audio = self._labels_file(), self._detailed_file(), self._audio_dir()
        return {"labels": self.rel(labels) if labels else None,
                "votes": self.rel(detailed) if detailed else None,
                "audio_folder": audio.name if audio else None,
                "splits": dict(sorted(getattr(self, "_splits", {}).items())),
                "release": getattr(self, "_release", None)}

    def split_counts(self) -> dict[str, int]:
        """Native split tokens of the items of the last :meth:`items` run."""
        return dict(self._splits)

    def _check_counts(self) -> None:
        """Name the release this copy matches (by its total) and compare that release's splits."""
        for what, n in sorted(self._disagree.items()):
            self.warn("label_mismatch", f"{n} files: the label file's {what} differs from the txt "
                                        f"file's (the label file wins)")
        total = sum(self._splits.values())
        releases = self.card.expected.get("releases") or {}
        match = next((name for name, spec in releases.items() if spec.get("utterances") == total), None)
        self._release = match
        if match is None:
            known = ", ".join(f"{n} ({s['utterances']})" for n, s in releases.items())
            self.warn("count_mismatch", f"{total} turns with a split match no known release: {known}")
            return
        for split, n in (releases[match].get("splits") or {}).items():
            if self._splits.get(split, 0) != n:
                self.warn("count_mismatch",
                          f"release {match}: {split} expected {n}, found {self._splits.get(split, 0)}")
