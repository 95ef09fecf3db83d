"""``seqd leaderboard``: validate and file results, render the site (thin over
:mod:`seqd_builder.leaderboard`)."""

from __future__ import annotations

from pathlib import Path

import typer

from ..errors import SubmissionError

SUBMISSIONS_HELP = "The submissions folder (default: leaderboard/submissions of the checkout)."


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Validate and file benchmark results; render the leaderboard site.",
                        no_args_is_help=True)

    @group.command("validate")
    def validate(results: list[Path] = typer.Argument(..., help="results.json files to check.")) -> None:
        """Check results files without filing them; lists every problem of every file.

        Example: seqd leaderboard validate runs/*/results.json
        """
        from ..leaderboard import load_result

        failed = []
        for path in results:
            try:
                load_result(path)
            except SubmissionError as exc:
                failed.append(exc)
                typer.echo(f"REJECTED {exc}", err=True)
            else:
                typer.echo(f"ok {path}")
        if failed:
            raise SubmissionError(f"{len(failed)} of {len(results)} files cannot go on the leaderboard",
                                  hint="fix the problems listed above")

    @group.command("submit")
    def submit(results: list[Path] = typer.Argument(..., help="results.json files written by "
                                                              "`seqd bench run`."),
               name: str | None = typer.Option(None, "--name", help="File name instead of the derived "
                                               "<model>-<upstream>-<config hash> (one file only)."),
               submissions: Path | None = typer.Option(None, "--submissions", help=SUBMISSIONS_HELP),
               replace: bool = typer.Option(False, "--replace", help="Overwrite a different result "
                                            "filed under the same name."),
               allow_dirty: str | None = typer.Option(None, "--allow-dirty", metavar="REASON",
                                                      help="File a result of a working tree with "
                                                           "uncommitted changes; the reason is recorded "
                                                           "and the board marks the entry.")) -> None:
        """Validate results and file each under leaderboard/submissions/<task>/<name>.json.

        Every file is checked before any is filed; a rejected file gets every reason at once.

        Example: seqd leaderboard submit runs/emodb-speecheq/results.json
        """
        from ..leaderboard import load_result
        from ..leaderboard import submit as submit_one

        if name is not None and len(results) > 1:
            raise SubmissionError("--name names one file but several were given",
                                  hint="submit the files one by one, or leave --name out")
        problems = []
        for path in results:
            try:
                load_result(path, allow_dirty=allow_dirty)
            except SubmissionError as exc:
                problems.append(str(exc))
        if problems:
            raise SubmissionError("nothing was filed", problems,
                                  hint="fix every listed problem and submit again")
        for path in results:
            target = submit_one(path, submissions, name=name, replace=replace, allow_dirty=allow_dirty)
            typer.echo(f"filed {path} as {target}")

    @group.command("render")
    def render(out: Path = typer.Option(..., "--out", help="Folder for the static site."),
               submissions: Path | None = typer.Option(None, "--submissions", help=SUBMISSIONS_HELP),
               task: list[str] | None = typer.Option(None, "--task", help="Render only this task "
                                                     "(repeatable; default: every task).")) -> None:
        """Render the static leaderboard site (HTML, Markdown tables, SVG plots).

        Example: seqd leaderboard render --out site && python -m http.server -d site
        """
        from ..leaderboard import default_submissions_dir, render_site

        index = render_site(submissions if submissions is not None else default_submissions_dir(), out,
                            tasks=task or None)
        typer.echo(f"rendered {index}")
        typer.echo(f"open {index.resolve().as_uri()}")

    app.add_typer(group, name="leaderboard")
