"""Multi-corpus, cross-corpus and auxiliary-head measurements on the real audio (issue 13, point 5).

Frozen Whisper-base (CTranslate2 int8, the features cached by ``benchmark/quality/run_quality.py``),
CPU. Everything lands in ``benchmark/quality/multicorpus/results/`` as schema-valid results.json files
and ``SUMMARY.md``. Stages:

``peers``   the pooled-Whisper + logistic-regression peer (C chosen by UA on each fold's validation
            rows, refit on train + validation, as in run_quality.py) on: each corpus alone, EmoDB +
            RAVDESS jointly (same test folds), and the RAVDESS <-> EmoDB matrix over the 6 shared
            classes and over the track-2 test sets (4 classes, class- and speaker-balanced)
``probes``  linear probes for the auxiliary targets (gender on EmoDB LOSO and RAVDESS, intensity on
            RAVDESS) on the same pooled features, scored over the pooled test predictions of all folds
            (a LOSO fold holds one gender, so a per-fold UA is an accuracy over one class)
``models``  baseline and SpeechEQ runs through the runner (listed in MODEL_RUNS), reduced for the shared
            2-core CPU: fewer epochs, and the fold subsets named there
``report``  SUMMARY.md with paired comparisons (``seqd bench compare``)

Settings: nothing here was tuned on a test fold. The peer's C is chosen on validation folds; the model
configs are the committed ones (speecheq_stats, baseline) with the schedule cut for CPU; the gender-head
switches were chosen from the cause found on the training side (the head fell back on the prior),
not from test scores.

    nice -n 10 python benchmark/quality/multicorpus/run_multicorpus.py --data emodb=DIR --data ravdess=DIR
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmark" / "quality"))

import run_quality as Q  # noqa: E402
from seqd_builder.benchmark import metrics as M  # noqa: E402
from seqd_builder.benchmark import scoring as S  # noqa: E402
from seqd_builder.benchmark.data import load_task_data  # noqa: E402
from seqd_builder.benchmark.matrix import cell_task, shared_classes, TRACK2_CLASSES  # noqa: E402
from seqd_builder.benchmark.multicorpus import multi_corpus_block, parse_sources  # noqa: E402
from seqd_builder.benchmark.results import validate_results  # noqa: E402
from seqd_builder.benchmark.tasks import load_task  # noqa: E402

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
CORPORA = ("emodb", "ravdess")


def peer_on(task, sources, peer: str = "whisper-pooled-lr") -> dict:
    """The pooled-Whisper LR peer on ``task`` (single, joint or a cross cell), schema-valid."""
    out = RESULTS / f"{task.name}__peer-{peer}.json"
    if out.is_file():
        return json.loads(out.read_text(encoding="utf-8"))
    data = load_task_data(task, sources)
    res = Q.run_peer(peer, data, out)
    if task.multi:
        protocol, folds = data.folds()
        for fj, f in zip(res["folds"], folds):
            fj["corpus"] = str(data.corpus[int(f.test[0])])
        scores = [S.FoldScores.from_confusion(f["fold"], f["confusion"]) for f in res["folds"]]
        res["metrics"], multi = multi_corpus_block(task, protocol, res["folds"], scores, Q.BOOTSTRAP)
        res.update(multi)
        res["protocol"]["name"] = protocol.name
    validate_results(res)
    out.write_text(json.dumps(res, indent=2), encoding="utf-8")
    return res


def stage_peers(sources) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    tasks = [load_task("emodb"), load_task("ravdess"), load_task("emodb_ravdess")]
    classes = shared_classes(CORPORA)
    for a in CORPORA:
        for b in CORPORA:
            tasks.append(cell_task(a, b, classes))
            t2 = cell_task(a, b, TRACK2_CLASSES, test_set="track2")
            tasks.append(type(t2)(**{**t2.__dict__, "name": t2.name + ".track2"}))
    for t in tasks:
        res = peer_on(t, sources if t.multi else sources[t.corpus])
        per = {c: round(v["metrics"]["ua"]["mean"], 4) for c, v in res.get("corpora", {}).items()}
        print(f"peer {t.name}: UA {res['metrics']['ua']['mean']:.4f} {per}", flush=True)


# A transductive variant for the cross-corpus cells: the pooled features of every corpus are
# standardised with that corpus's own mean and std (unlabelled rows; for the test corpus that uses its
# test features, no labels), the classic cross-corpus "corpus normalisation" (Schuller et al. 2010).
# Not comparable with the plain peer: it sees the test corpus's feature statistics.
CORPUSNORM = "whisper-pooled-lr-corpusnorm"
_peer_features = Q.peer_features


def _features(name, data):
    if name != CORPUSNORM:
        return _peer_features(name, data)
    X = _peer_features("whisper-pooled-lr", data).astype(np.float64).copy()
    corpus = np.asarray(data.corpus)
    for c in set(corpus.tolist()):
        m = corpus == c
        X[m] = (X[m] - X[m].mean(0)) / (X[m].std(0) + 1e-8)
    return X


Q.peer_features = _features
Q.PEERS[CORPUSNORM] = (f"{Q.WHISPER}:mean+std per corpus", "logistic_regression", [1e-3, 1e-2, 1e-1, 1.0])


def stage_peers_norm(sources) -> None:
    classes = shared_classes(CORPORA)
    for a in CORPORA:
        for b in CORPORA:
            for t in (cell_task(a, b, classes), cell_task(a, b, TRACK2_CLASSES, test_set="track2")):
                if t.test_ids:
                    t = type(t)(**{**t.__dict__, "name": t.name + ".track2"})
                res = peer_on(t, sources, CORPUSNORM)
                print(f"{CORPUSNORM} {t.name}: UA {res['metrics']['ua']['mean']:.4f}", flush=True)


def stage_demo(sources) -> None:
    """The three-corpus task (EmoDB + RAVDESS + the synthetic demo corpus) for the peer, and the peer on
    the demo corpus alone, so each test corpus has its single-corpus pair."""
    for name in ("demo", "emodb_ravdess_demo"):
        t = load_task(name)
        if name == "demo":
            t = type(t)(**{**t.__dict__, "classes": load_task("emodb_ravdess_demo").classes, "name": "demo9"})
        res = peer_on(t, sources if t.multi else sources["demo"])
        per = {c: round(v["metrics"]["ua"]["mean"], 4) for c, v in res.get("corpora", {}).items()}
        print(f"peer {t.name}: UA {res['metrics']['ua']['mean']:.4f} {per}", flush=True)


def probe(task_name: str, target: str, sources) -> dict:
    """A linear probe of an auxiliary target on pooled Whisper mean+std, under the task's folds."""
    from sklearn.metrics import balanced_accuracy_score

    task = load_task(task_name)
    data = load_task_data(task, sources if task.multi else sources[task.corpus])
    X = np.nan_to_num(Q.whisper_pooled(data).astype(np.float64))
    y = getattr(data, target)
    _, folds = data.folds()
    truth, pred, per_fold = [], [], []
    for f in folds:
        tr, va, te = (r[y[r] >= 0] for r in (f.train, f.validation, f.test))
        if len(np.unique(y[tr])) < 2 or not len(te):
            continue
        grid = [1e-3, 1e-2, 1e-1, 1.0]
        score = {c: balanced_accuracy_score(y[va], Q.make_classifier("lr", c).fit(X[tr], y[tr]).predict(X[va]))
                 for c in grid} if len(va) else {1.0: 0.0}
        best = max(score, key=score.get)
        fit = np.concatenate([tr, va])
        p = Q.make_classifier("lr", best).fit(X[fit], y[fit]).predict(X[te])
        truth.append(y[te])
        pred.append(p)
        per_fold.append((f.name, y[te].tolist(), p.tolist()))
    t, p = np.concatenate(truth), np.concatenate(pred)
    return {"task": task_name, "target": target, "pooled_ua": float(balanced_accuracy_score(t, p)),
            "folds": len(per_fold), "per_fold": per_fold}


