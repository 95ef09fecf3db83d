"""``seqd bench``: run a benchmark task, list tasks and model configs (thin over the library)."""

from __future__ import annotations

import json
from pathlib import Path

import typer


def primary_summary(results: dict) -> str:
    """``<primary metric> = <fold mean>`` and its 95% CI, as every bench command reports a result."""
    prim = results["primary_metric"]
    summary = results["metrics"].get(prim, {})
    ci = summary.get("ci95")
    return (f"{prim} = {summary.get('mean', float('nan')):.4f}"
            + (f" (95% CI {ci[0]:.4f}–{ci[1]:.4f})" if ci else ""))


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
            threads: int = typer.Option(0, "--threads", min=0,
                                        help="torch CPU threads (0: torch's default); 1 is fastest for "
                                             "small models on a busy machine")) -> None:
        from ..benchmark.multicorpus import parse_sources
        from ..benchmark.runner import run_task

        data = parse_sources(data)
        if threads:
            import torch

            torch.set_num_threads(threads)

        overrides = {"training": {"epochs": epochs}} if epochs else {}
        results = run_task(task, model, data, upstream=upstream, out=out, config_overrides=overrides,
                           upstream_options={"cache": True} if cache else None, seed=seed,
                           folds=list(fold) if fold else None, submitter=submitter)
        typer.echo(f"{results['task']} / {results['model']} / {results['upstream']['name']}: "
                   f"{primary_summary(results)} over {results['protocol']['n_folds']} folds → {out}")

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
               threads: int = typer.Option(0, "--threads", min=0, help="torch CPU threads (0: default)")) -> None:
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

    app.add_typer(bench, name="bench")
