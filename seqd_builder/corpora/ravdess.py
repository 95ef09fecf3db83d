"""RAVDESS (speech, audio-only): every label is in the file name ``MM-VV-EE-II-SS-RR-AA.wav``.

Fields: modality (03 = audio-only), vocal channel (01 speech, 02 song), emotion, intensity, statement,
repetition, actor. The adapter parses names; the card maps emotion, intensity, statement text and
actor gender. It accepts the zip's top folder ``Audio_Speech_Actors_01-24/``, its parent, or a folder
of ``Actor_NN`` folders, and reads the speech files (vocal channel 01) of the tree.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from ..schema import RawItem, Rejection, RejectReason
from .base import Adapter, register

_NAME = re.compile(r"^(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)$")


@register("ravdess")
class RavdessAdapter(Adapter):
    @classmethod
    def layout_description(cls) -> str:
        return ("Actor_01 … Actor_24 folders of 03-01-EE-II-SS-RR-AA.wav files (the unpacked "
                "Audio_Speech_Actors_01-24.zip, or its parent folder)")

    def _actor_dirs(self) -> list[Path]:
        for base in (self.root, self.root / "Audio_Speech_Actors_01-24"):
            dirs = sorted(p for p in base.glob("Actor_*") if p.is_dir())
            if dirs:
                return dirs
        return []

    def check_layout(self) -> None:
        if not self._actor_dirs():
            raise self.layout_error()

    def source_listing(self) -> list[str]:
        listing = []
        for actor_dir in self._actor_dirs():
            try:
                listing += [self.rel(p) for p in sorted(actor_dir.iterdir()) if not p.is_dir()]
            except OSError:
                pass  # items() reports the unreadable folder as skipped
        return listing

    def items(self) -> Iterator[RawItem | Rejection]:
        for actor_dir in self._actor_dirs():
            for path in self.wav_files(actor_dir):
                m = _NAME.match(path.stem)
                if not m:
                    yield self.reject(path.stem, self.rel(path), RejectReason.MALFORMED_LINE,
                                      "file name is not MM-VV-EE-II-SS-RR-AA.wav")
                    continue
                modality, channel, emotion, intensity, statement, _rep, actor = m.groups()
                if channel != "01" or modality != "03":
                    # song or video files are not part of the speech corpus
                    self.skip(path, "not_speech", f"modality {modality}, vocal channel {channel}: "
                                                  "only audio-only speech (03-01) is built")
                    continue
                if actor_dir.name != f"Actor_{actor}":
                    yield self.reject(path.stem, self.rel(path), RejectReason.INVALID_VALUE,
                                      f"actor field {actor} does not match folder {actor_dir.name}")
                    continue
                if statement not in self.card.texts:
                    yield self.reject(path.stem, self.rel(path), RejectReason.UNKNOWN_LABEL,
                                      f"unknown statement code {statement!r}; valid: "
                                      f"{', '.join(self.card.texts)}")
                    continue
                yield RawItem(native_id=path.stem, audio_path=path, source_file=self.rel(path),
                              speaker=actor, text=self.card.texts[statement], category=emotion,
                              intensity=intensity)
