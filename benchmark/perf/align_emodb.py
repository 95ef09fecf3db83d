"""Alignment quality of the built-in aligner against EmoDB's hand-labelled phones.

Gold: ``lablaut/*.lablaut`` of all 535 released utterances, read with
:func:`seqd_builder.phones.read_xlabel` (time marks are segment starts, see its docstring), folded to
phone level and mapped to IPA with ``corpora/phonesets/emodb_sampa.yaml`` (plosive closure + release
+ aspiration = one plosive; diacritic-only sub-segments belong to the phone before them).
Hypothesis: :class:`seqd_builder.phones.PraatAligner` on the wav and the sentence's transcript, eSpeak
IPA. Matching: :mod:`seqd_builder.phones.evaluate` (weighted edit distance over IPA / broad classes,
start-time error of every paired segment).

Configurations (``--configs``): ``default`` (Praat's defaults: 175 wpm, 10 ms word gap, one male
voice, -35 dB / 0.1 s / 0.1 s), ``settings`` (no word gap, 50 ms minimum pause), ``settings+voices``
(three synthetic voices of the speaker's sex, median boundary), ``settings+voices+refine`` (plus
acoustic boundary refinement) and ``tuned`` (plus the calibrated per-transition offsets of
``corpora/phonesets/praat_offsets.yaml``, the shipped default).

Figures are reported over the utterances whose label file matches their audio (see
:func:`seqd_builder.phones.checks.alignment_mismatch`; two label files are empty and 3 of
the others fail the check), over all utterances with labels, and over a held-out split that shares neither speaker nor sentence with
the offset calibration (``--calibrate`` rewrites the table from speakers 03-11 on the a-texts).

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
from seqd_builder.phones.checks import alignment_mismatch
from seqd_builder.phones.evaluate import BoundaryScore, signed_boundaries

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
# Calibration (offset table) uses speakers 03-11 on the a-texts; the held-out figures use the other
# speakers (12-16) on the b-texts, so they share neither speaker nor sentence with the calibration.
CALIBRATION_SPEAKERS = {"03", "08", "09", "10", "11"}

_PRAAT_SETTINGS = replace(PraatAligner.default("de"), word_gap=0.0, min_silent=0.05)
CONFIGS = {
    "default": PraatAligner.default("de"),
    "settings": _PRAAT_SETTINGS,
    "settings+voices": replace(_PRAAT_SETTINGS, voices=PraatAligner().voices),
    "settings+voices+refine": PraatAligner(language="de", offsets=None),
    "tuned": PraatAligner(language="de"),
}
SEXED = {"settings+voices", "settings+voices+refine", "tuned"}


def split_of(stem: str) -> str:
    if stem[:2] in CALIBRATION_SPEAKERS and stem[2] == "a":
        return "calibration"
    if stem[:2] not in CALIBRATION_SPEAKERS and stem[2] == "b":
        return "held_out"
    return "other"


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
    if not gold:  # 08a01Ab and 08a01Wa have empty label files
        return stem, {name: {"skipped": "empty lablaut"} for name in names}
    mismatch = alignment_mismatch(gold, audio, sr) is not None
    for name in names:
        aligner = CONFIGS[name]
        if name in SEXED:
            aligner = aligner.for_speaker("female" if stem[:2] in FEMALE else "male")
        try:
            hyp = list(aligner.align(audio, sr, TEXTS[stem[2:5]]).phones)
        except Exception as exc:  # recorded, not fatal: the benchmark reports failures
            out[name] = {"error": str(exc)}
            continue
        signed, n_gold = signed_boundaries(gold, hyp)
        out[name] = {"signed": signed, "n_gold": n_gold, "mismatch": mismatch}
    return stem, out


def summarise(results, name: str, keep=lambda stem: True, matched_only: bool = True) -> dict:
    rows = [(s, r[name]) for s, r in results if keep(s) and "skipped" not in r[name]
            and not (matched_only and r[name].get("mismatch"))]
    errors = np.asarray([abs(e) for _, r in rows if "signed" in r for _, _, e in r["signed"]])
    n_gold = sum(r["n_gold"] for _, r in rows if "signed" in r)
    score = BoundaryScore.from_errors(errors, n_gold).as_dict()
    return {"utterances": len(rows), "failed": sum("error" in r for _, r in rows), **score}


def calibrate(results, name: str, min_count: int = 20) -> dict[str, float]:
    """Median lead (ms) of the aligner per transition on the calibration split."""
    by: dict[str, list[float]] = {}
    for stem, r in results:
        if split_of(stem) == "calibration" and "signed" in r[name] and not r[name]["mismatch"]:
            for left, right, error in r[name]["signed"]:
                by.setdefault(f"{left}>{right}", []).append(error * 1000)
    return {k: round(float(np.median(v)), 1) for k, v in sorted(by.items()) if len(v) >= min_count}


def write_offsets(table: dict[str, float], n_utterances: int) -> Path:
    from seqd_builder.phones.inventory import phoneset_dir

    path = phoneset_dir() / "praat_offsets.yaml"
    lines = [
        "# Calibration of the built-in aligner (seqd_builder.phones.PraatAligner, offsets=...):",
        "# median lead in ms of its boundaries over EmoDB's hand labels, per transition between",
        "# broad classes (left>right, classes of the aligner's own phones), after voice ensemble and",
        "# refinement. Subtracted from each boundary at run time. Written by",
        "#   python benchmark/perf/align_emodb.py --calibrate",
        f"# from the calibration split ({n_utterances} utterances: speakers 03, 08, 09, 10, 11 on the",
        "# a-texts), transitions seen at least 20 times. Measured on German only; `default` applies the",
        "# same table to other languages, where it is unvalidated.",
        "languages:",
        "  de: &de",
        *[f"    {k}: {v}" for k, v in table.items()],
        "  default: *de",
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--configs", default=",".join(CONFIGS))
    parser.add_argument("--limit", type=int, default=0, help="first N utterances only (0: all)")
    parser.add_argument("--every", type=int, default=1, help="every k-th utterance")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--calibrate", action="store_true",
                        help="write corpora/phonesets/praat_offsets.yaml from the calibration split "
                             "(runs settings+voices+refine on it only)")
    args = parser.parse_args(argv)
    names = args.configs.split(",")
    unknown = sorted(set(names) - set(CONFIGS))
    if unknown:
        parser.error(f"unknown configs {unknown}; valid: {', '.join(CONFIGS)}")
    stems = sorted(p.stem for p in (emodb_root() / "wav").glob("*.wav"))[::args.every]
    if args.calibrate:
        names = ["settings+voices+refine"]
        stems = [s for s in stems if split_of(s) == "calibration"]
    if args.limit:
        stems = stems[:args.limit]
    started = time.time()
    jobs = [(s, names) for s in stems]
    if args.workers > 1:
        with Pool(args.workers) as pool:
            results = list(tqdm(pool.imap(evaluate_one, jobs), total=len(jobs), desc="aligning"))
    else:
        results = [evaluate_one(j) for j in tqdm(jobs, desc="aligning")]
    report = {"utterances": len(stems), "seconds": round(time.time() - started, 1),
              "empty_label_files": sorted(s for s, r in results if "skipped" in r[names[0]]),
              "mismatched_label_files": sorted(s for s, r in results if r[names[0]].get("mismatch")),
              "configs": {}}
    if args.calibrate:
        used = sum("signed" in r[names[0]] for _, r in results)
        path = write_offsets(calibrate(results, names[0]), used)
        print(f"wrote {path}")
        return 0
    for name in names:
        report["configs"][name] = {
            "settings": repr(CONFIGS[name]),
            "all": summarise(results, name),
            "held_out": summarise(results, name, lambda s: split_of(s) == "held_out"),
            "all_incl_mismatched": summarise(results, name, matched_only=False),
        }
        print(f"{name:24s} all: {json.dumps(report['configs'][name]['all'])}")
        print(f"{'':24s} incl. mismatched: "
              f"{json.dumps(report['configs'][name]['all_incl_mismatched'])}")
        print(f"{'':24s} held-out: {json.dumps(report['configs'][name]['held_out'])}")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
