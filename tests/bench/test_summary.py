"""bench.summary: pooled means equal pandas, bootstrap intervals against closed forms."""
import math

import numpy as np
import pandas as pd
import pytest

from bench.summary import SummaryConfig, format_table, read_results, summarize


def results(rows):
    return pd.DataFrame(rows, columns=["method", "dataset", "clip", "frame", "metric", "value"])


def test_constant_values_give_zero_width_interval():
    df = results([("a", "d", f"c{c}", f, "mse", 0.25) for c in range(5) for f in range(3)])
    s = summarize(df)
    row = s.iloc[0]
    assert (row["mean"], row["ci_low"], row["ci_high"]) == (0.25, 0.25, 0.25)
    assert row["n_clips"] == 5 and row["n_nan"] == 0


def test_mean_matches_pandas_with_unequal_frames_and_nan():
    rng = np.random.default_rng(1)
    rows = []
    for m in ("a", "b"):
        for c in range(6):
            for f in range(c + 1):  # clips of different lengths: the pooled mean weights frames
                rows.append((m, "d", f"c{c}", f, "psnr", float(rng.normal(20, 3))))
    rows.append(("a", "d", "c0", 9, "psnr", float("nan")))
    df = results(rows)
    s = summarize(df).set_index("method")
    expected = df.groupby("method").value.mean()  # pandas skips NaN
    np.testing.assert_allclose(s["mean"], expected.loc[s.index], rtol=1e-12)
    assert s.loc["a", "n_nan"] == 1 and s.loc["b", "n_nan"] == 0
    assert (s["ci_low"] <= s["mean"]).all() and (s["mean"] <= s["ci_high"]).all()


def test_two_clips_interval_is_their_values():
    # one frame per clip, values 1 and 3: a resample is {1,1}, {1,3} or {3,3} with probabilities 1/4, 1/2, 1/4,
    # so the 2.5% and 97.5% quantiles of the bootstrap means are exactly 1 and 3
    df = results([("a", "d", "x", 0, "mse", 1.0), ("a", "d", "y", 0, "mse", 3.0)])
    row = summarize(df, SummaryConfig(n_boot=4000, seed=3)).iloc[0]
    assert (row["mean"], row["ci_low"], row["ci_high"]) == (2.0, 1.0, 3.0)


def test_interval_width_shrinks_like_standard_error():
    # n clips of i.i.d. values with std σ: the 95% bootstrap interval ≈ mean ± 1.96·σ/√n
    rng = np.random.default_rng(7)
    n = 400
    values = rng.normal(0.0, 1.0, size=n)
    df = results([("a", "d", f"c{i}", 0, "m", v) for i, v in enumerate(values)])
    row = summarize(df, SummaryConfig(n_boot=2000, seed=0)).iloc[0]
    se = values.std(ddof=0) / math.sqrt(n)
    assert row["ci_high"] - row["ci_low"] == pytest.approx(2 * 1.96 * se, rel=0.1)


def test_seeded_and_reproducible():
    rng = np.random.default_rng(2)
    df = results([("a", "d", f"c{i}", 0, "m", float(v)) for i, v in enumerate(rng.random(20))])
    pd.testing.assert_frame_equal(summarize(df, SummaryConfig(seed=5)), summarize(df, SummaryConfig(seed=5)))
    assert not summarize(df, SummaryConfig(seed=5)).equals(summarize(df, SummaryConfig(seed=6)))


def test_all_nan_metric_and_multiple_datasets():
    df = results([("a", "d1", "c0", 0, "fmse", float("nan")), ("a", "d2", "c0", 0, "fmse", 0.5)])
    s = summarize(df)
    assert list(s.columns[:3]) == ["dataset", "method", "metric"]
    d1 = s[s.dataset == "d1"].iloc[0]
    assert math.isnan(d1["mean"]) and d1["n_nan"] == 1
    assert "fmse" in format_table(s)


def test_read_results_checks_columns(tmp_path):
    with pytest.raises(FileNotFoundError, match="results.csv"):
        read_results(tmp_path)
    (tmp_path / "results.csv").write_text("method,clip,value\na,c,1\n")
    with pytest.raises(ValueError, match="lacks the column"):
        read_results(tmp_path)
