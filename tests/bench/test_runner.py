"""bench.runner end to end on a tiny Dancing dataset: two methods, the real metric registry, resume, NaN, errors."""
import json

import numpy as np
import pandas as pd
import pytest
import torch

from baselines.registry import get_method
from bench.datasets import ClipError, DancingReader
from bench.runner import run_benchmark
from tests.bench.test_datasets import T, make_dancing, shifted_clip


class DarkenForeground:
    """A trivial second method: multiplies the foreground by 0.5 (so its error is easy to compute by hand)."""

    name = "darken"

    def harmonize(self, frames, masks):
        return frames * (1 - 0.5 * masks)


class DarkenButDieOn(DarkenForeground):
    """Darken, but raise on one clip (recognised by its mean), as an interrupted run would stop there."""

    def __init__(self, clip_mean):
        self.clip_mean = clip_mean

    def harmonize(self, frames, masks):
        if abs(float(frames.mean()) - self.clip_mean) < 1e-9:
            raise KeyboardInterrupt
        return super().harmonize(frames, masks)


@pytest.fixture
def data(tmp_path):
    return make_dancing(tmp_path / "data", ids=("c0", "c1", "c2"))


def methods():
    return {"cut_and_paste": get_method("cut_and_paste"), "darken": DarkenForeground()}


def _as_float(clip_frames):
    return clip_frames.astype(np.float64) / 255.0


def test_two_methods_real_registry_end_to_end(data, tmp_path):
    out = run_benchmark(methods(), DancingReader(data), tmp_path / "res", flow="gt", progress=False)
    df = pd.read_csv(out / "results.csv", dtype={"clip": str})
    assert list(df.columns) == ["method", "dataset", "clip", "frame", "metric", "value"]
    from bench.metrics import METRICS

    temporal = {n for n, s in METRICS.items() if s.temporal}
    n_rows = 2 * 3 * (T * (len(METRICS) - len(temporal)) + (T - 1) * len(temporal))
    assert len(df) == n_rows  # one row per method × clip × frame × metric
    assert not df.duplicated(["method", "clip", "frame", "metric"]).any()
    assert set(df[df.metric.isin(temporal)].frame) == set(range(1, T))

    # MSE of cut-and-paste, from the clip arrays directly (independent of the metric code)
    clip = shifted_clip("c1", 1)
    expected = ((_as_float(clip.composite) - _as_float(clip.gt)) ** 2).mean(axis=(1, 2, 3))
    got = df.query("method == 'cut_and_paste' and clip == 'c1' and metric == 'mse'").sort_values("frame").value
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    # darken: foreground halved, background untouched
    darkened = np.where(clip.mask[..., None], _as_float(clip.composite) * 0.5, _as_float(clip.composite))
    expected = ((darkened - _as_float(clip.gt)) ** 2).mean(axis=(1, 2, 3))
    got = df.query("method == 'darken' and clip == 'c1' and metric == 'mse'").sort_values("frame").value
    np.testing.assert_allclose(got, expected, rtol=1e-5)
    # the content moves exactly along the stored flow: a method that changes nothing over time has L_T ≈ 0
    lt = df.query("metric in ['lt_regional', 'lt_global']").value
    assert lt.abs().max() < 1e-10

    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["config"]["flow"]["estimator"] == "gt"
    assert manifest["scored_pairs"] == 6 and manifest["resumed_pairs"] == 0
    assert manifest["versions"]["torch"] and "revision" in manifest["git"]
    assert manifest["skipped_metrics"] == {} and manifest["wall_time_s"] > 0


def test_resume_skips_scored_clips_and_survives_interruption(data, tmp_path):
    res = tmp_path / "res"
    metrics = ["mse", "lt_regional"]
    # first run dies on clip c1 for the second method (as a Ctrl-C would)
    c1_mean = float(DancingReader(data).load("c1").composite.mean())
    with pytest.raises(KeyboardInterrupt):
        run_benchmark({"cut_and_paste": get_method("cut_and_paste"), "darken": DarkenButDieOn(c1_mean)}, data, res,
                      flow="gt", metrics=metrics, progress=False)
    parts = sorted(p.relative_to(res / "parts").as_posix() for p in (res / "parts").rglob("*.csv"))
    assert parts == ["cut_and_paste/c0.csv", "cut_and_paste/c1.csv", "darken/c0.csv"]
    assert not list(res.rglob(".tmp-*"))  # no half-written file left behind
    # a half-written temporary from a crash elsewhere must be ignored
    (res / "parts" / "darken" / ".tmp-dead-c1.csv").write_text("darken,x,c1,0,mse,")

    # the same method (same class: another one would be rescored, bench.identity), now never dying
    out = run_benchmark({"cut_and_paste": get_method("cut_and_paste"), "darken": DarkenButDieOn(float("nan"))}, data,
                        res, flow="gt", metrics=metrics, progress=False)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["resumed_pairs"] == 3 and manifest["scored_pairs"] == 3
    df = pd.read_csv(out / "results.csv", dtype={"clip": str})
    assert len(df) == 2 * 3 * (T + T - 1) and not df.duplicated(["method", "clip", "frame", "metric"]).any()

    fresh = run_benchmark(methods(), data, tmp_path / "fresh", flow="gt", metrics=metrics, progress=False)
    pd.testing.assert_frame_equal(df, pd.read_csv(fresh / "results.csv", dtype={"clip": str}))

    again = run_benchmark({"cut_and_paste": get_method("cut_and_paste"), "darken": DarkenButDieOn(float("nan"))},
                          data, res, flow="gt", metrics=metrics, progress=False)
    assert json.loads((again / "manifest.json").read_text())["scored_pairs"] == 0
    with pytest.raises(ValueError, match="different run"):
        run_benchmark(methods(), data, res, flow="gt", metrics=["psnr"], progress=False)


