"""The registry's metadata, the shared clip evaluation (memo), protocols, the generated convention table and the
streaming accumulators."""
from __future__ import annotations

import inspect
import math
from pathlib import Path

import pytest
import torch

import bench.metrics.context as context
from bench.metrics import (INPUT_NAMES, METRICS, MeanAccumulator, MetricCollection, evaluate_clip, get_metric,
                           list_metrics, metrics_for, register_metric, unregister_metric)
from bench.metrics import functional as F
from bench.metrics.conventions import BEGIN, END, conventions_table, with_table
from bench.protocols.registry import Protocol, get_protocol, register_protocol, unregister_protocol

EXPECTED = {"mse", "psnr", "fmse", "fpsnr", "ssim", "fssim", "mse255", "fmse255", "lt_regional", "lt_global",
            "tl_co2net", "warp_error", "fr_rtc"}
DOCS = Path(__file__).resolve().parents[2] / "docs" / "metrics.md"


@pytest.fixture
def clip():
    g = torch.Generator().manual_seed(7)
    gt = torch.rand(3, 3, 20, 24, generator=g)
    pred = (gt + 0.05 * torch.randn(gt.shape, generator=g)).clamp(0, 1)
    mask = (torch.rand(3, 1, 20, 24, generator=g) > 0.5).float()
    flow_bw = 1.5 * torch.randn(2, 2, 20, 24, generator=g)
    flow_fw = -flow_bw + 0.3 * torch.randn(2, 2, 20, 24, generator=g)
    valid = (torch.rand(2, 1, 20, 24, generator=g) > 0.2).float()
    return dict(pred=pred, gt=gt, mask=mask, flow_bw=flow_bw, flow_fw=flow_fw, valid_bw=valid)


def test_registry_lists_every_metric_with_metadata():
    assert set(METRICS) == EXPECTED and list_metrics() == list(METRICS) == list(metrics_for("paper"))
    for name, spec in METRICS.items():
        assert spec.name == name and isinstance(spec.higher_is_better, bool) and spec.scale and spec.description
        assert set(spec.needs) | set(spec.optional) <= set(INPUT_NAMES) and spec.protocol == "paper"
    assert METRICS["psnr"].higher_is_better and not METRICS["mse"].higher_is_better
    assert METRICS["warp_error"].needs == ("flow_bw", "flow_fw") and METRICS["lt_regional"].temporal
    assert METRICS["lt_regional"].optional == ("valid_bw",)
    with pytest.raises(KeyError, match=r"unknown metric 'psnrr' for protocol 'paper' \(did you mean 'psnr'\?\)"):
        get_metric("psnrr")
    with pytest.raises(KeyError, match="unknown protocol 'nope'"):
        get_metric("psnr", protocol="nope")
    with pytest.raises(TypeError):
        METRICS["x"] = METRICS["mse"]  # a read-only view: metrics are added by the decorator only


def test_decorator_refuses_unknown_inputs_and_duplicates():
    with pytest.raises(ValueError, match="unknown input 'flow'.*did you mean.*'flow_bw'"):
        register_metric(higher_is_better=False, scale="-", needs=("flow",), temporal=True)(lambda clip: None)
    with pytest.raises(ValueError, match="'psnr' is already registered for protocol 'paper'"):
        @register_metric(higher_is_better=True, scale="-", needs=("gt",), temporal=False)
        def psnr(clip):
            return clip.pred
    assert METRICS["psnr"].fn.__module__ == "bench.metrics.image"
    with pytest.raises(TypeError, match="unexpected input 'target'"):
        F.psnr(torch.zeros(1, 3, 4, 4), target=torch.zeros(1, 3, 4, 4))
    with pytest.raises(TypeError, match="missing input"):
        F.fmse(torch.zeros(1, 3, 4, 4), torch.zeros(1, 3, 4, 4))


def test_functions_take_pred_then_needs_then_optional():
    assert str(inspect.signature(F.lt_regional)) == "(pred, mask, flow_bw, valid_bw=None)"
    assert str(inspect.signature(F.tl_co2net)) == "(pred, gt, mask, flow_bw)"
    assert F.psnr.spec is METRICS["psnr"] and F.psnr.__name__ == "psnr"


