"""Real-audio quality runs of the benchmark: reference models against peers, as declared in experiment files.

Everything runs on the built HF dataset folders of EmoDB and RAVDESS (``seqd build emodb`` /
``seqd build ravdess``), on the SAME rows and folds as ``seqd bench run`` (the task files
``benchmark/tasks/emodb.yaml`` and ``ravdess.yaml``: EmoDB leave-one-speaker-out, 10 folds; RAVDESS 6
folds of 4 actors; validation = the next fold's speakers), through the runner's own data loader.

What runs is data: ``benchmark/quality/experiments/*.yaml`` declare the tasks, the peers, the model runs
(model config, upstream, override blocks, tag and why) and the seed ensembles (read by
``experiments.py``). This script knows how to run them.

Stages (default: all, in order; each reuses what the previous one cached):

``features``  frozen Whisper-base encoder outputs (CTranslate2, cached per utterance under
              ``$SEQD_CACHE/features``, the same cache ``seqd bench run`` reads) and openSMILE functionals
``peers``     openSMILE ComParE_2016 + linear SVM, eGeMAPSv02 + RBF SVM, Whisper-base mean+std pooling
              + logistic regression: standardisation fitted on the fitting rows only, C chosen by UA on
              the validation fold, then refitted on train + validation and scored on the test fold
``models``    the reference models through :func:`seqd_builder.benchmark.runner.run_task`
``ensembles`` seed ensembles (``seqd bench ensemble``) of the model runs the experiment lists
``report``    ``benchmark/quality/RESULTS.md`` from ``benchmark/quality/results/*.json``, with paired
              comparisons (``seqd bench compare``) of each model against its family's peers

Every run writes a schema-valid ``results.json`` to ``benchmark/quality/results/``. Rerunning skips
finished runs (and the runner skips finished folds). Run from the repository root, at low priority::

    nice -n 10 python benchmark/quality/run_quality.py --data-emodb DIR --data-ravdess DIR
    python benchmark/quality/run_quality.py --experiment benchmark/quality/experiments/emodb_ravdess.yaml
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from seqd_builder.benchmark import metrics as M  # noqa: E402
from seqd_builder.benchmark import scoring as S  # noqa: E402
from seqd_builder.benchmark.folds import describe  # noqa: E402
from seqd_builder.benchmark.config import config_hash, deep_merge  # noqa: E402
from seqd_builder.benchmark.data import TaskData, load_task_data  # noqa: E402
from seqd_builder.benchmark.results import code_version, cpu_name, now_iso, validate_results  # noqa: E402
from seqd_builder.benchmark.runfolder import run_folder  # noqa: E402
from seqd_builder.benchmark.tasks import load_task  # noqa: E402
from seqd_builder.benchmark.upstreams import cache_root, get_upstream  # noqa: E402
from experiments import Experiment, ModelRun, experiment_files, load_experiment  # noqa: E402

HERE = REPO / "benchmark" / "quality"
RESULTS = HERE / "results"
TASKS = ("emodb", "ravdess")
WHISPER = "ct2-whisper:base"
OPENSMILE_SETS = ("ComParE_2016", "eGeMAPSv02")
BOOTSTRAP = {"resamples": 1000, "seed": 0}


def default_data(task: str) -> Path:
    return cache_root() / "datasets" / task


def runner_id(data: TaskData, i: int) -> str:
    return f"{data.ids[i]}@1"  # the runner's cache id for the unperturbed copy


# --- features ---------------------------------------------------------------------------------------

def whisper_upstream(whisper_kw: dict):
    return get_upstream(WHISPER, cache=True, **whisper_kw)


def whisper_pooled(data: TaskData, whisper_kw: dict) -> np.ndarray:
    """[N, 2D] mean and standard deviation over each utterance's Whisper frames (from the cache)."""
    up = whisper_upstream(whisper_kw)
    up.warm(((runner_id(data, i), data.wave(i)) for i in range(len(data))), total=len(data),
            batch_size=4, desc=f"{WHISPER} {data.task.name}")
    return mean_std_pooled(up, data, ids=True)


