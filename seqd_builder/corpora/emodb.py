"""EmoDB: labels from file names ``SSTTTEV.wav``, listener agreement from ``erkennung.txt``.

``SS`` speaker, ``TTT`` text code, ``E`` emotion (German initial), ``V`` version. ``erkennung.txt`` is
Latin-1, TAB-separated, with decimal commas and NBSP padding; its ``erkannt`` column (percentage of 20
listeners who recognised the intended emotion) becomes ``agreement``. The hand-labelled phones in
``lablaut/<stem>xx.lablaut`` (xlabel format; some names lack the ``xx``; the times mark segment
starts) become ``phone_alignment`` with their native SAMPA labels; the ``corpus`` phones mode maps
them to IPA and refuses label files that cannot belong to the take in the wav.
Both the original zip layout (``wav/``) and older copies (``wav_corpus/``) are accepted.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

from ..schema import LabelFile, RawItem, Rejection, RejectReason
from .base import Adapter, register

_NAME = re.compile(r"^(\d\d)([ab]\d\d)([A-Z])([a-z])$")
_AUDIO_DIRS = ("wav", "wav_corpus")


@register("emodb")
class EmodbAdapter(Adapter):
    @classmethod
    def layout_description(cls) -> str:
        return "wav/ (535 SSTTTEV.wav files), erkennung.txt and lablaut/ as in EmoDB's download.zip"

    def _audio_dir(self) -> Path | None:
        for name in _AUDIO_DIRS:
            if (self.root / name).is_dir():
                return self.root / name
        return None

    def check_layout(self) -> None:
        audio = self._audio_dir()
        if audio is None or not any(audio.glob("*.wav")):
            raise self.layout_error()

    def input_files(self) -> list[Path]:
        return [p for p in [self.root / "erkennung.txt"] if p.is_file()]

    def recognition_rates(self) -> dict[str, float]:
        """``erkannt`` / 100 per wav stem; malformed lines are reported, not fatal."""
        path = self.root / "erkennung.txt"
        if not path.is_file():
            self.warn("missing_metadata", "erkennung.txt not found: agreement is null")
            return {}
        rates: dict[str, float] = {}
        text = path.read_bytes().decode("latin-1")
        for lineno, line in enumerate(text.splitlines(), start=1):
            if lineno == 1 or not line.strip():
                continue
            fields = [f.replace("\xa0", " ").strip() for f in line.split("\t")]
            try:
                stem = Path(fields[1]).stem
                rates[stem] = float(fields[2].replace(",", ".")) / 100.0
            except (IndexError, ValueError):
                self.warn("malformed_line", f"{self.rel(path)}:{lineno}: malformed line {line!r}")
        return rates

    def _lablaut(self, stem: str, listing: frozenset[str]) -> Path | None:
        for name in (f"{stem}xx.lablaut", f"{stem}.lablaut"):
            if name in listing:
                return self.root / "lablaut" / name
        return None

    def source_listing(self) -> list[str]:
        try:
            return [self.rel(p) for p in sorted(self._audio_dir().iterdir()) if not p.is_dir()]
        except OSError:
            return []  # items() reports the unreadable folder as skipped

    def items(self) -> Iterator[RawItem | Rejection]:
        rates = self.recognition_rates()
        folder = self.root / "lablaut"
        # one listing instead of two stat calls per file
        labels = frozenset(os.listdir(folder)) if folder.is_dir() else frozenset()
        # copies made on case-insensitive file systems sometimes carry .WAV: accept both
        for path in self.wav_files(self._audio_dir()):
            m = _NAME.match(path.stem)
            if not m:
                yield self.reject(path.stem, self.rel(path), RejectReason.MALFORMED_LINE,
                                  "file name is not SSTTTEV.wav (speaker, text code, emotion, version)")
                continue
            speaker, text_code, emotion, _version = m.groups()
            if text_code not in self.card.texts:
                yield self.reject(path.stem, self.rel(path), RejectReason.UNKNOWN_LABEL,
                                  f"unknown text code {text_code!r}; valid: {', '.join(self.card.texts)}")
                continue
            if path.stem not in rates and rates:
                self.warn("missing_metadata", f"{path.name}: no line in erkennung.txt (agreement null)")
            lab = self._lablaut(path.stem, labels)
            # the build's workers read the label file; its marks are segment starts, so the decoded
            # audio's length closes the last segment
            yield RawItem(native_id=path.stem, audio_path=path, source_file=self.rel(path),
                          speaker=speaker, text=self.card.texts[text_code], category=emotion,
                          agreement=rates.get(path.stem),
                          phone_labels=LabelFile(str(lab), "xlabel") if lab is not None else None)