def probe_on(pr: dict, folds) -> float:
    """The probe's pooled UA over ``folds`` only (the folds a head ran on)."""
    from sklearn.metrics import balanced_accuracy_score

    keep = [(t, p) for name, t, p in pr["per_fold"] if name in set(folds)]
    return float(balanced_accuracy_score(sum((t for t, _ in keep), []), sum((p for _, p in keep), [])))


def head_scores(run: Path, target: str, fold: str | None = None) -> dict | None:
    """Pooled UA of a run's auxiliary head from its predictions.csv files."""
    import pandas as pd
    from sklearn.metrics import balanced_accuracy_score

    files = sorted(run.with_suffix("").glob("folds/*/predictions.csv"))
    if not files:
        return None
    df = pd.concat([pd.read_csv(f, dtype={"fold": str}) for f in files])
    col_t, col_p = (("truth_gender", "pred_gender") if target == "gender"
                    else ("truth_intensity_level", "pred_intensity_level"))
    if col_t not in df:
        return None
    df = df[df[col_t].notna()]
    if fold is not None:
        df = df[df["fold"] == fold]
    t, p = df[col_t].astype(str), df[col_p].astype(str)
    if target == "intensity":  # the runner writes 1-based levels; compare as numbers
        t, p = df[col_t].astype(float).astype(int).astype(str), df[col_p].astype(float).astype(int).astype(str)
    return {"pooled_ua": float(balanced_accuracy_score(t, p)), "folds": sorted(df["fold"].astype(str).unique())}


