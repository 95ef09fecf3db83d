"""The SEQD sheet format and project files: reading, and every validation message with file:line."""

import shutil
from pathlib import Path

import pandas as pd
import pytest

from seqd_builder.annotations import load_project, read_sheet
from seqd_builder.annotations.sheet import IssueKind
from seqd_builder.errors import AnnotationError, ConfigError, UnknownLabelError

EXAMPLES = Path(__file__).resolve().parents[1] / "annotations" / "examples"


@pytest.fixture(scope="module")
def project():
    return load_project(EXAMPLES / "project.yaml")


def test_example_sheet_is_valid(project):
    sheet = read_sheet([EXAMPLES / "sheet.csv"], project).check()
    assert len(sheet.annotations) == 30 and len(sheet.utterances()) == 8
    assert sheet.issues == ()
    first = sheet.annotations[0]
    assert (first.utterance, first.vote.rater, first.vote.category, first.vote.intensity) == \
        ("spk01_0001", "R01", "happy", 2.0)
    assert first.line == 2
    self_votes = [a.vote for a in sheet.annotations if a.vote.rater.startswith("S")]
    assert self_votes and all(v.self_rating for v in self_votes)
    comment = next(a for a in sheet.annotations if a.comment.startswith("could be"))
    assert comment.comment == "could be frustration, not anger" and comment.line == 14


def test_every_error_is_reported_with_file_and_line(project):
    path = EXAMPLES / "sheet_with_errors.csv"
    sheet = read_sheet([path], project)
    found = {(i.line, i.kind) for i in sheet.errors}
    assert found == {(3, IssueKind.UNKNOWN_LABEL), (4, IssueKind.OUT_OF_RANGE), (5, IssueKind.DUPLICATE),
                     (6, IssueKind.OUT_OF_RANGE), (7, IssueKind.OUT_OF_RANGE),
                     (8, IssueKind.UNKNOWN_RATER), (9, IssueKind.MALFORMED)}
    messages = {i.line: str(i) for i in sheet.errors}
    assert messages[3] == (f"{path}:3: unknown category 'happiness'; valid: neu, neutral, 中性, hap, happy, "
                           "高兴, sad, 悲伤, ang, angry, 生气, fea, fear, 害怕, sur, surprise, 惊讶, oth, other, other:…")
    assert messages[4] == f"{path}:4: intensity 'very strong' is not a level; valid: weak, medium, strong or 1..3"
    assert messages[5] == f"{path}:5: rater 'R01' rated 'spk01_0003' twice (first at {path}:2)"
    assert messages[6] == f"{path}:6: intensity level 4 out of range; valid: 1..3 (weak, medium, strong)"
    assert messages[7] == f"{path}:7: dominance 9 out of range; valid: [1, 5]"
    assert messages[8].endswith("unknown rater 'R09'; declared: R01, R02, R03, S01, S02, S03, S04")
    assert "expected 9 fields" in messages[9] and "found 6" in messages[9]
    # the valid line of spk01_0003 is kept, and the item is short of raters (a warning)
    assert [a.line for a in sheet.annotations] == [2]
    assert [(w.kind, w.line) for w in sheet.warnings] == [(IssueKind.TOO_FEW_RATERS, 2)]
    with pytest.raises(AnnotationError, match=r"7 invalid annotation line\(s\)") as info:
        sheet.check()
    assert f"{path}:8: unknown rater" in str(info.value)


def test_tsv_and_parquet_read_like_csv(project, tmp_path):
    frame = pd.read_csv(EXAMPLES / "sheet.csv", dtype=str, keep_default_na=False)
    frame.to_csv(tmp_path / "sheet.tsv", sep="\t", index=False)
    frame.to_parquet(tmp_path / "sheet.parquet", index=False)
    reference = read_sheet([EXAMPLES / "sheet.csv"], project)
    for name in ("sheet.tsv", "sheet.parquet"):
        sheet = read_sheet([tmp_path / name], project)
        assert [a.vote for a in sheet.annotations] == [a.vote for a in reference.annotations]
        assert [a.line for a in sheet.annotations] == [a.line for a in reference.annotations]


def test_several_files_and_duplicates_across_them(project, tmp_path):
    first = tmp_path / "batch1.csv"
    shutil.copy(EXAMPLES / "sheet.csv", first)
    second = tmp_path / "batch2.csv"
    second.write_text("utterance,rater,category\nspk03_0002,R01,sad\nspk09_0001,R01,neu\n", encoding="utf-8")
    sheet = read_sheet([first, second], project)
    assert [str(i) for i in sheet.errors] == [
        f"{second}:2: rater 'R01' rated 'spk03_0002' twice (first at {first}:22)"]
    assert sheet.utterances()[-1] == "spk09_0001"