def test_evaluate_clip_equals_the_individual_functions(clip):
    c = clip
    out = evaluate_clip(c["pred"], gt=c["gt"], mask=c["mask"], flow_bw=c["flow_bw"], flow_fw=c["flow_fw"],
                        valid_bw=c["valid_bw"])
    assert set(out) == EXPECTED
    single = {
        "mse": F.mse(c["pred"], c["gt"]), "psnr": F.psnr(c["pred"], c["gt"]),
        "mse255": F.mse255(c["pred"], c["gt"]), "ssim": F.ssim(c["pred"], c["gt"]),
        "fmse": F.fmse(c["pred"], c["gt"], c["mask"]), "fpsnr": F.fpsnr(c["pred"], c["gt"], c["mask"]),
        "fmse255": F.fmse255(c["pred"], c["gt"], c["mask"]), "fssim": F.fssim(c["pred"], c["gt"], c["mask"]),
        "lt_regional": F.lt_regional(c["pred"], c["mask"], c["flow_bw"], c["valid_bw"]),
        "lt_global": F.lt_global(c["pred"], c["flow_bw"], c["valid_bw"]),
        "tl_co2net": F.tl_co2net(c["pred"], c["gt"], c["mask"], c["flow_bw"]),
        "warp_error": F.warp_error(c["pred"], c["flow_bw"], c["flow_fw"]),
        "fr_rtc": F.fr_rtc(c["pred"], c["gt"], c["mask"]),
    }
    for name, values in single.items():
        assert out[name].shape == ((2,) if METRICS[name].temporal else (3,)), name
        assert torch.equal(out[name].isnan(), values.isnan()), name
        assert torch.equal(out[name].nan_to_num(), values.nan_to_num()), name


def test_hand_computed_mse_through_evaluate_clip():
    """An independent check of the shared path: whole-image and foreground MSE of a 2×2 frame by hand."""
    pred = torch.zeros(1, 3, 2, 2, dtype=torch.float64)
    gt = pred.clone()
    gt[0, :, 0, 0] = 0.5  # error 0.25 on 3 channels of one pixel
    mask = torch.zeros(1, 1, 2, 2)
    mask[0, 0, 0, :] = 1  # that pixel and one without error
    out = evaluate_clip(pred, gt=gt, mask=mask, metrics=["mse", "fmse", "mse255"])
    assert out["mse"].item() == pytest.approx(0.75 / 12, rel=1e-12)
    assert out["fmse"].item() == pytest.approx(0.75 / 6, rel=1e-12)
    assert out["mse255"].item() == pytest.approx(0.75 / 12 * 255**2, rel=1e-12)


def test_memo_computes_each_shared_intermediate_once(clip, monkeypatch):
    calls = {"ssim_map": 0, "backward_warp": [], "squared_error": 0}
    real_map, real_warp = context.ssim_map, context.backward_warp

    def counting_map(*args, **kwargs):
        calls["ssim_map"] += 1
        return real_map(*args, **kwargs)

    def counting_warp(image, flow, **kwargs):
        calls["backward_warp"].append(image.shape[1])
        return real_warp(image, flow, **kwargs)

    monkeypatch.setattr(context, "ssim_map", counting_map)
    monkeypatch.setattr(context, "backward_warp", counting_warp)
    c = clip
    out = evaluate_clip(c["pred"], gt=c["gt"], mask=c["mask"], flow_bw=c["flow_bw"], flow_fw=c["flow_fw"],
                        valid_bw=c["valid_bw"])
    assert set(out) == EXPECTED
    assert calls["ssim_map"] == 1  # ssim and fssim share one map
    # pred, gt, mask and the forward flow are each warped once, for four temporal metrics together
    assert sorted(calls["backward_warp"]) == [1, 2, 3, 3]

    shared = context.Clip(c["pred"], gt=c["gt"])
    assert shared.squared_error() is shared.squared_error()
    assert shared.error_stats() is shared.error_stats() and shared.error_stats(foreground=False) is not None


