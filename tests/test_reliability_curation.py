"""Hostile and broken curation input: every problem reported at its line, nothing
from a sheet becomes a formula in merged.csv or markup in report.md."""

from pathlib import Path

import pandas as pd
import pytest

from seqd_builder.annotations import load_project
from seqd_builder.annotations.sheet import read_sheet
from seqd_builder.cli import main

EXAMPLES = Path(__file__).resolve().parents[1] / "annotations" / "examples"
PROJECT = str(EXAMPLES / "project.yaml")
HEADER = "utterance,rater,category,intensity,arousal,valence,dominance,self_rating,comment\n"


def _merge(sheet, out, *extra):
    return main(["merge", str(sheet), "--project", PROJECT, "--out", str(out), *extra])


@pytest.mark.parametrize("content", [b"", HEADER.encode()], ids=["zero-bytes", "header-only"])
def test_an_empty_sheet_is_invalid(content, tmp_path, capsys):
    sheet = tmp_path / "sheet.csv"
    sheet.write_bytes(content)
    assert _merge(sheet, tmp_path / "o", "--check") != 0
    assert _merge(sheet, tmp_path / "o") != 0
    err = capsys.readouterr().err
    assert f"{sheet}:" in err and "empty sheet" in err and "Traceback" not in err
    assert not (tmp_path / "o" / "merged.csv").exists()


def test_error_in_a_multi_line_record_is_reported_at_its_first_line(tmp_path):
    sheet = tmp_path / "sheet.csv"
    sheet.write_text(HEADER
                     + "spk01_0001,R01,hap,,,,,,\n"                                   # line 2
                     + 'spk01_0001,R02,joyful,,,,,,"first line\nsecond line\nthird"\n'  # lines 3-5
                     + "spk01_0001,R03,hap,,,,,,\n"                                   # line 6
                     + "spk01_0002,R01,hapy,,,,,,\n", encoding="utf-8")               # line 7
    errors = [str(i) for i in read_sheet(sheet, load_project(PROJECT)).errors]
    assert [e.split(": ", 1)[0] for e in errors] == [f"{sheet}:3", f"{sheet}:7"]
    assert "unknown category 'joyful'" in errors[0]


def test_latin1_sheet_reports_the_encoding_at_its_line_and_every_other_error(tmp_path, capsys):
    sheet = tmp_path / "sheet.csv"
    sheet.write_bytes((HEADER
                       + "spk01_0001,R01,hap,,,,,,très gai\n"    # line 2: Latin-1 é
                       + "spk01_0001,R02,hap,,,,,,\n"
                       + "spk01_0002,R09,hap,,,,,,\n"             # line 4: unknown rater
                       + "spk01_0002,R01,sad,,9,,,,\n"            # line 5: arousal out of range
                       ).encode("latin-1"))
    assert _merge(sheet, tmp_path / "o", "--check") != 0
    err = capsys.readouterr().err
    assert f"{sheet}:2: not UTF-8: byte 0xe8 at column 27" in err
    assert f"{sheet}:4: unknown rater 'R09'" in err
    assert f"{sheet}:5: arousal 9 out of range" in err


def test_formulas_are_neutralised_in_merged_csv_and_html_escaped_in_report_md(tmp_path):
    sheet = tmp_path / "sheet.csv"
    ids = ["=HYPERLINK(evil)_01", "+1+1_02", "-2+3_03", "@SUM(A1)_04", "<img src=x onerror=alert(1)>_05"]
    sheet.write_text(HEADER + "".join(f"{u},{r},hap,,,,,,\n" for u in ids for r in ("R01", "R02")),
                     encoding="utf-8")
    out = tmp_path / "o"
    assert _merge(sheet, out) == 0
    csv = pd.read_csv(out / "merged.csv", keep_default_na=False)
    assert list(csv.utterance) == ["'" + u for u in ids[:4]] + [ids[4]]
    assert list(pd.read_parquet(out / "merged.parquet").utterance) == ids  # the data stays exact
    assert (csv.p_hap == 1.0).all()  # numbers untouched
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "<img" not in report
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "<img" not in html