def fbank_pooled(data: TaskData) -> np.ndarray:
    """[N, 2D] mean and standard deviation over each utterance's log-mel frames (the runner's fbank)."""
    return mean_std_pooled(get_upstream("fbank"), data, ids=False)


def mean_std_pooled(up, data: TaskData, ids: bool) -> np.ndarray:
    """[N, 2D] mean and std over each utterance's last-layer frames of ``up`` (with the runner's cache
    ids when ``ids``, so cached features are read instead of recomputed)."""
    out = []
    for i in range(len(data)):
        feats, lengths = up.forward([data.wave(i)], *([[runner_id(data, i)]] if ids else []))
        x = feats[0, -1, : int(lengths[0])].double().numpy()
        out.append(np.concatenate([x.mean(0), x.std(0)]))
    return np.stack(out)


def opensmile_functionals(data: TaskData, feature_set: str) -> np.ndarray:
    """[N, F] functionals, cached as one .npy keyed by the row ids and their audio bytes.

    The audio is part of the key because a corrected corpus keeps its ids (EmoDB's shared copy had 60
    wrong takes replaced under the same names): a cache keyed by ids alone served stale features.
    """
    import opensmile
    from tqdm.auto import tqdm

    audio = data.dataset.data.column("audio")
    digest = hashlib.sha256("\n".join(data.ids).encode())
    for i in range(len(data)):
        cell = audio[int(data.rows[i])].as_py()
        digest.update(cell.get("bytes") or str(cell.get("path")).encode())
    key = digest.hexdigest()[:12]
    path = cache_root() / "quality" / f"opensmile-{feature_set}-{data.task.name}-{key}.npy"
    if path.is_file():
        return np.load(path, allow_pickle=False)
    smile = opensmile.Smile(feature_set=getattr(opensmile.FeatureSet, feature_set),
                            feature_level=opensmile.FeatureLevel.Functionals)
    feats = np.stack([smile.process_signal(data.wave(i), 16000).to_numpy()[0]
                      for i in tqdm(range(len(data)), desc=f"openSMILE {feature_set} {data.task.name}",
                                    unit="utt")]).astype(np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, feats, allow_pickle=False)
    return feats


# --- peers ------------------------------------------------------------------------------------------

PEERS = {
    # name: (features, classifier, C grid)
    "compare-linsvm": ("opensmile:ComParE_2016", "linear_svm", [1e-5, 1e-4, 1e-3, 1e-2, 1e-1]),
    "egemaps-rbfsvm": ("opensmile:eGeMAPSv02", "rbf_svm", [0.1, 1.0, 10.0, 100.0]),
    "whisper-pooled-lr": (f"{WHISPER}:mean+std", "logistic_regression", [1e-3, 1e-2, 1e-1, 1.0]),
    # the same peer fitted on the training rows only, as the reference models are (they need the
    # validation speakers for early stopping): how much of the gap to the peers is the protocol's
    "whisper-pooled-lr-trainonly": (f"{WHISPER}:mean+std", "logistic_regression", [1e-3, 1e-2, 1e-1, 1.0]),
    # not a goal: what the fbank front-end's own frame statistics give a linear classifier, i.e. what
    # the fbank SpeechEQ sees through input_stats, against the far richer openSMILE functionals
    "fbank-pooled-lr": ("fbank:mean+std", "logistic_regression", [1e-4, 1e-3, 1e-2, 1e-1, 1.0]),
}
TRAIN_ONLY = {"whisper-pooled-lr-trainonly"}  # peers not refitted on train + validation


