"""Real checks: the one merging implementation reproduces the consensus that
CREMA-D and MSP-Podcast (WHiSER files, same format) publish, from their raw votes."""

import csv
import sys
from pathlib import Path

import pytest

from seqd_builder.annotations import load_project, merge_votes, summarise_agreement
from seqd_builder.annotations.readers import read_crema_tabulated, read_msp_detailed, read_msp_labels_txt
from seqd_builder.errors import AnnotationError

sys.path.insert(0, str(Path(__file__).parent))
import iemocap_verbatim as verbatim  # noqa: E402


@pytest.fixture(scope="module")
def crema(shared_data):
    results = shared_data / "meta" / "crema_d" / "processedResults"
    votes = read_crema_tabulated(results / "tabulatedVotes.csv", "voice")
    with (results / "summaryTable.csv").open(newline="") as fh:
        summary = {row["FileName"]: row for row in csv.DictReader(fh)}
    return votes, summary


@pytest.fixture(scope="module")
def msp(shared_data):
    labels = shared_data / "meta" / "msp_podcast" / "whiser_format_reference" / "Labels"
    with (labels / "labels_consensus.csv").open(newline="") as fh:
        consensus = {row["FileName"]: row for row in csv.DictReader(fh)}
    return labels, read_msp_detailed(labels / "labels_detailed.csv"), consensus


def test_crema_voice_votes_reproduce_summary_table_voicevote_with_ties(crema):
    votes, summary = crema
    project = load_project("crema_d")
    assert len(votes) == len(summary) == 7442
    assert sum(v.weight for vs in votes.values() for v in vs) == 68568  # voice responses in all
    merged = {clip: merge_votes(vs, project) for clip, vs in votes.items()}
    mismatches = [(clip, c.label, summary[clip]["VoiceVote"]) for clip, c in merged.items()
                  if c.label != summary[clip]["VoiceVote"]]
    assert mismatches == []
    ties = [c.label for c in merged.values() if ":" in c.label]
    assert len(ties) == 644 and sum(t == "N:S" for t in ties) == 114
    assert merged["1001_IEO_HAP_HI"].category == "happy"


def test_crema_voice_level_is_mean_level_of_the_winners(crema):
    votes, summary = crema
    project = load_project("crema_d")
    checked = 0
    for clip, vs in votes.items():
        published = summary[clip]["VoiceLevel"].split(":")
        merged = [x for _, x in merge_votes(vs, project).intensity_by_label]
        # R rounds to 2 decimals (once to 3: 1025_WSI_HAP_XX has 8.667); compare at the printed precision
        decimals = [len(p.partition(".")[2]) for p in published]
        assert [round(x, d) for x, d in zip(merged, decimals)] == [float(p) for p in published], clip
        checked += 1
    assert checked == 7442


def test_crema_voice_agreement_figures(crema):
    """The figures recorded in docs/annotations.md."""
    votes, _ = crema
    summary = summarise_agreement(votes, load_project("crema_d"))
    assert summary.raters_per_item == (4.0, pytest.approx(9.2137, abs=1e-4), 12.0)
    assert summary.fleiss_kappa == pytest.approx(0.2778, abs=1e-4)
    assert summary.alpha_category == pytest.approx(0.2811, abs=1e-4)
    assert summary.mean_agreement == pytest.approx(0.6367, abs=1e-4)


def _msp_number(x: float) -> str:
    """labels_consensus.csv writes means with 6 decimals, trailing zeros dropped (3.4, 4.222222)."""
    text = f"{x:.6f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def test_msp_detailed_reproduces_labels_consensus_exactly(msp):
    _, votes, consensus = msp
    project = load_project("msp_podcast")
    assert len(votes) == len(consensus) == 5427
    got, expected = {}, {}
    for name, vs in votes.items():
        c = merge_votes(vs, project)
        got[name] = (c.label, _msp_number(c.arousal), _msp_number(c.valence), _msp_number(c.dominance))
        row = consensus[name]
        expected[name] = (row["EmoClass"], row["EmoAct"], row["EmoVal"], row["EmoDom"])
    assert got == expected