def stage_probes(sources) -> None:
    out = [probe("emodb", "gender", sources), probe("ravdess", "gender", sources),
           probe("ravdess", "intensity", sources)]
    if "demo" in sources:  # the unified intensity scale across RAVDESS and the demo corpus
        out.append(probe("emodb_ravdess_demo", "intensity", sources))
    (RESULTS / "probes.json").write_text(json.dumps(out, indent=2), encoding="utf-8")
    for r in out:
        print(f"probe {r['task']} {r['target']}: pooled UA {r['pooled_ua']:.4f}", flush=True)


# --- reference models, reduced for the shared CPU --------------------------------------------------------
SHORT = {"training": {"epochs": 12, "patience": 5, "min_epochs": 6}}
STATS = Q.deep_merge(Q.STATS_WHISPER, SHORT)
STATS24 = Q.deep_merge(Q.STATS_WHISPER, {"training": {"epochs": 24, "patience": 8, "min_epochs": 12}})
GENDER_FIX = {"params": {"gender_from": "emotion", "gender_weights": "balanced"}}
NO_INTENSITY = {"params": {"heads": {"intensity": False}}}
# the shared 2-core CPU ran these at a fraction of a core: one male (03) and one female (16) EmoDB test
# speaker, one RAVDESS fold of 4 actors (2 female, 2 male)
EMODB_FOLDS = ["03", "16"]
RAVDESS_FOLDS = ["fold1"]
JOINT_FOLDS = [f"emodb:{f}" for f in EMODB_FOLDS] + [f"ravdess:{f}" for f in RAVDESS_FOLDS]
#: (task, model, overrides, tag, folds)
MODEL_RUNS = [  # in order of priority: the machine may not finish them all
    ("emodb", "speecheq_stats", Q.deep_merge(STATS, GENDER_FIX), "speecheq_stats_gfix", EMODB_FOLDS),
    ("ravdess", "speecheq_stats", Q.deep_merge(STATS, GENDER_FIX), "speecheq_stats_gfix", RAVDESS_FOLDS),
    ("emodb_ravdess", "speecheq_stats", Q.deep_merge(STATS, GENDER_FIX), "speecheq_stats_gfix", JOINT_FOLDS),
    ("emodb", "baseline", {}, "baseline", EMODB_FOLDS),
    ("ravdess", "baseline", {}, "baseline", RAVDESS_FOLDS),
    ("emodb_ravdess", "baseline", {}, "baseline", JOINT_FOLDS),
    ("emodb_ravdess", "speecheq_stats", Q.deep_merge(Q.deep_merge(STATS, GENDER_FIX), NO_INTENSITY),
     "speecheq_stats_gfix_nointensity", JOINT_FOLDS),
    ("emodb", "speecheq_stats", STATS, "speecheq_stats", EMODB_FOLDS),
    # chosen on validation: every joint fold's validation UA was still at its best at the last of 12
    # epochs (the single-corpus folds peaked at epochs 3-11), so the joint and single runs again with
    # up to 24 epochs (patience 8, at least 12)
    ("emodb_ravdess", "speecheq_stats", Q.deep_merge(STATS24, GENDER_FIX), "speecheq_stats_gfix_e24", JOINT_FOLDS),
    ("emodb", "speecheq_stats", Q.deep_merge(STATS24, GENDER_FIX), "speecheq_stats_gfix_e24", EMODB_FOLDS),
    # the intensity head across corpora on the unified scale: RAVDESS (normal/strong -> medium/high) and
    # the synthetic demo corpus (1/2/3 -> low/medium/high) train one CORAL head; one fold of each tested
    ("emodb_ravdess_demo", "speecheq_stats", Q.deep_merge(STATS, GENDER_FIX), "speecheq_stats_gfix",
     ["ravdess:fold1", "demo:fold1"]),
    ("ravdess", "speecheq_stats", Q.deep_merge(STATS24, GENDER_FIX), "speecheq_stats_gfix_e24", RAVDESS_FOLDS),
]


