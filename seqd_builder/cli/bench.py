"""``seqd bench``: run a benchmark task, list tasks and model configs (thin over the library)."""

from __future__ import annotations

import json
from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    bench = typer.Typer(help="Benchmark reference models on standard tasks.", no_args_is_help=True)

    @bench.command("run", help="Train and evaluate a model on a task; write results.json.\n\n"
                               "Example: seqd bench run emodb --model speecheq --data ./emodb-hf "
                               "--upstream fbank --out results/emodb-speecheq.json")
    def run(task: str = typer.Argument(..., help="task name (`seqd bench list`) or a task YAML path"),
            model: str = typer.Option(..., "--model", "-m", help="model config or registered model name"),
            data: Path = typer.Option(..., "--data", "-d", help="built dataset folder of the task's corpus"),
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
        from ..benchmark.runner import run_task

        if threads:
            import torch

            torch.set_num_threads(threads)

        overrides = {"training": {"epochs": epochs}} if epochs else {}
        results = run_task(task, model, data, upstream=upstream, out=out, config_overrides=overrides,
                           upstream_options={"cache": True} if cache else None, seed=seed,
                           folds=list(fold) if fold else None, submitter=submitter)
        prim = results["primary_metric"]
        summary = results["metrics"].get(prim, {})
        ci = summary.get("ci95")
        typer.echo(f"{results['task']} / {results['model']} / {results['upstream']['name']}: {prim} = "
                   f"{summary.get('mean', float('nan')):.4f}"
                   + (f" (95% CI {ci[0]:.4f}–{ci[1]:.4f})" if ci else "")
                   + f" over {results['protocol']['n_folds']} folds → {out}")

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

    app.add_typer(bench, name="bench")