def test_needs_unmet_are_skipped_and_recorded(data, tmp_path):
    # no flow at all: temporal metrics cannot run on this dataset
    out = run_benchmark(methods(), data, tmp_path / "res", flow=None, metrics=["mse", "lt_regional", "warp_error"],
                        progress=False)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["skipped_metrics"]["lt_regional"] == {"clips": 3, "unmet_needs": ["flow_bw"]}
    assert set(manifest["skipped_metrics"]["warp_error"]["unmet_needs"]) == {"flow_bw", "flow_fw"}
    assert set(pd.read_csv(out / "results.csv").metric) == {"mse"}
    # a resumed invocation scores nothing new but still reports what was skipped
    again = run_benchmark(methods(), data, tmp_path / "res", flow=None, metrics=["mse", "lt_regional", "warp_error"],
                          progress=False)
    resumed = json.loads((again / "manifest.json").read_text())
    assert resumed["scored_pairs"] == 0 and resumed["skipped_metrics"] == manifest["skipped_metrics"]


def test_empty_foreground_gives_counted_nan(tmp_path):
    data = make_dancing(tmp_path / "data", ids=("full", "empty"), empty=("empty",))
    out = run_benchmark(methods(), data, tmp_path / "res", flow="gt", metrics=["mse", "fmse", "lt_regional"],
                        progress=False)
    df = pd.read_csv(out / "results.csv")
    nan_rows = df[df.value.isna()]
    assert set(nan_rows["clip"]) == {"empty"} and set(nan_rows.metric) == {"fmse", "lt_regional"}
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["nan_counts"]["darken"] == {"fmse": T, "lt_regional": T - 1}
    assert not df[df.metric == "mse"].value.isna().any()


def test_metrics_are_registered_names_only(data, tmp_path):
    """One scoring path: the runner scores registered metrics (a new one is added with @register_metric, see
    tests/bench/test_metrics_registry.py); a bare function or an unknown name is refused before any work."""
    def fg_mean(pred, mask):
        return (pred * mask).sum(dim=(1, 2, 3)) / (3 * mask.sum(dim=(1, 2, 3)))

    with pytest.raises(TypeError, match="register_metric"):
        run_benchmark(methods(), data, tmp_path / "a", flow="gt", metrics={"fg_mean": fg_mean}, progress=False)
    with pytest.raises(KeyError, match="unknown metric.*fg_mean"):
        run_benchmark(methods(), data, tmp_path / "b", flow="gt", metrics=["mse", "fg_mean"], progress=False)
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_bad_clip_and_bad_output_are_named(data, tmp_path):
    (data / "test" / "c2" / "gt" / "001.png").write_bytes(b"broken")
    with pytest.raises(ClipError, match="clip c2"):
        run_benchmark(methods(), data, tmp_path / "a", flow="gt", metrics=["mse"], progress=False)
    out = run_benchmark(methods(), data, tmp_path / "b", flow="gt", metrics=["mse"], progress=False, on_error="skip")
    manifest = json.loads((out / "manifest.json").read_text())
    assert [e["clip"] for e in manifest["errors"]] == ["c2"]

    class WrongShape:
        name = "wrong"

        def harmonize(self, frames, masks):
            return frames[:, :, :-1]

    with pytest.raises(ClipError, match="method 'wrong' on clip c0"):
        run_benchmark({"wrong": WrongShape()}, data, tmp_path / "c", flow="gt", metrics=["mse"], progress=False)

    class OutOfRange:
        name = "oor"

        def harmonize(self, frames, masks):
            return frames * 3

    with pytest.raises(ClipError, match="method 'oor' on clip c0.*\\[0, 1\\]"):
        run_benchmark({"oor": OutOfRange()}, data, tmp_path / "d", flow="gt", metrics=["mse"], progress=False)