def make_classifier(kind: str, c: float):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    if kind == "linear_svm":
        # libsvm's linear kernel: with a few hundred utterances and 6,373 features it is ~7x faster
        # here than liblinear's LinearSVC, and it is the classic openSMILE + SVM set-up
        clf = SVC(C=c, kernel="linear", class_weight="balanced", random_state=0)
    elif kind == "rbf_svm":
        clf = SVC(C=c, kernel="rbf", gamma="scale", class_weight="balanced", random_state=0)
    else:
        clf = LogisticRegression(C=c, class_weight="balanced", max_iter=5000, random_state=0)
    return make_pipeline(StandardScaler(), clf)  # standardisation fitted on the fitting rows only


def peer_features(name: str, data: TaskData, whisper_kw: dict) -> np.ndarray:
    source = PEERS[name][0]
    if source.startswith("opensmile:"):
        return opensmile_functionals(data, source.split(":", 1)[1])
    if source.startswith("fbank:"):
        return fbank_pooled(data)
    return whisper_pooled(data, whisper_kw)


def run_peer(name: str, data: TaskData, whisper_kw: dict, out: Path | None = None) -> dict:
    """Fit and score one peer on every fold; with ``out``, per-fold predictions go to the run folder
    beside it, in the runner's layout, so ``seqd bench compare`` can pair a model run with the peer."""
    from seqd_builder.benchmark.runner import write_predictions

    t0 = time.time()
    source, kind, grid = PEERS[name]
    X = np.nan_to_num(peer_features(name, data, whisper_kw).astype(np.float64))
    y = data.category
    n_classes = len(data.task.classes)
    protocol, folds = data.folds()  # asserts speaker-disjointness
    fold_json, pooled_t, pooled_p = [], [], []
    for fold in folds:
        scores = {}
        for c in grid:
            clf = make_classifier(kind, c).fit(X[fold.train], y[fold.train])
            scores[c] = M.classification_metrics(y[fold.validation], clf.predict(X[fold.validation]),
                                                 n_classes)["ua"]
        best = max(grid, key=lambda c: (scores[c], -grid.index(c)))
        fit_rows = fold.train if name in TRAIN_ONLY else np.concatenate([fold.train, fold.validation])
        pred = make_classifier(kind, best).fit(X[fit_rows], y[fit_rows]).predict(X[fold.test])
        if out is not None:
            fdir = run_folder(out) / "folds" / fold.name
            fdir.mkdir(parents=True, exist_ok=True)
            write_predictions(fdir / "predictions.csv", data.task, data, fold, {"category": pred})
        m = M.classification_metrics(y[fold.test], pred, n_classes)
        m["selected_c"] = float(best)
        m["validation_ua"] = float(scores[best])
        fold_json.append({"fold": fold.name, "test_speakers": sorted({data.speakers[i] for i in fold.test}),
                          "n_train": int(len(fit_rows)), "n_test": int(len(fold.test)), "metrics": m,
                          "labels": list(data.task.classes),
                          "confusion": M.confusion(y[fold.test], pred, n_classes)})
        pooled_t.append(y[fold.test])
        pooled_p.append(pred)
    config = {"name": name, "model": "peer", "features": source, "classifier": kind, "C_grid": grid,
              "class_weight": "balanced", "standardise": "fitted on the fitting rows",
              "selection": "C by UA on the validation fold, " + (
                  "fitted on train only" if name in TRAIN_ONLY else "refit on train + validation"),
              **({"upstream_options": whisper_kw} if source.startswith("ct2") else {}),
              "bootstrap": BOOTSTRAP}
    fold_scores = [S.FoldScores(name=f.name, category_truth=t, category_pred=p_, n_classes=n_classes,
                                speakers=np.asarray([data.speakers[i] for i in f.test]))
                   for f, t, p_ in zip(folds, pooled_t, pooled_p)]
    return assemble(data, protocol, folds, fold_json, fold_scores,
                    model=f"peer:{name}", upstream={"name": source.rsplit(":mean+std", 1)[0],
                                                   "frozen": True, "layers": "functionals" if
                                                   source.startswith("opensmile") else "last, mean+std"},
                    config=config, runtime=time.time() - t0)


