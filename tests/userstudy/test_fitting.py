"""Plackett–Luce / Bradley–Terry fitting against closed forms, an independent scipy MLE, and recovery."""
import numpy as np
import pytest
from scipy.optimize import minimize
from scipy.special import logsumexp

from userstudy.fitting import FitError, fit_answers, fit_pairwise, fit_rankings, pairwise_percentages
from userstudy.formats import validate_answers
from userstudy.simulate import PAPER_STUDIES, simulate_pairwise, simulate_rankings


def _centred(utilities):
    values = np.array(list(utilities.values()))
    return dict(zip(utilities, values - values.mean()))


def _assert_recovered(table, utilities):
    truth = _centred(utilities)
    for row in table.itertuples():
        assert row.ci_low <= truth[row.method] <= row.ci_high, (row.method, truth[row.method], row)
        assert row.ci_high - row.ci_low < 0.6  # intervals are informative, not vacuous


@pytest.mark.parametrize("study", ["realism", "temporal"])
def test_plackett_luce_recovers_paper_scores(study):
    spec = PAPER_STUDIES[study]
    answers = simulate_rankings(spec["utilities"], n_rankings=480, n_raters=32, seed=0)
    table = fit_rankings([r.split(">") for r in answers["ranking"]], list(answers["rater"]), n_boot=100, seed=1)
    assert abs(table["score"].mean()) < 1e-9  # centred like the paper's Table I
    assert table["resample_unit"].eq("rater").all() and table["n_units"].eq(32).all()
    _assert_recovered(table, spec["utilities"])
    assert table.iloc[0]["method"] == max(spec["utilities"], key=spec["utilities"].get)


def test_rankings_over_subsets_are_recovered():
    utilities = {"a": 1.0, "b": 0.5, "c": 0.0, "d": -0.5, "e": -1.0}
    answers = simulate_rankings(utilities, n_rankings=600, n_raters=40, seed=3, subset_size=3)
    assert answers["ranking"].str.count(">").eq(2).all()
    table = fit_rankings([r.split(">") for r in answers["ranking"]], list(answers["rater"]), n_boot=100)
    _assert_recovered(table, utilities)


def test_plackett_luce_matches_independent_mle():
    # hand-made rankings, some over subsets; reference = direct maximisation of the P-L likelihood
    rankings = [["a", "b", "c"], ["b", "a", "c"], ["a", "c"], ["c", "b"], ["b", "c", "a"], ["a", "b"],
                ["c", "a", "b"], ["a", "c", "b"]]
    index = {"a": 0, "b": 1, "c": 2}

    def nll(theta):
        total = 0.0
        for r in rankings:
            idx = [index[m] for m in r]
            for k in range(len(idx) - 1):
                total -= theta[idx[k]] - logsumexp(theta[idx[k:]])
        return total

    ref = minimize(nll, np.zeros(3), method="BFGS", options={"gtol": 1e-10}).x
    ref -= ref.mean()
    table = fit_rankings(rankings, alpha=0.0, n_boot=0).set_index("method")
    np.testing.assert_allclose(table.loc[["a", "b", "c"], "score"], ref, atol=1e-5)
    regularised = fit_rankings(rankings, n_boot=0).set_index("method")  # default alpha barely moves it
    np.testing.assert_allclose(regularised.loc[["a", "b", "c"], "score"], ref, atol=0.05)


def test_two_method_rankings_equal_bradley_terry_closed_form():
    table = fit_rankings([["x", "y"]] * 30 + [["y", "x"]] * 10, n_boot=0).set_index("method")
    assert table.loc["x", "score"] - table.loc["y", "score"] == pytest.approx(np.log(3), abs=0.01)


def test_pairwise_tie_rules_match_closed_forms():
    # the paper's split: 53% with D, 38% without, 9% ties
    comps = [("gan", "no_d", "left")] * 53 + [("no_d", "gan", "left")] * 38 + [("gan", "no_d", "tie")] * 9
    half = fit_pairwise(comps, n_boot=0).set_index("method")
    assert half.loc["gan", "score"] - half.loc["no_d", "score"] == pytest.approx(np.log(57.5 / 42.5), abs=2e-3)
    drop = fit_pairwise(comps, ties="drop", n_boot=0).set_index("method")
    assert drop.loc["gan", "score"] - drop.loc["no_d", "score"] == pytest.approx(np.log(53 / 38), abs=2e-3)
    assert (half.loc["gan", ["win_pct", "loss_pct", "tie_pct"]].tolist() == [53.0, 38.0, 9.0])
    pct = pairwise_percentages(comps)
    assert pct.to_dict("records") == [{"method_a": "gan", "method_b": "no_d", "n": 100, "a_wins_pct": 53.0,
                                       "b_wins_pct": 38.0, "tie_pct": 9.0}]