def stage_models(sources, only=None) -> None:
    from seqd_builder.benchmark.runner import run_task

    for task, model, overrides, tag, folds in MODEL_RUNS:
        out = RESULTS / f"{task}__{tag}__ct2-whisper-base.json"
        if out.is_file() or (only and tag not in only and task not in only):
            continue
        if not only and tag.endswith("_e24"):  # run on their own (--only speecheq_stats_gfix_e24)
            continue
        t = load_task(task)
        res = run_task(t, model, sources if t.multi else sources[task], upstream=Q.WHISPER,
                       upstream_options={"cache": True, **Q.WHISPER_KW}, out=out, config_overrides=overrides,
                       folds=folds, progress=False)
        per = {c: round(v["metrics"]["ua"]["mean"], 4) for c, v in res.get("corpora", {}).items()}
        print(f"{task} {tag}: UA {res['metrics']['ua']['mean']:.4f} {per}", flush=True)


def stage_matrix(sources, models) -> None:
    """Off-diagonal cross-corpus cells of the reference models (one fold each)."""
    from seqd_builder.benchmark.runner import run_task

    classes = shared_classes(CORPORA)
    for model, overrides, tag in models:
        for a in CORPORA:
            for b in CORPORA:
                if a == b:
                    continue
                t = cell_task(a, b, classes)
                out = RESULTS / f"{t.name}__{tag}__ct2-whisper-base.json"
                if out.is_file():
                    continue
                res = run_task(t, model, sources, upstream=Q.WHISPER, out=out, config_overrides=overrides,
                               upstream_options={"cache": True, **Q.WHISPER_KW}, progress=False)
                print(f"{t.name} {tag}: UA {res['metrics']['ua']['mean']:.4f}", flush=True)


# --- report ----------------------------------------------------------------------------------------------

