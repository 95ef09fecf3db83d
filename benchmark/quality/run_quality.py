"""Real-audio quality runs of the benchmark (issue 6, point 7): reference models against peers.

Stages (default: all, in order; each one reuses what the previous wrote):

``features``  cache frozen Whisper-base encoder outputs (CTranslate2) and openSMILE functionals
``peers``     openSMILE ComParE_2016 + linear SVM, eGeMAPSv02 + RBF SVM, Whisper-base mean+std + LR
``report``    ``benchmark/quality/RESULTS.md`` from ``benchmark/quality/results/*.json``

Run from the repository root, at low priority (the machine is shared)::

    SEQD_SHARED_DATA=/path/to/shared/data nice -n 10 python benchmark/quality/run_quality.py
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO))

from quality_data import Row, load_wave, rows_from_audio  # noqa: E402

from seqd_builder.benchmark.upstreams import get_upstream, cache_root  # noqa: E402

CORPORA = ("emodb", "ravdess")
WHISPER = "ct2-whisper:base"
# int8 and a 10 s window instead of float32 / 30 s: about 10x less CPU on this shared 2-core machine
# for features within cosine 0.986 of the faithful ones (see seqd_builder/benchmark/upstreams/ct2_whisper.py);
# every utterance of both corpora is shorter than 10 s, so nothing is cut.
WHISPER_KW = {"compute_type": "int8", "window_s": 10.0, "threads": 2}
OPENSMILE_SETS = ("ComParE_2016", "eGeMAPSv02")


def feature_dir() -> Path:
    return cache_root() / "quality"


def whisper_upstream():
    return get_upstream(WHISPER, cache=True, **WHISPER_KW)


def opensmile_functionals(corpus: str, rows: list[Row], feature_set: str) -> np.ndarray:
    """[N, F] functionals, cached as a .npy keyed by the row ids (recomputed if they change)."""
    import hashlib

    import opensmile
    from tqdm.auto import tqdm

    key = hashlib.sha256("\n".join(r.id for r in rows).encode()).hexdigest()[:12]
    path = feature_dir() / f"opensmile-{feature_set}-{corpus}-{key}.npy"
    if path.is_file():
        return np.load(path, allow_pickle=False)
    smile = opensmile.Smile(feature_set=getattr(opensmile.FeatureSet, feature_set),
                            feature_level=opensmile.FeatureLevel.Functionals)
    feats = np.stack([smile.process_signal(load_wave(r), 16000).to_numpy()[0]
                      for r in tqdm(rows, desc=f"openSMILE {feature_set} {corpus}", unit="utt")])
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, feats.astype(np.float32), allow_pickle=False)
    return feats


def stage_features(corpora) -> None:
    up = whisper_upstream()
    for corpus in corpora:
        rows = rows_from_audio(corpus)
        up.warm(((r.id, load_wave(r)) for r in rows), total=len(rows), batch_size=4,
                desc=f"{WHISPER} {corpus}")
        for fs in OPENSMILE_SETS:
            opensmile_functionals(corpus, rows, fs)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stage", action="append", choices=("features", "peers", "models", "report"))
    ap.add_argument("--corpus", action="append", choices=CORPORA)
    args = ap.parse_args(argv)
    corpora = args.corpus or list(CORPORA)
    stages = args.stage or ["features", "peers", "models", "report"]
    if "features" in stages:
        stage_features(corpora)


if __name__ == "__main__":
    main()
