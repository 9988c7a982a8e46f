"""bench.paired: paired per-clip differences against hand-computed cases and closed-form bootstrap outcomes."""
import math

import numpy as np
import pandas as pd
import pytest

from bench.paired import (CONTRADICTED, HOLDS, NOT_MEASURED, NOT_RESOLVED, PairedDifference, combine,
                          paired_difference, verdict)
from bench.summary import summarize

COLUMNS = ["method", "dataset", "clip", "frame", "metric", "value"]


def frame(rows, seeds=None):
    df = pd.DataFrame(rows, columns=COLUMNS)
    if seeds is not None:
        df["seed"] = seeds
    return df


def spread_clips(n_clips=40, frames=3, shift=0.1, seed=1):
    """Method b: clip levels spread over ±5 dB; method a: the same frames plus ``shift`` dB."""
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(n_clips):
        level = float(rng.normal(20.0, 5.0))
        for f in range(frames):
            value = level + float(rng.normal(0.0, 0.2))
            rows.append(("b", "d", f"c{c:02d}", f, "psnr", value))
            rows.append(("a", "d", f"c{c:02d}", f, "psnr", value + shift))
    return frame(rows)


def test_identical_outputs_are_not_resolved():
    df = spread_clips(shift=0.0)
    d = paired_difference(df, "psnr", "a", "b")
    assert (d.diff_mean, d.ci_low, d.ci_high) == (0.0, 0.0, 0.0)
    assert verdict(d, "higher") == NOT_RESOLVED and verdict(d, "lower") == NOT_RESOLVED


def test_consistent_small_gain_holds_although_unpaired_intervals_overlap():
    df = spread_clips(shift=0.1)
    unpaired = summarize(df).set_index("method")  # two independent per-method intervals
    assert unpaired.loc["a", "ci_low"] < unpaired.loc["b", "ci_high"]  # they overlap widely
    d = paired_difference(df, "psnr", "a", "b")
    assert d.diff_mean == pytest.approx(0.1, abs=1e-9)
    assert d.ci_low > 0 and d.n_clips == 40 and d.n_seeds == 1 and d.n_boot >= 2000
    assert verdict(d, "higher") == HOLDS
    assert verdict(d, "lower") == CONTRADICTED


def test_mirror_is_contradicted():
    df = spread_clips(shift=-0.1)
    d = paired_difference(df, "psnr", "a", "b")
    assert d.ci_high < 0
    assert verdict(d, "higher") == CONTRADICTED
    assert verdict(paired_difference(df, "psnr", "b", "a"), "higher") == HOLDS


def test_and_claim_with_one_unresolved_is_not_resolved():
    assert combine([HOLDS, NOT_RESOLVED]) == NOT_RESOLVED
    assert combine([HOLDS, HOLDS]) == HOLDS
    assert combine([HOLDS, CONTRADICTED, NOT_RESOLVED]) == CONTRADICTED
    assert combine([HOLDS, NOT_MEASURED]) == NOT_MEASURED
    assert combine([]) == NOT_MEASURED
    with pytest.raises(ValueError, match="unknown verdict"):
        combine(["holds", "does not hold"])


def test_hand_computed_diff_mean_with_unequal_frames_nan_and_unshared_clips():
    rows = [
        # clip x: a frames 2, 4 (mean 3); b frames 1, NaN (mean 1) → 2
        ("a", "d", "x", 0, "mse", 2.0), ("a", "d", "x", 1, "mse", 4.0),
        ("b", "d", "x", 0, "mse", 1.0), ("b", "d", "x", 1, "mse", float("nan")),
        # clip y: a 1 frame 5; b frames 6, 7, 8 (mean 7) → -2
        ("a", "d", "y", 0, "mse", 5.0), ("b", "d", "y", 0, "mse", 6.0),
        ("b", "d", "y", 1, "mse", 7.0), ("b", "d", "y", 2, "mse", 8.0),
        # clip z: a only → not shared; clip w: b's only frame is NaN → not shared
        ("a", "d", "z", 0, "mse", 100.0),
        ("a", "d", "w", 0, "mse", 50.0), ("b", "d", "w", 0, "mse", float("nan")),
        # another metric and another method: ignored
        ("a", "d", "x", 0, "psnr", 30.0), ("c", "d", "x", 0, "mse", 9.0),
    ]
    d = paired_difference(frame(rows), "mse", "a", "b")
    assert d.n_clips == 2
    assert d.diff_mean == pytest.approx((2.0 + -2.0) / 2)
    # resamples of two clips {2,2}, {2,-2}, {-2,-2}: means 2, 0, -2 with probabilities 1/4, 1/2, 1/4
    assert (d.ci_low, d.ci_high) == (-2.0, 2.0)