def _run(path: Path, corpus: str | None = None, folds=None):
    """A compare.Run of ``path`` (its folds on ``corpus`` for a multi-corpus run), restricted to ``folds``."""
    from dataclasses import replace

    from seqd_builder.benchmark.compare import load_run
    from seqd_builder.benchmark.multicorpus import corpus_run

    run = load_run(path)
    if corpus is not None:
        run = corpus_run(run, corpus)
    if folds is not None:
        keep = [f for f in run.folds if f in folds]
        run = replace(run, folds=tuple(keep), predictions=run.predictions[run.predictions.fold.isin(keep)])
    return run


def _pair(a: Path, b: Path, corpus: str | None = None) -> str:
    """One paired row: A − B on the folds both runs have (on ``corpus``)."""
    from seqd_builder.benchmark.compare import compare_runs

    if not a.is_file() or not b.is_file():
        return f"| {a.stem} | {b.stem} | {corpus or ''} | not run | | |"
    ra, rb = _run(a, corpus), _run(b, corpus)
    common = [f for f in ra.folds if f in rb.folds]
    ra, rb = _run(a, corpus, common), _run(b, corpus, common)
    ra = type(ra)(**{**ra.__dict__, "task": rb.task})
    c = compare_runs(ra, rb, metric="ua", resamples=1000)
    name = (lambda p: p.stem.replace("__ct2-whisper-base", "").replace("__", " / "))
    return (f"| {name(a)} | {name(b)} | {corpus or c.task} ({c.n_folds} folds, {c.n_utterances} utt.) | "
            f"{100 * c.a_value:.1f} / {100 * c.b_value:.1f} | {100 * c.diff:+.1f} "
            f"[{100 * c.ci95[0]:+.1f}, {100 * c.ci95[1]:+.1f}] | {100 * c.share_a_not_better:.0f}% |")


def _cell(path: Path, corpus: str | None = None) -> str:
    if not path.is_file():
        return "not run"
    r = json.loads(path.read_text(encoding="utf-8"))
    m = (r["corpora"][corpus]["metrics"] if corpus else r["metrics"])["ua"]
    ci = m.get("ci95")
    return f"{100 * m['mean']:.1f}" + (f" [{100 * ci[0]:.1f}, {100 * ci[1]:.1f}]" if ci else "")


