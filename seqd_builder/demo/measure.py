"""Acoustic measurements that check the demo corpus encodes its designed affect.

Measured from the audio alone (Praat's pitch tracker through parselmouth, numpy for level and timing),
so they test the rendering, not the design file. :func:`acoustic_arousal` combines them into one
per-speaker standardised index (F0, level, rate), the quantity the tests and ``docs/demo.md`` correlate
with the designed arousal. Run ``python -m seqd_builder.demo.measure OUT_DIR`` for the table in the docs.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import parselmouth
import soundfile as sf

from ..benchmark.metrics import ccc  # the one CCC, as the benchmark reports it
from .render import PITCH_RANGE

FEATURES = ("f0_mean_hz", "f0_median_st", "f0_range_st", "f0_slope_st", "level_dbfs", "rms_dbfs",
            "speech_s", "phones_per_s", "hf_ratio_db")


def measure(path: str | Path, *, gender: str | None = None, n_phones: int | None = None) -> dict[str, float]:
    """F0 (mean Hz, median and 5-95 % range in semitones re 100 Hz), levels, speech span and rate."""
    x, sr = sf.read(str(path), dtype="float64")
    floor, ceiling = PITCH_RANGE.get(gender, PITCH_RANGE[None])
    pitch = parselmouth.Sound(x, sampling_frequency=sr).to_pitch(time_step=0.01, pitch_floor=floor,
                                                                 pitch_ceiling=ceiling)
    f0 = pitch.selected_array["frequency"]
    times = pitch.xs()[f0 > 0]
    f0 = f0[f0 > 0]
    st = 12 * np.log2(f0 / 100.0) if f0.size else np.array([np.nan])
    # F0 declination or rise: least-squares slope over the voiced span, in semitones per span
    slope = (float(np.polyfit((times - times[0]) / max(times[-1] - times[0], 1e-3), st, 1)[0])
             if f0.size > 2 else float("nan"))
    n = int(0.02 * sr)
    energy = (x[: len(x) // n * n].reshape(-1, n) ** 2).mean(axis=1)
    active = energy > energy.max() * 10 ** (-35 / 10)
    idx = np.flatnonzero(active)
    speech_s = (idx[-1] - idx[0] + 1) * n / sr if idx.size else 0.0
    spectrum = np.abs(np.fft.rfft(x)) ** 2
    freqs = np.fft.rfftfreq(len(x), 1 / sr)
    hf = spectrum[freqs >= 1500].sum() / max(spectrum[(freqs > 50) & (freqs < 1500)].sum(), 1e-20)
    return {
        "f0_mean_hz": float(f0.mean()) if f0.size else float("nan"),
        "f0_median_st": float(np.median(st)),
        "f0_range_st": float(np.percentile(st, 95) - np.percentile(st, 5)) if f0.size else float("nan"),
        "f0_slope_st": slope,
        "level_dbfs": float(10 * np.log10(energy[active].mean())),
        "rms_dbfs": float(10 * np.log10((x ** 2).mean() + 1e-20)),
        "speech_s": float(speech_s),
        "phones_per_s": float(n_phones / speech_s) if n_phones and speech_s else float("nan"),
        "hf_ratio_db": float(10 * np.log10(hf)),
    }


def measure_corpus(root: str | Path):
    """``truth.csv`` joined with the measurements of every file (a pandas DataFrame)."""
    import pandas as pd

    root = Path(root)
    truth = pd.read_csv(root / "truth.csv", keep_default_na=False)
    rows = [measure(root / r.audio, gender=r.gender or None, n_phones=len(str(r.phones).split()))
            for r in truth.itertuples()]
    return pd.concat([truth, pd.DataFrame(rows, index=truth.index)], axis=1)


def acoustic_arousal(table) -> np.ndarray:
    """Mean of per-speaker z-scores of F0 median, active level and phone rate (higher = more aroused)."""
    parts = []
    for col in ("f0_median_st", "level_dbfs", "phones_per_s"):
        grouped = table.groupby("speaker")[col]
        parts.append(((table[col] - grouped.transform("mean")) / grouped.transform("std")).to_numpy())
    return np.nanmean(np.vstack(parts), axis=0)


def learnability(root: str | Path, *, protocol: str = "speaker_folds", labels=None) -> dict[str, float]:
    """How well a plain log-mel baseline recovers the designed labels across unseen voices.

    Features: mean and standard deviation of 64 log-mel bands (librosa) per utterance; models:
    ridge regression per dimension and logistic regression for the category (scikit-learn), trained
    and tested over the card's speaker-independent folds (validation folds folded into training).
    Returns the pooled CCC per dimension and the category's balanced accuracy (UA). ``labels``: a
    DataFrame indexed by utterance id with arousal/valence/dominance to use instead of the designed
    values (e.g. the simulated raters' means).
    """
    import librosa
    import pandas as pd
    from sklearn.linear_model import LogisticRegression, RidgeCV
    from sklearn.metrics import balanced_accuracy_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from ..corpora.card import load_card
    from ..corpora.protocols import Protocol

    root = Path(root)
    truth = pd.read_csv(root / "truth.csv", keep_default_na=False)
    if labels is not None:
        dims = ["arousal", "valence", "dominance"]
        truth = truth.drop(columns=dims).join(labels[dims], on="id")
    feats = []
    for rel in truth["audio"]:
        x, sr = sf.read(str(root / rel), dtype="float32")
        mel = np.log(librosa.feature.melspectrogram(y=x, sr=sr, n_fft=400, hop_length=160, n_mels=64) + 1e-6)
        feats.append(np.concatenate([mel.mean(axis=1), mel.std(axis=1)]))
    X = np.vstack(feats)
    folds = Protocol.from_card(load_card("demo"), protocol).folds([f"demo/{s}" for s in truth["speaker"]])
    out: dict[str, float] = {}
    for dim in ("arousal", "valence", "dominance"):
        y = truth[dim].to_numpy(float)
        pred = np.zeros_like(y)
        for fold in folds:
            train = np.concatenate([fold.train, fold.validation])
            model = make_pipeline(StandardScaler(), RidgeCV(alphas=np.logspace(-2, 4, 13)))
            pred[fold.test] = model.fit(X[train], y[train]).predict(X[fold.test])
        out[f"ccc_{dim}"] = ccc(y, pred)
    y = truth["category"].to_numpy()
    pred = np.empty_like(y)
    for fold in folds:
        train = np.concatenate([fold.train, fold.validation])
        model = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=2000))
        pred[fold.test] = model.fit(X[train], y[train]).predict(X[fold.test])
    out["category_ua"] = float(balanced_accuracy_score(y, pred))
    out["chance_ua"] = 1.0 / len(set(y))
    return out


def main(argv: list[str] | None = None) -> None:
    """Print per-category means of the measurements and the arousal correlation of a corpus folder."""
    from scipy.stats import spearmanr

    args = sys.argv[1:] if argv is None else argv
    table = measure_corpus(args[0])
    table["acoustic_arousal"] = acoustic_arousal(table)
    cols = ["arousal", "valence", "dominance", "f0_median_st", "f0_range_st", "f0_slope_st", "level_dbfs",
            "phones_per_s", "hf_ratio_db"]
    summary = table.groupby("category")[cols].mean().sort_values("arousal")
    print(summary.round(2).to_markdown() if _has_tabulate() else summary.round(2).to_string())
    rho = spearmanr(table["acoustic_arousal"], table["arousal"]).statistic
    print(f"\nutterances: {len(table)}; Spearman(acoustic arousal index, designed arousal) = {rho:.3f}")
    for dim in ("valence", "dominance"):
        for col in ("f0_range_st", "f0_slope_st", "level_dbfs", "hf_ratio_db"):
            r = spearmanr(table[col], table[dim]).statistic
            print(f"Spearman({col}, designed {dim}) = {r:.3f}")
    scores = learnability(args[0])
    print("\nlog-mel mean/std + ridge / logistic regression, 4 speaker folds (designed labels): "
          + ", ".join(f"{k} {v:.3f}" for k, v in scores.items()))
    try:
        from ..annotations.simulate import simulate_raters
    except ImportError:  # the annotations package is not installed in this checkout
        return
    from .synth import DemoCorpus

    sheet = simulate_raters(DemoCorpus.open(args[0]).rater_truth(), seed=0)
    rated = sheet.groupby("utterance")[["arousal", "valence", "dominance"]].mean()
    designed = table.set_index("id")[["arousal", "valence", "dominance"]]
    agree = {d: ccc(designed[d].to_numpy(float), rated.loc[designed.index, d].to_numpy(float))
             for d in rated.columns}
    print("simulated raters' mean VAD vs designed: "
          + ", ".join(f"CCC {d} {v:.3f}" for d, v in agree.items()))
    scores = learnability(args[0], labels=rated)
    print("same baseline on the simulated raters' mean VAD: "
          + ", ".join(f"{k} {v:.3f}" for k, v in scores.items() if k.startswith("ccc")))


def _has_tabulate() -> bool:
    try:
        import tabulate  # noqa: F401
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    main()