def test_evaluate_clip_picks_what_the_inputs_allow_and_names_the_clip(clip):
    only_gt = evaluate_clip(clip["pred"], gt=clip["gt"])
    assert set(only_gt) == {"mse", "psnr", "mse255", "ssim"}
    no_gt = evaluate_clip(clip["pred"], mask=clip["mask"], flow_bw=clip["flow_bw"])
    assert set(no_gt) == {"lt_regional", "lt_global"}
    with pytest.raises(ValueError, match="clip_7: metric 'warp_error' needs flow_fw"):
        evaluate_clip(clip["pred"], flow_bw=clip["flow_bw"], metrics=["warp_error"], where="clip_7")
    with pytest.raises(ValueError, match="clip_8: .*flow_bw"):
        evaluate_clip(clip["pred"], mask=clip["mask"], flow_bw=clip["flow_bw"][:1], where="clip_8")
    with pytest.raises(TypeError, match="unknown input 'flow'.*did you mean.*'flow_bw'"):
        evaluate_clip(clip["pred"], flow=clip["flow_bw"])
    single = evaluate_clip(clip["pred"][:1], gt=clip["gt"][:1], mask=clip["mask"][:1])
    assert "fr_rtc" not in single and "mse" in single  # temporal metrics need two frames


def test_new_metric_is_one_function_and_one_decorator(clip, tmp_path):
    """Defined here, it reaches evaluate_clip, the runner's results.csv and the generated convention table."""
    import pandas as pd

    from baselines.registry import get_method
    from bench.runner import run_benchmark
    from tests.bench.test_datasets import T, make_dancing, shifted_clip

    @register_metric(higher_is_better=False, scale="[0,1] images", needs=("gt", "mask"), temporal=False)
    def fg_abs_error(clip):
        """Mean absolute error over mask pixels and channels."""
        err = (clip.pred - clip.gt).abs() * clip.mask
        return err.sum(dim=(1, 2, 3)) / (3 * clip.mask.sum(dim=(1, 2, 3)))

    try:
        out = evaluate_clip(clip["pred"], gt=clip["gt"], mask=clip["mask"])
        m = clip["mask"].bool().expand_as(clip["pred"])
        by_hand = [(clip["pred"][i] - clip["gt"][i]).abs()[m[i]].double().mean().item() for i in range(3)]
        assert out["fg_abs_error"].tolist() == pytest.approx(by_hand, rel=1e-6)
        assert fg_abs_error(clip["pred"], clip["gt"], clip["mask"]).tolist() == pytest.approx(by_hand, rel=1e-6)

        data = make_dancing(tmp_path / "data", ids=("c0",))
        res = run_benchmark({"cut_and_paste": get_method("cut_and_paste")}, data, tmp_path / "res", flow="gt",
                            metrics=["mse", "fg_abs_error"], progress=False)
        df = pd.read_csv(res / "results.csv", dtype={"clip": str})
        rows = df[df.metric == "fg_abs_error"].sort_values("frame")
        c0 = shifted_clip("c0", 0)
        comp, gt, fg = c0.composite / 255.0, c0.gt / 255.0, c0.mask
        assert len(rows) == T
        assert rows.value.tolist() == pytest.approx([abs(comp[t] - gt[t])[fg[t]].mean() for t in range(T)], abs=1e-6)

        row = "| `fg_abs_error` | Mean absolute error over mask pixels and channels. | [0,1] images | no | gt, mask |"
        assert row in conventions_table()
    finally:
        unregister_metric("fg_abs_error")
    assert "fg_abs_error" not in METRICS and "fg_abs_error" not in conventions_table()


