"""From designed (arousal, valence, dominance) and category to rendering parameters.

One pure function, :func:`prosody_for`, so the mapping is inspectable and testable without audio. It
follows the classic findings on vocal affect (Scherer 2003; Juslin & Laukka 2003; Banse & Scherer
1996), reduced to what the design file declares:

* arousal raises F0 level and range, speaking rate, loudness and spectral brightness (vocal effort);
* dominance raises loudness and lowers F0;
* valence tilts the F0 contour (rising vs falling) and shifts formants (smiling raises them);
* each category adds its own voice quality at full intensity, scaled by the level's gain: breathiness
  (sad, fear), tension (angry), tremor and jitter (fear), creak (disgust, contempt, boredom), a final
  rise (surprise) or fall (anger, disgust, contempt), a lively sing-song undulation (happy, excited).

Arousal, valence and dominance enter as their designed values, which include the per-utterance
scatter, so the ground truth is exactly what shaped the sound.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from .design import DemoDesign, PlannedUtterance


@dataclass(frozen=True)
class Prosody:
    """Rendering parameters of one utterance (see ``corpora/demo/design.yaml`` for their meaning)."""

    pitch_multiplier: float         # eSpeak NG: F0 level (0.5-2)
    pitch_range_multiplier: float   # eSpeak NG: F0 excursions (0-2)
    words_per_minute: float         # eSpeak NG: speaking rate
    word_gap_s: float               # eSpeak NG: pause between words
    tilt_st: float                  # PSOLA: linear F0 change over the voiced span, semitones
    final_st: float                 # PSOLA: F0 change over the last quarter, semitones
    bounce_st: float                # PSOLA: slow F0 undulation depth, semitones
    tremor_st: float                # PSOLA: 6-7 Hz F0 vibrato depth, semitones (+ amplitude tremolo)
    jitter: float                   # PSOLA: fast quasi-random relative F0 perturbation
    creak: float                    # PSOLA: F0 lowering and jitter over the last third (0-1)
    formant_shift: float            # Praat "Change gender": formant shift ratio
    loudness_db: float              # active speech level relative to the neutral reference
    brightness_db: float            # high-shelf gain above the split frequency
    breathiness: float              # aspiration noise relative to the speech envelope

    def as_dict(self) -> dict[str, float]:
        return {k: round(float(v), 4) for k, v in asdict(self).items()}


def prosody_for(utt: PlannedUtterance, design: DemoDesign) -> Prosody:
    """The rendering parameters of a planned utterance."""
    neutral = design.neutral
    d = {"arousal": utt.arousal - neutral, "valence": utt.valence - neutral,
         "dominance": utt.dominance - neutral}

    def dim(key: str) -> float:
        return sum(d[name] * spec.get(key, 0.0) for name, spec in design.dimensions.items())

    quality = design.categories[utt.category].quality
    g = utt.gain

    def q(key: str, default: float = 0.0) -> float:
        return g * quality.get(key, default)

    lim = design.limits
    render = design.render
    rate_factor = 1.0 + g * (quality.get("rate", 1.0) - 1.0)
    wpm = float(render["words_per_minute"]) * 2.0 ** dim("rate_octaves") * rate_factor
    return Prosody(
        pitch_multiplier=float(np.clip(2.0 ** (dim("f0_semitones") / 12.0), *lim["pitch_multiplier"])),
        pitch_range_multiplier=float(np.clip(1.0 + dim("f0_range"), *lim["pitch_range_multiplier"])),
        words_per_minute=float(np.clip(wpm, *lim["words_per_minute"])),
        word_gap_s=float(np.clip(0.01 + dim("word_gap_s"), *lim["word_gap_s"])),
        tilt_st=dim("tilt_semitones"),
        final_st=q("final_st"),
        bounce_st=q("bounce_st"),
        tremor_st=q("tremor_st"),
        jitter=q("jitter"),
        creak=q("creak"),
        formant_shift=1.0 + dim("formant_shift"),
        loudness_db=dim("loudness_db"),
        brightness_db=dim("brightness_db") + q("brightness_db"),
        breathiness=q("breathiness"),
    )
