"""``seqd merge``: raw annotations → merged table (CSV/parquet) + report (Markdown and HTML).

Thin over :mod:`seqd_builder.annotations`; for curators who want the consensus and the agreement
figures without building a dataset (``seqd build seqd`` does that).
"""

from __future__ import annotations

from pathlib import Path

import typer

from ..errors import AnnotationError, UnknownLabelError

INPUT_FORMATS = ("seqd", "crema-tabulated", "msp-detailed", "msp-labels-txt", "iemocap-evaluation")

EXAMPLES = """
Examples:

  seqd merge annotations/examples/sheet.csv --project annotations/examples/project.yaml --out merged/

  seqd merge crema_d/processedResults/tabulatedVotes.csv --input-format crema-tabulated \\
      --project crema_d --out crema-voice/
"""


def merge_command(
    annotations: list[Path] = typer.Argument(..., help="Annotation files (CSV, TSV or parquet for SEQD "
                                             "sheets; a corpus' vote file with --input-format).",
                                             exists=True, dir_okay=False),
    project: str = typer.Option(..., "--project", "-p", help="Project file (YAML) or built-in project "
                                "name (crema_d, msp_podcast, iemocap)."),
    out: Path = typer.Option(..., "--out", "-o", help="Output folder for merged.csv/.parquet and "
                             "report.md/.html.", file_okay=False),
    table_format: list[str] = typer.Option(["csv", "parquet"], "--format", "-f",
                                           help="Merged table format(s): csv, parquet."),
    input_format: str = typer.Option("seqd", "--input-format",
                                     help=f"Format of the annotation files: {', '.join(INPUT_FORMATS)}."),
    modality: str = typer.Option("voice", "--modality", help="crema-tabulated only: voice, face or "
                                 "audiovisual."),
    skip_invalid: bool = typer.Option(False, "--skip-invalid", help="Merge even if some sheet lines are "
                                      "invalid (they are left out and listed in the report)."),
    check_only: bool = typer.Option(False, "--check", help="Only validate the sheets and list every "
                                    "problem with file and line."),
) -> None:
    """Merge raw per-rater labels into consensus labels and write the table and an agreement report."""
    from ..annotations import curate, readers, report
    from ..annotations.project import load_project
    from ..annotations.sheet import read_sheet

    if input_format not in INPUT_FORMATS:
        raise UnknownLabelError("input format", input_format, INPUT_FORMATS)
    proj = load_project(project)
    if input_format == "seqd":
        sheet = read_sheet(annotations, proj)
        will_raise = bool(sheet.errors) and (check_only or not skip_invalid)
        for issue in sheet.issues:  # errors that sheet.check() raises are listed once, by it
            if not (will_raise and issue.severity == "error"):
                typer.echo(f"{issue.severity}: {issue}", err=True)
        if check_only:
            sheet.check()
            typer.echo(f"{len(sheet.annotations)} annotation lines on {len(sheet.utterances())} "
                       f"utterances: valid ({len(sheet.warnings)} warning(s))")
            return
        if not skip_invalid:
            sheet.check()
        result = curate.merge_sheet(sheet)
    else:
        if check_only:
            raise AnnotationError("--check validates SEQD sheets only",
                                  hint="drop --check, or use --input-format seqd")
        votes: dict = {}
        for path in annotations:
            if input_format == "crema-tabulated":
                part = readers.read_crema_tabulated(path, modality, project=proj)
            elif input_format == "msp-detailed":
                part = readers.read_msp_detailed(path, project=proj)
            elif input_format == "iemocap-evaluation":
                part = readers.read_iemocap_evaluation(path, project=proj)
            else:
                part = readers.read_msp_labels_txt(path, project=proj)
            votes.update(part)
        result = curate.merge_all(votes, proj, files=[str(p) for p in annotations])
    written = result.write_table(out, table_format) + report.write_report(result, out)
    summary = result.agreement
    typer.echo(f"{summary.n_items} utterances merged: "
               + ", ".join(f"{k} {v}" for k, v in result.status_counts().items()))
    typer.echo(f"Fleiss' kappa {report.number(summary.fleiss_kappa)}, "
               f"Krippendorff's alpha (nominal) {report.number(summary.alpha_category)}")
    flagged = [r.rater for r in result.raters if r.flagged]
    if flagged:
        typer.echo(f"flagged raters: {', '.join(flagged)}")
    for path in written:
        typer.echo(f"wrote {path}")


def register(app: typer.Typer) -> None:
    app.command("merge", help=(merge_command.__doc__ or "") + "\n" + EXAMPLES)(merge_command)
