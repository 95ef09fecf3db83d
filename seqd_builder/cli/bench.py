"""``seqd bench``: run a benchmark task, list tasks and model configs (thin over the library)."""

from __future__ import annotations

import json
from pathlib import Path

import typer


def primary_summary(results: dict) -> str:
    """``<primary metric> = <fold mean>`` and its 95% CI, as every bench command reports a result
    (in the leaderboard's units: :func:`~seqd_builder.leaderboard.metrics.primary_summary`)."""
    from ..leaderboard.metrics import primary_summary as summary

    return summary(results)


def register(app: typer.Typer) -> None:
    bench = typer.Typer(help="Benchmark reference models on standard tasks.", no_args_is_help=True)

    @bench.command("run", help="Train and evaluate a model on a task; write results.json.\n\n"
                               "Example: seqd bench run emodb --model speecheq --data ./emodb-hf "
                               "--upstream fbank --out results/emodb-speecheq.json")
    def run(task: str = typer.Argument(..., help="task name (`seqd bench list`) or a task YAML path"),
            model: str = typer.Option(..., "--model", "-m", help="model config or registered model name"),
            data: list[str] = typer.Option(..., "--data", "-d",
                                           help="built dataset folder of the task's corpus; a multi-corpus "
                                                "task: one folder with each corpus's config, or NAME=DIR "
                                                "per corpus (repeatable)"),
            upstream: str = typer.Option(None, "--upstream", "-u",
                                         help="front-end spec (default: the model config's, fbank)"),
            out: Path = typer.Option(Path("results.json"), "--out", "-o", help="results.json to write"),
            seed: int = typer.Option(None, "--seed", help="training seed (default: the config's)"),
            fold: list[str] = typer.Option(None, "--fold", help="run only these folds (repeatable)"),
            epochs: int = typer.Option(None, "--epochs", help="override training.epochs"),
            cache: bool = typer.Option(False, "--cache/--no-cache",
                                       help="cache frozen front-end features on disk across runs"),
            submitter: str = typer.Option(None, "--submitter", help="name recorded in results.json"),
            threads: int = typer.Option(1, "--threads", min=0,
                                        help="torch CPU threads; 0 lets torch use every core, which is "
                                             "several times slower for these small models on a small or "
                                             "busy machine")) -> None:
        import torch

        from ..benchmark.multicorpus import parse_sources
        from ..benchmark.runner import run_task

        data = parse_sources(data)
        if threads:
            torch.set_num_threads(threads)
        typer.echo(f"torch CPU threads: {torch.get_num_threads()}"
                   + (" (--threads 0 for torch's default, one per core)" if threads == 1 else ""))

        overrides = {"training": {"epochs": epochs}} if epochs else {}
        results = run_task(task, model, data, upstream=upstream, out=out, config_overrides=overrides,
                           upstream_options={"cache": True} if cache else None, seed=seed,
                           folds=list(fold) if fold else None, submitter=submitter)
        typer.echo(f"{results['task']} / {results['model']} / {results['upstream']['name']}: "
                   f"{primary_summary(results)} over {results['protocol']['n_folds']} folds → {out}")

    @bench.command("features", help="Precompute a frozen front-end's features into the cache, for a "
                                    "part of the task's rows.\n\nRuns as several processes under "
                                    "`accelerate launch` (docs/scale-out.md). Example: seqd bench features "
                                    "emodb --data ./emodb-hf --model speecheq --shard 0/4 --cache /shared/feats")
    def features(task: str = typer.Argument(..., help="task name (`seqd bench list`) or a task YAML path"),
                 data: Path = typer.Option(..., "--data", "-d", help="built dataset folder of the task's corpus"),
                 model: str = typer.Option("speecheq", "--model", "-m",
                                           help="model config whose speeds and waveform transform to use"),
                 upstream: str = typer.Option(None, "--upstream", "-u",
                                              help="front-end spec (default: the model config's)"),
                 shard: str = typer.Option(None, "--shard", help="this machine's part I/N of the rows"),
                 cache: Path = typer.Option(None, "--cache", help="feature cache folder (shared storage "
                                                                  "across machines); default: the user cache"),
                 batch_size: int = typer.Option(8, "--batch-size", min=1)) -> None:
        from ..benchmark.features import extract_part

        report = extract_part(task, data, model=model, upstream=upstream, cache_dir=cache, shard=shard,
                              batch_size=batch_size)
        typer.echo(report.summary())

    @bench.command("matrix", help="Cross-corpus matrix: train on each corpus, test on each (diagonal: the "
                                  "in-corpus protocol); one results file per cell and matrix.json.\n\n"
                                  "Example: seqd bench matrix emodb ravdess --model baseline --upstream "
                                  "ct2-whisper:base --data emodb=./emodb-hf --data ravdess=./ravdess-hf "
                                  "--out matrix/ --cache")
    def matrix(corpora: list[str] = typer.Argument(..., help="corpora (each has a task of its name)"),
               model: str = typer.Option(..., "--model", "-m", help="model config or registered model name"),
               data: list[str] = typer.Option(..., "--data", "-d",
                                              help="NAME=DIR per corpus, or one folder with every config"),
               upstream: str = typer.Option(None, "--upstream", "-u", help="front-end spec"),
               out: Path = typer.Option(Path("matrix"), "--out", "-o", help="folder for the cells"),
               classes: str = typer.Option(None, "--classes",
                                           help="comma-separated unified classes (default: shared by all)"),
               test_set: str = typer.Option(None, "--test-set",
                                            help="committed test id lists to test on (track2: 4 classes, "
                                                 "class- and speaker-balanced)"),
               intensity_scale: str = typer.Option("native", "--intensity-scale",
                                                   help="native or unified (trains intensity across corpora)"),
               seed: int = typer.Option(None, "--seed", help="training seed (default: the config's)"),
               epochs: int = typer.Option(None, "--epochs", help="override training.epochs"),
               cache: bool = typer.Option(False, "--cache/--no-cache", help="cache frozen features on disk"),
               threads: int = typer.Option(1, "--threads", min=0, help="torch CPU threads (0: torch's default)")) -> None:
        from ..benchmark.matrix import run_matrix
        from ..benchmark.multicorpus import parse_sources

        if threads:
            import torch

            torch.set_num_threads(threads)
        summary = run_matrix(corpora, model, parse_sources(data), out, upstream=upstream,
                             classes=[c.strip() for c in classes.split(",")] if classes else None,
                             test_set=test_set, intensity_scale=intensity_scale,
                             config_overrides={"training": {"epochs": epochs}} if epochs else None,
                             upstream_options={"cache": True} if cache else None, seed=seed)
        for cell in summary["cells"]:
            ci = cell["ci95"]
            typer.echo(f"{cell['train']:>12} → {cell['test']:<12} {cell['metric']} = {cell['mean']:.4f}"
                       + (f" (95% CI {ci[0]:.4f}–{ci[1]:.4f})" if ci else ""))
        typer.echo(f"→ {out / 'matrix.json'}")

    @bench.command("list", help="List tasks and model configs.")
    def list_(as_json: bool = typer.Option(False, "--json", help="machine-readable output")) -> None:
        from ..benchmark.config import list_model_configs, load_model_config
        from ..benchmark.tasks import list_tasks, load_task

        tasks = [load_task(t) for t in list_tasks()]
        models = {m: load_model_config(m)["model"] for m in list_model_configs()}
        if as_json:
            typer.echo(json.dumps({"tasks": [{"name": t.name, "corpus": t.corpus, "protocol": t.protocol,
                                              "targets": list(t.targets), "primary_metric": t.primary_metric}
                                             for t in tasks], "models": models}, indent=2))
            return
        typer.echo("tasks:")
        for t in tasks:
            typer.echo(f"  {t.name:<18} {t.corpus:<12} {t.protocol:<14} {t.primary_metric:<9} {t.title}")
        typer.echo("models:")
        for name, arch in models.items():
            typer.echo(f"  {name:<18} ({arch})")

    @bench.command("compare", help="Paired bootstrap comparison of two runs of the same task.\n\n"
                                   "Both runs are scored on the same resamples of the test utterances "
                                   "(drawn within each fold, fold-averaged as reported), so the interval "
                                   "is that of the difference A − B, not of either run alone.\n\n"
                                   "Example: seqd bench compare results/a.json results/b.json --metric ua")
    def compare(a: Path = typer.Argument(..., help="results.json of run A (its run folder beside it)"),
                b: Path = typer.Argument(..., help="results.json of run B, same task and test utterances"),
                metric: str = typer.Option(None, "--metric",
                                           help="wa, ua, macro_f1, ccc_* (default: the task's primary)"),
                resamples: int = typer.Option(2000, "--resamples", min=100, help="bootstrap replicates"),
                seed: int = typer.Option(0, "--seed", help="bootstrap seed"),
                as_json: bool = typer.Option(False, "--json", help="machine-readable output"),
                corpus: str = typer.Option(None, "--corpus",
                                           help="multi-corpus runs: compare only the folds testing this "
                                                "corpus (pairs a joint run with the single-corpus run)")) -> None:
        from ..benchmark.compare import compare_runs, format_comparison, load_run

        ra, rb = load_run(a), load_run(b)
        if corpus is not None:
            from ..benchmark.multicorpus import corpus_run

            ra, rb = corpus_run(ra, corpus), corpus_run(rb, corpus)
        if metric is None:
            metric = ra.results.get("primary_metric", "ua")
        c = compare_runs(ra, rb, metric=metric, resamples=resamples, seed=seed)
        typer.echo(json.dumps(c.to_dict(), indent=2) if as_json else format_comparison(c))

    @bench.command("ensemble", help="Combine runs of one config that differ only in the seed.\n\n"
                                    "Averages the members' class probabilities (or VAD predictions) per "
                                    "utterance and writes one results.json with all their seeds; members "
                                    "differing in anything but training.seed are refused.\n\n"
                                    "Example: seqd bench ensemble s0.json s1.json s2.json --out ens.json")
    def ensemble(runs: list[Path] = typer.Argument(..., help="results.json of each member (2 or more)"),
                 out: Path = typer.Option(..., "--out", "-o", help="results.json of the ensemble")) -> None:
        from ..benchmark.ensemble import ensemble_runs

        r = ensemble_runs(runs, out)
        typer.echo(f"{r['task']} / {r['model']} / seeds {', '.join(map(str, r['seeds']))}: "
                   f"{primary_summary(r)} → {out}")

    @bench.command("folds", help="Write a task's folds (train / validation / test ids with label, speaker "
                                 "and corpus) as JSONL and CSV, with the label set and the data's content "
                                 "fingerprint, so any toolkit can train on exactly these folds.\n\n"
                                 "Example: seqd bench folds emodb --data ./emodb-hf --out emodb-folds")
    def folds(task: str = typer.Argument(..., help="task name (`seqd bench list`) or a task YAML path"),
              data: Path = typer.Option(..., "--data", "-d", help="built dataset folder of the task's corpus"),
              out: Path = typer.Option(..., "--out", "-o", help="folder to write the folds into")) -> None:
        from ..benchmark.folds import export_folds

        s = export_folds(task, data, out)
        typer.echo(f"{s['task']}: {len(s['folds'])} folds of {s['dataset']['utterances']} utterances "
                   f"({s['protocol']}) → {out} (data {s['dataset']['fingerprint'][:19]}…)")

    @bench.command("score", help="Score predictions made by any toolkit on a task's folds; write "
                                 "results.json (provenance: external).\n\n"
                                 "PREDICTIONS is a CSV or JSONL file with one row per test utterance: id "
                                 "(or key), fold, and pred (a class) and/or prob_<class> columns, or "
                                 "pred_arousal/pred_valence/pred_dominance. Every problem is reported at "
                                 "once and nothing is written unless the file is valid.\n\n"
                                 "Example: seqd bench score emodb preds.csv --data ./emodb-hf --model "
                                 "my-svm --description 'eGeMAPS + SVM' --out results/emodb-my-svm.json")
    def score(task: str = typer.Argument(..., help="task name or task YAML path"),
              predictions: Path = typer.Argument(..., help="predictions (.csv or .jsonl)"),
              data: Path = typer.Option(..., "--data", "-d", help="built dataset folder of the task's corpus"),
              model: str = typer.Option(..., "--model", "-m", help="model name shown on the board"),
              out: Path = typer.Option(Path("results.json"), "--out", "-o", help="results.json to write"),
              description: str = typer.Option("", "--description", help="what the model is"),
              upstream: str = typer.Option(None, "--upstream", help="pretrained model it builds on"),
              pretraining_data: str = typer.Option(None, "--pretraining-data",
                                                   help="data the upstream was pretrained on"),
              link: str = typer.Option(None, "--link", help="URL of the code or paper"),
              submitter: str = typer.Option(None, "--submitter", help="name recorded in results.json"),
              seed: list[int] = typer.Option(None, "--seed", help="training seed(s) used (repeatable)"),
              cluster: str = typer.Option(None, "--cluster", help="'speaker': resample test speakers "
                                                                  "for the interval")) -> None:
        from ..benchmark.external import ExternalModel, score_predictions

        declared = ExternalModel(name=model, description=description, upstream=upstream,
                                 pretraining_data=pretraining_data, link=link, submitter=submitter,
                                 seeds=tuple(seed) if seed else (0,))
        r = score_predictions(task, predictions, data, declared, out=out,
                              bootstrap={"cluster": cluster} if cluster else None)
        typer.echo(f"{r['task']} / {r['model']} (external): {primary_summary(r)} over "
                   f"{r['protocol']['n_folds']} folds → {out}")

    @bench.command("rescore", help="Recompute the fold means and intervals of results.json files with "
                                   "the current scoring code (from the run folder's predictions, or the "
                                   "folds' confusion matrices); refuses a file whose fold metrics do not "
                                   "reproduce.\n\nExample: seqd bench rescore results/*.json")
    def rescore(results: list[Path] = typer.Argument(..., help="results.json files (rewritten in place)"),
                cluster: str = typer.Option(None, "--cluster", help="'speaker': resample test speakers"),
                dry_run: bool = typer.Option(False, "--dry-run", help="check and print, write nothing")) -> None:
        from ..benchmark.rescore import rescore_file

        for path in results:
            r = rescore_file(path, write=not dry_run, cluster=cluster)
            typer.echo(f"{path}: {primary_summary(r)}")

    @bench.command("reproduce", help="Rerun a filed result from its recorded task, config, front-end and "
                                     "seed; report the difference of every metric (bit-identical on CPU "
                                     "with the same code and data).\n\n"
                                     "Example: seqd bench reproduce leaderboard/submissions/emodb/"
                                     "baseline-fbank-3ae4c75a.json --data ./emodb-hf --fold 03 --out rerun.json")
    def reproduce(result: Path = typer.Argument(..., help="a filed results.json"),
                  data: Path = typer.Option(..., "--data", "-d", help="built dataset folder"),
                  out: Path = typer.Option(..., "--out", "-o", help="results.json of the rerun (new)"),
                  fold: list[str] = typer.Option(None, "--fold", help="rerun only these folds"),
                  as_json: bool = typer.Option(False, "--json", help="machine-readable output")) -> None:
        from ..benchmark.reproduce import reproduce_result

        r = reproduce_result(result, data, out=out, folds=list(fold) if fold else None, progress=True)
        typer.echo(json.dumps(r.to_dict(), indent=2) if as_json else r.format())

    app.add_typer(bench, name="bench")
