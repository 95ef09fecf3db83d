"""CREMA-D (audio): intended labels from file names, perceived labels and votes from the crowd tables.

The official repository ships ``AudioWAV/<AAAA_SSS_EEE_LL>.wav`` (Git LFS) and plain CSVs:
``SentenceFilenames.csv`` (the 7,442 clips, the item list when present), ``VideoDemographics.csv``
(sex and age per actor), ``processedResults/summaryTable.csv`` (``VoiceVote``: the voice-only
plurality, ties colon-joined) and ``processedResults/tabulatedVotes.csv`` (vote counts per clip and
modality, read by :func:`seqd_builder.annotations.readers.read_crema_tabulated`). Copies without the
CSVs (e.g. Kaggle's ``AudioWAV/`` only) are read from the file names, with genders from the card.

Both labels are kept: ``category`` = the intended emotion (file name), ``category_perceived`` = the
voice-only vote (null on ties, raw text in ``category_perceived_native``), ``votes`` = voice-only
counts. ``intensity``/``intensity_level`` = the intended level (LO/MD/HI, IEO only; XX → null).
The clips the corpus design implies but the distribution lacks (20 in the real corpus) are reported
by :meth:`CremaDAdapter.missing_cells` and as ``missing_cell`` warnings.
"""

from __future__ import annotations

import csv
import itertools
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from ..annotations.readers import read_crema_tabulated
from ..errors import AnnotationError, CorpusLayoutError
from ..schema import RawItem, Rejection, RejectReason, Vote
from .base import Adapter, register
from .common import compare_counts

_NAME = re.compile(r"^(\d{4})_([A-Z]{3})_([A-Z]{3})_([A-Z]{2})$")


