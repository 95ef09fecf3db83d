"""The data audit's cost relative to the build, on the same files, in one run.

Corpus: the real EmoDB (535) and RAVDESS (360) audio from the shared data folder, 895 utterances.
In one process, in this order:

* ``build``: ``seqd build emodb ravdess -j 1 --phones none --no-audit`` into a fresh folder (decode
  and check every file, map labels, journal, shards, manifest, card);
* ``audit (cold)``: the audit of that folder, the first in the process: it includes importing
  librosa and numba's compilation of librosa's helpers, as the first audit of a ``seqd build`` does;
* ``audit (warm)``: the same audit again (what each further build in a process costs);
* ``plots + JSON``: writing ``reports/audit.json``, the per-file lines and the 6 PNG plots.

The audit's own phases (decode, signal measures, fingerprints, duplicate search, leakage) come from
its ``timings_s`` (CPU seconds). Wall-clock and CPU seconds (process time) are both reported: the development
machine is shared, and CPU seconds are the steadier figure there.

    .venv/bin/python benchmark/perf/audit_cost.py [--json benchmark/perf/results/audit_cost.json]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from seqd_builder import testing


def _timed(fn):
    w0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w0, time.process_time() - c0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", type=Path, help="write the figures here")
    args = ap.parse_args()
    from seqd_builder.pipeline import build

    with tempfile.TemporaryDirectory(prefix="seqd-audit-cost-") as tmp:
        base = Path(tmp)
        emodb = testing.make_emodb_tree(base / "emodb")
        ravdess = testing.make_ravdess_tree(base / "ravdess")
        out = base / "hf"
        report, bw, bc = _timed(lambda: build(["emodb", "ravdess"], out,
                                              roots={"emodb": emodb, "ravdess": ravdess},
                                              phones="none", progress=False, audit=False))
        n = sum(c.written for c in report.configs)
        from seqd_builder.audit import audit_folder, write_audit

        cold, cw, cc = _timed(lambda: audit_folder(out))
        warm, ww, wc = _timed(lambda: audit_folder(out))
        _, pw, pc = _timed(lambda: write_audit(out, warm))
    fig = {
        "files": n,
        "build": {"wall_s": round(bw, 2), "cpu_s": round(bc, 2)},
        "audit_cold": {"wall_s": round(cw, 2), "cpu_s": round(cc, 2), "phases_s": cold["timings_s"]},
        "audit_warm": {"wall_s": round(ww, 2), "cpu_s": round(wc, 2), "phases_s": warm["timings_s"]},
        "plots_and_json": {"wall_s": round(pw, 2), "cpu_s": round(pc, 2)},
    }
    fig["ratios"] = {
        "audit_warm_over_build_cpu": round(wc / bc, 2), "audit_warm_over_build_wall": round(ww / bw, 2),
        "audit_cold_over_build_cpu": round(cc / bc, 2),
        "audit_plus_plots_warm_over_build_cpu": round((wc + pc) / bc, 2),
    }
    print(f"{n} files (EmoDB + RAVDESS)")
    print(f"{'step':<28}{'wall s':>9}{'CPU s':>9}{'files/s (CPU)':>15}")
    for label, key in (("build (-j 1, no audit)", "build"), ("audit, cold", "audit_cold"),
                       ("audit, warm", "audit_warm"), ("plots + JSON", "plots_and_json")):
        f = fig[key]
        print(f"{label:<28}{f['wall_s']:>9.2f}{f['cpu_s']:>9.2f}{n / max(f['cpu_s'], 1e-9):>15.0f}")
    print("audit phases (warm, CPU s):", ", ".join(f"{k} {v}" for k, v in warm["timings_s"].items()))
    print("ratios:", ", ".join(f"{k} {v}" for k, v in fig["ratios"].items()))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(fig, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
