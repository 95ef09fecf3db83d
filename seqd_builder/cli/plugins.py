"""``seqd plugins``: every registered corpus adapter, model and upstream, and where each comes from."""

from __future__ import annotations

import json

import typer


def plugin_table() -> list[dict]:
    """One row per registered plug-in: kind, name, origin (built-in or a package) and its class."""
    from ..benchmark.models import MODELS
    from ..benchmark.upstreams import UPSTREAMS
    from ..corpora.base import ADAPTERS

    rows = []
    for registry in (ADAPTERS, MODELS, UPSTREAMS):
        for info in registry.infos():
            syntax = getattr(info.obj, "spec_syntax", None)
            rows.append({"kind": info.kind, "name": info.name, "origin": info.origin,
                         "class": info.qualname,
                         "usage": ", ".join([syntax] if isinstance(syntax, str) else syntax)
                         if syntax else info.name})
    return rows


def register(app: typer.Typer) -> None:
    @app.command("plugins", help="List the registered corpus adapters, models and upstreams (built-in "
                                 "and from installed packages' entry points).\n\n"
                                 "Example: seqd plugins --json")
    def plugins(as_json: bool = typer.Option(False, "--json", help="machine-readable output")) -> None:
        rows = plugin_table()
        if as_json:
            typer.echo(json.dumps(rows, indent=2))
            return
        for kind in ("corpus", "model", "upstream"):
            typer.echo(f"{kind}:")
            for row in (r for r in rows if r["kind"] == kind):
                typer.echo(f"  {row['usage']:<44} {row['origin']:<10} {row['class']}")