def assemble(data, protocol, folds, fold_json, scores, *, model, upstream, config, runtime) -> dict:
    averaged = S.summarise(M.CLASSIFICATION, fold_json, scores, BOOTSTRAP)
    result = {
        "schema_version": 1, "task": data.task.name, "model": model,
        "upstream": {**upstream, "parameters": None}, "config": config,
        "config_hash": config_hash(config), "code_version": code_version(), "seeds": [0],
        "protocol": {"name": protocol.name, "n_folds": len(folds), "averaging": data.task.averaging[:200]},
        "primary_metric": data.task.primary_metric, "metrics": averaged, "folds": fold_json,
        "runtime_s": round(float(runtime), 3),
        "hardware": {"device": "cpu", "cpu": cpu_name(), "gpu": None, "torch": __import__("torch").__version__},
        "date": now_iso(), "dataset": describe(data.task, data, data.folder), "provenance": {"kind": "run"},
        "notes": f"averaging: {S.averaging_text(**BOOTSTRAP)}; peer baseline run by benchmark/quality/run_quality.py",
    }
    validate_results(result)
    return result


# --- reference models --------------------------------------------------------------------------------

def run_model(task: str, data_dir: Path, model: str, upstream: str, overrides: dict, out: Path,
              options: dict, folds: list[str] | None = None) -> dict:
    from seqd_builder.benchmark.runner import run_task

    return run_task(task, model, data_dir, upstream=upstream, upstream_options={"cache": True, **options},
                    out=out, config_overrides=overrides, folds=folds, progress=False)


def finished_folds(out: Path) -> list[str]:
    """Folds of an interrupted run that the runner already finished (its per-fold result.json)."""
    return sorted(p.parent.name for p in (run_folder(out) / "folds").glob("*/result.json"))


def result_path(task: str, tag: str, upstream: str) -> Path:
    up = upstream.replace(":", "-")
    return RESULTS / f"{task}__{tag}__{up}.json"


def run_ensembles(experiment: Experiment, tasks, force: bool) -> None:
    from seqd_builder.benchmark.ensemble import ensemble_runs

    for task, ens in ((t, e) for t in experiment.tasks for e in experiment.ensembles):
        tag, upstream, seeds = ens.tag, ens.upstream, ens.seeds
        members = [result_path(task, tag if s == 0 else f"{tag}_seed{s}", upstream) for s in seeds]
        out = result_path(task, f"{tag}_ens{len(seeds)}", upstream)
        if task not in tasks or (out.is_file() and not force):
            continue
        missing = [m.name for m in members if not m.is_file()]
        if missing:
            print(f"{task} {tag} ensemble: waiting for {', '.join(missing)}", flush=True)
            continue
        res = ensemble_runs(members, out)
        print(f"{task} {tag} ensemble of seeds {seeds}: UA {res['metrics']['ua']['mean']:.3f}", flush=True)


# --- report ------------------------------------------------------------------------------------------

