"""Agreement statistics against the maintained implementations and hand-computed values."""

import krippendorff
import numpy as np
import pytest
from statsmodels.stats.inter_rater import fleiss_kappa as statsmodels_fleiss

from seqd_builder.annotations import load_project, merge_all
from seqd_builder.annotations.agreement import alpha_from_counts, coincidence, fleiss_kappa, rater_stats
from seqd_builder.annotations.simulate import SimulatedRater, simulate_raters, write_demo_project
from seqd_builder.schema import Vote

# Fleiss (1971), Table 1 as reproduced on Wikipedia: 10 subjects, 14 raters, 5 categories, kappa 0.210
FLEISS_TABLE = np.array([
    [0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7]])


def test_fleiss_kappa_equal_raters_is_statsmodels():
    assert fleiss_kappa(FLEISS_TABLE) == pytest.approx(statsmodels_fleiss(FLEISS_TABLE), abs=1e-12)
    assert fleiss_kappa(FLEISS_TABLE) == pytest.approx(0.20993, abs=1e-5)


def test_fleiss_kappa_generalised_to_varying_raters():
    table = np.array([[3, 0], [1, 1], [0, 4], [2, 2], [1, 0]])  # the last item cannot be paired
    # by hand: P_i = 1, 0, 1, 4/12, mean 7/12; shares pooled over the paired items 6/13, 7/13
    p_bar, p_e = 7 / 12, (6 / 13) ** 2 + (7 / 13) ** 2
    assert fleiss_kappa(table) == pytest.approx((p_bar - p_e) / (1 - p_e))


def test_alpha_from_counts_matches_krippendorff_on_rater_matrix():
    reliability = np.array([[1, 2, 3, 3, 2, 1, 4, 1, 2, np.nan],
                            [1, 2, 3, 3, 2, 2, 4, 1, 2, 5],
                            [np.nan, 3, 3, 3, 2, 3, 4, 2, 2, 5],
                            [1, 2, 3, 3, 2, 4, 4, 1, 2, 5]])
    values = [1, 2, 3, 4, 5]
    counts = np.array([[np.sum(reliability[:, j] == v) for v in values] for j in range(reliability.shape[1])])
    for level in ("nominal", "ordinal", "interval"):
        expected = krippendorff.alpha(reliability_data=reliability, level_of_measurement=level)
        assert alpha_from_counts(counts, level, values) == pytest.approx(expected), level


def test_coincidence_counts_ordered_pairs_of_raters():
    counts = np.array([[2, 1], [0, 3]])
    assert coincidence(counts).tolist() == [[2, 2], [2, 6]]


def test_noisy_simulated_rater_is_flagged_and_careful_one_is_not(tmp_path):
    rng = np.random.default_rng(3)
    truth = [{"utterance": f"u{i:03d}", "category": str(rng.choice(["neutral", "happy", "sad", "angry"])),
              "intensity": int(rng.integers(1, 4))} for i in range(120)]
    sheet = simulate_raters(truth, seed=1)
    project = load_project(write_demo_project(tmp_path / "p.yaml", ["neutral", "happy", "sad", "angry"]))
    votes = {}
    for row in sheet.itertuples():
        votes.setdefault(row.utterance, []).append(
            Vote(row.rater, category=row.category, category_native=row.category, intensity=float(row.intensity)))
    stats = {s.rater: s for s in rater_stats(votes, project)}
    assert stats["noisy"].flagged and not stats["careful"].flagged
    assert stats["careful"].kappa > stats["average1"].kappa > stats["noisy"].kappa
    assert stats["noisy"].intensity_mad > stats["careful"].intensity_mad
    result = merge_all(votes, project)
    truth_of = {t["utterance"]: t["category"] for t in truth}
    correct = [i.consensus.category == truth_of[i.utterance] for i in result.items]
    assert np.mean(correct) > 0.85  # the consensus recovers the truth far better than any one crowd rater
    assert 0.3 < result.agreement.alpha_category < 0.8


def test_aggregated_votes_have_no_rater_figures():
    project = load_project("crema_d")
    votes = {"c1": [Vote("voice:A", category_native="A", weight=3)], "c2": [Vote("voice:N", category_native="N", weight=4)]}
    assert rater_stats(votes, project) == []


def test_simulated_raters_are_deterministic_and_respect_declared_reliability():
    truth = [{"utterance": f"u{i}", "category": "happy" if i % 2 else "sad", "intensity": 2,
              "arousal": 3.0} for i in range(400)]
    raters = (SimulatedRater("good", accuracy=1.0, intensity_sd=0.0, vad_sd=0.0),
              SimulatedRater("half", accuracy=0.5, coverage=0.5))
    a = simulate_raters(truth, seed=7, raters=raters)
    assert a.equals(simulate_raters(truth, seed=7, raters=raters))
    good = a[a.rater == "good"]
    assert len(good) == 400 and (good.category.values == [t["category"] for t in truth]).all()
    assert set(good.intensity) == {2} and set(good.arousal) == {3.0}
    half = a[a.rater == "half"]
    assert 150 < len(half) < 250
    truth_of = {t["utterance"]: t["category"] for t in truth}
    assert 0.4 < np.mean([c == truth_of[u] for u, c in zip(half.utterance, half.category)]) < 0.6
    assert list(a.columns) == ["utterance", "rater", "category", "intensity", "arousal", "valence",
                               "dominance", "self_rating", "comment"]
