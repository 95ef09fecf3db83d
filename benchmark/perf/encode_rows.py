"""Why the build encodes rows with ``encode_row`` and not ``Features.encode_example``: measured.

``seqd_builder.pipeline.writer.encode_row`` turns the class names of a row into ``ClassLabel`` indices
and leaves every other value alone, because :class:`~seqd_builder.schema.Utterance` checked them
when it was made. ``datasets``' public ``Features.encode_example`` does the general job (walks every
column and nested list/struct, encodes each value by its feature type). Both must give the same Arrow
table; this script checks that they do on real rows, then times them per row, one after the other in
one process (best of ``--repeat`` interleaved rounds), with ``Features.encode_batch`` (the columnar
variant) as a third peer.

Rows: the real EmoDB (535 utterances, with their hand-labelled phone alignments: nested lists of
structs, as votes are), made as the build makes them (adapter → card → ``Utterance.to_row`` + audio
bytes and duration).

    .venv/bin/python benchmark/perf/encode_rows.py --json benchmark/perf/results/encode_rows.json
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path

import pyarrow as pa
import soundfile as sf


def emodb_rows() -> list[dict]:
    from seqd_builder.corpora import get_adapter
    from seqd_builder.phones import read_label_file
    from seqd_builder.schema import RawItem
    from seqd_builder.testing import shared_data_dir

    adapter = get_adapter("emodb", shared_data_dir() / "audio" / "emodb")
    rows = []
    for item in adapter.items():
        if not isinstance(item, RawItem):
            continue
        utt = adapter.card.normalise(item)
        info = sf.info(utt.audio_path)
        if utt.phone_labels is not None:
            segments = tuple(read_label_file(utt.phone_labels, duration=info.duration))
            utt = dataclasses.replace(utt, phone_labels=None, phone_alignment=segments or None,
                                      phones=tuple(s.phone for s in segments))
        row = utt.to_row()
        row["audio"] = {"bytes": Path(utt.audio_path).read_bytes(), "path": Path(utt.audio_path).name}
        row["duration"] = info.duration
        rows.append(row)
    return rows


def _best(fn, rows, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn(rows)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    from seqd_builder.pipeline.writer import encode_row, rows_to_table
    from seqd_builder.schema import FEATURES

    rows = emodb_rows()
    ours = rows_to_table([encode_row(r) for r in rows])
    theirs = rows_to_table([FEATURES.encode_example(r) for r in rows])
    batch = FEATURES.encode_batch({c: [r[c] for r in rows] for c in FEATURES})
    columnar = pa.Table.from_pydict(batch, schema=ours.schema)
    same = ours.equals(theirs) and ours.equals(columnar)

    ways = {
        "encode_row": lambda rs: [encode_row(r) for r in rs],
        "Features.encode_example": lambda rs: [FEATURES.encode_example(r) for r in rs],
        "Features.encode_batch": lambda rs: FEATURES.encode_batch({c: [r[c] for r in rs] for c in FEATURES}),
        "encode_row + table": lambda rs: rows_to_table([encode_row(r) for r in rs]),
        "encode_example + table": lambda rs: rows_to_table([FEATURES.encode_example(r) for r in rs]),
    }
    seconds = {name: float("inf") for name in ways}
    for _ in range(args.repeat):  # interleaved rounds: a busy spell hits every way alike
        for name, fn in ways.items():
            seconds[name] = min(seconds[name], _best(fn, rows, 1))
    per_row = {name: round(s / len(rows) * 1e6, 2) for name, s in seconds.items()}
    report = {"rows": len(rows), "corpus": "EmoDB (shared data), rows as the build makes them",
              "identical_tables": same, "us_per_row": per_row,
              "encode_example_over_encode_row": round(per_row["Features.encode_example"]
                                                      / per_row["encode_row"], 1),
              "with_table": round(per_row["encode_example + table"] / per_row["encode_row + table"], 2)}
    print(json.dumps(report, indent=2))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