def stage_report() -> str:
    R = RESULTS
    peer = "peer-whisper-pooled-lr"
    lines = ["# Multi-corpus, cross-corpus and auxiliary-head measurements (generated)", "",
             "Written by `benchmark/quality/multicorpus/run_multicorpus.py --stage report` from the results",
             "in `results/`. Frozen Whisper-base (CTranslate2 int8, 10 s window), CPU. UA in %, 95% bootstrap",
             "intervals of the fold mean; paired rows: A − B on the same test utterances (`seqd bench compare`,",
             "`--corpus` for the folds of a joint run that test one corpus), share of resamples where A is not",
             "ahead. Every setting was chosen on validation folds only (docs/multicorpus.md).", "",
             "## Single-corpus vs joint training, per test corpus", "",
             "| A | B | test corpus | A / B | A − B [95% CI] | A not ahead |", "|---|---|---|---|---|---|"]
    for tag in (peer, "baseline__ct2-whisper-base", "speecheq_stats_gfix__ct2-whisper-base",
                "speecheq_stats_gfix_e24__ct2-whisper-base"):
        for c in CORPORA:
            lines.append(_pair(R / f"emodb_ravdess__{tag}.json", R / f"{c}__{tag}.json", c))
    lines += ["", "Joint runs, per test corpus and their unweighted mean:", "",
              "| run | EmoDB | RAVDESS | mean |", "|---|---|---|---|"]
    for tag in (peer, "baseline__ct2-whisper-base", "speecheq_stats_gfix__ct2-whisper-base",
                "speecheq_stats_gfix_nointensity__ct2-whisper-base", "speecheq_stats_gfix_e24__ct2-whisper-base"):
        p = R / f"emodb_ravdess__{tag}.json"
        lines.append(f"| {tag} | {_cell(p, 'emodb') if p.is_file() else 'not run'} | "
                     f"{_cell(p, 'ravdess') if p.is_file() else 'not run'} | {_cell(p)} |")
    p3 = R / f"emodb_ravdess_demo__{peer}.json"
    if p3.is_file():
        lines += ["", f"EmoDB + RAVDESS + demo (synthetic), {peer}: EmoDB {_cell(p3, 'emodb')}, RAVDESS "
                      f"{_cell(p3, 'ravdess')}, demo {_cell(p3, 'demo')}; demo alone (same 9 classes): "
                      f"{_cell(R / f'demo9__{peer}.json')}"]
    lines += ["", "## Reference models against the pooled-Whisper peer (same folds)", "",
              "| A | B | test corpus | A / B | A − B [95% CI] | A not ahead |", "|---|---|---|---|---|---|"]
    for c in CORPORA:
        for tag in ("speecheq_stats_gfix", "speecheq_stats_gfix_e24", "baseline"):
            lines.append(_pair(R / f"{c}__{tag}__ct2-whisper-base.json", R / f"{c}__{peer}.json"))
            lines.append(_pair(R / f"emodb_ravdess__{tag}__ct2-whisper-base.json", R / f"{c}__{peer}.json", c))
    lines += ["", "## SpeechEQ with and without the unified intensity head (joint)", "",
              "| A | B | test corpus | A / B | A − B [95% CI] | A not ahead |", "|---|---|---|---|---|---|"]
    for c in CORPORA:
        lines.append(_pair(R / "emodb_ravdess__speecheq_stats_gfix__ct2-whisper-base.json",
                           R / "emodb_ravdess__speecheq_stats_gfix_nointensity__ct2-whisper-base.json", c))
    lines += ["", "## Cross-corpus matrix (train ↓, test →)", ""]
    for title, suffix, tags in (
            ("6 shared classes (angry, disgust, fear, happy, neutral, sad), all test rows", "",
             [peer, "baseline__ct2-whisper-base", "speecheq_stats_gfix__ct2-whisper-base"]),
            ("track-2-style test sets (4 classes, class- and speaker-balanced)", ".track2", [peer]),
            ("transductive: features standardised per corpus (the test corpus's unlabelled statistics)", "",
             ["peer-" + CORPUSNORM]),
            ("transductive, track-2-style test sets", ".track2", ["peer-" + CORPUSNORM])):
        lines += [f"**{title}**", ""]
        for tag in tags:
            lines += [f"{tag}:", "", "| train \\ test | " + " | ".join(CORPORA) + " |", "|---|---|---|"]
            for a in CORPORA:
                cells = [_cell(R / f"xc.{a}.{b}{suffix}__{tag}.json") for b in CORPORA]
                lines.append(f"| {a} | " + " | ".join(cells) + " |")
            lines.append("")
    probes = R / "probes.json"
    lines += ["## Auxiliary heads against linear probes (pooled test predictions of all folds)", "",
              "| task | target | probe, all folds | head (run) | probe, the head's folds | head − probe | folds |",
              "|---|---|---|---|---|---|---|"]
    if probes.is_file():
        for pr in json.loads(probes.read_text(encoding="utf-8")):
            for tag in ("speecheq_stats_gfix", "speecheq_stats_gfix_e24", "speecheq_stats"):
                run = R / f"{pr['task']}__{tag}__ct2-whisper-base.json"
                h = head_scores(run, pr["target"])  # finished folds, also of a run still going
                if h is None:
                    lines.append(f"| {pr['task']} | {pr['target']} | {100 * pr['pooled_ua']:.1f} | not run ({tag}) "
                                 f"| | | |")
                    continue
                pf = probe_on(pr, h["folds"])
                lines.append(f"| {pr['task']} | {pr['target']} | {100 * pr['pooled_ua']:.1f} | "
                             f"{100 * h['pooled_ua']:.1f} ({tag}) | {100 * pf:.1f} | "
                             f"{100 * (h['pooled_ua'] - pf):+.1f} | {', '.join(h['folds'])} |")
    if probes.is_file():
        for pr in json.loads(probes.read_text(encoding="utf-8")):
            if pr["task"] != "emodb_ravdess_demo":
                continue
            h = head_scores(R / "emodb_ravdess_demo__speecheq_stats_gfix__ct2-whisper-base.json", "intensity")
            lines += ["", "Unified intensity (0 none .. 3 high), one head and one probe trained on RAVDESS + demo:", ""]
            for fold in (h or {}).get("folds", []):
                pf = probe_on(pr, [fold])
                hf = head_scores(R / "emodb_ravdess_demo__speecheq_stats_gfix__ct2-whisper-base.json",
                                 "intensity", fold)
                lines.append(f"- {fold}: head {100 * hf['pooled_ua']:.1f}, probe {100 * pf:.1f}, "
                             f"head − probe {100 * (hf['pooled_ua'] - pf):+.1f}")
    text = "\n".join(lines) + "\n"
    (HERE / "SUMMARY.md").write_text(text, encoding="utf-8")
    return text


