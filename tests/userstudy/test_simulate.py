"""Simulated answers follow the Plackett–Luce / Bradley–Terry closed forms and are labelled."""
import numpy as np
import pytest

from userstudy.formats import parse_utilities, validate_answers
from userstudy.simulate import simulate_paper_study, simulate_pairwise, simulate_rankings


def test_first_place_frequencies_follow_plackett_luce():
    utilities = {"a": 1.0, "b": 0.0, "c": -0.5}
    table = simulate_rankings(utilities, n_rankings=6000, n_raters=50, seed=0)
    first = table["ranking"].str.split(">").str[0].value_counts(normalize=True)
    expected = np.exp(list(utilities.values())) / np.exp(list(utilities.values())).sum()  # P(first = i)
    np.testing.assert_allclose(first.reindex(list(utilities)).to_numpy(), expected, atol=0.02)
    validate_answers(table, kind="ranking")
    assert table["simulated"].eq("true").all() and parse_utilities(table["utilities"][0]) == utilities
    assert table["rater"].nunique() == 50


def test_pairwise_follows_bradley_terry_with_ties():
    table = simulate_pairwise({"x": 0.7, "y": -0.7}, n=5000, tie_rate=0.2, seed=1, n_raters=10)
    assert (table["choice"] == "tie").mean() == pytest.approx(0.2, abs=0.02)
    decisive = table[table["choice"] != "tie"]
    x_wins = np.where(decisive["choice"] == "left", decisive["left"], decisive["right"]) == "x"
    assert x_wins.mean() == pytest.approx(1 / (1 + np.exp(-1.4)), abs=0.02)
    assert {"x", "y"} == set(table["left"])  # positions randomised
    validate_answers(table, kind="pairwise")


def test_seeded_and_checked():
    a = simulate_rankings({"a": 0, "b": 1}, 20, 4, seed=5, question="q")
    assert a.equals(simulate_rankings({"a": 0, "b": 1}, 20, 4, seed=5, question="q"))
    assert not a.equals(simulate_rankings({"a": 0, "b": 1}, 20, 4, seed=6, question="q"))
    with pytest.raises(ValueError, match="subset_size"):
        simulate_rankings({"a": 0, "b": 1}, 5, 1, seed=0, subset_size=3)
    with pytest.raises(ValueError, match="tie_rate"):
        simulate_pairwise({"a": 0, "b": 1}, 5, tie_rate=1.0, seed=0)
    with pytest.raises(ValueError, match="finite"):
        simulate_rankings({"a": 0, "b": float("nan")}, 5, 1, seed=0)


def test_paper_studies():
    pair = simulate_paper_study("discriminator", seed=0)
    assert len(pair) == 540 and pair["rater"].nunique() == 36 and pair["question"].eq("discriminator").all()
    with pytest.raises(KeyError, match="unknown paper study"):
        simulate_paper_study("nope")
