"""The built-in forced aligner: Praat's synthesis-based aligner (eSpeak NG + DTW), via parselmouth.

Praat's ``To TextGrid (align)`` synthesises the transcript with its SpeechSynthesizer (eSpeak NG),
which knows where each synthetic phone lies, and maps those times onto the real recording by dynamic
time warping of the two sounds' spectra. It needs no acoustic model and runs offline in ~50 ms per
utterance, which makes it the default for corpora without alignments. Its weak point is precision:
DTW between a robot voice and an emotional human voice smears boundaries. :class:`PraatAligner`
therefore adds, on top of Praat's own procedure (all measured in ``benchmark/perf/align_emodb.py``):

* a speaking rate for the synthesiser estimated from the recording (``rate="match"``), so the
  synthetic and real sounds have similar lengths before warping;
* a synthetic voice of the speaker's sex where known (``voice``);
* boundary refinement (:mod:`seqd_builder.phones.refine`): each boundary moves to the nearest strong
  spectral or energy change within a few tens of ms, weighted by distance.

``PraatAligner.default()`` reproduces Praat's defaults (apart from the output sampling rate, which
must match the sound, and IPA output) for comparison.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

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

    ``voice``: eSpeak variant (``Male1``, ``Female1`` … or ``default``); ``rate``: words per minute
    given to the synthesiser, or ``"match"`` to scale 175 wpm by the ratio of synthetic to real
    speech duration; ``word_gap``: seconds of silence the synthesiser puts between words; the three
    silence settings are those of ``To TextGrid (align)``; ``refine``: boundary refinement on/off with
    its search ``window`` (s) and distance weight ``prior`` (s).
    """

    language: str = "de"
    voice: str = "Male1"
    rate: float | str = "match"
    word_gap: float = 0.0
    silence_threshold_db: float = -35.0
    min_silent: float = 0.1
    min_sounding: float = 0.1
    refine: bool = True
    window: float = 0.03
    prior: float = 0.02
    options: dict = field(default_factory=dict)

    @classmethod
    def default(cls, language: str = "de") -> "PraatAligner":
        """Praat's own defaults (175 wpm, 10 ms word gap, -35 dB, 0.1 s), no refinement."""
        return cls(language=language, voice="Male1", rate=175.0, word_gap=0.01, refine=False)

    def for_speaker(self, gender: str | None) -> "PraatAligner":
        """The same settings with a synthetic voice of the speaker's sex (when the voice is sexed)."""
        if gender not in ("female", "male") or self.voice == "default":
            return self
        return replace(self, voice="Female1" if gender == "female" else "Male1")

    # ------------------------------------------------------------------------------------------
    def align(self, audio: np.ndarray, sr: int, text: str) -> Alignment:
        """Align ``text`` with mono ``audio`` (float, any rate). Raises :class:`AlignmentError`."""
        import parselmouth
        from parselmouth.praat import call

        if not text or not text.strip():
            raise AlignmentError("no transcript to align")
        audio = np.asarray(audio, dtype=np.float64).reshape(-1)
        if audio.size < sr * 0.05 or not np.any(audio):
            raise AlignmentError(f"audio too short or silent ({audio.size} samples)")
        sound = parselmouth.Sound(audio, sampling_frequency=float(sr))
        language = load_phoneset("espeak_ipa").language(self.language)["praat"]
        try:
            synth = call("Create SpeechSynthesizer", language, self.voice)
            rate = self.rate if isinstance(self.rate, (int, float)) else self._matched_rate(
                synth, sound, text, sr)
            call(synth, "Speech output settings", float(sr), self.word_gap, 1.0, 1.0, float(rate), "IPA")
            grid = call(sound, "To TextGrid", "sentence", "")
            call(grid, "Set interval text", 1, 1, text.strip())
            aligned = call([synth, sound, grid], "To TextGrid (align)", 1, 1, 1,
                           self.silence_threshold_db, self.min_silent, self.min_sounding)
        except parselmouth.PraatError as exc:
            raise AlignmentError(f"Praat could not align {text!r}: {str(exc).strip().splitlines()[0]}") \
                from exc
        words = _tier(aligned, "word")
        phones = _tier(aligned, "phoneme")
        duration = audio.size / sr
        if self.refine:
            from .refine import refine_boundaries

            phones = refine_boundaries(phones, audio, sr, window=self.window, prior=self.prior)
        return Alignment(tuple(_label_pauses(words, duration)),
                         tuple(_label_pauses(phones, duration)))

    def _matched_rate(self, synth, sound, text: str, sr: int) -> float:
        """Words per minute that make the synthetic speech as long as the real speech."""
        import parselmouth
        from parselmouth.praat import call

        call(synth, "Speech output settings", float(sr), self.word_gap, 1.0, 1.0, 175.0, "IPA")
        made = call(synth, "To Sound", text, "no")
        synthetic = next(o for o in (made if isinstance(made, list) else [made])
                         if isinstance(o, parselmouth.Sound))
        real = _speech_duration(sound, self.silence_threshold_db)
        fake = _speech_duration(synthetic, self.silence_threshold_db)
        if real <= 0 or fake <= 0:
            return 175.0
        return float(np.clip(175.0 * fake / real, 60.0, 400.0))


def _speech_duration(sound, threshold_db: float) -> float:
    """Seconds between the first and last sounding frame (intensity within ``threshold`` of max)."""
    intensity = sound.to_intensity(minimum_pitch=100.0, time_step=0.01)
    values = intensity.values[0]
    if values.size == 0:
        return 0.0
    loud = np.flatnonzero(values > values.max() + threshold_db)
    if loud.size == 0:
        return 0.0
    return float(intensity.xs()[loud[-1]] - intensity.xs()[loud[0]])


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
