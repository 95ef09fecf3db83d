"""``seqd demo``: the end-to-end walk-through on the embedded synthetic corpus."""

from __future__ import annotations

from pathlib import Path

import typer


def demo_command(
    out: Path = typer.Option(Path("seqd-demo"), "--out", "-o", help="Folder for everything the demo makes."),
    size: str = typer.Option("small", "--size", help="small (272 utterances) or tiny (44, for a quick look)."),
    workers: int = typer.Option(1, "--workers", "-j", min=1, help="Processes for synthesis and the build."),
    seed: int = typer.Option(0, "--seed", help="Seed of synthesis, raters and training."),
    train: bool = typer.Option(True, "--train/--no-train", help="Train the reference models."),
    epochs: int = typer.Option(0, "--epochs", min=0, help="Maximum epochs per fold (0: the model config's)."),
    threads: int = typer.Option(1, "--threads", min=0, help="torch CPU threads for training (0: torch's default)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars."),
) -> None:
    """Synthesise a small SEQD-style corpus (SYNTHETIC), merge simulated raters' votes, build it into a
    Hugging Face dataset, train the reference models and render their leaderboard."""
    from ..demo.walkthrough import run_demo

    if size not in ("small", "tiny"):
        raise typer.BadParameter(f"--size {size!r}; valid: small, tiny")
    report = run_demo(out, size=size, seed=seed, workers=workers, train=train,
                      epochs=epochs or None, threads=threads, progress=not quiet)
    typer.echo(report.summary())


def register(app: typer.Typer) -> None:
    app.command("demo")(demo_command)
