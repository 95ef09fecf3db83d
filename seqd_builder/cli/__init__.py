"""The ``seqd`` command: a thin layer over the library API.

This root only wires command modules together: every module in this package that defines
``register(app)`` adds its commands or its command group (``build.py`` adds ``seqd build``,
``bench.py`` adds ``seqd bench …``). One handler turns a :class:`~seqd_builder.errors.SeqdError` into a
one-line message plus a hint and exit code 2; tracebacks appear only with ``SEQD_DEBUG=1``.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys

import typer

from ..errors import SeqdError

app = typer.Typer(
    name="seqd",
    help="Build speech emotion recognition corpora into one schema, merge annotations, publish to the "
         "Hugging Face Hub, benchmark reference models and render leaderboards.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback(invoke_without_command=True)
def _root(ctx: typer.Context,
          version: bool = typer.Option(False, "--version", help="Print the version and exit.")) -> None:
    if version:
        from .. import __version__
        typer.echo(f"seqd-builder {__version__}")
        raise typer.Exit()
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())
        raise typer.Exit()


def _register_all() -> None:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(app)


_register_all()


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``seqd`` console script."""
    try:
        app(args=argv, standalone_mode=False)
    except SeqdError as exc:
        if os.environ.get("SEQD_DEBUG"):
            raise
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        if exc.hint:
            typer.echo(f"hint: {exc.hint}", err=True)
        return 2
    except KeyboardInterrupt:
        typer.echo("interrupted; run the same command again to resume", err=True)
        return 130
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        typer.echo("aborted", err=True)
        return 1
    except Exception as exc:  # click's usage errors
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            return exc.exit_code
        raise
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
