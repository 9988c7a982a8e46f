"""The registry's metadata, the shared clip evaluation and the streaming accumulators."""
from __future__ import annotations

import math

import pytest
import torch

from bench.metrics import METRICS, MeanAccumulator, MetricCollection, evaluate_clip, get_metric
from bench.metrics import functional as F

EXPECTED = {"mse", "psnr", "fmse", "fpsnr", "ssim", "fssim", "mse255", "fmse255", "lt_regional", "lt_global",
            "tl_co2net", "warp_error", "fr_rtc"}


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
    assert set(METRICS) == EXPECTED
    for name, spec in METRICS.items():
        assert spec.name == name and isinstance(spec.higher_is_better, bool) and spec.scale
        assert set(spec.needs) <= {"gt", "mask", "flow", "flow_fw"}
    assert METRICS["psnr"].higher_is_better and not METRICS["mse"].higher_is_better
    assert METRICS["warp_error"].needs == ("flow", "flow_fw") and METRICS["lt_regional"].temporal
    with pytest.raises(KeyError, match="unknown metric 'nope'"):
        get_metric("nope")


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
        assert torch.allclose(out[name], values, rtol=1e-12, atol=0, equal_nan=True), name


def test_evaluate_clip_picks_what_the_inputs_allow_and_names_the_clip(clip):
    only_gt = evaluate_clip(clip["pred"], gt=clip["gt"])
    assert set(only_gt) == {"mse", "psnr", "mse255", "ssim"}
    no_gt = evaluate_clip(clip["pred"], mask=clip["mask"], flow_bw=clip["flow_bw"])
    assert set(no_gt) == {"lt_regional", "lt_global"}
    with pytest.raises(ValueError, match="clip_7: metric 'warp_error' needs flow_fw"):
        evaluate_clip(clip["pred"], flow_bw=clip["flow_bw"], metrics=["warp_error"], where="clip_7")
    with pytest.raises(ValueError, match="clip_8: .*flow_bw"):
        evaluate_clip(clip["pred"], mask=clip["mask"], flow_bw=clip["flow_bw"][:1], where="clip_8")


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


def test_needs_list_the_positional_inputs_of_each_function(clip):
    """``spec.fn(pred, *inputs in the order of needs)`` works for every metric (valid_bw left at its default)."""
    by_need = {"gt": clip["gt"], "mask": clip["mask"], "flow": clip["flow_bw"], "flow_fw": clip["flow_fw"]}
    shared = evaluate_clip(clip["pred"], gt=clip["gt"], mask=clip["mask"], flow_bw=clip["flow_bw"],
                           flow_fw=clip["flow_fw"])
    for name, spec in METRICS.items():
        direct = spec.fn(clip["pred"], *[by_need[k] for k in spec.needs])
        assert torch.allclose(direct, shared[name], rtol=1e-12, atol=0, equal_nan=True), name