@register("crema_d")
class CremaDAdapter(Adapter):
    """Reads CREMA-D as cloned (with LFS) or as an ``AudioWAV/``-only copy."""

    @classmethod
    def layout_description(cls) -> str:
        return ("AudioWAV/ of AAAA_SSS_EEE_LL.wav files, with SentenceFilenames.csv, "
                "VideoDemographics.csv and processedResults/{summaryTable,tabulatedVotes}.csv beside "
                "it (the CheyneyComputerScience/CREMA-D repository cloned with git lfs)")

    # --- layout ------------------------------------------------------------------------------------

    def audio_dir(self) -> Path:
        for name in self.options["audio_folders"]:
            folder = (self.root / name) if name != "." else self.root
            if folder.is_dir() and any(_NAME.match(p.stem) for p in folder.glob("*.wav")):
                return folder
        raise self.layout_error()

    def _file(self, key: str) -> Path | None:
        path = self.root / self.options[key]
        return path if path.is_file() else None

    def check_layout(self) -> None:
        folder = self.audio_dir()
        first = next(p for p in sorted(folder.glob("*.wav")) if _NAME.match(p.stem))
        with first.open("rb") as fh:      # one file, to catch a clone without `git lfs pull`
            head = fh.read(64)
        if head.startswith(b"version https://git-lfs"):
            raise CorpusLayoutError(
                self.name, self.root, self.layout_description(),
                f"{self.rel(first)} is a Git LFS pointer, not audio",
                hint="run `git lfs pull` in the CREMA-D clone (a zip download has no audio)")

    def input_files(self) -> list[Path]:
        return [p for k in ("sentence_list", "demographics", "summary_table", "tabulated_votes")
                if (p := self._file(k)) is not None]

    # --- tables ------------------------------------------------------------------------------------

    def _rows(self, key: str) -> Iterator[tuple[int, dict[str, str]]]:
        """(line number, row by column name) of one CSV; columns are read by name."""
        path = self._file(key)
        if path is None:
            self.warn("missing_file", f"{self.options[key]} not found; the columns it fills are null")
            return
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            for row in reader:
                yield reader.line_num, row

    def demographics(self) -> dict[str, tuple[str | None, int | None]]:
        out = {}
        for line, row in self._rows("demographics"):
            actor = (row.get("ActorID") or "").strip()
            if not actor:
                self.warn("malformed_line", f"{self.options['demographics']}:{line}: no ActorID")
                continue
            try:
                age = int(row["Age"]) if row.get("Age") else None
            except ValueError:
                self.warn("malformed_line", f"{self.options['demographics']}:{line}: age "
                                            f"{row['Age']!r} is not a number")
                age = None
            out[actor] = (row.get("Sex") or None, age)
        return out

    def perceived(self) -> dict[str, str]:
        """clip → VoiceVote as written (``A:D`` on ties)."""
        out = {}
        for line, row in self._rows("summary_table"):
            clip, vote = row.get("FileName"), row.get("VoiceVote")
            if not clip or not vote:
                self.warn("malformed_line", f"{self.options['summary_table']}:{line}: no FileName or "
                                            f"VoiceVote in {row}")
                continue
            out[clip] = vote
        return out

    def votes(self) -> dict[str, tuple[Vote, ...]]:
        """clip → voice-only vote counts.

        The reader gives each vote its mean 1-100 slider level as ``intensity``; the card's
        ``vote_intensity`` scale ([1, 100]) maps it to [0, 1] beside the intended LO/MD/HI level.
        """
        path = self._file("tabulated_votes")
        if path is None:
            self.warn("missing_file", f"{self.options['tabulated_votes']} not found; votes are empty")
            return {}

        def collect(error: AnnotationError) -> None:
            self.warn("malformed_line", str(error))

        table = read_crema_tabulated(path, modality="voice", on_error=collect)
        return {clip: tuple(votes) for clip, votes in table.items()}

    # --- items -------------------------------------------------------------------------------------

    def items(self) -> Iterator[RawItem | Rejection]:
        self._reset_warnings()
        audio = self.audio_dir()
        demographics, perceived, votes = self.demographics(), self.perceived(), self.votes()
        listed: list[tuple[str, str, int | None]] = []   # (clip, source file, line)
        sentence_list = self.options["sentence_list"]
        for line, row in self._rows("sentence_list"):
            clip = (row.get("Filename") or "").strip()
            if not clip:
                yield self.reject(f"{Path(sentence_list).stem}-line{line}", sentence_list,
                                  RejectReason.MALFORMED_LINE, f"no Filename in {row}", line=line)
                continue
            listed.append((clip, sentence_list, line))
        names = {clip for clip, _, _ in listed}
        for wav in sorted(audio.glob("*.wav")):
            if wav.stem not in names:
                if listed:
                    self.warn("unlisted_file", f"{self.rel(wav)} is not in {sentence_list}; read from "
                                               f"its file name")
                listed.append((wav.stem, self.rel(wav), None))
        self._found: set[str] = set()
        for clip, source, line in listed:
            item = self._item(clip, source, line, audio, demographics, perceived, votes)
            if isinstance(item, RawItem):
                self._found.add(clip)
            yield item
        self._check(perceived, votes, demographics)

    def _item(self, clip, source, line, audio, demographics, perceived, votes) -> RawItem | Rejection:
        match = _NAME.match(clip)
        if match is None:
            return self.reject(clip.replace("/", "_") or "empty", source, RejectReason.MALFORMED_LINE,
                               f"clip name {clip!r} is not AAAA_SSS_EEE_LL", line=line)
        actor, sentence, emotion, level = match.groups()
        if sentence not in self.card.texts:
            return self.reject(clip, source, RejectReason.UNKNOWN_LABEL,
                               f"unknown sentence code {sentence!r}; valid: "
                               f"{', '.join(sorted(self.card.texts))}", line=line)
        sex, age = demographics.get(actor, (None, None))
        if demographics and actor not in demographics:
            self.warn("missing_metadata", f"{clip}: actor {actor} is not in "
                                          f"{self.options['demographics']}; gender from the card")
        return RawItem(
            native_id=clip, audio_path=audio / f"{clip}.wav", source_file=source, source_line=line,
            speaker=actor, gender=sex, age=age, text=self.card.texts[sentence], category=emotion,
            intensity=None if level == self.options["unspecified_level"] else level,
            category_perceived=perceived.get(clip), votes=votes.get(clip, ()))

    # --- checks ------------------------------------------------------------------------------------

    def design(self) -> list[str]:
        """Every clip name the corpus design implies (actors of the card × sentences × emotions)."""
        opts = self.options
        out = []
        for actor, sentence, emotion in itertools.product(sorted(self.card.speakers),
                                                          self.card.texts, self.card.categories):
            leveled = sentence in opts["leveled_sentences"] and emotion not in opts["unleveled_emotions"]
            for level in (opts["levels"] if leveled else [opts["unspecified_level"]]):
                out.append(f"{actor}_{sentence}_{emotion}_{level}")
        return out

    def missing_cells(self) -> list[str]:
        """Design cells with no clip in this copy (valid after :meth:`items`)."""
        return sorted(set(self.design()) - self._found)

    def _check(self, perceived: dict, votes: dict, demographics: dict) -> None:
        expected = self.card.expected
        known = set(expected.get("missing_cells", ()))
        missing = self.missing_cells()
        for clip in missing:
            self.warn("missing_cell", f"{clip}: a design cell with no clip"
                                      f"{' (known: never distributed)' if clip in known else ''}")
        unexpected = [c for c in missing if c not in known]
        if unexpected:
            self.warn("count_mismatch", f"{len(unexpected)} design cells missing beyond the "
                                        f"{len(known)} the corpus never had: "
                                        f"{', '.join(unexpected[:10])}{' …' if len(unexpected) > 10 else ''}")
        extra = sorted(self._found - set(self.design()))
        if extra:
            self.warn("count_mismatch", f"{len(extra)} clips outside the design: {', '.join(extra[:10])}")
        if perceived:
            for clip in sorted(self._found - set(perceived)):
                self.warn("missing_metadata", f"{clip}: no VoiceVote in {self.options['summary_table']}")
        if votes:
            for clip in sorted(self._found - set(votes)):
                self.warn("missing_metadata", f"{clip}: no voice row in "
                                              f"{self.options['tabulated_votes']}")
        if demographics:
            sexes = Counter(self.card.genders.get(sex or "", sex) for sex, _ in demographics.values())
            for message in compare_counts("actors", expected.get("gender_actors", {}), sexes):
                self.warn("count_mismatch", message)