def test_msp_other_answers_count_as_one_class(msp):
    _, votes, _ = msp
    project = load_project("msp_podcast")
    others = {v.category_native for vs in votes.values() for v in vs if v.category == "other"}
    assert {"Other-Concerned", "Other-concerned", "Other- Concerned", "Other-"} <= others
    assert all(project.code_of(v) == "O" for vs in votes.values() for v in vs if v.category == "other")


def test_msp_labels_txt_holds_the_same_votes(msp):
    labels, votes, _ = msp
    assert read_msp_labels_txt(labels / "labels.txt") == votes


def test_msp_reader_names_file_and_line_of_a_malformed_line(msp, tmp_path):
    labels, _, _ = msp
    lines = (labels / "labels_detailed.csv").read_text(encoding="utf-8").splitlines()[:8]
    lines[4] = "001-105.1-2_14.wav,WORKER00014350; Angry; A:1.000000; V:4.000000; D:3.000000;"
    broken = tmp_path / "labels_detailed.csv"
    broken.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(AnnotationError, match=r"labels_detailed.csv:5: .*6 fields"):
        read_msp_detailed(broken)
    collected = []
    votes = read_msp_detailed(broken, on_error=collected.append)
    assert [e.line for e in collected] == [5]
    assert sum(len(v) for v in votes.values()) == 6


def test_crema_reader_rejects_counts_that_do_not_add_up(shared_data, tmp_path):
    source = shared_data / "meta" / "crema_d" / "processedResults" / "tabulatedVotes.csv"
    lines = source.read_text(encoding="utf-8").splitlines()[:4]
    lines[2] = lines[2].replace('"100002",0,0,0,3,6,0', '"100002",0,0,0,3,7,0')
    broken = tmp_path / "tabulatedVotes.csv"
    broken.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(AnnotationError, match=r"tabulatedVotes.csv:3: clip '1001_IEO_HAP_LO'.*numResponses=9"):
        read_crema_tabulated(broken)
    with pytest.raises(AnnotationError, match="unknown modality 'video'; valid: voice, face, audiovisual"):
        read_crema_tabulated(broken, "video")


# docs/corpus-formats.md 3.2: verbatim EmoEvaluation lines (no raw IEMOCAP file is public), the
# multi-category line placed under F019
IEMOCAP_LINES = (verbatim.HEADER + verbatim.F000 + verbatim.F019_SUMMARY + verbatim.F019_CATEGORY
                 + verbatim.MULTI_CATEGORY + verbatim.F019_DIMENSIONS)


def test_iemocap_evaluator_lines_reproduce_the_summary_vad(tmp_path):
    from seqd_builder.annotations.readers import read_iemocap_evaluation

    path = tmp_path / "Ses01F_impro01.txt"
    path.write_text(IEMOCAP_LINES, encoding="utf-8")
    votes = read_iemocap_evaluation(path)
    first = votes["Ses01F_impro01_F000"]
    assert [v.rater for v in first] == ["C-E2", "C-E3", "C-E4", "Ses01:C-F1", "A-E3", "A-E4", "Ses01:A-F1"]
    assert [v.self_rating for v in first] == [False, False, False, True, False, False, True]
    c = merge_votes(first, load_project("iemocap"))
    # the summary line: [V, A, D] = [2.5, 2.5, 2.5], self-evaluator A-F1 excluded
    assert (c.label, c.valence, c.arousal, c.dominance) == ("neu", 2.5, 2.5, 2.5)
    # "C-F1:\tNeutral; Anger;" by the speaker herself: half a vote for each word
    multi = [v for v in votes["Ses01F_impro05_F019"] if v.rater == "Ses01:C-F1"]
    assert [(v.category_native, v.category, v.weight, v.self_rating) for v in multi] == [
        ("Neutral", "neutral", 0.5, True), ("Anger", "angry", 0.5, True)]
    path.write_text(IEMOCAP_LINES.replace("val 1; act 4", "val one; act 4"), encoding="utf-8")
    with pytest.raises(AnnotationError, match=r"Ses01F_impro01.txt:15: Ses01F_impro05_F019: cannot read"):
        read_iemocap_evaluation(path)