def report() -> str:
    from report import render  # noqa: PLC0415 - the table code sits next to this script

    text = render(sorted(RESULTS.glob("*.json")))
    (HERE / "RESULTS.md").write_text(text, encoding="utf-8")
    return text


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--experiment", action="append", type=Path, default=None,
                    help="experiment file(s) to run (default: every file in benchmark/quality/experiments)")
    ap.add_argument("--stage", action="append", choices=("features", "peers", "models", "ensembles", "report"))
    ap.add_argument("--task", action="append", choices=TASKS)
    ap.add_argument("--data-emodb", type=Path, default=None)
    ap.add_argument("--data-ravdess", type=Path, default=None)
    ap.add_argument("--only", action="append", default=None,
                    help="restrict peers/models to these names (peer names or model tags)")
    ap.add_argument("--upstream", action="append", default=None, help="restrict models to these upstreams")
    ap.add_argument("--folds", default=None,
                    help="comma-separated fold names: run the models on these folds only (a partial run)")
    ap.add_argument("--full-size", action="store_true",
                    help="train SpeechEQ with its configs as published (hidden 128, GRU, 40 epochs) instead "
                         "of the reduced CPU schedule")
    ap.add_argument("--partial", action="store_true",
                    help="write results.json of interrupted runs from their finished folds only")
    ap.add_argument("--force", action="store_true", help="rerun runs whose results.json exists")
    ap.add_argument("--seed", type=int, default=None,
                    help="training seed of the model runs (default: the config's, 0); a run with another "
                         "seed is tagged <tag>_seed<N>, so seed-to-seed spread can be read off the tables")
    ap.add_argument("--threads", type=int, default=1,
                    help="torch threads (default 1: the machine is shared; the figures do not depend on it)")
    args = ap.parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    stages = args.stage or ["features", "peers", "models", "ensembles", "report"]
    dirs = {"emodb": args.data_emodb or default_data("emodb"),
            "ravdess": args.data_ravdess or default_data("ravdess")}
    RESULTS.mkdir(parents=True, exist_ok=True)
    for path in args.experiment or experiment_files():
        experiment = load_experiment(path, known_peers=PEERS)
        tasks = [t for t in experiment.tasks if not args.task or t in args.task]
        run_experiment(experiment, tasks, stages, dirs, args)
    if "report" in stages:
        print(report())


def run_experiment(experiment: Experiment, tasks: list[str], stages: list[str], dirs: dict, args) -> None:
    whisper_kw = experiment.options_for(WHISPER)
    for task in tasks:
        if not {"features", "peers"} & set(stages):
            break
        data = load_task_data(load_task(task), dirs[task])
        if "features" in stages:
            whisper_pooled(data, whisper_kw)
            for fs in OPENSMILE_SETS:
                opensmile_functionals(data, fs)
        if "peers" in stages:
            for name in experiment.peers:
                out = RESULTS / f"{task}__peer-{name}.json"
                if (args.only and name not in args.only) or (out.is_file() and not args.force):
                    continue
                res = run_peer(name, data, whisper_kw, out)
                out.write_text(json.dumps(res, indent=2), encoding="utf-8")
                print(f"{task} {name}: UA {res['metrics']['ua']['mean']:.3f}", flush=True)
    if "models" in stages:
        for task in tasks:
            for run in experiment.runs:
                run_one(task, run, experiment.options_for(run.upstream), dirs[task], args)
    if "ensembles" in stages:
        run_ensembles(experiment, tasks, args.force)


def run_one(task: str, run: ModelRun, options: dict, data_dir: Path, args) -> None:
    overrides, upstream = run.overrides, run.upstream
    if args.seed is not None:
        overrides = deep_merge(overrides, {"training": {"seed": args.seed}})
    out = result_path(task, run.tag if args.seed is None else f"{run.tag}_seed{args.seed}", upstream)
    if (args.only and run.tag not in args.only) or (out.is_file() and not args.force) or (
            args.upstream and upstream not in args.upstream):
        return
    if args.full_size and run.model.startswith("speecheq"):
        keep = {k: overrides[k] for k in ("normalise",) if k in overrides}  # ablation switches
        overrides = keep | ({"augment": {"speed": [1.0]}} if upstream == WHISPER else {})
        out = out.with_name(out.name.replace(".json", "__full.json"))
    folds = args.folds.split(",") if args.folds else None
    if args.partial:
        folds = finished_folds(out)
        if not folds:
            return
    res = run_model(task, data_dir, run.model, upstream, overrides, out, options, folds)
    print(f"{task} {run.tag} {upstream}: UA {res['metrics']['ua']['mean']:.3f}", flush=True)


if __name__ == "__main__":
    main()
