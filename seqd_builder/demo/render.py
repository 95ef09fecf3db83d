"""Render one planned utterance to audio with Praat (through praat-parselmouth) and numpy.

Steps, each driven by a :class:`~seqd_builder.demo.prosody.Prosody` field:

1. eSpeak NG, built into Praat (``Create SpeechSynthesizer``, ``Speech output settings``, ``To Sound``):
   F0 level and range, speaking rate and word gaps, with the phone alignment as a TextGrid;
2. the formant shift of valence (smiling), as Praat's ``Change gender`` makes it: soxr resampling
   plays the sound k times faster (formants times k), and the PSOLA pass below restores F0 and
   duration (a duration tier of k, the pitch tier divided by k), so there is a single PSOLA pass;
3. PSOLA (``To Manipulation``, ``Extract pitch tier``, ``Formula``, ``Replace pitch tier``,
   ``Replace duration tier``, ``Get resynthesis (overlap-add)``): contour tilt, final rise or fall,
   undulation, tremor, jitter and creak;
4. numpy/scipy: amplitude tremolo, aspiration noise (breathiness), high-shelf brightness, active
   speech level, a soft limiter, silence padding, 16-bit quantisation.

Modulation phases and the aspiration noise come from a numpy generator seeded with the corpus seed and
the utterance id; Praat's random generator (clock-seeded; ``Change gender`` draws from it) is seeded
from the same generator before use. eSpeak NG's state that carries over between utterances is handled
by rendering each utterance in a fresh process (:mod:`seqd_builder.demo.pristine`). So a file's bytes
depend on the seed and the utterance alone.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
import parselmouth
import soxr
from parselmouth.praat import call, run
from scipy.signal import butter, sosfilt

from .design import DemoDesign, PlannedUtterance
from .prosody import Prosody

# PSOLA analysis range by voice gender (Hz).
PITCH_RANGE = {"male": (60.0, 300.0), "female": (100.0, 500.0), None: (70.0, 500.0)}
# Jitter: three incommensurate modulation frequencies below the 50 Hz Nyquist of a 10 ms pitch tier.
JITTER_HZ = (17.3, 29.9, 41.7)


@dataclass(frozen=True)
class Rendered:
    """A rendered utterance: float samples in [-1, 1] and eSpeak's word and phone alignment.

    Intervals are ``(start, end, label)`` in seconds from the start of the padded audio; pauses are
    left out.
    """

    samples: np.ndarray
    sample_rate: int
    words: tuple[tuple[float, float, str], ...]
    phones: tuple[tuple[float, float, str], ...]

    @property
    def duration(self) -> float:
        return len(self.samples) / self.sample_rate


def _f(x: float) -> str:
    """A float for a Praat formula, written exactly (repr) so the formula text is reproducible."""
    return repr(float(x))


def _pitch_formula(p: Prosody, t0: float, t1: float, rng: np.random.Generator) -> str:
    span = max(t1 - t0, 1e-3)
    u = f"((x - {_f(t0)}) / {_f(span)})"
    ramp_final = f"max(0, ({u} - 0.75) / 0.25)"
    ramp_creak = f"max(0, ({u} - 0.667) / 0.333)"
    bounce_hz, tremor_hz = 2.0 + rng.uniform(0, 1.0), 6.0 + rng.uniform(0, 1.0)
    ph = rng.uniform(0, 2 * np.pi, size=2 + len(JITTER_HZ))
    semitones = (f"{_f(p.tilt_st)} * ({u} - 0.5)"
                 f" + {_f(p.final_st)} * {ramp_final}"
                 f" + {_f(p.bounce_st)} * sin(2*pi*{_f(bounce_hz)}*x + {_f(ph[0])})"
                 f" + {_f(p.tremor_st)} * sin(2*pi*{_f(tremor_hz)}*x + {_f(ph[1])})"
                 f" - 5 * {_f(p.creak)} * {ramp_creak}")
    noise = " + ".join(f"sin(2*pi*{_f(hz)}*x + {_f(phase)})" for hz, phase in zip(JITTER_HZ, ph[2:]))
    depth = f"({_f(p.jitter)} + 0.06 * {_f(p.creak)} * {ramp_creak})"
    return f"self * 2^(({semitones}) / 12) * (1 + {depth} * ({noise}) / 1.7)"


def _envelope(x: np.ndarray, sr: int, win_s: float = 0.02) -> np.ndarray:
    n = max(1, int(win_s * sr))
    kernel = np.ones(n) / n
    return np.sqrt(np.convolve(x * x, kernel, mode="same"))


def _active_level(x: np.ndarray, sr: int, floor_db: float = -35.0) -> float:
    """RMS over the frames within ``floor_db`` of the loudest one (a simple active speech level)."""
    n = int(0.02 * sr)
    frames = x[: len(x) // n * n].reshape(-1, n)
    energy = (frames ** 2).mean(axis=1)
    active = energy[energy > energy.max() * 10 ** (floor_db / 10)]
    return float(np.sqrt(active.mean())) if active.size else 0.0


def _soft_limit(x: np.ndarray, threshold: float) -> np.ndarray:
    a = np.abs(x)
    over = a > threshold
    y = x.copy()
    knee = 1 - threshold
    y[over] = np.sign(x[over]) * (threshold + knee * np.tanh((a[over] - threshold) / knee))
    return y


def render(utt: PlannedUtterance, prosody: Prosody, design: DemoDesign, seed: int) -> Rendered:
    """Synthesise and shape one utterance."""
    r = design.render
    sr = int(r["sample_rate"])
    rng = np.random.default_rng([seed, zlib.crc32(utt.id.encode("utf-8")), 1])
    floor, ceiling = PITCH_RANGE[utt.voice.gender]

    synth = call("Create SpeechSynthesizer", utt.voice.espeak_language, utt.voice.variant)
    call(synth, "Speech output settings", sr, prosody.word_gap_s, prosody.pitch_multiplier,
         prosody.pitch_range_multiplier, round(prosody.words_per_minute), "IPA")
    textgrid, sound = call(synth, "To Sound", utt.sentence.text, "yes")

    # Formant shift without a second PSOLA pass (what Praat's "Change gender" does, in one): play the
    # sound k times faster (every frequency times k, duration / k), then let the PSOLA below bring F0
    # back down by 1/k and the duration back up by k.
    k = prosody.formant_shift
    shifted = soxr.resample(np.asarray(sound.values[0], dtype=np.float64), sr, sr / k, quality="HQ")
    sound = parselmouth.Sound(shifted, sampling_frequency=sr)
    # Praat's own random numbers are seeded from the clock: seed them in case an operation draws any
    run(f"random_initializeWithSeedUnsafelyButPredictably ({int(rng.integers(1, 2**31 - 1))})\n")
    manipulation = call(sound, "To Manipulation", 0.01, floor * k, ceiling * k)
    durations = call(manipulation, "Extract duration tier")
    call(durations, "Add point", 0.0, k)
    call([durations, manipulation], "Replace duration tier")
    tier = call(manipulation, "Extract pitch tier")
    n_points = call(tier, "Get number of points")
    if n_points >= 2:
        t0 = call(tier, "Get time from index", 1)
        t1 = call(tier, "Get time from index", n_points)
        call(tier, "Formula", f"({_pitch_formula(prosody, t0, t1, rng)}) / {_f(k)}")
        call([tier, manipulation], "Replace pitch tier")
    sound = call(manipulation, "Get resynthesis (overlap-add)")
    x = np.asarray(sound.values[0], dtype=np.float64)
    t = np.arange(len(x)) / sr

    if prosody.tremor_st > 0:
        x = x * (1 + 0.2 * prosody.tremor_st * np.sin(2 * np.pi * 6.5 * t + rng.uniform(0, 2 * np.pi)))
    if prosody.breathiness > 0:
        lo, hi = r["breath_band_hz"]
        noise = sosfilt(butter(2, [lo, min(hi, 0.45 * sr)], btype="band", fs=sr, output="sos"),
                        rng.standard_normal(len(x)))
        noise /= np.sqrt((noise ** 2).mean()) + 1e-12
        x = x + prosody.breathiness * _envelope(x, sr) * noise
    if prosody.brightness_db != 0:
        low = sosfilt(butter(1, float(r["brightness_split_hz"]), btype="low", fs=sr, output="sos"), x)
        x = low + 10 ** (prosody.brightness_db / 20) * (x - low)
    level = _active_level(x, sr)
    if level > 0:
        x = x * (10 ** ((float(r["level_dbfs"]) + prosody.loudness_db) / 20) / level)
    x = _soft_limit(x, float(r["peak_limit"]))
    pad = np.zeros(int(round(float(r["pad_s"]) * sr)))
    x = np.concatenate([pad, x, pad])

    offset = len(pad) / sr
    return Rendered(samples=x, sample_rate=sr, words=_intervals(textgrid, "word", offset),
                    phones=_intervals(textgrid, "phoneme", offset))


def _intervals(textgrid: parselmouth.TextGrid, tier_name: str, offset: float
               ) -> tuple[tuple[float, float, str], ...]:
    """Labelled intervals of one tier of eSpeak's TextGrid (sentence, clause, word, phoneme).

    Read through ``Down to Table`` and ``List`` (one call) rather than one call per interval.
    """
    table = call(textgrid, "Down to Table", "no", 6, "yes", "no")
    lines = call(table, "List", "no").splitlines()
    header = lines[0].split("\t")
    col = {name: header.index(name) for name in ("tmin", "tier", "text", "tmax")}
    out = []
    for line in lines[1:]:
        cells = line.split("\t")
        label = cells[col["text"]].strip()
        if cells[col["tier"]] == tier_name and label:
            out.append((round(float(cells[col["tmin"]]) + offset, 4),
                        round(float(cells[col["tmax"]]) + offset, 4), label))
    return tuple(out)
