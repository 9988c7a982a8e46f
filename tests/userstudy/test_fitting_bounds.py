"""userstudy.fitting: which methods are flagged unbounded (hand-built comparison graphs), and the
bootstrap draws behind the intervals."""
import numpy as np
import pytest

from userstudy.fitting import fit_pairwise, fit_rankings


def test_only_always_winning_and_always_losing_methods_are_unbounded():
    # "top" is first and "bottom" last in every ranking; a, b, c beat each other both ways in between:
    # top's and bottom's gaps to the rest are set by the regulariser, a/b/c's mutual scores by the data.
    rng = np.random.default_rng(0)
    rankings = [["top", *rng.permutation(["a", "b", "c"]), "bottom"] for _ in range(30)]
    table = fit_rankings(rankings, [f"r{i % 5}" for i in range(30)], n_boot=20).set_index("method")
    assert table["unbounded"].to_dict() == {"top": True, "a": False, "b": False, "c": False, "bottom": True}


def test_a_chain_flags_only_its_ends_and_a_cycle_flags_nothing():
    chain = [("a", "b", "left")] * 4 + [("b", "c", "left")] * 4  # a beats b beats c, never the reverse
    flags = fit_pairwise(chain, n_boot=0).set_index("method")["unbounded"].to_dict()
    assert flags == {"a": True, "b": False, "c": True}
    cycle = [("a", "b", "left"), ("b", "c", "left"), ("c", "a", "left")] * 3
    assert not fit_pairwise(cycle, n_boot=0)["unbounded"].any()


def test_draws_are_the_resamples_behind_the_intervals():
    rng = np.random.default_rng(1)
    rankings = [list(rng.permutation(["x", "y", "z"])) for _ in range(40)]
    table, draws = fit_rankings(rankings, [f"r{i % 8}" for i in range(40)], n_boot=60, with_draws=True)
    assert draws.shape == (60, 3) and list(draws.columns) == sorted(draws.columns)
    np.testing.assert_allclose(draws.sum(axis=1), 0.0, atol=1e-9)  # centred per resample
    by = table.set_index("method")
    for m in draws.columns:
        assert np.percentile(draws[m], 2.5) == pytest.approx(by.loc[m, "ci_low"], abs=1e-12)
        assert np.percentile(draws[m], 97.5) == pytest.approx(by.loc[m, "ci_high"], abs=1e-12)
