"""ESD (Emotional Speech Dataset): both circulating layouts and the mixed-encoding transcripts.

Layouts (the card's ``options`` name folders and rules):

* original zip: ``<spk>/<Emotion>/{train,evaluation,test}/<spk>_<NNNNNN>.wav``;
* flat copies (Kaggle, EmoBox): ``<spk>/<Emotion>/<spk>_<NNNNNN>.wav``, split positional inside each
  350-id block (first 20 evaluation, next 30 test, remaining 300 train);

either at the root or inside ``Emotion Speech Dataset/``. Transcripts ``<spk>/<spk>.txt`` are
``id TAB text TAB emotion`` lines (some with spaces instead of TABs), each file in its own encoding
(gb2312, UTF-16 with BOM, latin-1, ASCII); the encoding used for each file is recorded in
:attr:`ESDAdapter.transcript_encodings`.

Labels come from the emotion folder (the corpus' own organisation); the transcript's emotion word
and the id block are cross-checked and disagreements reported. Transcript problems never drop an
utterance: its audio and label are sound, so it is kept with ``text=None`` and a warning.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..schema import RawItem, Rejection
from .base import Adapter, register
from .common import compare_counts, decode_text

_UTT = re.compile(r"^(\d{4})_(\d{6})$")
_SPACED_LINE = re.compile(r"^(?P<id>\d{4}_\d{6})\s+(?P<rest>.*?)\s*$")


@dataclass(frozen=True)
class TranscriptLine:
    text: str | None
    emotion: str | None
    line: int


@register("esd")
class ESDAdapter(Adapter):
    """Reads ESD in either layout. Warnings (incl. count mismatches) via :meth:`warnings`."""

    @classmethod
    def layout_description(cls) -> str:
        return ("speaker folders 0001-0020, each with <spk>.txt and emotion folders Neutral/Angry/Happy/"
                "Sad/Surprise holding <spk>_<NNNNNN>.wav directly or in train/evaluation/test "
                "(optionally inside 'Emotion Speech Dataset/')")

    # --- layout ------------------------------------------------------------------------------------

    def base(self) -> Path:
        """The folder that holds the speaker folders (the root or one of the card's wrappers)."""
        for candidate in (self.root, *(self.root / w for w in self.options["wrappers"])):
            if candidate.is_dir() and self._speaker_dirs(candidate):
                return candidate
        raise self.layout_error()

    def _speaker_dirs(self, folder: Path) -> list[Path]:
        pattern = re.compile(self.options["speaker_pattern"])
        return sorted(p for p in folder.iterdir() if p.is_dir() and pattern.match(p.name))

    def check_layout(self) -> None:
        base = self.base()
        emotions = {e.casefold() for e in self.options["emotions"]}
        for spk in self._speaker_dirs(base):
            if any(p.is_dir() and p.name.casefold() in emotions for p in spk.iterdir()):
                return
        raise self.layout_error([f"{p.name}/" for p in self._speaker_dirs(base)])

    def input_files(self) -> list[Path]:
        base = self.base()
        return [t for spk in self._speaker_dirs(base) if (t := spk / f"{spk.name}.txt").is_file()]

    # --- transcripts -------------------------------------------------------------------------------

    def read_transcript(self, path: Path, language: str) -> dict[str, TranscriptLine]:
        """utterance id → line of one ``<spk>.txt``; problems become warnings with file:line."""
        rel = self.rel(path)
        declared = self.options["transcript_encodings"][language]
        data = path.read_bytes()
        decoded = decode_text(data, declared)
        if decoded is not None:
            self.transcript_encodings[rel] = decoded.encoding
            lines = [(i, line) for i, line in enumerate(decoded.text.splitlines(), 1)]
        else:
            self.transcript_encodings[rel] = "undecodable (line by line)"
            self.warn("bad_encoding", f"{rel}: no encoding of {declared} nor detection decodes the "
                                      f"whole file; decoding line by line")
            lines = []
            for i, raw in enumerate(data.split(b"\n"), 1):
                line = decode_text(raw.rstrip(b"\r"), declared, detect=False)
                if line is None:
                    self.warn("bad_encoding", f"{rel}:{i}: undecodable line {raw[:40]!r}; its "
                                              f"utterance keeps no transcript")
                    continue
                lines.append((i, line.text))
        out: dict[str, TranscriptLine] = {}
        for number, line in lines:
            parsed = self._parse_line(line.strip().lstrip("\ufeff"), rel, number)
            if parsed is None:
                continue
            utt, entry = parsed
            if utt in out:
                self.warn("malformed_line", f"{rel}:{number}: {utt} also on line {out[utt].line}; "
                                            f"the first line is used")
                continue
            out[utt] = entry
        return out

    def _parse_line(self, line: str, rel: str, number: int) -> tuple[str, TranscriptLine] | None:
        if not line:
            return None
        parts = [p.strip() for p in line.split("\t")]
        if len(parts) == 3 and _UTT.match(parts[0]):
            return parts[0], TranscriptLine(parts[1] or None, parts[2] or None, number)
        match = _SPACED_LINE.match(line)
        if match is None:
            self.warn("malformed_line", f"{rel}:{number}: no utterance id at the start of {line[:60]!r}")
            return None
        rest = match["rest"]
        head, _, last = rest.rpartition(" ") if "\t" not in rest else rest.rpartition("\t")
        if last in self.card.categories and head.strip():
            return match["id"], TranscriptLine(head.strip(), last, number)
        self.warn("malformed_line", f"{rel}:{number}: no emotion column in {line[:60]!r}; text kept, "
                                    f"label from the folder")
        return match["id"], TranscriptLine(rest or None, None, number)

    # --- items -------------------------------------------------------------------------------------

    def _emotion_folder(self, name: str) -> str:
        """The card's spelling of an emotion folder (copies differ in case); unknown names unchanged."""
        for emotion in self.options["emotions"]:
            if emotion.casefold() == name.casefold():
                return emotion
        return name

    def positional_split(self, number: int) -> str:
        """The official split token of utterance number ``number`` (1-based) by its block position."""
        position = (number - 1) % int(self.options["block_size"])
        for token, size in self.options["positional_split"]:
            if position < size:
                return token
            position -= size
        return self.options["positional_split"][-1][0]

    def block_emotion(self, number: int) -> str | None:
        block = (number - 1) // int(self.options["block_size"])
        emotions = self.options["emotions"]
        return emotions[block] if block < len(emotions) else None

    def _wavs(self, spk_dir: Path) -> list[tuple[Path, str, str | None]]:
        """(wav, emotion folder, split folder or None) for every wav under a speaker folder, in
        utterance-id order (``os.scandir``: one system call per folder, which 35,000 files need)."""
        split_folders = {s.casefold(): s for s in self.options["split_folders"]}
        out = []
        for emo in (e for e in self.scandir(spk_dir) if e.is_dir()):
            emotion = self._emotion_folder(emo.name)
            for entry in self.scandir(emo.path):
                if entry.is_dir() and entry.name.casefold() in split_folders:
                    split = split_folders[entry.name.casefold()]
                    out += [(Path(f.path), emotion, split) for f in self.scandir(entry.path)
                            if f.is_file() and f.name.lower().endswith(".wav")]
                elif entry.is_file() and entry.name.lower().endswith(".wav"):
                    out.append((Path(entry.path), emotion, None))
        return sorted(out, key=lambda w: (w[0].name, str(w[0])))

    def items(self) -> Iterator[RawItem | Rejection]:
        self._reset_warnings()
        self.transcript_encodings: dict[str, str] = {}
        base = self.base()
        cells: dict[tuple[str, str], Counter] = defaultdict(Counter)
        split_disagreements: Counter = Counter()
        for spk_dir in self._speaker_dirs(base):
            spk = spk_dir.name
            language = self.card.speakers.get(spk, {}).get("language", self.card.language)
            transcript_path = spk_dir / f"{spk}.txt"
            transcript = self.rel(transcript_path)
            if transcript_path.is_file():
                lines = self.read_transcript(transcript_path, language)
            else:       # one warning for the file, not one per utterance
                self.warn("no_transcript", f"{transcript}: missing; {spk}'s utterances have no text")
                lines, transcript = {}, None
            seen: set[str] = set()
            layouts: set[str] = set()
            for wav, emotion, split_folder in self._wavs(spk_dir):
                match = _UTT.match(wav.stem)
                if match is None or match[1] != spk:
                    yield self.reject(f"{spk}_{wav.stem}", self.rel(wav), "missing_metadata",
                                      f"file name {wav.name!r} is not {spk}_<NNNNNN>.wav")
                    continue
                utt, number = wav.stem, int(match[2])
                if utt in seen:
                    yield self.reject(utt, self.rel(wav), "duplicate_id",
                                      f"{utt} is in two folders; this copy is not used")
                    continue
                seen.add(utt)
                positional = self.positional_split(number)
                if split_folder is None:
                    split = positional
                    layouts.add("flat")
                else:
                    split = split_folder
                    layouts.add("split folders")
                    if split_folder != positional:
                        split_disagreements[(spk, emotion)] += 1
                cells[(spk, emotion)][split] += 1
                yield self._item(spk, utt, number, emotion, split, wav, lines.get(utt), language,
                                 transcript)
            if len(layouts) > 1:
                self.warn("mixed_layout", f"{spk}: both flat files and split folders")
            # transcript lines without a wav: listed utterances whose audio is absent
            for utt in sorted(set(lines) - seen):
                number = int(utt[5:])
                if utt[:4] != spk:
                    self.warn("malformed_line", f"{transcript}:{lines[utt].line}: "
                                                f"{utt} is not a {spk} utterance")
                    continue
                emotion = self._line_emotion(lines[utt]) or self.block_emotion(number) or "unknown"
                split = self.positional_split(number)
                folder = spk_dir / emotion
                if "split folders" in layouts:
                    folder = folder / split
                yield self._item(spk, utt, number, emotion, split, folder / f"{utt}.wav",
                                 lines[utt], language, transcript)
        self._check_counts(cells, split_disagreements)

    def _line_emotion(self, line: TranscriptLine) -> str | None:
        """The emotion folder name that a transcript's emotion word stands for."""
        unified = self.card.categories.get(line.emotion or "")
        return next((e for e in self.options["emotions"] if self.card.categories.get(e) == unified),
                    None) if unified else None

    def _item(self, spk: str, utt: str, number: int, emotion: str, split: str, wav: Path,
              line: TranscriptLine | None, language: str, transcript: str | None) -> RawItem:
        """``transcript``: the speaker's transcript file (relative), None when it is missing."""
        text = line.text if line is not None else None
        if line is None:
            if utt in self.card.texts:
                text = self.card.texts[utt]
                self.warn("supplied_text", f"{utt}: no line in {transcript}; text supplied by the card")
            elif transcript is not None:
                self.warn("no_transcript", f"{utt}: no line in {transcript}; text is null")
        elif line.emotion is not None and line.emotion in self.card.categories and \
                self.card.categories[line.emotion] != self.card.categories.get(emotion):
            self.warn("label_mismatch", f"{transcript}:{line.line}: {utt} says {line.emotion!r} but is "
                                        f"in folder {emotion!r}; the folder is used")
        block = self.block_emotion(number)
        if block is not None and block != emotion:
            self.warn("label_mismatch", f"{utt}: id block says {block!r}, folder says {emotion!r}; "
                                        f"the folder is used")
        return RawItem(
            native_id=utt, audio_path=wav,
            source_file=transcript if line is not None else self.rel(wav),
            source_line=line.line if line is not None else None,
            speaker=spk, language=language, text=text, category=emotion, split=split)

    def _check_counts(self, cells: dict, split_disagreements: Counter) -> None:
        """Per speaker and emotion: the official 300/20/30 (the total is the pipeline's check)."""
        per_cell = dict(self.card.expected.get("per_speaker_emotion_split", {}))
        for (spk, emotion), counts in sorted(cells.items()):
            for message in compare_counts(f"{spk}/{emotion} split", per_cell, counts):
                self.warn("count_mismatch", message)
        for (spk, emotion), n in sorted(split_disagreements.items()):
            self.warn("count_mismatch", f"{spk}/{emotion}: {n} files are in a split folder other than "
                                        f"the positional rule's {self.options['positional_split']}")
