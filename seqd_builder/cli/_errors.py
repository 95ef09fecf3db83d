"""How the ``seqd`` command reports a mistake: one line, the usage, a hint, exit code 2.

Two kinds of mistakes reach the top: a :class:`~seqd_builder.errors.SeqdError` raised by the library
(a wrong corpus folder, an unknown task) and a usage error found by the command-line parser before any
of our code runs (an unknown option, a missing ``--out``, ``--workers 0``, a file that does not exist).
Typer 0.29 parses with its own bundled copy of click (``typer._click``, no dependency on the ``click``
package), so its exception classes are the ones to catch; catching ``click.ClickException`` lets every
one of them through as a traceback. pyproject.toml bounds typer to the minor release this is tested on.
"""

from __future__ import annotations

import contextlib
import difflib
from pathlib import Path

from typer._click import exceptions as click_exceptions

import typer

from ..errors import SeqdError

USAGE_EXIT = 2
"""Exit status of every usage mistake (click's convention, kept for our own errors too)."""


def report_seqd_error(exc: SeqdError) -> int:
    """Print a library error as ``error: …`` plus its hint; return the exit status."""
    typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
    if exc.hint:
        typer.echo(f"hint: {exc.hint}", err=True)
    return USAGE_EXIT


def _first_line(text: str) -> str:
    return " ".join(text.split())


def report_click_error(exc: click_exceptions.ClickException) -> int:
    """Print a parser error in our format: ``error:`` line, ``usage:`` line, ``hint:`` line.

    Click's own rendering puts the usage first and the message last (and typer boxes it with rich);
    a newcomer reads the first line, so the first line is the mistake.
    """
    if isinstance(exc, click_exceptions.NoArgsIsHelpError):
        # a bare `seqd` or `seqd bench`: the help is the answer; click exits 2 so scripts notice
        exc.show()
        return exc.exit_code
    ctx = getattr(exc, "ctx", None)
    if isinstance(exc, click_exceptions.NoSuchOption):
        message = exc.message
        if exc.possibilities:
            near = difflib.get_close_matches(exc.option_name, exc.possibilities, n=2, cutoff=0.75)
            message += f"; did you mean {' or '.join(near or sorted(exc.possibilities))}?"
    else:
        message = exc.format_message()
    typer.secho(f"error: {_first_line(message)}", fg=typer.colors.RED, err=True)
    if ctx is not None:
        typer.echo(f"usage: {ctx.get_usage().removeprefix('Usage: ')}", err=True)
        what = "commands" if hasattr(ctx.command, "list_commands") else "arguments and options"
        typer.echo(f"hint: run `{ctx.command_path} --help` for the {what}", err=True)
    else:
        typer.echo("hint: run `seqd --help` for the commands", err=True)
    return USAGE_EXIT if isinstance(exc, click_exceptions.UsageError) else exc.exit_code


@contextlib.contextmanager
def removed_if_failed(folder: Path):
    """Remove the folders a failed command created for ``folder`` (and missing parents), if empty.

    Only empty folders go: a build that failed after writing shards keeps them, since rerunning the same
    command resumes from them; a build refused at its first check leaves no empty ``--out`` behind.
    """
    folder = Path(folder).absolute()
    created = [p for p in (folder, *folder.parents) if not p.exists()]  # deepest first
    try:
        yield
    except BaseException:
        for path in created:
            if not path.exists():
                continue  # never made (the command failed before reaching it)
            try:
                if path == folder:  # the lock this command took (and released) is its only content
                    from ..pipeline.lock import HOLDER, LOCK

                    for name in (LOCK, HOLDER):
                        if set(p.name for p in path.iterdir()) <= {LOCK, HOLDER}:
                            (path / name).unlink(missing_ok=True)
                path.rmdir()
            except OSError:  # not empty (resume state) or already gone: keep the rest too
                break
        raise