def test_header_problems(project, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("utt,rater,category,mood\nspk01_0001,R01,hap,good\n", encoding="utf-8")
    messages = [str(i) for i in read_sheet([bad], project).issues]
    assert f"{bad}:1: unknown column 'utt'; valid: utterance, rater, category, intensity, arousal, valence, " \
           "dominance, self_rating, comment, speaker, gender, text, split" in messages
    assert f"{bad}:1: missing required column 'utterance' (required: utterance, rater, category)" in messages


def test_item_columns_must_agree(project, tmp_path):
    sheet_path = tmp_path / "s.csv"
    sheet_path.write_text("utterance,rater,category,speaker\nu1,R01,hap,spk01\nu1,R02,hap,spk02\n",
                          encoding="utf-8")
    (issue,) = read_sheet([sheet_path], project).errors
    assert str(issue) == f"{sheet_path}:3: speaker of 'u1' is 'spk02' here but 'spk01' at {sheet_path}:2"


def test_values_on_undeclared_scales_are_errors(tmp_path):
    project = load_project("crema_d")  # no dimensions
    path = tmp_path / "s.csv"
    path.write_text("utterance,rater,category,arousal,self_rating\nc1,r1,A,3,\nc1,r2,A,,maybe\n", encoding="utf-8")
    assert [str(i) for i in read_sheet([path], project).errors] == [
        f"{path}:2: arousal '3' given, but the project declares dimensions none",
        f"{path}:3: self_rating 'maybe'; valid: true/false, yes/no, 1/0 or empty"]


def test_builtin_projects_load():
    crema, msp = load_project("crema_d"), load_project("msp_podcast")
    assert crema.codes == ("A", "D", "F", "H", "N", "S") and crema.merge.ties == "keep"
    assert msp.no_consensus == "X" and msp.dimension_range == (1.0, 7.0)
    assert msp.resolve("Other-Amused") == "O" and msp.resolve("Angry") == "A" and msp.resolve("Bored") is None


@pytest.mark.parametrize("patch,error,message", [
    ({"labels": {"ang": "anger"}}, UnknownLabelError, "unknown unified category 'anger'"),
    ({"colour": "red"}, ConfigError, "unknown fields colour"),
    ({"merge": {"category": {"ties": "coin"}}}, UnknownLabelError, "unknown merge.ties 'coin'; valid: break, keep, no_consensus"),
    ({"merge": {"category": {"ties": "break", "tie_break": ["joy"]}}}, UnknownLabelError, "merge.tie_break label 'joy'"),
    ({"merge": {"min_agreement": 1.5}}, ConfigError, r"min_agreement must be in \[0, 1\]"),
    ({"merge": {"quorum": 3}}, ConfigError, "merge: unknown fields quorum"),
    ({"raters": {"R01": {"role": "boss"}}}, UnknownLabelError, "unknown role 'boss'"),
    ({"intensity": {"levels": ["low", "low"]}}, ConfigError, "intensity.levels must be distinct"),
    ({"dimensions": {"range": [5, 1]}}, ConfigError, r"dimensions.range must be \[low, high\]"),
    ({"no_consensus": "ang"}, ConfigError, "no_consensus code 'ang' is also a label"),
])
def test_project_errors_name_value_choices_and_file(tmp_path, patch, error, message):
    import yaml

    data = yaml.safe_load((EXAMPLES / "project.yaml").read_text(encoding="utf-8"))
    data.update(patch)
    path = tmp_path / "project.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(error, match=message) as info:
        load_project(path)
    assert str(path) in str(info.value)


def test_unknown_project_lists_builtins():
    with pytest.raises(UnknownLabelError, match="unknown project 'iemocapp'; valid: crema_d, .*msp_podcast"):
        load_project("iemocapp")


def test_sheet_that_is_not_utf8(project, tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("utterance,rater,category,comment\nu1,R01,hap,très gai\n".encode("latin-1"))
    # the line is named and the sheet is still read (tests/test_reliability_curation.py: the other
    # errors of such a sheet are reported too)
    with pytest.raises(AnnotationError, match=r"latin1.csv:2: not UTF-8: byte 0xe8 at column 14"):
        read_sheet(path, project).check()