def test_two_clip_interval_is_the_closed_form_percentiles():
    rows = [("a", "d", "p", 0, "psnr", 11.0), ("b", "d", "p", 0, "psnr", 10.0),
            ("a", "d", "q", 0, "psnr", 13.0), ("b", "d", "q", 0, "psnr", 10.0)]
    d = paired_difference(frame(rows), "psnr", "a", "b")
    assert d.diff_mean == pytest.approx(2.0)
    assert (d.ci_low, d.ci_high) == (1.0, 3.0)  # P(mean 1) = P(mean 3) = 1/4 > 2.5 %
    assert verdict(d, "higher") == HOLDS


def test_b_scale_and_offset():
    # a = 9 on every clip, b = 10 on every clip: a − 0.8·b = 1; a − (b − 2) = 1; a − (0.95·b) = −0.5
    rows = [(m, "d", f"c{c}", 0, "lt", v) for c in range(5) for m, v in (("a", 9.0), ("b", 10.0))]
    df = frame(rows)
    scaled = paired_difference(df, "lt", "a", "b", b_scale=0.8)
    assert (scaled.diff_mean, scaled.b_scale) == (pytest.approx(1.0), 0.8)
    assert paired_difference(df, "lt", "a", "b", b_offset=-2.0).diff_mean == pytest.approx(1.0)
    near = paired_difference(df, "lt", "a", "b", b_scale=0.95)
    assert near.diff_mean == pytest.approx(-0.5)
    assert verdict(near, "lower") == HOLDS  # "a is below 95 % of b"


def test_hierarchical_bootstrap_resamples_seeds_before_clips():
    # two trainings of a: one 1 below b on every clip, one 1.2 above; b has no seeds (one run).
    rows, seeds = [], []
    for c in range(30):
        level = 20.0 + c  # large clip spread, identical for both methods
        rows.append(("b", "d", f"c{c}", 0, "psnr", level)); seeds.append(None)
        for s, delta in ((0, -1.0), (1, 1.2)):
            rows.append(("a", "d", f"c{c}", 0, "psnr", level + delta)); seeds.append(s)
    df = frame(rows, seeds)
    d = paired_difference(df, "psnr", "a", "b")
    assert d.n_seeds == 2 and d.n_clips == 30
    assert d.diff_mean == pytest.approx(0.1)
    # the per-clip difference is the same on every clip, so only the seed draw matters: {0,0} → −1,
    # {0,1} → 0.1, {1,1} → 1.2 with probabilities 1/4, 1/2, 1/4; the 2.5 % / 97.5 % points are −1 and 1.2
    assert (d.ci_low, d.ci_high) == (pytest.approx(-1.0), pytest.approx(1.2))
    assert verdict(d, "higher") == NOT_RESOLVED
    # ignoring the seeds (clips only) would claim a resolved +0.1
    flat = paired_difference(df.drop(columns="seed").groupby(
        ["method", "dataset", "clip", "frame", "metric"], as_index=False)["value"].mean(), "psnr", "a", "b")
    assert (flat.ci_low, flat.ci_high) == (pytest.approx(0.1), pytest.approx(0.1))


def test_seeded_and_validated():
    df = spread_clips(shift=0.05, n_clips=12)
    assert paired_difference(df, "psnr", "a", "b", seed=3) == paired_difference(df, "psnr", "a", "b", seed=3)
    with pytest.raises(ValueError, match="at least 2000"):
        paired_difference(df, "psnr", "a", "b", n_boot=100)
    with pytest.raises(ValueError, match="direction"):
        verdict(paired_difference(df, "psnr", "a", "b"), "better")


def test_missing_numbers_are_not_measured():
    df = spread_clips(n_clips=4)
    none = paired_difference(df, "psnr", "a", "nobody")
    assert none.n_clips == 0 and math.isnan(none.diff_mean)
    assert verdict(none, "higher") == NOT_MEASURED
    assert verdict(None, "lower") == NOT_MEASURED
    assert paired_difference(df, "psnr", "a", "b", dataset="other").n_clips == 0


def test_one_clip_is_not_resolved():
    rows = [("a", "d", "p", 0, "psnr", 12.0), ("b", "d", "p", 0, "psnr", 10.0)]
    d = paired_difference(frame(rows), "psnr", "a", "b")
    assert d.diff_mean == 2.0 and verdict(d, "higher") == NOT_RESOLVED


def test_dataset_filter_and_clip_keys_per_dataset():
    # the same clip name in two datasets is two clips; the filter keeps one
    rows = [("a", "d1", "c", 0, "psnr", 3.0), ("b", "d1", "c", 0, "psnr", 1.0),
            ("a", "d2", "c", 0, "psnr", 1.0), ("b", "d2", "c", 0, "psnr", 1.0)]
    df = frame(rows)
    assert paired_difference(df, "psnr", "a", "b").n_clips == 2
    assert paired_difference(df, "psnr", "a", "b").diff_mean == pytest.approx(1.0)
    assert paired_difference(df, "psnr", "a", "b", dataset="d1").diff_mean == pytest.approx(2.0)
    assert isinstance(paired_difference(df, "psnr", "a", "b"), PairedDifference)
