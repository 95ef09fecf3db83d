"""The ``seqd`` command: a thin layer over the library API.

This root only wires command modules together: every module in this package that defines
``register(app)`` adds its commands or its command group (``build.py`` adds ``seqd build``,
``bench.py`` adds ``seqd bench …``). One handler turns a :class:`~seqd_builder.errors.SeqdError` or a
usage error of the parser into a one-line message, the usage and a hint with exit code 2 (see
:mod:`._errors`); tracebacks appear only with ``SEQD_DEBUG=1``.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys

import typer

from ..errors import SeqdError
from ._errors import click_exceptions, report_click_error, report_seqd_error

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
    """Entry point of the ``seqd`` console script; returns the exit status.

    Parsing runs with ``standalone_mode=False`` so that every mistake comes back here and is printed
    one way (:mod:`._errors`); typer then returns a command's ``typer.Exit`` code instead of raising.
    """
    try:
        status = app(args=argv, standalone_mode=False)
    except SeqdError as exc:
        if os.environ.get("SEQD_DEBUG"):
            raise
        return report_seqd_error(exc)
    except click_exceptions.ClickException as exc:
        if os.environ.get("SEQD_DEBUG"):
            raise
        return report_click_error(exc)
    except KeyboardInterrupt:
        status = 130
    except typer.Abort:
        typer.echo("aborted", err=True)
        return 1
    if status == 130:  # typer turns Ctrl-C into Exit(130) and returns it
        typer.echo("interrupted; run the same command again to resume", err=True)
    return status if isinstance(status, int) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
