"""The two real-audio corpora of the quality runs, as plain rows with waveforms.

Preferred source: the published HF dataset folders (``--data-emodb``/``--data-ravdess``, built by
``seqd build``). Without them the rows are read straight from the real audio in
``$SEQD_SHARED_DATA/audio`` and labelled through the corpus cards (the same maps the adapters use), so
the peers and the caches can be developed before a build exists. Either way the ids are
``<corpus>/<native id>`` and the speakers ``<corpus>/<native speaker>``, as in the unified schema.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from seqd_builder.corpora.card import load_card

SHARED = Path(os.environ.get("SEQD_SHARED_DATA", Path(__file__).resolve().parents[3] / "shared" / "data"))


@dataclass(frozen=True)
class Row:
    id: str
    speaker: str
    category: str
    gender: str | None
    intensity_level: int | None
    path: str | None = None
    phones: tuple[str, ...] = ()


def rows_from_audio(corpus: str, shared: Path = SHARED) -> list[Row]:
    card = load_card(corpus)
    rows = []
    if corpus == "emodb":
        for wav in sorted((shared / "audio" / "emodb" / "wav").glob("*.wav")):
            stem = wav.stem  # SSTTTEV: speaker, text, emotion initial, version
            spk = stem[:2]
            rows.append(Row(f"emodb/{stem}", f"emodb/{spk}", card.map_category(stem[5], str(wav)),
                            card.speakers[spk]["gender"], None, str(wav)))
    elif corpus == "ravdess":
        root = shared / "audio" / "ravdess" / "Audio_Speech_Actors_01-24"
        for wav in sorted(root.glob("Actor_*/*.wav")):
            mm, vv, ee, ii, ss, rr, aa = wav.stem.split("-")
            rows.append(Row(f"ravdess/{wav.stem}", f"ravdess/{aa}", card.map_category(ee, str(wav)),
                            card.speakers[aa]["gender"], card.intensity.levels[ii], str(wav)))
    else:
        raise ValueError(f"no real audio for corpus {corpus!r}; valid: emodb, ravdess")
    return rows


def load_wave(row: Row) -> np.ndarray:
    wave, sr = sf.read(row.path, dtype="float32", always_2d=False)
    if sr != 16000 or wave.ndim != 1:
        raise ValueError(f"{row.path}: expected 16 kHz mono, got {sr} Hz shape {wave.shape}")
    return wave
