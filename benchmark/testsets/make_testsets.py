"""Write the EmoBox-track-2-style cross-corpus test sets of this folder as id lists (committed data).

EmoBox's cross-corpus track tests on 4 classes (angry, happy, sad, neutral), class-balanced and
speaker-balanced. The lists here:

``ravdess_track2_emobox.txt``  EmoBox's own RAVDESS track-2 test set (240 utterances of the full 1,440-file
                               release, ``meta/emobox_track2`` of the shared data), in our row ids.
``ravdess360_track2.txt``      the same design drawn from the 360-file subset at hand (statement 01,
                               repetition 01: 24 neutral, 48 of each other class), 24 per class.
``emodb_track2.txt``           the same design drawn from EmoDB's 535 utterances, 60 per class (EmoBox has
                               no EmoDB track-2 set).

Drawing (:func:`balanced_draw`): per class, the speakers are visited in turn (sorted ids) and each gives
its next utterance from a list shuffled with a fixed seed, until the class has its count; so every
speaker contributes as evenly as the corpus allows. Deterministic: rerunning writes the same files.

    python benchmark/testsets/make_testsets.py --emodb DIR --ravdess DIR
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

CLASSES = ("angry", "happy", "sad", "neutral")
SEED = 0


def balanced_draw(ids, speakers, labels, per_class: int, seed: int = SEED) -> list[str]:
    """``per_class`` ids of each class of :data:`CLASSES`, spread over speakers round-robin."""
    rng = np.random.default_rng(seed)
    out = []
    for cls in CLASSES:
        pools = {}
        for i, s, lab in sorted(zip(ids, speakers, labels)):
            if lab == cls:
                pools.setdefault(s, []).append(i)
        for s in pools:
            pools[s] = [pools[s][k] for k in rng.permutation(len(pools[s]))]
        if sum(map(len, pools.values())) < per_class:
            raise SystemExit(f"class {cls}: only {sum(map(len, pools.values()))} utterances, need {per_class}")
        taken = []
        while len(taken) < per_class:
            for s in sorted(pools):
                if pools[s] and len(taken) < per_class:
                    taken.append(pools[s].pop(0))
        out.extend(sorted(taken))
    return out


def rows(folder: Path, corpus: str):
    from seqd_builder.benchmark.data import load_dataset_folder

    ds = load_dataset_folder(folder, corpus)
    names = ds.features["category"].names
    cats = [names[c] if c is not None else None for c in ds["category"]]
    return ds["id"], ds["speaker"], cats


def write(name: str, ids: list[str], header: str) -> None:
    (HERE / name).write_text(f"# {header}\n" + "\n".join(ids) + "\n", encoding="utf-8")
    print(f"{name}: {len(ids)} ids")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--emodb", type=Path, required=True)
    ap.add_argument("--ravdess", type=Path, required=True)
    args = ap.parse_args(argv)
    shared = Path(os.environ.get("SEQD_SHARED_DATA", HERE.parents[2] / "shared" / "data"))
    emobox = shared / "meta" / "emobox_track2" / "RAVDESS_selected_balanced.jsonl"
    listed = [json.loads(line) for line in emobox.read_text(encoding="utf-8").splitlines() if line.strip()]
    write("ravdess_track2_emobox.txt",
          sorted("ravdess/" + Path(r["wav_filename"]).stem for r in listed),
          "EmoBox track-2 RAVDESS test set (emo-box/EmoBox, 240 of the full release; 60 per class)")
    write("ravdess360_track2.txt", balanced_draw(*rows(args.ravdess, "ravdess"), per_class=24),
          "track-2 design drawn from the 360-file RAVDESS subset: 24 per class, speaker round-robin, seed 0")
    write("emodb_track2.txt", balanced_draw(*rows(args.emodb, "emodb"), per_class=60),
          "track-2 design drawn from EmoDB: 60 per class (angry, happy, sad, neutral), speaker round-robin, seed 0")


if __name__ == "__main__":
    main()
