"""Build throughput and peak memory of `seqd build` against its peers, in one run.

Corpus: the real EmoDB (535) and RAVDESS (360) audio from the shared data folder, 895 utterances.
Three ways to turn it into parquet, each in a fresh process so that peak RSS is its own:

* ``floor``: decode every file with soundfile and nothing else (the least work any builder must do);
* ``floor+write``: decode every file with soundfile and write its bytes, with an id, into one parquet
  file with pyarrow (the least work any builder that embeds the audio must do: the floor does not
  write the 140 MB a dataset of these files holds);
* ``audiofolder``: what a curator does without us: an ``audiofolder`` with a ``metadata.csv``
  loaded by ``datasets.load_dataset``, audio bytes embedded (as ``push_to_hub`` does) and written with
  ``to_parquet``; it checks nothing;
* ``seqd``: our build (``-j 1`` and ``-j 2``): decodes and checks every file, maps labels through
  the card, writes journaled shards, manifest and card.

Memory: the corpus is then doubled (every file a second time under another valid name) and the peak
RSS of ``seqd -j 1`` is measured again; it should stay flat (streaming, bounded shards).

    .venv/bin/python benchmark/perf/build_throughput.py [--repeat 3]

Prints a table and the ratios; ``--json PATH`` writes the figures.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from seqd_builder import testing


def _peak_rss_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, kids) / 1024  # Linux reports KiB


def _make_corpora(base: Path, copies: int) -> dict[str, Path]:
    """EmoDB and RAVDESS trees; with copies=2 every file appears twice under another valid name."""
    emodb = testing.make_emodb_tree(base / "emodb")
    ravdess = testing.make_ravdess_tree(base / "ravdess")
    if copies == 2:
        for wav in sorted((emodb / "wav").glob("*.wav")):
            version = chr(ord(wav.stem[-1]) + 13)  # a..m -> n..z: a new, valid take letter
            testing.link_or_copy(wav, wav.with_name(wav.stem[:-1] + version + wav.suffix))
        for wav in sorted((ravdess / "Audio_Speech_Actors_01-24").glob("Actor_*/*.wav")):
            f = wav.stem.split("-")
            f[4] = "02"  # statement 02: a valid name (its text differs; irrelevant for timing)
            testing.link_or_copy(wav, wav.with_name("-".join(f) + wav.suffix))
    return {"emodb": emodb, "ravdess": ravdess}


def _all_wavs(roots: dict[str, Path]) -> list[Path]:
    return sorted(roots["emodb"].glob("wav/*.wav")) + sorted(roots["ravdess"].glob("**/Actor_*/*.wav"))


def child(mode: str, base: Path, out: Path, copies: int) -> dict:
    # libraries are imported before the clock starts: this measures the work, not interpreter start-up
    import soundfile as sf
    from datasets import Audio, load_dataset
    from datasets.table import embed_table_storage

    from seqd_builder.pipeline import build

    roots = _make_corpora(base, copies)
    wavs = _all_wavs(roots)
    os.sync()  # the trees just made are written back before the clock starts
    start = time.perf_counter()
    if mode == "floor":
        for w in wavs:
            sf.read(w, dtype="float32")
        n = len(wavs)
    elif mode == "floor+write":
        import pyarrow as pa
        import pyarrow.parquet as pq

        schema = pa.schema([("id", pa.string()), ("audio", pa.binary())])
        with pq.ParquetWriter(out / "floor.parquet", schema, compression="none") as writer:
            for i in range(0, len(wavs), 100):
                ids, blobs = [], []
                for w in wavs[i:i + 100]:
                    sf.read(w, dtype="float32")
                    ids.append(w.stem)
                    blobs.append(w.read_bytes())
                writer.write_table(pa.table({"id": ids, "audio": blobs}, schema=schema))
        n = len(wavs)
    elif mode == "audiofolder":
        folder = base / "audiofolder"
        folder.mkdir()
        with (folder / "metadata.csv").open("w", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["file_name", "label", "speaker"])
            for i, w in enumerate(wavs):
                name = f"{i:06d}_{w.name}"
                testing.link_or_copy(w, folder / name)
                writer.writerow([name, w.stem[5] if w.parent.name == "wav" else w.stem.split("-")[2],
                                 w.stem[:2]])
        start = time.perf_counter()  # do not count the tree we made for it
        ds = load_dataset("audiofolder", data_dir=str(folder), split="train",
                          cache_dir=str(base / "hf-cache"))
        ds = ds.cast_column("audio", Audio(decode=False))
        ds = ds.with_format("arrow").map(embed_table_storage, batched=True)
        ds.to_parquet(str(out / "audiofolder.parquet"))
        n = ds.num_rows
    else:
        workers = int(mode.split("-j")[1])
        report = build(["emodb", "ravdess"], out / "hf", roots=roots, workers=workers,
                       phones="none", progress=False)
        n = sum(c.written for c in report.configs)
    seconds = time.perf_counter() - start
    return {"mode": mode, "copies": copies, "utterances": n, "seconds": seconds,
            "utt_per_s": n / seconds, "peak_rss_mb": _peak_rss_mb()}


def measure(mode: str, copies: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        base, out = Path(tmp) / "in", Path(tmp) / "out"
        base.mkdir()
        out.mkdir()
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
        # start every run with no dirty pages of the previous one still being written back: the
        # kernel throttles writers behind that writeback, which made timings of the modes that write
        # (all but the floor) depend on the order they ran in
        os.sync()
        result = subprocess.run([sys.executable, __file__, "--child", mode, "--base", str(base),
                                 "--out", str(out), "--copies", str(copies)],
                                capture_output=True, text=True, env=env, check=True)
        return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="runs per mode; the best is kept")
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--base", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--copies", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.base, args.out, args.copies)))
        return

    results = {}
    for mode in ("floor", "floor+write", "audiofolder", "seqd-j1", "seqd-j2"):
        runs = [measure(mode, 1) for _ in range(args.repeat)]
        results[mode] = max(runs, key=lambda r: r["utt_per_s"])
        r = results[mode]
        print(f"{mode:<12} {r['utterances']:>5} utt  {r['seconds']:7.2f} s  {r['utt_per_s']:8.1f} utt/s  "
              f"peak RSS {r['peak_rss_mb']:7.1f} MB", flush=True)
    doubled = measure("seqd-j1", 2)
    results["seqd-j1-doubled"] = doubled
    print(f"{'seqd-j1 x2':<12} {doubled['utterances']:>5} utt  {doubled['seconds']:7.2f} s  "
          f"{doubled['utt_per_s']:8.1f} utt/s  peak RSS {doubled['peak_rss_mb']:7.1f} MB")
    ours = results["seqd-j1"]["utt_per_s"]
    ratios = {
        "seqd_j1_vs_audiofolder": ours / results["audiofolder"]["utt_per_s"],
        "seqd_j2_vs_audiofolder": results["seqd-j2"]["utt_per_s"] / results["audiofolder"]["utt_per_s"],
        "seqd_j1_vs_decode_floor": ours / results["floor"]["utt_per_s"],
        "seqd_j2_vs_decode_floor": results["seqd-j2"]["utt_per_s"] / results["floor"]["utt_per_s"],
        "seqd_j1_vs_decode_write_floor": ours / results["floor+write"]["utt_per_s"],
        "seqd_j2_vs_decode_write_floor": results["seqd-j2"]["utt_per_s"] / results["floor+write"]["utt_per_s"],
        "peak_rss_doubled_vs_single": doubled["peak_rss_mb"] / results["seqd-j1"]["peak_rss_mb"],
    }
    for k, v in ratios.items():
        print(f"{k:<28} {v:6.2f}")
    if args.json:
        args.json.write_text(json.dumps({"results": results, "ratios": ratios, "cpus": os.cpu_count()},
                                        indent=2) + "\n")


if __name__ == "__main__":
    main()
