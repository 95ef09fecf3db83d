"""CASIA Chinese emotional speech: the public 1,200-file subset and the full-corpus folder variants.

Every circulating copy stores speaker and emotion in folder names (``<speaker>/<emotion>/<NNN>.wav``)
or in renamed files (``201-sad-zhaoquanyin.wav``); spellings differ between copies (``liuchanhg``,
``Chang.Liu``, ``ZhaoZuoxiang``, ``normal``). The adapter reads any depth of wrapping folders, takes
speaker and emotion from the file name when it carries them and from the two parent folders otherwise,
and resolves speakers through the card's alias table (case-insensitive). Emotion tokens are
case-folded and mapped by the card, so an unknown one is rejected as ``unknown_label`` by the
pipeline. There are no transcripts and no annotation files.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from ..schema import RawItem, Rejection
from .base import Adapter, register
from .common import casefold_table


@register("casia")
class CASIAAdapter(Adapter):
    """Reads CASIA in any folder variant; count mismatches via :meth:`count_warnings`."""

    @classmethod
    def layout_description(cls) -> str:
        return ("<speaker>/<emotion>/<NNN>.wav (speakers liuchanhg/Chang.Liu, wangzhe/Zhe.Wang, "
                "zhaoquanyin/Quanyin.Zhao, ZhaoZuoxiang/Zuoxiang.Zhao, any case), optionally under "
                "相同文本300/ or 不同文本100/, or files renamed <NNN>-<emotion>-<speaker>.wav")

    def __init__(self, root, **kwargs):
        super().__init__(root, **kwargs)
        self.speaker_alias = casefold_table({k: v.get("aliases", ())
                                             for k, v in self.card.speakers.items()})
        self.patterns = [re.compile(p) for p in self.options["file_patterns"]]

    def wav_files(self, report: bool = False) -> list[Path]:
        """Every ``*.wav`` under the root (any case of the suffix), in path order; with ``report``,
        a folder that cannot be read is reported as skipped (the build goes on)."""
        def unreadable(exc: OSError) -> None:
            if report:
                self.skip(Path(exc.filename), "unreadable_folder", exc.strerror or str(exc))
                self.warn("unreadable_folder", f"{self.rel(Path(exc.filename))}: {exc.strerror}; skipped")

        out = []
        for folder, dirs, files in os.walk(self.root, onerror=unreadable):
            dirs.sort()
            out += [Path(folder, f) for f in sorted(files) if f.lower().endswith(".wav")]
        return out

    def source_listing(self) -> list[str]:
        """Every wav file is one utterance (files of other types, such as notes, are no units)."""
        return [self.rel(p) for p in self.wav_files()]

    def check_layout(self) -> None:
        wavs = self.wav_files()
        if not any(self._speaker(p) is not None for p in wavs[:50]):
            raise self.layout_error()

    # --- one file ----------------------------------------------------------------------------------

    def _fields(self, path: Path) -> dict[str, str] | None:
        for pattern in self.patterns:
            match = pattern.match(path.stem)
            if match:
                return match.groupdict()
        return None

    def _speaker(self, path: Path) -> str | None:
        fields = self._fields(path) or {}
        token = fields.get("speaker") or path.parent.parent.name
        return self.speaker_alias.get(token.casefold())

    def items(self) -> Iterator[RawItem | Rejection]:
        self._reset_warnings()
        text_sets = self.options["text_sets"]
        cells: Counter = Counter()
        for wav in self.wav_files(report=True):
            rel = self.rel(wav)
            fields = self._fields(wav)
            if fields is None:
                yield self.reject(re.sub(r"[/\\]", "_", rel), rel, "missing_metadata",
                                  f"file name {wav.name!r} matches none of the card's patterns "
                                  f"{self.options['file_patterns']}")
                continue
            emotion_token = fields.get("emotion") or wav.parent.name
            speaker_token = fields.get("speaker") or wav.parent.parent.name
            if fields.get("emotion") and wav.parent.name.casefold() in self.card.categories and \
                    wav.parent.name.casefold() != emotion_token.casefold():
                self.warn("label_mismatch", f"{rel}: file name says {emotion_token!r}, folder says "
                                            f"{wav.parent.name!r}; the file name is used")
            speaker = self.speaker_alias.get(speaker_token.casefold())
            marker = next((text_sets[p] for p in wav.relative_to(self.root).parts if p in text_sets), "")
            emotion = emotion_token.casefold()
            native_id = f"{speaker or speaker_token}_{emotion}_{marker}{fields['number']}"
            if speaker is None:
                yield self.reject(native_id, rel, "unknown_label",
                                  f"unknown speaker {speaker_token!r}; valid: "
                                  f"{', '.join(sorted(self.speaker_alias))} (any case)")
                continue
            cells[(speaker, self.card.categories.get(emotion, emotion))] += 1
            yield RawItem(native_id=native_id, audio_path=wav, source_file=rel, speaker=speaker,
                          category=emotion)
        self._check_counts(cells)

    def _check_counts(self, cells: Counter) -> None:
        """Per speaker and emotion: 50 (public subset) or 400 (full corpus). The total is the
        pipeline's check against ``expected.utterances`` (the full corpus; the subset is reported as
        a partial copy)."""
        per_cell = {self.card.expected["per_speaker_emotion"],
                    self.card.expected["per_speaker_emotion_public_subset"]}
        for (speaker, emotion), n in sorted(cells.items()):
            if n not in per_cell:
                self.warn("count_mismatch", f"{speaker}/{emotion}: expected "
                                            f"{' or '.join(map(str, sorted(per_cell)))}, found {n}")
