"""IEMOCAP as distributed by USC SAIL (``IEMOCAP_full_release/``).

What is read, per session ``Session{1..5}``:

* ``dialog/EmoEvaluation/*.txt`` (files only: the sub-folders ``Categorical/``, ``Attribute/``,
  ``Self-evaluation/`` hold per-rater copies and .anvil files). One block per speaker turn: a TAB-separated
  summary line ``[start - end]  id  code  [V, A, D]`` then the raters' lines, ``C-<rater>:`` categories
  (several per line, full words) and ``A-<rater>:`` ``val n; act n; dom  n;``.
* ``dialog/transcriptions/<dialog>.txt``: ``<id> [start-end]: text`` lines (others ignored).
* ``sentences/wav/<dialog>/<id>.wav`` (not opened here) and ``sentences/ForcedAlignment/<dialog>/<id>.phseg``.

Mapping decisions (the label maps themselves are in ``corpora/iemocap.yaml``):

* Speaker = session + the first letter of the id's last ``_`` token (``Ses03M_impro05a_F012`` is the
  female actor ``Ses03F``). The letter in ``Ses03M`` names the actor wearing MoCap markers, and fixed
  character indices break on ``impro05a``/``script01_1b`` dialogs.
* The summary's mean ``[V, A, D]`` (valence first!) goes to valence/arousal/dominance on the native 1-5 scale.
* Rater lines become votes by the one rule of :mod:`seqd_builder.annotations.iemocap_lines`, which the
  annotation reader (``seqd merge``) shares: a C-line listing n categories gives one :class:`Vote` per
  category with weight 1/n (``category_native`` is that word), so every rater weighs 1 in
  ``category_distribution``; an A-line gives one vote with the three ratings; actor lines
  (``F1``/``M1``) are ``self_rating`` only when the actor is the speaker, and their rater ids carry the
  session (``Ses01:C-F1``). Only the word -> category lookup is the adapter's own (the card's spellings,
  then an unambiguous stem: :meth:`IemocapAdapter._vote_category`).
* ``agreement`` is the (weighted) share of the evaluators' categorical votes for the top category, with
  self-ratings left out as in the corpus' own consensus.
* Transcripts: bracketed tags such as ``[LAUGHTER]`` are stripped from ``text``; lines that are not
  valid UTF-8 are decoded with the card's fallback encodings and counted.

Problems that do not cost an utterance go to the adapter's warning log (:meth:`Adapter.warn`; the
build writes it to ``reports/iemocap/source_warnings.jsonl``): ``bad_encoding`` (a transcript line
decoded with a fallback), ``malformed_line`` (a rater line that does not parse, with the parser's reason), ``no_transcript``,
``missing_file``, ``mixed_layout`` (a turn cut from the dialog wav), ``phones_failed``, and
``count_mismatch`` against the card's published counts (total, per session, per consensus code). The
log is complete once :meth:`items` is exhausted.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from ..annotations.iemocap_lines import (SUMMARY_FORMAT, UTTERANCE_ID, is_blank_line, is_summary_line,
                                         malformed_message, parse_evaluator_line, parse_summary,
                                         speaker_of)
from ..annotations.votes import summarise_votes
from ..schema import LabelFile, RawItem, Rejection
from .base import Adapter, register

SESSIONS = tuple(f"Session{k}" for k in range(1, 6))

_ID_LIKE = re.compile(r"Ses0[1-5][MF]_\w+")
_TRANSCRIPT = re.compile(r"^(?P<id>\S+)\s+\[(?P<start>[\d.]+)-(?P<end>[\d.]+)\]:\s?(?P<text>.*)$")
_TAG = re.compile(r"\[\w+\]")


def clean_transcript(text: str) -> str | None:
    """Transcript text with bracketed tags (``[LAUGHTER]``, ``[BREATHING]``) removed; None if empty."""
    cleaned = " ".join(_TAG.sub(" ", text).split())
    return cleaned or None


@register("iemocap")
class IemocapAdapter(Adapter):
    """Reads ``IEMOCAP_full_release/`` (or any folder holding ``Session1`` … ``Session5``)."""

    @classmethod
    def layout_description(cls) -> str:
        return ("Session{1..5}/dialog/EmoEvaluation/*.txt with dialog/transcriptions/ and "
                "sentences/wav/<dialog>/<utt>.wav (the IEMOCAP_full_release folder)")

    def check_layout(self) -> None:
        if not self._sessions():
            nested = self.root / "IEMOCAP_full_release"
            raise self.layout_error() if not nested.is_dir() else self.layout_error(
                f"a nested IEMOCAP_full_release/ folder: point --root at {nested}")

    def _sessions(self) -> list[Path]:
        return [self.root / s for s in SESSIONS if (self.root / s / "dialog" / "EmoEvaluation").is_dir()]

    def input_files(self) -> list[Path]:
        files = []
        for session in self._sessions():
            files += self._evaluation_files(session)
            files += sorted(p for p in (session / "dialog" / "transcriptions").glob("*.txt") if p.is_file())
        return files

    @staticmethod
    def _evaluation_files(session: Path) -> list[Path]:
        return sorted(p for p in (session / "dialog" / "EmoEvaluation").glob("*.txt") if p.is_file())

    # --- the stream -------------------------------------------------------------------------------

    def items(self) -> Iterator[RawItem | Rejection]:
        self.check_layout()
        self._reset_warnings()
        self._found: Counter = Counter()
        self._codes: Counter = Counter()
        self._dialogs: Counter = Counter()
        self._fallback_lines = 0
        self._listings: dict[str, frozenset[str]] = {}
        self._folders: dict[tuple[str, ...], Path] = {}
        self._vote_words = {k.lower(): v for k, v in {**self.card.categories,
                                                     **self.card.vote_categories}.items()}
        self._unmapped_words: Counter = Counter()
        self._word_stems = [(k.lower()[:4], v) for k, v in self.card.vote_categories.items()
                            if len(k) >= 4 and v is not None]
        for session in self._sessions():
            for path in self._evaluation_files(session):
                self._dialogs[session.name] += 1
                texts = self._transcripts(session, path.stem)
                yield from self._dialog_items(session, path, texts)
        self._check_counts()

    def _dialog_items(self, session: Path, path: Path, texts: dict[str, str | None]
                      ) -> Iterator[RawItem | Rejection]:
        source = self.rel(path)
        block: dict | None = None
        rejected_turn = False  # rater lines of a rejected turn go with it
        for number, raw in enumerate(path.read_bytes().splitlines(), start=1):
            line, fallback = self._decode(raw)
            if is_summary_line(line):
                if block is not None:
                    yield self._finish(block, session, texts)
                block, rejected_turn = None, True
                match = parse_summary(line)
                utt = match["id"] if match else (_ID_LIKE.search(line) or [f"{path.stem}@{number}"])[0]
                if fallback:
                    yield self.reject(utt, source, "bad_encoding",
                                      f"summary line is not valid UTF-8: {line.strip()!r}", number)
                elif match is None:
                    yield self.reject(utt, source, "malformed_line",
                                      f"{source}:{number}: expected {SUMMARY_FORMAT}, got {line.strip()!r}",
                                      number)
                else:
                    block = {"match": match, "line": number, "source": source, "votes": []}
                    rejected_turn = False
                continue
            if is_blank_line(line) or (block is None and rejected_turn):
                continue
            if block is None:
                self.warn("malformed_line", f"{source}:{number}: line outside any turn ignored: "
                                            f"{line.strip()[:80]!r}")
                continue
            utt = block["match"]["id"]
            try:
                block["votes"] += parse_evaluator_line(line).votes(utt, self._vote_category)
            except ValueError as exc:
                self.warn("malformed_line", f"{source}:{number}: {malformed_message(utt, line, str(exc))}; "
                                            f"line ignored")
        if block is not None:
            yield self._finish(block, session, texts)

    def _finish(self, block: dict, session: Path, texts: dict[str, str | None]) -> RawItem:
        match, source = block["match"], block["source"]
        utt = match["id"]
        speaker, letter = speaker_of(utt)
        dialog = utt.rsplit("_", 1)[0]
        start, end = float(match["start"]), float(match["end"])
        votes = tuple(block["votes"])
        audio = self._folder(session, "sentences/wav", dialog) / f"{utt}.wav"
        segment = None
        if not self._exists(audio) and self.options.get("dialog_wav_fallback", True):
            whole = self._folder(session, "dialog/wav") / f"{dialog}.wav"
            if self._exists(whole) and end > start:
                self.warn("mixed_layout", f"{source}:{block['line']}: {utt}: no sentence wav, cut "
                                            f"[{start}, {end}] s from {self.rel(whole)}")
                audio, segment = whole, (start, end)
        if utt not in texts:
            self.warn("no_transcript", f"{source}:{block['line']}: {utt}: no transcript line")
        self._found[session.name] += 1
        self._codes[match["code"]] += 1
        evaluators = [v for v in votes if v.category is not None]
        agreement = summarise_votes(evaluators, exclude_self=True).agreement if evaluators else None
        return RawItem(
            native_id=utt, audio_path=audio, source_file=source, source_line=block["line"],
            speaker=speaker, gender=letter, text=texts.get(utt), category=match["code"],
            valence=float(match["v"]), arousal=float(match["a"]), dominance=float(match["d"]),
            votes=votes, agreement=agreement, segment=segment,
            phone_labels=self._alignment(session, dialog, utt))

    def _vote_category(self, word: str) -> str | None:
        """Unified category of a C-line word: the card's spelling, else its stem.

        The exact spellings in the corpus are not all documented, so a word no card entry spells
        (``Happy`` vs ``Happiness``, ``Other:annoyed``) is matched on its first four letters against
        the card's words; only an unambiguous match counts. Unmatched words are counted in the
        build notes; the vote keeps the word in ``category_native`` either way.
        """
        key = word.lower()
        if key in self._vote_words:
            return self._vote_words[key]
        head = key.split(":", 1)[0].strip()
        found = {v for k, v in self._word_stems if head.startswith(k)}
        if len(found) == 1:
            category = found.pop()
            self._vote_words[key] = category
            return category
        self._unmapped_words[word] += 1
        return None

    def _alignment(self, session: Path, dialog: str, utt: str):
        path = self._folder(session, "sentences/ForcedAlignment", dialog) / f"{utt}.phseg"
        return LabelFile(str(path), "phseg") if self._exists(path) else None

    def _folder(self, session: Path, *parts: str) -> Path:
        key = (session.name, *parts)
        if key not in self._folders:
            self._folders[key] = session.joinpath(*parts)
        return self._folders[key]

    def _exists(self, path: Path) -> bool:
        """``path.is_file()`` from one listing per folder (10,039 stat calls are slow on network disks)."""
        folder = str(path.parent)
        if folder not in self._listings:
            try:
                with os.scandir(folder) as entries:
                    self._listings[folder] = frozenset(e.name for e in entries if e.is_file())
            except OSError:  # no such folder
                self._listings[folder] = frozenset()
        return path.name in self._listings[folder]

    def _decode(self, raw: bytes) -> tuple[str, bool]:
        """A line as text, and whether it needed a fallback encoding (it was not valid UTF-8)."""
        try:
            return raw.decode("utf-8"), False
        except UnicodeDecodeError:
            pass
        for encoding in self.options.get("fallback_encodings", ["latin-1"]):
            try:
                return raw.decode(encoding), True
            except UnicodeDecodeError:
                continue
        return raw.decode("latin-1"), True

    def _transcripts(self, session: Path, dialog: str) -> dict[str, str | None]:
        path = session / "dialog" / "transcriptions" / f"{dialog}.txt"
        if not path.is_file():
            self.warn("missing_file", f"{self.rel(path)}: no transcript file for dialog {dialog}")
            return {}
        out: dict[str, str | None] = {}
        for number, raw in enumerate(path.read_bytes().splitlines(), start=1):
            line, fallback = self._decode(raw)
            match = _TRANSCRIPT.match(line.strip())
            if match is None or not UTTERANCE_ID.match(match["id"]):
                continue  # non-utterance lines (noise, other-speaker notes) carry no turn id
            if fallback:
                self._fallback_lines += 1
                self.warn("bad_encoding", f"{self.rel(path)}:{number}: not valid UTF-8, decoded "
                                            f"with a fallback encoding")
            out[match["id"]] = clean_transcript(match["text"])
        return out

    # --- reports ----------------------------------------------------------------------------------

    def build_notes(self) -> dict:
        """Per-session turn and dialog counts, and transcript lines decoded with a fallback."""
        return {"turns_per_session": dict(sorted(getattr(self, "_found", {}).items())),
                "dialogs_per_session": dict(sorted(getattr(self, "_dialogs", {}).items())),
                "transcript_lines_fallback_decoded": getattr(self, "_fallback_lines", 0),
                "unmapped_vote_words": dict(getattr(self, "_unmapped_words", Counter()).most_common())}

    @property
    def fallback_decoded_lines(self) -> int:
        """Transcript lines of the last :meth:`items` run that were not valid UTF-8."""
        return self._fallback_lines

    def _check_counts(self) -> None:
        """``count_mismatch`` warnings against the card's published counts (total, sessions, codes)."""
        expected = self.card.expected
        total = sum(self._found.values())
        if expected.get("utterances") is not None and total != expected["utterances"]:
            self.warn("count_mismatch", f"utterances: expected {expected['utterances']}, found {total}")
        if expected.get("dialogs") is not None and sum(self._dialogs.values()) != expected["dialogs"]:
            self.warn("count_mismatch", f"dialogs (EmoEvaluation files): expected {expected['dialogs']}, "
                                        f"found {sum(self._dialogs.values())}")
        for session, n in (expected.get("per_session") or {}).items():
            if self._found.get(session, 0) != n:
                self.warn("count_mismatch",
                          f"{session} utterances: expected {n}, found {self._found.get(session, 0)}")
        for code, n in (expected.get("categories_native") or {}).items():
            if self._codes.get(code, 0) != n:
                self.warn("count_mismatch",
                          f"consensus code {code!r}: expected {n}, found {self._codes.get(code, 0)}")
