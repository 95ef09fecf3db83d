"""One rule for IEMOCAP evaluator lines: the adapter and the annotation reader give the same votes.

The lines are verbatim from docs/corpus-formats.md §3.2 (no raw EmoEvaluation file is public). Where
the docs elide lines (``…``), a block is put together from verbatim lines and the summary format; the
comments say so.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import krippendorff
import numpy as np
import pytest
from statsmodels.stats.inter_rater import fleiss_kappa as statsmodels_fleiss

from seqd_builder.annotations import load_project, merge_all, merge_votes
from seqd_builder.annotations.agreement import category_counts, rater_stats, ratings, summarise_agreement
from seqd_builder.annotations.iemocap_lines import parse_evaluator_line
from seqd_builder.annotations.readers import read_iemocap_evaluation
from seqd_builder.corpora import get_adapter
from seqd_builder.errors import AnnotationError
from seqd_builder.schema import RawItem, Vote

sys.path.insert(0, str(Path(__file__).parent))
import iemocap_verbatim as verbatim  # noqa: E402

HEADER = verbatim.HEADER
# Ses01F_impro01.txt: F000 verbatim; F001's summary line verbatim with the verbatim multi-category line
# shown under it; M000 (the male actor speaks: times from the transcript of §3.3) carries F000's
# verbatim C-F1/A-F1 lines, so there the female actor rates the other speaker.
_C_F1, _A_F1 = (line + "\n" for line in verbatim.F000.splitlines() if line.startswith(("C-F1", "A-F1")))
IMPRO01 = HEADER + verbatim.F000 + (
    "[7.5712 - 10.4750]\tSes01F_impro01_M000\tneu\t[2.5000, 2.5000, 2.5000]\n"
    "C-E2:\tNeutral;\t()\n" + _C_F1 + _A_F1 + "\n"
    + verbatim.F001_SUMMARY + "C-E2:\tNeutral;\t()\n" + verbatim.MULTI_CATEGORY + "\n")
# Ses01F_impro05.txt: verbatim
IMPRO05 = HEADER + verbatim.F019_SUMMARY + verbatim.F019_CATEGORY + verbatim.F019_DIMENSIONS


def write_session(tmp_path: Path, files: dict[str, str]) -> Path:
    """An IEMOCAP_full_release tree with these EmoEvaluation files (and empty transcripts)."""
    root = tmp_path / "IEMOCAP_full_release"
    for dialog, text in files.items():
        folder = root / f"Session{int(dialog[4])}" / "dialog"
        (folder / "EmoEvaluation").mkdir(parents=True, exist_ok=True)
        (folder / "transcriptions").mkdir(exist_ok=True)
        (folder / "EmoEvaluation" / f"{dialog}.txt").write_text(text, encoding="utf-8")
        (folder / "transcriptions" / f"{dialog}.txt").write_text("", encoding="utf-8")
    return root


def both_entry_points(tmp_path: Path, files: dict[str, str]):
    """({utt: votes} from the adapter, {utt: votes} from the reader, adapter, reader errors)."""
    root = write_session(tmp_path, files)
    adapter = get_adapter("iemocap", root)
    from_adapter = {x.native_id: list(x.votes) for x in adapter.items() if isinstance(x, RawItem)}
    errors: list[AnnotationError] = []
    from_reader = {}
    for dialog in files:
        path = root / f"Session{int(dialog[4])}/dialog/EmoEvaluation/{dialog}.txt"
        from_reader.update(read_iemocap_evaluation(path, on_error=errors.append))
    return from_adapter, from_reader, adapter, errors


def test_both_entry_points_give_identical_votes(tmp_path):
    from_adapter, from_reader, adapter, errors = both_entry_points(
        tmp_path, {"Ses01F_impro01": IMPRO01, "Ses01F_impro05": IMPRO05})
    assert not errors and not adapter.warnings("malformed_line")
    assert list(from_adapter) == list(from_reader) == [
        "Ses01F_impro01_F000", "Ses01F_impro01_M000", "Ses01F_impro01_F001", "Ses01F_impro05_F019"]
    assert from_adapter == from_reader
    assert from_reader["Ses01F_impro01_F000"][3] == Vote("Ses01:C-F1", category="neutral",
                                                        category_native="Neutral", self_rating=True)
    assert from_reader["Ses01F_impro05_F019"] == [
        Vote("C-E1", category="angry", category_native="Anger"),
        Vote("A-E4", valence=1.0, arousal=4.0, dominance=5.0)]


def test_multi_category_line_is_split_by_weight(tmp_path):
    from_adapter, from_reader, _, _ = both_entry_points(tmp_path, {"Ses01F_impro01": IMPRO01})
    for votes in (from_adapter, from_reader):
        multi = [v for v in votes["Ses01F_impro01_F001"] if v.rater == "Ses01:C-F1"]
        # "C-F1:\tNeutral; Anger;": the rater's one vote, half for each word, in the order written
        assert [(v.category_native, v.category, v.weight) for v in multi] == [
            ("Neutral", "neutral", 0.5), ("Anger", "angry", 0.5)]


def test_self_rating_only_when_the_rater_is_the_speaker(tmp_path):
    from_adapter, from_reader, _, _ = both_entry_points(tmp_path, {"Ses01F_impro01": IMPRO01})
    for votes in (from_adapter, from_reader):
        actor = {utt: [(v.rater, v.self_rating) for v in vs if v.rater.startswith("Ses01:")]
                 for utt, vs in votes.items()}
        # the same two lines: the female actor on her own turn, then on the male actor's turn
        assert actor["Ses01F_impro01_F000"] == [("Ses01:C-F1", True), ("Ses01:A-F1", True)]
        assert actor["Ses01F_impro01_M000"] == [("Ses01:C-F1", False), ("Ses01:A-F1", False)]
    project = load_project("iemocap")
    m000 = merge_votes(from_reader["Ses01F_impro01_M000"], project)
    # not a self-rating, so her A-line is the only dimensional rating the merge keeps
    assert (m000.valence, m000.arousal, m000.dominance) == (3.0, 2.0, 1.0)
    assert m000.n_raters == 2.0
    f000 = merge_votes(from_reader["Ses01F_impro01_F000"], project)
    # the summary line [2.5, 2.5, 2.5]: the mean of A-E3 and A-E4, the speaker's own A-F1 left out
    assert (f000.label, f000.valence, f000.arousal, f000.dominance) == ("neu", 2.5, 2.5, 2.5)


def test_malformed_line_is_reported_with_file_and_line_by_both(tmp_path):
    broken = IMPRO05.replace("val 1; act 4", "val one; act 4")
    from_adapter, from_reader, adapter, errors = both_entry_points(tmp_path, {"Ses01F_impro05": broken})
    reason = ("Ses01F_impro05_F019: cannot read evaluator line 'A-E4:\\tval one; act 4; dom  5;\\t"
              "(threatening, belligerent)' (expected 'val n; act n; dom n;' with one number each, "
              "got 'val one; act 4; dom  5;')")
    warning, = adapter.warnings("malformed_line")
    assert warning == f"Session1/dialog/EmoEvaluation/Ses01F_impro05.txt:5: {reason}; line ignored"
    error, = errors
    assert (Path(error.file).name, error.line) == ("Ses01F_impro05.txt", 5)
    assert str(error).endswith(f"Ses01F_impro05.txt:5: {reason}")
    assert from_adapter == from_reader == {"Ses01F_impro05_F019": [
        Vote("C-E1", category="angry", category_native="Anger")]}
    with pytest.raises(AnnotationError, match=r"Ses01F_impro05.txt:5: Ses01F_impro05_F019: cannot read"):
        read_iemocap_evaluation(write_session(tmp_path / "again", {"Ses01F_impro05": broken})
                                / "Session1/dialog/EmoEvaluation/Ses01F_impro05.txt")


@pytest.mark.parametrize("line, reason", [
    ("C-E2:\t\t()", "categorical line lists no category"),
    ("A-E3:\tval 3; act 2;\t()", "expected 'val n; act n; dom n;'"),
    ("A-E3:\tval 3; val 2; dom  2;\t()", "expected 'val n; act n; dom n;'"),
    ("Neutral;", "unrecognised line"),
])
def test_parser_reasons(line, reason):
    with pytest.raises(ValueError, match=reason):
        parse_evaluator_line(line)


def test_a_malformed_summary_line_takes_its_evaluator_lines_along(tmp_path):
    text = IMPRO01.replace("[6.2901 - 8.2357]\tSes01F_impro01_F000\tneu\t[2.5000, 2.5000, 2.5000]",
                           "[6.2901 - 8.2357]\tSes01F_impro01_F000\tneu\t[2.5000, 2.5000]")
    from_adapter, from_reader, adapter, errors = both_entry_points(tmp_path, {"Ses01F_impro01": text})
    assert [(Path(e.file).name, e.line) for e in errors] == [("Ses01F_impro01.txt", 3)]
    assert "expected '[start - end]<TAB>id<TAB>code<TAB>[V, A, D]'" in str(errors[0])
    assert not adapter.warnings("malformed_line")  # the adapter rejects the turn instead
    assert list(from_reader) == list(from_adapter) == ["Ses01F_impro01_M000", "Ses01F_impro01_F001"]
    assert from_adapter == from_reader


# --- the merge and the agreement statistics with split votes -------------------------------------

def test_consensus_counts_each_word_of_a_split_line_for_its_own_label(tmp_path):
    # composed from the verbatim line formats: three evaluators, one of them split
    text = HEADER + ("[140.2250 - 145.6000]\tSes01F_impro05_F019\tang\t[1.5000, 4.0000, 4.5000]\n"
                     "C-E1:\tAnger; Neutral;\t()\nC-E2:\tAnger;\t()\nC-E3:\tSadness;\t()\n")
    from_adapter, from_reader, adapter, _ = both_entry_points(tmp_path, {"Ses01F_impro05": text})
    assert from_adapter == from_reader
    c = merge_votes(from_reader["Ses01F_impro05_F019"], load_project("iemocap"))
    # Anger 1.5, Sadness 1, Neutral 0.5: the half vote for Neutral is Neutral's, not Anger's
    assert (c.label, c.n_raters, c.agreement) == ("ang", 3.0, 0.5)
    assert dict(c.distribution) == pytest.approx({"ang": 0.5, "neu": 1 / 6, "sad": 1 / 3})
    item, = get_adapter("iemocap", adapter.root).items()
    assert item.agreement == c.agreement  # the adapter's own agreement is the same weighted share


SPLIT_TURNS = {  # utterance -> C-lines of three evaluators (verbatim format), one split on some turns
    "Ses01F_impro01_F000": ("Neutral;", "Neutral;", "Neutral; Anger;"),
    "Ses01F_impro01_F001": ("Anger;", "Anger; Frustration;", "Neutral;"),
    "Ses01F_impro01_F002": ("Sadness;", "Neutral;", "Sadness;"),
    "Ses01F_impro01_F003": ("Frustration; Anger;", "Anger;", "Neutral;"),
    "Ses01F_impro01_F004": ("Disappointed; Sadness;", "Sadness;", "Sadness;"),
}


@pytest.fixture
def split_votes(tmp_path):
    blocks = [HEADER]
    for k, (utt, lines) in enumerate(SPLIT_TURNS.items()):
        blocks.append(f"[{k + 1}.0000 - {k + 1}.5000]\t{utt}\txxx\t[2.5000, 2.5000, 2.5000]\n")
        blocks += [f"C-E{i}:\t{line}\t()\n" for i, line in enumerate(lines, start=1)]
        blocks.append("C-F1:\tNeutral;\t()\n\n")  # the speaker's own line: left out of agreement
    path = tmp_path / "Ses01F_impro01.txt"
    path.write_text("".join(blocks), encoding="utf-8")
    return read_iemocap_evaluation(path)


def test_split_rating_is_one_whole_rating_of_its_first_choice(split_votes):
    project = load_project("iemocap")
    whole = ratings(split_votes["Ses01F_impro01_F003"], project)
    assert [(v.rater, code, v.weight) for v, code in whole] == [
        ("C-E1", "fru", 1.0), ("C-E2", "ang", 1.0), ("C-E3", "neu", 1.0), ("Ses01:C-F1", "neu", 1.0)]
    # a first word the project does not know: the first listed word it knows is the first choice
    first, _ = ratings(split_votes["Ses01F_impro01_F004"], project)[0]
    assert (first.category_native, project.code_of(first)) == ("Sadness", "sad")
    five = [Vote("C-E1", category_native=w, weight=0.2) for w in ("Happy", "Sad", "Anger", "Fear", "Other")]
    assert [(v.weight, c) for v, c in ratings(five, project)] == [(1.0, "hap")]


def test_agreement_statistics_use_first_choices_and_consensus_uses_weights(split_votes):
    project = load_project("iemocap")
    codes = list(project.codes)
    first_choice = {utt: [line.split(";")[0] for line in lines] for utt, lines in SPLIT_TURNS.items()}
    first_choice["Ses01F_impro01_F004"][0] = "Sadness"  # 'Disappointed' has no label code
    table = np.array([[sum(project.resolve(w) == c for w in words) for c in codes]
                      for words in first_choice.values()])
    summary = summarise_agreement(split_votes, project)
    assert summary.fleiss_kappa == pytest.approx(statsmodels_fleiss(table))
    reliability = np.array([[codes.index(project.resolve(words[r])) for words in first_choice.values()]
                            for r in range(3)], dtype=float)
    assert summary.alpha_category == pytest.approx(
        krippendorff.alpha(reliability_data=reliability, level_of_measurement="nominal"))
    assert (summary.n_ratings, summary.raters_per_item) == (15.0, (3.0, 3.0, 3.0))
    # the weighted table (consensus) keeps the halves; it is not a table of whole ratings
    weighted = category_counts(split_votes, project)
    assert weighted[0].tolist()[codes.index("ang")] == pytest.approx(0.5)
    result = merge_all(split_votes, project)
    assert summary.mean_agreement == pytest.approx(np.mean([i.consensus.agreement for i in result.items]))
    f001 = result.items[1]
    assert (f001.consensus.label, f001.consensus.agreement) == ("ang", pytest.approx(0.5))
    assert f001.raters == ("C-E1", "C-E2", "C-E3", "Ses01:C-F1")
    assert result.coincidence.sum() == 5 * 3 * 2  # ordered pairs of whole ratings, self left out
    stats = {s.rater: s for s in rater_stats(split_votes, project)}
    assert set(stats) == {"C-E1", "C-E2", "C-E3", "Ses01:C-F1"}  # split votes are not aggregated counts
    assert stats["C-E2"].n_items == 5


def test_the_shared_module_imports_no_corpus_or_phones_code():
    code = ("import sys, seqd_builder.annotations.iemocap_lines, seqd_builder.annotations.readers; "
            "print(sorted(m for m in sys.modules if m.startswith(('seqd_builder.corpora', "
            "'seqd_builder.phones'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
