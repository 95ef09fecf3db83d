"""``seqd audit``: the data audit of a built dataset folder (thin wrapper over seqd_builder.audit)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

_EXAMPLES = """
Examples:

  seqd audit emodb-hf

  seqd audit emodb-hf --task emodb_text_disjoint

  seqd audit ravdess-hf --json ravdess-audit.json --threshold lufs_low=-45
"""


def audit_command(
    folder: Path = typer.Argument(..., help="A dataset folder written by `seqd build`."),
    task: Optional[str] = typer.Option(None, "--task", "-t",
                                       help="Audit only this task's corpus, protocol and classes."),
    as_json: Optional[Path] = typer.Option(None, "--json", help="Also write the full report here."),
    threshold: list[str] = typer.Option([], "--threshold",
                                        help="NAME=VALUE to override a threshold (docs/audit.md)."),
    warnings: int = typer.Option(40, "--warnings", min=0, help="How many file warnings to print."),
) -> None:
    """Text and speaker leakage per protocol fold, duplicate audio, signal quality, labels."""
    from ..audit import Thresholds, audit_folder, summary_text
    from ..errors import ConfigError

    values = {}
    for item in threshold:
        name, sep, value = item.partition("=")
        if not sep:
            raise ConfigError(f"--threshold {item!r} is not NAME=VALUE", hint="e.g. --threshold snr_db=10")
        try:
            values[name] = float(value)
        except ValueError as exc:
            raise ConfigError(f"--threshold {item!r}: {value!r} is not a number") from exc
    result = audit_folder(folder, thresholds=Thresholds.from_mapping(values), task=task)
    typer.echo(summary_text(result["summary"], max_warnings=warnings))
    if as_json is not None:
        as_json.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        typer.echo(f"report: {as_json}")


def register(app: typer.Typer) -> None:
    app.command("audit", help=audit_command.__doc__ + "\n" + _EXAMPLES)(audit_command)
