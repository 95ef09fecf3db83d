"""`seqd merge`: merged table + Markdown/HTML report; errors as one line with file:line."""

from pathlib import Path

import pandas as pd
import pytest

from seqd_builder.cli import main

EXAMPLES = Path(__file__).resolve().parents[1] / "annotations" / "examples"


def test_merge_writes_table_and_reports(tmp_path, capsys):
    out = tmp_path / "merged"
    code = main(["merge", str(EXAMPLES / "sheet.csv"), "--project", str(EXAMPLES / "project.yaml"),
                 "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "8 utterances merged: consensus 6, low_agreement 1, tie 1" in printed
    assert sorted(p.name for p in out.iterdir()) == ["merged.csv", "merged.parquet", "report.html", "report.md"]
    table = pd.read_csv(out / "merged.csv", keep_default_na=False)
    assert list(table.utterance)[:2] == ["spk01_0001", "spk01_0002"]
    row = table.set_index("utterance").loc["spk04_0001"]
    assert (row.label, row.status, row.p_hap, row.p_sur) == ("hap:sur", "tie", 0.5, 0.5)
    assert pd.read_parquet(out / "merged.parquet").shape == table.shape
    report = (out / "report.md").read_text(encoding="utf-8")
    for text in ("# Merge report: Example SEQD corpus", "Fleiss' kappa", "| category (nominal) |",
                 "### Confusion between raters", "| **hap** |", "| spk02_0002 | low_agreement | xxx |"):
        assert text in report
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "<h2>Raters</h2>" in html


def test_html_report_escapes_sheet_content(tmp_path):
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("utterance,rater,category\nu1,<script>alert(1)</script>,A\nu1,r2,A\nu2,r2,D\n",
                     encoding="utf-8")
    assert main(["merge", str(sheet), "--project", "crema_d", "--out", str(tmp_path / "o")]) == 0
    html = (tmp_path / "o" / "report.html").read_text(encoding="utf-8")
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_invalid_sheet_fails_with_every_line_listed(tmp_path, capsys):
    code = main(["merge", str(EXAMPLES / "sheet_with_errors.csv"), "--project", str(EXAMPLES / "project.yaml"),
                 "--out", str(tmp_path / "o")])
    assert code == 2
    err = capsys.readouterr().err
    assert "error: 7 invalid annotation line(s)" in err
    assert "sheet_with_errors.csv:8: unknown rater 'R09'" in err
    assert "hint: fix the lines above" in err
    assert not (tmp_path / "o").exists()
    assert main(["merge", str(EXAMPLES / "sheet_with_errors.csv"), "--project", str(EXAMPLES / "project.yaml"),
                 "--out", str(tmp_path / "o"), "--skip-invalid"]) == 0
    assert "sheet_with_errors.csv:9" in (tmp_path / "o" / "report.md").read_text(encoding="utf-8")


def test_check_lists_each_error_once(capsys):
    assert main(["merge", str(EXAMPLES / "sheet_with_errors.csv"), "--project", str(EXAMPLES / "project.yaml"),
                 "--out", "unused", "--check"]) == 2
    err = capsys.readouterr().err
    assert err.count("unknown rater 'R09'") == 1 and err.count("dominance 9 out of range") == 1
    assert err.count("warning: ") == 1  # warnings are not part of the error and are listed as such


def test_report_states_thresholds_and_shares_in_words(tmp_path):
    out = tmp_path / "merged"
    assert main(["merge", str(EXAMPLES / "sheet.csv"), "--project", str(EXAMPLES / "project.yaml"),
                 "--out", str(out)]) == 0
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "winner share of at least 0" not in report
    assert "| thresholds | at least 2 rater(s) and at least 50.0% of the votes for the winning label, " \
           "otherwise no consensus |" in report
    assert "| mean share of the winning category | " in report
    line = next(x for x in report.splitlines() if x.startswith("| mean share of the winning category"))
    assert line.rstrip(" |").endswith("%")  # shares for people in percent, as the pages show them
    assert "| spk04_0001 | tie | hap:sur | hap 50.0%, sur 50.0% |" in report


def test_check_only(capsys):
    assert main(["merge", str(EXAMPLES / "sheet.csv"), "--project", str(EXAMPLES / "project.yaml"),
                 "--out", "unused", "--check"]) == 0
    assert "30 annotation lines on 8 utterances: valid" in capsys.readouterr().out
    assert not Path("unused").exists()


def test_corpus_vote_files(shared_data, tmp_path, capsys):
    labels = shared_data / "meta" / "msp_podcast" / "whiser_format_reference" / "Labels"
    assert main(["merge", str(labels / "labels_detailed.csv"), "--input-format", "msp-detailed",
                 "--project", "msp_podcast", "--out", str(tmp_path), "--format", "csv"]) == 0
    table = pd.read_csv(tmp_path / "merged.csv", keep_default_na=False)
    assert len(table) == 5427 and (table.label == "X").sum() == 916
    assert "WORKER" in (tmp_path / "report.md").read_text(encoding="utf-8")


def test_unknown_input_format(tmp_path, capsys):
    assert main(["merge", str(EXAMPLES / "sheet.csv"), "--project", "crema_d", "--out", str(tmp_path),
                 "--input-format", "elan"]) == 2
    assert "unknown input format 'elan'; valid: crema-tabulated, iemocap-evaluation, msp-detailed, msp-labels-txt, seqd" in \
        capsys.readouterr().err
