"""RESULTS.md for the quality runs: one table per task, every figure traceable to a results.json."""

from __future__ import annotations

import json
from pathlib import Path

FAMILY = {"opensmile": "openSMILE", "fbank": "fbank", "ct2-whisper": "Whisper-base"}
ORDER = ("openSMILE", "fbank", "Whisper-base")  # the fbank models compete with the openSMILE peers


def family(upstream: str) -> str:
    return FAMILY.get(upstream.split(":", 1)[0], upstream)


def fmt(summary: dict | None) -> str:
    if not summary:
        return "–"
    ci = summary.get("ci95")
    return f"{100 * summary['mean']:.1f}" + (f" [{100 * ci[0]:.1f}, {100 * ci[1]:.1f}]" if ci else "")


def label(run: dict) -> str:
    """The run's tag from its file name (``task__tag__upstream.json``): ablations of one model config
    (``speecheq_nonorm`` is ``speecheq`` with ``normalise: false``) keep apart in the tables."""
    parts = run["_file"].removesuffix(".json").split("__")
    return parts[1] if len(parts) == 3 else run["model"]


def render(paths: list[Path]) -> str:
    runs = [json.loads(p.read_text(encoding="utf-8")) | {"_file": p.name} for p in paths]
    lines = ["# Quality runs on real audio (CPU)", "",
             "Written by `benchmark/quality/run_quality.py` from `benchmark/quality/results/*.json`; "
             "see `docs/benchmark-quality.md` for the set-up and what limits these figures.", "",
             "UA/WA/macro-F1 in %: unweighted mean over folds, with the 95% percentile-bootstrap CI of that "
             "mean (test utterances resampled within each fold, 1000 resamples). Per-fold UA in fold "
             "order.", ""]
    for task in sorted({r["task"] for r in runs}):
        sel = sorted((r for r in runs if r["task"] == task),
                     key=lambda r: (ORDER.index(family(r["upstream"]["name"]))
                                    if family(r["upstream"]["name"]) in ORDER else len(ORDER),
                                    not r["model"].startswith("peer"), r["model"]))
        n_folds = max(r["protocol"]["n_folds"] for r in sel)
        lines += [f"## {task}: {sel[0]['protocol']['name']}, {n_folds} folds", "",
                  "| front-end | model | UA | WA | macro-F1 | per-fold UA | epochs | file |",
                  "|---|---|---|---|---|---|---|---|"]
        for r in sel:
            per_fold = " ".join(f"{100 * f['metrics']['ua']:.0f}" for f in r["folds"])
            epochs = [f.get("epochs") for f in r["folds"] if f.get("epochs") is not None]
            ep = f"{min(epochs)}–{max(epochs)}" if epochs else "–"
            model = label(r) + (f" ({len(r['folds'])} of {n_folds} folds)" if len(r["folds"]) < n_folds else "")
            lines.append(f"| {family(r['upstream']['name'])} | {model} | **{fmt(r['metrics'].get('ua'))}** | "
                         f"{fmt(r['metrics'].get('wa'))} | {fmt(r['metrics'].get('macro_f1'))} | {per_fold} | "
                         f"{ep} | `{r['_file']}` |")
        lines.append("")
        common = set.intersection(*({f["fold"] for f in r["folds"]} for r in sel))
        if any(len(r["folds"]) != len(common) for r in sel):
            lines += same_folds(sel, common)
        lines += paired(sel, {r["_file"]: p for r, p in zip(runs, paths)})
    return "\n".join(lines) + "\n"


#: the peers each front-end family's models must beat: the strongest of the same features without training
RIVALS = {"Whisper-base": ("peer:whisper-pooled-lr",),
          "fbank": ("peer:compare-linsvm", "peer:egemaps-rbfsvm")}


def paired(sel: list[dict], path_of: dict[str, Path]) -> list[str]:
    """Paired bootstrap of each model run against its family's peers, and of each run with auxiliary
    heads against the same run without them (the two comparisons of the quality goal). Runs whose run
    folder (per-utterance predictions) is not kept are left out."""
    from seqd_builder.benchmark.compare import compare_runs, load_run
    from seqd_builder.errors import SubmissionError

    loaded = {}
    for r in sel:
        try:
            loaded[r["_file"]] = load_run(path_of[r["_file"]])
        except SubmissionError:
            continue
    n_folds = max(len(r["folds"]) for r in sel)
    kept = [r for r in sel if r["_file"] in loaded and len(r["folds"]) == n_folds]
    peers = {r["model"]: r for r in kept if r["model"].startswith("peer")}
    models = {(label(r), family(r["upstream"]["name"])): r for r in kept if not r["model"].startswith("peer")}
    pairs = []
    for (tag, fam), r in models.items():
        pairs += [(fam, r, peers[p]) for p in RIVALS.get(fam, ()) if p in peers]
        if "noaux" in tag and (tag.replace("_noaux", ""), fam) in models:
            pairs.append((fam, models[(tag.replace("_noaux", ""), fam)], r))
    if not pairs:
        return []
    out = ["Paired comparisons (`seqd bench compare`): A − B in UA points with the 95% interval of the "
           "difference, both runs scored on the same resamples of the test utterances (drawn within "
           "each fold, 2000 resamples), and the share of resamples in which A is not ahead.", "",
           "| front-end | A | B | A | B | A − B [95% CI] | A not ahead |", "|---|---|---|---|---|---|---|"]
    for fam, a, b in pairs:
        c = compare_runs(loaded[a["_file"]], loaded[b["_file"]], metric="ua", resamples=2000)
        out.append(f"| {fam} | {label(a)} | {label(b)} | {100 * c.a_value:.1f} | {100 * c.b_value:.1f} | "
                   f"{100 * c.diff:+.1f} [{100 * c.ci95[0]:+.1f}, {100 * c.ci95[1]:+.1f}] | "
                   f"{100 * c.share_a_not_better:.1f}% |")
    return out + [""]


def same_folds(sel: list[dict], common: set[str]) -> list[str]:
    """Where some runs are partial, every run's mean UA over the folds that all of them finished."""
    order = [f["fold"] for f in sel[0]["folds"] if f["fold"] in common]
    out = [f"Some runs are partial; on the {len(order)} folds every run finished ({', '.join(order)}):", "",
           "| front-end | model | mean UA on these folds |", "|---|---|---|"]
    for r in sel:
        vals = [f["metrics"]["ua"] for f in r["folds"] if f["fold"] in common]
        out.append(f"| {family(r['upstream']['name'])} | {label(r)} | "
                   f"{100 * sum(vals) / len(vals):.1f} |" if vals else "| – | – | – |")
    return out + [""]
