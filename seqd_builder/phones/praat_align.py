"""The built-in forced aligner: Praat's synthesis-based aligner (eSpeak NG + DTW), via parselmouth.

Praat's ``To TextGrid (align)`` synthesises the transcript with its SpeechSynthesizer (eSpeak NG),
which knows where each synthetic phone lies, and maps those times onto the real recording by dynamic
time warping of the two sounds' spectra. It needs no acoustic model and runs offline in ~50 ms per
utterance, which makes it the default for corpora without alignments. Its weak point is precision:
DTW between a robot voice and an emotional human voice smears boundaries. :class:`PraatAligner`
therefore goes beyond Praat's defaults in four steps, each measured against EmoDB's hand labels in
``benchmark/perf/align_emodb.py`` (figures in ``docs/phones.md``):

* settings: no synthetic word gap, 50 ms minimum pause (Praat: 10 ms gap, 100 ms pause);
* voices: several synthetic voices of the speaker's sex, each boundary the median over them;
* refinement (:mod:`seqd_builder.phones.refine`): each boundary moves to the strongest nearby
  spectral or energy change, weighted by distance;
* offsets: per broad-class transition, the aligner's median lead over hand labels, measured on a
  calibration split and subtracted (``corpora/phonesets/praat_offsets.yaml``).

Praat's synthesiser already adapts its speaking rate to the recording ("estimated from speech if
possible"); scaling the rate by the speech duration ourselves gave nothing (measured), so it is not
an option here. ``PraatAligner.default()`` reproduces Praat's defaults (apart from the output
sampling rate, which must match the sound, and IPA output) for comparison.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

from ..errors import SeqdError
from ..schema import PhoneSegment
from .inventory import load_phoneset

SIL = "sil"


class AlignmentError(SeqdError, RuntimeError):
    """Praat could not align a transcript with a sound (empty text, no speech, synthesis failure)."""


@dataclass(frozen=True)
class Alignment:
    """Word and phone tiers of one aligned utterance. Pauses are labelled ``sil`` in ``phones``."""

    words: tuple[PhoneSegment, ...]
    phones: tuple[PhoneSegment, ...]

    def speech_phones(self) -> tuple[PhoneSegment, ...]:
        return tuple(p for p in self.phones if p.phone != SIL)


@dataclass(frozen=True)
class PraatAligner:
    """Settings of one aligner; picklable, so it travels to worker processes.

    ``voices``: eSpeak variants to synthesise with (``Male1`` … ``Male7``, ``Female1`` …
    ``Female5``); with several, Praat aligns once per voice and each phone boundary is the median
    over voices, which cancels much of the DTW's voice-specific drift (the word tier is the first
    voice's). ``rate``: words per minute for the synthesiser (its starting point; Praat adapts it to
    the recording). ``word_gap``: seconds of silence the synthesiser puts between words. The three
    silence settings are those of ``To TextGrid (align)``. ``refine``: move boundaries to nearby acoustic
    change (:mod:`~seqd_builder.phones.refine`) within ``window`` s, distance weight ``prior`` s.
    ``offsets``: name of a calibration table in ``corpora/phonesets/`` giving, per broad-class
    transition, the aligner's median lead over hand labels, subtracted from each boundary.
    """

    language: str = "de"
    voices: tuple[str, ...] = ("Male1", "Male2", "Male3")
    rate: float = 175.0
    word_gap: float = 0.0
    silence_threshold_db: float = -35.0
    min_silent: float = 0.05
    min_sounding: float = 0.1
    refine: bool = True
    window: float = 0.03
    prior: float = 0.02
    offsets: str | None = "praat_offsets"

    @classmethod
    def default(cls, language: str = "de") -> "PraatAligner":
        """Praat's own defaults (175 wpm, 10 ms word gap, -35 dB, 0.1 s, 0.1 s), one voice, as is."""
        return cls(language=language, voices=("Male1",), rate=175.0, word_gap=0.01,
                   min_silent=0.1, refine=False, offsets=None)

    def for_speaker(self, gender: str | None) -> "PraatAligner":
        """The same settings with synthetic voices of the speaker's sex (Male<n> ↔ Female<n>)."""
        if gender not in ("female", "male"):
            return self
        want, other = ("Female", "Male") if gender == "female" else ("Male", "Female")
        voices = tuple(v.replace(other, want) if v.startswith(other) else v for v in self.voices)
        if want == "Female":  # eSpeak has Female1-5 only
            voices = tuple(v if v[len("Female"):] in "12345" else "Female1" for v in voices)
        return replace(self, voices=tuple(dict.fromkeys(voices)))

    # ------------------------------------------------------------------------------------------
    def align(self, audio: np.ndarray, sr: int, text: str) -> Alignment:
        """Align ``text`` with mono ``audio`` (float, any rate). Raises :class:`AlignmentError`."""
        if not text or not text.strip():
            raise AlignmentError("no transcript to align")
        audio = np.asarray(audio, dtype=np.float64).reshape(-1)
        if audio.size < sr * 0.05 or not np.any(audio):
            raise AlignmentError(f"audio too short or silent ({audio.size} samples)")
        duration = audio.size / sr
        runs = [self._praat(audio, sr, text.strip(), voice) for voice in self.voices]
        words, phones = runs[0]
        if len(runs) > 1:
            phones = _median_phones([p for _, p in runs], duration)
        if self.refine:
            from .refine import refine_boundaries

            phones = refine_boundaries(phones, audio, sr, window=self.window, prior=self.prior)
        if self.offsets:
            phones = apply_offsets(phones, load_offsets(self.offsets, self.language))
        return Alignment(tuple(_label_pauses(words, duration)),
                         tuple(_label_pauses(phones, duration)))

    def _praat(self, audio: np.ndarray, sr: int, text: str, voice: str):
        """One run of Praat's aligner: (word tier, phone tier), pauses labelled ``sil``."""
        import parselmouth
        from parselmouth.praat import call

        sound = parselmouth.Sound(audio, sampling_frequency=float(sr))
        language = load_phoneset("espeak_ipa").language(self.language)["praat"]
        try:
            synth = call("Create SpeechSynthesizer", language, voice)
            call(synth, "Speech output settings", float(sr), self.word_gap, 1.0, 1.0, float(self.rate),
                 "IPA")
            grid = call(sound, "To TextGrid", "sentence", "")
            call(grid, "Set interval text", 1, 1, text)
            aligned = call([synth, sound, grid], "To TextGrid (align)", 1, 1, 1,
                           self.silence_threshold_db, self.min_silent, self.min_sounding)
        except parselmouth.PraatError as exc:
            raise AlignmentError(f"Praat could not align {text!r} with voice {voice}: "
                                 f"{str(exc).strip().splitlines()[0]}") from exc
        espeak = load_phoneset("espeak_ipa")
        phones = [PhoneSegment(espeak.ipa(p.phone), p.start, p.end) for p in _tier(aligned, "phoneme")]
        return _tier(aligned, "word"), phones


