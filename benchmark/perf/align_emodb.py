"""Alignment quality of the built-in aligner against EmoDB's hand-labelled phones (issue 5, point 4).

Gold: ``lablaut/*.lablaut`` of all 535 released utterances, read with
:func:`seqd_builder.phones.read_xlabel` (time marks are segment starts, see its docstring), folded to
phone level and mapped to IPA with ``corpora/phonesets/emodb_sampa.yaml`` (plosive closure + release
+ aspiration = one plosive; diacritic-only sub-segments belong to the phone before them).
Hypothesis: :class:`seqd_builder.phones.PraatAligner` on the wav and the sentence's transcript, eSpeak
IPA. Matching: :mod:`seqd_builder.phones.evaluate` (weighted edit distance over IPA / broad classes,
start-time error of every paired segment).

Configurations: ``default`` (Praat's defaults: 175 wpm, 10 ms word gap, male voice, -35 dB / 0.1 s /
0.1 s), ``tuned`` (rate matched to the recording, no word gap, voice of the speaker's sex, boundary
refinement), and the intermediate steps, so each change's effect is visible.

    PYTHONPATH=. nice -n 10 python benchmark/perf/align_emodb.py --out benchmark/perf/results/align_emodb.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import replace
from multiprocessing import Pool
from pathlib import Path

import numpy as np
import soundfile as sf
from tqdm import tqdm

from seqd_builder.phones import PraatAligner, load_phoneset, read_xlabel
from seqd_builder.phones.evaluate import BoundaryScore, boundary_errors

# EmoDB sentences by text code (docs: corpus-formats §2.2; the emodb corpus card carries the same).
TEXTS = {
    "a01": "Der Lappen liegt auf dem Eisschrank.",
    "a02": "Das will sie am Mittwoch abgeben.",
    "a04": "Heute abend könnte ich es ihm sagen.",
    "a05": "Das schwarze Stück Papier befindet sich da oben neben dem Holzstück.",
    "a07": "In sieben Stunden wird es soweit sein.",
    "b01": "Was sind denn das für Tüten, die da unter dem Tisch stehen?",
    "b02": "Sie haben es gerade hochgetragen und jetzt gehen sie wieder runter.",
    "b03": "An den Wochenenden bin ich jetzt immer nach Hause gefahren und habe Agnes besucht.",
    "b09": "Ich will das eben wegbringen und dann mit Karl was trinken gehen.",
    "b10": "Die wird auf dem Platz sein, wo wir sie immer hinlegen.",
}
FEMALE = {"08", "09", "13", "14", "16"}

CONFIGS = {
    "default": PraatAligner.default("de"),
    "rate+gap": replace(PraatAligner.default("de"), rate="match", word_gap=0.0),
    "rate+gap+voice": replace(PraatAligner.default("de"), rate="match", word_gap=0.0),
    "tuned": PraatAligner(language="de"),
}
SEXED = {"rate+gap+voice", "tuned"}


def emodb_root() -> Path:
    shared = Path(os.environ.get("SEQD_SHARED_DATA", Path(__file__).resolve().parents[3] / "shared" / "data"))
    return shared / "audio" / "emodb"


def lablaut_for(root: Path, stem: str) -> Path:
    for name in (f"{stem}xx.lablaut", f"{stem}.lablaut"):
        if (root / "lablaut" / name).is_file():
            return root / "lablaut" / name
    raise FileNotFoundError(f"no lablaut file for {stem}")


def gold_segments(root: Path, stem: str, duration: float):
    raw = read_xlabel(lablaut_for(root, stem), duration=duration)
    return load_phoneset("emodb_sampa").normalise(raw, where=stem)


def evaluate_one(args):
    stem, names = args
    root = emodb_root()
    audio, sr = sf.read(root / "wav" / f"{stem}.wav", dtype="float32")
    gold = gold_segments(root, stem, len(audio) / sr)
    out = {}
    for name in names:
        aligner = CONFIGS[name]
        if name in SEXED:
            aligner = aligner.for_speaker("female" if stem[:2] in FEMALE else "male")
        try:
            hyp = list(aligner.align(audio, sr, TEXTS[stem[2:5]]).phones)
        except Exception as exc:  # recorded, not fatal: the benchmark reports failures
            out[name] = {"error": str(exc)}
            continue
        errors, n_gold = boundary_errors(gold, hyp)
        out[name] = {"errors": errors.tolist(), "n_gold": n_gold}
    return stem, out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--configs", default=",".join(CONFIGS))
    parser.add_argument("--limit", type=int, default=0, help="first N utterances only (0: all)")
    parser.add_argument("--every", type=int, default=1, help="every k-th utterance")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    names = args.configs.split(",")
    stems = sorted(p.stem for p in (emodb_root() / "wav").glob("*.wav"))[::args.every]
    if args.limit:
        stems = stems[:args.limit]
    started = time.time()
    jobs = [(s, names) for s in stems]
    if args.workers > 1:
        with Pool(args.workers) as pool:
            results = list(tqdm(pool.imap(evaluate_one, jobs), total=len(jobs), desc="aligning"))
    else:
        results = [evaluate_one(j) for j in tqdm(jobs, desc="aligning")]
    report = {"utterances": len(stems), "seconds": round(time.time() - started, 1), "configs": {}}
    for name in names:
        errs = [np.asarray(r[name]["errors"]) for _, r in results if "errors" in r[name]]
        n_gold = sum(r[name]["n_gold"] for _, r in results if "errors" in r[name])
        failed = [s for s, r in results if "error" in r[name]]
        score = BoundaryScore.from_errors(np.concatenate(errs) if errs else np.zeros(0), n_gold)
        report["configs"][name] = {**score.as_dict(), "failed": len(failed),
                                   "settings": repr(CONFIGS[name])}
        print(f"{name:16s} {json.dumps(score.as_dict())} failed={len(failed)}")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
