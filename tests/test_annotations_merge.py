"""Merging rules on hand-made votes: every rule of annotations/README.md, one behaviour each."""

from pathlib import Path

import numpy as np
import pytest

from seqd_builder.annotations import Status, load_project, merge_votes
from seqd_builder.annotations.merge import weighted_median
from seqd_builder.annotations.project import replace_rules
from seqd_builder.schema import Vote

EXAMPLE = Path(__file__).resolve().parents[1] / "annotations" / "examples" / "project.yaml"


@pytest.fixture(scope="module")
def project():
    return load_project(EXAMPLE)


def votes(*specs):
    """('R01', 'ang', 3, arousal) tuples -> Votes; a leading '*' on the rater marks a self-rating."""
    out = []
    for rater, label, level, *dims in specs:
        a = dims[0] if dims else None
        out.append(Vote(rater=rater.lstrip("*"), category_native=label, intensity=level, arousal=a,
                        self_rating=rater.startswith("*")))
    return out


def test_plurality_winner_share_and_soft_label(project):
    c = merge_votes(votes(("R01", "ang", 3), ("R02", "ang", 2), ("R03", "sad", 1)), project)
    assert (c.label, c.category, c.status) == ("ang", "angry", Status.CONSENSUS)
    assert c.agreement == pytest.approx(2 / 3)
    assert c.distribution == (("sad", pytest.approx(1 / 3)), ("ang", pytest.approx(2 / 3)))
    assert c.intensity == 2.5 and c.intensity_level == 3   # median of the ang raters; halves round up


def test_aliases_resolve_to_the_code(project):
    c = merge_votes(votes(("R01", "生气", 3), ("R02", "Angry", 2), ("R03", "ang", 1)), project)
    assert c.label == "ang" and c.agreement == 1.0


def test_ties_kept_in_label_order(project):
    c = merge_votes(votes(("R01", "sad", 1), ("R02", "hap", 3)), project)
    assert (c.label, c.category, c.status, c.winners) == ("hap:sad", None, Status.TIE, ("hap", "sad"))
    assert dict(c.intensity_by_label) == {"hap": 3, "sad": 1}
    assert c.intensity == 2  # pooled over the raters of all tied winners


def test_ties_broken_by_declared_priority(project):
    rules = replace_rules(project, ties="break", tie_break=("sad", "hap"))
    c = merge_votes(votes(("R01", "hap", 3), ("R02", "sad", 1)), rules)
    assert (c.label, c.category, c.status) == ("sad", "sad", Status.TIE_BROKEN)
    assert c.intensity == 1
    by_order = merge_votes(votes(("R01", "sad", 3), ("R02", "hap", 1)), replace_rules(project, ties="break"))
    assert by_order.label == "hap"  # label order: neu, hap, sad, ...


def test_ties_as_no_consensus_use_the_declared_code(project):
    c = merge_votes(votes(("R01", "hap", 3), ("R02", "sad", 1)), replace_rules(project, ties="no_consensus"))
    assert (c.label, c.category, c.status) == ("xxx", None, Status.TIE)


def test_thresholds_come_before_ties(project):
    few = merge_votes(votes(("R01", "hap", 3)), project)  # min_raters 2
    assert (few.label, few.status) == ("xxx", Status.TOO_FEW_RATERS)
    spread = merge_votes(votes(("R01", "hap", 3), ("R02", "sad", 1), ("R03", "ang", 2)), project)
    assert (spread.label, spread.status) == ("xxx", Status.LOW_AGREEMENT)  # 1/3 < 0.5
    assert spread.distribution  # the soft label is kept for training


def test_self_ratings_vote_but_do_not_elect(project):
    vs = votes(("R01", "hap", 2, 4.0), ("R02", "sad", 1, 2.0), ("*S01", "sad", 3, 1.0))
    c = merge_votes(vs, project)   # category and dimensions exclude self in the example project
    assert c.status == Status.TIE and c.label == "hap:sad"
    assert c.arousal == 3.0
    with_self = merge_votes(vs, replace_rules(project, category_exclude_self=False,
                                              dimensions_exclude_self=False))
    assert with_self.label == "sad" and with_self.arousal == pytest.approx(7 / 3)


def test_intensity_of_all_raters_and_mean(project):
    vs = votes(("R01", "ang", 3), ("R02", "ang", 3), ("R03", "sad", 1))
    assert merge_votes(vs, replace_rules(project, intensity_raters="all", intensity="mean")).intensity == \
        pytest.approx(7 / 3)
    assert merge_votes(vs, replace_rules(project, intensity_raters="all")).intensity == 3


def test_dimension_only_raters_give_no_votes_status(project):
    c = merge_votes([Vote("R01", arousal=2.0), Vote("R02", arousal=4.0)], project)
    assert (c.status, c.label, c.arousal) == (Status.NO_VOTES, "xxx", 3.0)


def test_weights_count_as_raters():
    project = load_project("crema_d")
    c = merge_votes([Vote("voice:A", category_native="A", intensity=50.0, weight=3),
                     Vote("voice:N", category_native="N", intensity=80.0, weight=3),
                     Vote("voice:S", category_native="S", intensity=20.0, weight=1)], project)
    assert (c.label, c.n_raters, c.agreement) == ("A:N", 7, pytest.approx(3 / 7))
    assert dict(c.intensity_by_label) == {"A": 50.0, "N": 80.0}


@pytest.mark.parametrize("values,weights", [([1, 2, 3, 4], [1, 1, 1, 1]), ([3, 1, 2], [1, 1, 1]),
                                            ([5, 1, 2, 2, 7], [1] * 5)])
def test_weighted_median_is_numpy_median_for_unit_weights(values, weights):
    assert weighted_median(values, weights) == np.median(values)


def test_weighted_median_repeats_by_weight():
    assert weighted_median([1, 10], [3, 1]) == 1
    assert weighted_median([1, 10], [2, 2]) == 5.5