def _median_phones(runs: list[list[PhoneSegment]], duration: float) -> list[PhoneSegment]:
    """Combine several runs: each speech phone's start and end is the median over the runs.

    Runs share the phone sequence (same text and language, only the voice differs); a run whose
    sequence differs from the first is left out. Pauses are the gaps between speech phones.
    """
    speech = [[p for p in run if p.phone != SIL] for run in runs]
    labels = [p.phone for p in speech[0]]
    usable = [run for run in speech if [p.phone for p in run] == labels]
    starts = np.median([[p.start for p in run] for run in usable], axis=0)
    ends = np.median([[p.end for p in run] for run in usable], axis=0)
    out: list[PhoneSegment] = []
    cursor = 0.0
    for label, start, end in zip(labels, starts, ends):
        start = max(float(start), cursor)
        if start > cursor + 1e-9:
            out.append(PhoneSegment(SIL, cursor, start))
        end = max(float(end), start)
        out.append(PhoneSegment(label, start, end))
        cursor = end
    if duration > cursor:
        out.append(PhoneSegment(SIL, cursor, duration))
    return out


@lru_cache(maxsize=16)
def load_offsets(name: str, language: str) -> dict[tuple[str, str], float]:
    """Calibration table ``corpora/phonesets/<name>.yaml``: (left class, right class) → seconds."""
    import yaml

    from .inventory import phoneset_dir

    path = phoneset_dir() / f"{name}.yaml"
    if not path.is_file():
        raise AlignmentError(f"no calibration table {path}", hint="pass offsets=None or calibrate: "
                             "python benchmark/perf/align_emodb.py --calibrate")
    table = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("languages", {})
    spec = table.get(language) or table.get("default") or {}
    return {tuple(k.split(">")): float(v) / 1000.0 for k, v in spec.items()}


def apply_offsets(segments: list[PhoneSegment], offsets: dict[tuple[str, str], float],
                  min_phone: float = 0.01) -> list[PhoneSegment]:
    """Shift each boundary back by the calibrated lead of its class transition, never crossing."""
    from .inventory import PAUSE, broad_class

    if len(segments) < 2 or not offsets:
        return list(segments)
    bounds = [segments[0].start] + [s.end for s in segments]
    classes = [PAUSE if s.phone == SIL else broad_class(s.phone) for s in segments]
    new = list(bounds)
    for k in range(1, len(segments)):
        shift = offsets.get((classes[k - 1], classes[k]), 0.0)
        lo, hi = new[k - 1] + min_phone, bounds[k + 1] - min_phone
        new[k] = float(min(max(bounds[k] - shift, lo), hi)) if hi > lo else bounds[k]
    return [PhoneSegment(s.phone, new[k], max(new[k + 1], new[k])) for k, s in enumerate(segments)]


def _tier(grid, name: str) -> list[PhoneSegment]:
    """Intervals of a tier of Praat's result, empty ones included (label '')."""
    from parselmouth.praat import call

    n = call(grid, "Get number of tiers")
    index = next((i for i in range(1, n + 1) if call(grid, "Get tier name", i) == name), None)
    if index is None:
        raise AlignmentError(f"Praat's alignment has no {name!r} tier")
    out = []
    for i in range(1, call(grid, "Get number of intervals", index) + 1):
        start = call(grid, "Get start time of interval", index, i)
        end = call(grid, "Get end time of interval", index, i)
        label = call(grid, "Get label of interval", index, i).strip()
        out.append(PhoneSegment(label or SIL, float(start), float(end)))
    return out


def _label_pauses(segments: list[PhoneSegment], duration: float) -> list[PhoneSegment]:
    """Merge neighbouring pauses into one ``sil`` segment and drop zero-length intervals."""
    out: list[PhoneSegment] = []
    for seg in segments:
        if seg.end - seg.start <= 0:
            continue
        if out and seg.phone == SIL and out[-1].phone == SIL:
            out[-1] = PhoneSegment(SIL, out[-1].start, seg.end)
        else:
            out.append(seg)
    if out and out[-1].end > duration:
        out[-1] = PhoneSegment(out[-1].phone, out[-1].start, duration)
    return out