def stage_file_matrices() -> None:
    """matrix.json of each measured matrix, filed under leaderboard/matrices/ for the site's matrix pages."""
    from seqd_builder.benchmark.matrix import cell_summary

    classes = shared_classes(CORPORA)
    for tag, suffix, cls, test_set in [
            ("peer-whisper-pooled-lr", "", classes, None),
            ("peer-whisper-pooled-lr", ".track2", TRACK2_CLASSES, "track2"),
            ("peer-" + CORPUSNORM, "", classes, None),
            ("peer-" + CORPUSNORM, ".track2", TRACK2_CLASSES, "track2"),
            ("baseline__ct2-whisper-base", "", classes, None),
            ("speecheq_stats_gfix__ct2-whisper-base", "", classes, None)]:
        cells = []
        for a in CORPORA:
            for b in CORPORA:
                f = RESULTS / f"xc.{a}.{b}{suffix}__{tag}.json"
                if f.is_file():
                    cells.append(cell_summary(a, b, json.loads(f.read_text(encoding="utf-8")),
                                              str(f.relative_to(REPO))))
        if not cells:
            continue
        name = (tag.split("__")[0] + suffix).replace(".", "-")
        summary = {"corpora": list(CORPORA), "classes": list(cls), "model": cells[0]["model"],
                   "upstream": cells[0]["upstream"], "test_set": test_set, "primary_metric": "ua",
                   "cells": cells}
        out = REPO / "leaderboard" / "matrices" / f"whisper-base-{name}" / "matrix.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"filed {out.relative_to(REPO)} ({len(cells)} cells)")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", action="append", required=True, help="NAME=DIR per corpus")
    ap.add_argument("--stage", action="append", choices=("peers", "peers_norm", "demo", "probes", "matrix", "models", "report", "file"))
    ap.add_argument("--only", action="append", default=None)
    args = ap.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    sources = parse_sources(args.data)
    stages = args.stage or ["peers", "probes", "matrix", "models", "report"]
    RESULTS.mkdir(parents=True, exist_ok=True)
    if "peers" in stages:
        stage_peers(sources)
    if "peers_norm" in stages:
        stage_peers_norm(sources)
    if "demo" in stages:
        stage_demo(sources)
    if "probes" in stages:
        stage_probes(sources)
    if "matrix" in stages:
        stage_matrix(sources, [("baseline", {}, "baseline"),
                               ("speecheq_stats", Q.deep_merge(STATS, GENDER_FIX), "speecheq_stats_gfix")])
    if "models" in stages:
        stage_models(sources, args.only)
    if "report" in stages:
        print(stage_report())
    if "file" in stages:
        stage_file_matrices()


if __name__ == "__main__":
    main()