def test_a_protocol_registers_its_own_version_and_input_preparation(clip):
    """A second protocol: the same metric name, its own function and its own once-per-clip input preparation."""
    prepared = []

    def quantize(inputs):  # e.g. a peer that scores 8-bit frames
        prepared.append(1)
        return {k: (v.double() * 255).round() / 255 if k in ("pred", "gt") and v is not None else v
                for k, v in inputs.items()}

    register_protocol(Protocol("test_8bit", title="8-bit frames", peer="a test", files=("tests/bench",),
                               peer_flow="none", pairs="none", prepare=quantize))
    try:
        @register_metric(higher_is_better=False, scale="0-255 images", needs=("gt",), temporal=False,
                         protocol="test_8bit", name="mse")
        def mse_8bit(clip):
            """MSE on 0–255 values of 8-bit-rounded frames."""
            return (clip.pred - clip.gt).square().mean(dim=(1, 2, 3)) * 255.0**2

        @register_metric(higher_is_better=True, scale="-", needs=("gt",), temporal=False, protocol="test_8bit")
        def identical(clip):
            """Fraction of equal values."""
            return (clip.pred == clip.gt).double().mean(dim=(1, 2, 3))

        assert list_metrics("test_8bit") == ["mse", "identical"] and get_metric("mse").protocol == "paper"
        out = evaluate_clip(clip["pred"], gt=clip["gt"], protocol="test_8bit")
        assert set(out) == {"mse", "identical"} and len(prepared) == 1  # prepared once for both metrics
        p8, g8 = (clip["pred"].double() * 255).round(), (clip["gt"].double() * 255).round()
        assert out["mse"].tolist() == pytest.approx((p8 - g8).square().mean(dim=(1, 2, 3)).tolist(), rel=1e-9)
        assert mse_8bit(clip["pred"], clip["gt"]).tolist() == pytest.approx(out["mse"].tolist(), rel=1e-12)
        assert evaluate_clip(clip["pred"], gt=clip["gt"], metrics=["mse"])["mse"].tolist() == pytest.approx(
            F.mse(clip["pred"], clip["gt"]).tolist())  # the paper's own mse is untouched
        assert "| `identical` |" in conventions_table("test_8bit")
        assert get_protocol("test_8bit").describe()["prepare"].endswith("quantize")  # the manifest names it
    finally:
        unregister_protocol("test_8bit")
    with pytest.raises(KeyError, match="unknown protocol 'test_8bit'"):
        metrics_for("test_8bit")  # its metrics went with it: they live in its registry entry


def test_docs_hold_exactly_the_generated_convention_table():
    page = DOCS.read_text(encoding="utf-8")
    assert with_table(page) == page, "docs/metrics.md is out of date: run python -m bench.metrics.conventions"
    start = page.index(BEGIN) + len(BEGIN) + 1
    assert page[start:page.index(END)] == conventions_table()


def test_mean_accumulator_counts_nan_and_inf():
    acc = MeanAccumulator("fmse")
    acc.update(torch.tensor([1.0, float("nan"), 3.0]))
    acc.update(torch.tensor([5.0]))
    assert acc.compute() == pytest.approx(3.0) and acc.n == 3 and acc.n_nan == 1
    acc.update(torch.tensor([float("inf")]))
    assert math.isinf(acc.compute()) and acc.n_inf == 1
    acc.reset()
    assert math.isnan(acc.compute()) and acc.n == 0


def test_metric_collection_streams_clips(clip):
    coll = MetricCollection(["mse", "fmse"])
    mask = clip["mask"].clone()
    mask[0] = 0
    coll.update(clip["pred"], gt=clip["gt"], mask=mask)
    coll.update(clip["gt"], gt=clip["gt"], mask=clip["mask"])
    res = coll.compute()
    per_frame = torch.cat((F.mse(clip["pred"], clip["gt"]), torch.zeros(3, dtype=torch.float64)))
    assert res["mse"]["mean"] == pytest.approx(per_frame.mean().item(), rel=1e-12)
    assert res["fmse"]["n_nan"] == 1 and res["fmse"]["n"] == 5
    assert res["mse"]["higher_is_better"] is False


def test_every_spec_is_callable_on_tensors_in_the_order_of_its_needs(clip):
    """``spec(pred, *inputs in the order of needs)`` works for every metric (optional inputs left out)."""
    shared = evaluate_clip(clip["pred"], gt=clip["gt"], mask=clip["mask"], flow_bw=clip["flow_bw"],
                           flow_fw=clip["flow_fw"])
    for name, spec in METRICS.items():
        direct = spec(clip["pred"], *[clip[k] for k in spec.needs])
        assert torch.allclose(direct, shared[name], rtol=1e-12, atol=0, equal_nan=True), name