def test_pairwise_with_ties_recovers_scores():
    utilities = {"a": 0.8, "b": 0.2, "c": -0.3, "d": -0.7}
    answers = simulate_pairwise(utilities, n=900, tie_rate=0.15, seed=5, n_raters=36)
    assert 0.11 < (answers["choice"] == "tie").mean() < 0.19
    comps = list(zip(answers["left"], answers["right"], answers["choice"]))
    table = fit_pairwise(comps, list(answers["rater"]), ties="drop", n_boot=200)
    _assert_recovered(table, utilities)
    assert table["tie_pct"].between(8, 22).all()


def test_one_method_always_first_is_finite_and_flagged():
    rng = np.random.default_rng(0)
    rankings = [["win"] + list(rng.permutation(["p", "q", "r"])) for _ in range(60)]
    table = fit_rankings(rankings, [f"r{i % 6}" for i in range(60)], n_boot=50)
    values = table[["score", "ci_low", "ci_high"]].to_numpy()
    assert np.isfinite(values).all()
    assert table.iloc[0]["method"] == "win" and table.iloc[0]["first_pct"] == 100
    assert table["unbounded"].all()
    comps = [("win", "lose", "left")] * 20
    pair = fit_pairwise(comps, n_boot=20)
    assert np.isfinite(pair[["score", "ci_low", "ci_high"]].to_numpy()).all() and pair["unbounded"].all()


def test_all_ties():
    comps = [("a", "b", "tie"), ("b", "c", "tie"), ("c", "a", "tie")] * 5
    table = fit_pairwise(comps, [f"r{i % 3}" for i in range(15)], n_boot=30)
    np.testing.assert_allclose(table[["score", "ci_low", "ci_high"]].to_numpy(), 0.0, atol=1e-6)
    assert not table["unbounded"].any() and table["tie_pct"].eq(100).all()
    with pytest.raises(FitError, match="every choice is a tie"):
        fit_pairwise(comps, ties="drop")


def test_single_rater_resamples_answers():
    rankings = [["a", "b", "c"], ["b", "a", "c"], ["a", "c", "b"], ["c", "a", "b"]]
    table = fit_rankings(rankings, ["only"] * 4, n_boot=50)
    assert table["resample_unit"].eq("answer").all()
    assert np.isfinite(table[["score", "ci_low", "ci_high"]].to_numpy()).all()
    assert (table["ci_low"] < table["ci_high"]).all()


def test_errors_are_clear():
    with pytest.raises(FitError, match="never compared"):
        fit_rankings([["a", "b"], ["c", "d"]])
    with pytest.raises(FitError, match=r"have no answers"):
        fit_rankings([["a", "b"]], methods=["a", "b", "c"])
    with pytest.raises(FitError, match="at least two distinct"):
        fit_rankings([["a", "a"]])
    with pytest.raises(FitError, match="choice must be one of"):
        fit_pairwise([("a", "b", "both")])
    with pytest.raises(FitError, match="n_boot must be"):
        fit_rankings([["a", "b"]], n_boot=-1)
    with pytest.raises(FitError, match="ties must be one of"):
        fit_pairwise([("a", "b", "left")], ties="davidson")


def test_bootstrap_is_seeded():
    answers = simulate_rankings({"a": 0.5, "b": 0.0, "c": -0.5}, 60, 10, seed=0)
    rankings, raters = [r.split(">") for r in answers["ranking"]], list(answers["rater"])
    first = fit_rankings(rankings, raters, n_boot=40, seed=7)
    again = fit_rankings(rankings, raters, n_boot=40, seed=7)
    other = fit_rankings(rankings, raters, n_boot=40, seed=8)
    assert first.equals(again) and first["seed"].eq(7).all() and first["ci"].eq(0.95).all()
    assert not np.allclose(first["ci_low"], other["ci_low"])


def test_fit_answers_per_question_keeps_simulation_label():
    table = simulate_rankings({"a": 1.0, "b": 0.0, "c": -1.0}, 90, 9, seed=2, question="realism")
    human = table.assign(question="temporal", simulated="false", utilities="")
    answers = validate_answers(__import__("pandas").concat([table, human], ignore_index=True))
    fitted = fit_answers(answers, n_boot=20)
    assert sorted(fitted["question"].unique()) == ["realism", "temporal"]
    sim = fitted[fitted["question"] == "realism"].set_index("method")
    assert sim["simulated"].all() and sim.loc["a", "true_score"] == pytest.approx(1.0)
    assert not fitted[fitted["question"] == "temporal"]["simulated"].any()
    assert fitted[fitted["question"] == "temporal"]["true_score"].isna().all()
