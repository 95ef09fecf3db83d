"""``seqd export lhotse|audformat DIR OUT``: a built dataset in the formats of other ecosystems.

Thin wrappers over :mod:`seqd_builder.interop`; the import direction is a corpus adapter
(``seqd build audformat --root DB``), so it needs no command of its own.
"""

from __future__ import annotations

from pathlib import Path
import typer

export_app = typer.Typer(
    help="Export a built dataset folder as Lhotse manifests or audformat databases.",
    no_args_is_help=True,
)

_FOLDER = typer.Argument(..., help="A dataset folder written by `seqd build`.")
_OUT = typer.Argument(..., help="Folder to write into (created if missing).")
_CONFIGS = typer.Option([], "--config", "-c", help="Corpus configs to export (default: every one).")


@export_app.command("lhotse")
def lhotse_command(
    folder: Path = _FOLDER,
    out: Path = _OUT,
    config: list[str] = _CONFIGS,
    shar: bool = typer.Option(False, "--shar", help="Also write Lhotse Shar (tar shards of WAV)."),
    shard_size: int = typer.Option(1000, "--shard-size", min=1, help="Cuts per Shar shard."),
) -> None:
    """RecordingSet, SupervisionSet and CutSet per config and split (Lhotse recipe names).

    Example: seqd export lhotse ravdess-hf ravdess-lhotse --shar
    """
    from ..interop.lhotse_export import export_lhotse

    result = export_lhotse(folder, out, configs=config or None, shar=shar, shard_size=shard_size)
    typer.echo(result.summary())


@export_app.command("audformat")
def audformat_command(
    folder: Path = _FOLDER,
    out: Path = _OUT,
    config: list[str] = _CONFIGS,
) -> None:
    """One audformat database per config in OUT/<config>/ (db.yaml, tables, audio/).

    Example: seqd export audformat emodb-hf emodb-audformat; import back with
    seqd build audformat --root emodb-audformat/emodb --out emodb-again
    """
    from ..interop.audformat_export import export_audformat

    result = export_audformat(folder, out, configs=config or None)
    typer.echo(result.summary())


def register(app: typer.Typer) -> None:
    app.add_typer(export_app, name="export")
