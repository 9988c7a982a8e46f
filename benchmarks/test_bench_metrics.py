"""Speed of the whole metric set against a per-frame NumPy/scikit-image loop, with and without DIS flow.

The reference loop is written the way the HYouTube / CO2Net evaluation scripts are: frame by frame,
``skimage.metrics`` for MSE / PSNR / SSIM (one ``structural_similarity(full=True)`` call gives both
SSIM and the fSSIM map), fMSE as ``mse(pred·m, gt·m)·H·W / fg``, flows from ``cv2`` DIS per frame pair,
warping with ``scipy.ndimage.map_coordinates`` (bilinear, edge clamp), Lai et al.'s occlusion in NumPy (plus
pixels whose correspondence leaves frame t−1, docs/metrics.md).
Both paths compute DIS flow on the ground-truth frames (CO2Net's convention) in both directions.

Every benchmark asserts that its per-frame numbers equal the other path's (|Δ| ≤ 1e−6·max(1, |value|)), so a
fast but wrong metric fails.  Groups: "metrics + DIS flow" (end to end) and "metrics only" (the same flows
given to both).  ``extra_info["frames"]`` gives the frame count, so ms/frame = mean / frames.

    pytest benchmarks/test_bench_metrics.py --benchmark-only
"""
from __future__ import annotations

import math

import cv2
import numpy as np
import pytest
import torch
from scipy import ndimage
from skimage.metrics import mean_squared_error, peak_signal_noise_ratio, structural_similarity

from bench.flow import get_estimator
from bench.metrics import METRICS, evaluate_clip

SK_SSIM = dict(channel_axis=-1, data_range=1.0, gaussian_weights=True, sigma=1.5, use_sample_covariance=False)


# ----------------------------------------------------------------------------- synthetic clips
def make_clip(seed: int, frames: int, size: int):
    """A textured background panning by a few pixels, a moving disc foreground recoloured per frame in
    the prediction (flicker), 8-bit quantised like frames read from PNG."""
    g = np.random.default_rng(seed)
    base = cv2.resize(g.random((size // 8, size // 8, 3)), (size * 2, size * 2), interpolation=cv2.INTER_CUBIC)
    base = cv2.GaussianBlur(base + 0.3 * g.random(base.shape), (0, 0), 1.0)
    base = (base - base.min()) / (base.max() - base.min())
    yy, xx = np.mgrid[:size, :size]
    gt, pred, mask = [], [], []
    for t in range(frames):
        ox, oy = 10 + 2 * t, 12 + t
        frame = base[oy:oy + size, ox:ox + size].copy()
        cx, cy = size / 2 + 3 * t, size / 2 - 2 * t
        m = ((xx - cx) ** 2 + (yy - cy) ** 2) < (size / 5) ** 2
        frame[m] = 0.6 * frame[m] + 0.3
        out = frame.copy()
        out[m] = np.clip(out[m] * g.uniform(0.85, 1.15, size=3), 0, 1)
        gt.append(frame), pred.append(out), mask.append(m)
    q = lambda a: np.round(np.stack(a) * 255) / 255  # noqa: E731
    to_t = lambda a: torch.from_numpy(a).permute(0, 3, 1, 2).float()  # noqa: E731
    return to_t(q(pred)), to_t(q(gt)), torch.from_numpy(np.stack(mask)[:, None].astype(np.float32))


# ----------------------------------------------------------------------------- reference loop
def _warp(img: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """Sample ``img`` (H×W×C) at (x + dx, y + dy): bilinear, coordinates clamped to the frame."""
    h, w = flow.shape[:2]
    yy, xx = np.mgrid[:h, :w].astype(np.float64)
    coords = [yy + flow[..., 1], xx + flow[..., 0]]
    return np.stack([ndimage.map_coordinates(img[..., c], coords, order=1, mode="nearest")
                     for c in range(img.shape[2])], axis=-1)


def _lai_occlusion(bw: np.ndarray, fw: np.ndarray) -> np.ndarray:
    fw_w = _warp(fw, bw)
    mag = lambda v: (v ** 2).sum(-1)  # noqa: E731
    occ = mag(bw + fw_w) > 0.01 * (mag(fw_w) + mag(bw)) + 0.5
    du, dv = np.zeros_like(bw), np.zeros_like(bw)
    du[:, :-1] = bw[:, :-1] - bw[:, 1:]
    dv[:-1] = bw[:-1] - bw[1:]
    return occ | ((du ** 2 + dv ** 2).sum(-1) > 0.01 * mag(bw) + 0.002)


def reference_clip(pred_t: torch.Tensor, gt_t: torch.Tensor, mask_t: torch.Tensor,
                   flows: tuple | None = None) -> dict[str, list[float]]:
    """Per-frame loop; ``flows=(flow_bw, flow_fw)`` (torch, as our estimator returns them) skips DIS."""
    pred = pred_t.permute(0, 2, 3, 1).double().numpy()
    gt = gt_t.permute(0, 2, 3, 1).double().numpy()
    masks = mask_t[:, 0].double().numpy()
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    grey = [cv2.cvtColor(np.round(f * 255).astype(np.uint8), cv2.COLOR_RGB2GRAY) for f in gt]
    out: dict[str, list[float]] = {n: [] for n in METRICS}
    bright_p, bright_x = [], []
    h, w = masks.shape[1:]
    for t in range(len(pred)):
        p, x, m = pred[t], gt[t], masks[t]
        m3 = m[..., None]
        fg = m.sum()
        mse = mean_squared_error(x, p)
        out["mse"].append(mse)
        out["psnr"].append(peak_signal_noise_ratio(x, p, data_range=1.0))
        out["mse255"].append(mean_squared_error(x * 255, p * 255))
        fmse = mean_squared_error(x * m3, p * m3) * h * w / fg if fg else math.nan
        out["fmse"].append(fmse)
        out["fpsnr"].append(10 * math.log10(1 / fmse) if fg else math.nan)
        out["fmse255"].append(fmse * 255**2)
        s, smap = structural_similarity(p, x, full=True, **SK_SSIM)
        out["ssim"].append(s)
        out["fssim"].append(smap[m.astype(bool)].mean() if fg else math.nan)
        bright_p.append((p.max(-1) * 255 * m).sum() / fg if fg else math.nan)
        bright_x.append((x.max(-1) * 255 * m).sum() / fg if fg else math.nan)
        if t == 0:
            continue
        if flows is None:
            bw = dis.calc(grey[t], grey[t - 1], None).astype(np.float64)
            fw = dis.calc(grey[t - 1], grey[t], None).astype(np.float64)
        else:
            bw = flows[0][t - 1].permute(1, 2, 0).double().numpy()
            fw = flows[1][t - 1].permute(1, 2, 0).double().numpy()
        yy, xx = np.mgrid[:h, :w]
        inside = ((xx + bw[..., 0] >= 0) & (xx + bw[..., 0] <= w - 1) & (yy + bw[..., 1] >= 0)
                  & (yy + bw[..., 1] <= h - 1)).astype(np.float64)
        warped = _warp(np.concatenate((pred[t - 1], gt[t - 1], masks[t - 1][..., None]), -1), bw)
        wp, wx, wm = warped[..., :3], warped[..., 3:6], warped[..., 6]
        d2 = ((p - wp) ** 2).sum(-1)
        region = inside * m
        out["lt_regional"].append((d2 * region).sum() / (3 * region.sum()) if region.sum() else math.nan)
        out["lt_global"].append((d2 * inside).sum() / (3 * inside.sum()))
        weight = wm * np.exp(-np.abs(wx - x)).mean(-1)
        num = ((weight[..., None] * wp - weight[..., None] * p) ** 2).sum() * 255**2
        out["tl_co2net"].append(num / weight.sum() if weight.sum() else math.nan)
        visible = ~_lai_occlusion(bw, fw) & (inside > 0.5)  # a correspondence outside frame t−1 is occluded
        out["warp_error"].append((d2 * visible).sum() / (3 * visible.sum()) if visible.any() else math.nan)
    d = np.abs(np.diff(bright_p) - np.diff(bright_x))
    mu = np.nanmean(d)
    out["fr_rtc"] = list(d**2 + np.maximum(d - mu, 0) ** 2)
    return out


def ours_clip(pred: torch.Tensor, gt: torch.Tensor, mask: torch.Tensor, estimator=None,
              flows: tuple | None = None) -> dict[str, torch.Tensor]:
    flow_bw, flow_fw = estimator.clip_flows(gt) if flows is None else flows
    return evaluate_clip(pred, gt=gt, mask=mask, flow_bw=flow_bw, flow_fw=flow_fw)


# ----------------------------------------------------------------------------- benchmarks
@pytest.fixture(scope="module")
def clips(scale):
    size, n_clips, frames = scale(256, 32), scale(4, 1), scale(5, 3)
    return [make_clip(seed, frames, size) for seed in range(n_clips)]


@pytest.fixture(scope="module")
def flows(clips):
    estimator = get_estimator("dis")
    return [estimator.clip_flows(gt) for _, gt, _ in clips]


@pytest.fixture(scope="module")
def reference_values(clips, flows):
    """Per-frame numbers of the reference loop with the precomputed flows (computed once, untimed)."""
    return [reference_clip(*c, flows=f) for c, f in zip(clips, flows)]


def assert_same(reference: list[dict], ours: list[dict]) -> float:
    """Every metric of every frame equal within 1e−6·max(1, |value|); returns the largest such deviation."""
    worst = 0.0
    for r, o in zip(reference, ours, strict=True):
        for name in METRICS:
            a, b = np.asarray(r[name], dtype=np.float64), np.asarray(o[name], dtype=np.float64)
            assert a.shape == b.shape, (name, a.shape, b.shape)
            assert np.array_equal(np.isnan(a), np.isnan(b)), name
            ok = ~np.isnan(a)
            dev = np.abs(a[ok] - b[ok]) / np.maximum(1.0, np.abs(a[ok]))
            worst = max(worst, float(dev.max(initial=0.0)))
            assert np.all(dev <= 1e-6), (name, a, b)
    return worst


def _info(benchmark, clips, worst):
    benchmark.extra_info.update(frames=sum(len(c[0]) for c in clips), size=clips[0][0].shape[-1],
                                metrics=len(METRICS), max_relative_difference=worst)


@pytest.mark.benchmark(group="metrics + DIS flow (both directions)")
def test_metrics_with_dis(benchmark, clips, reference_values):
    estimator = get_estimator("dis")
    ours = benchmark(lambda: [ours_clip(*c, estimator) for c in clips])
    _info(benchmark, clips, assert_same(reference_values, ours))


@pytest.mark.benchmark(group="metrics + DIS flow (both directions)")
def test_reference_loop_with_dis(benchmark, clips, flows):
    ref = benchmark(lambda: [reference_clip(*c) for c in clips])
    # the loop's own DIS calls give the estimator's flows, so its numbers equal bench.metrics on those flows
    ours = [ours_clip(*c, flows=f) for c, f in zip(clips, flows)]
    _info(benchmark, clips, assert_same(ref, ours))


@pytest.mark.benchmark(group="metrics only (same flows given)")
def test_metrics_flows_given(benchmark, clips, flows, reference_values):
    ours = benchmark(lambda: [ours_clip(*c, flows=f) for c, f in zip(clips, flows)])
    _info(benchmark, clips, assert_same(reference_values, ours))


@pytest.mark.benchmark(group="metrics only (same flows given)")
def test_reference_loop_flows_given(benchmark, clips, flows):
    ref = benchmark(lambda: [reference_clip(*c, flows=f) for c, f in zip(clips, flows)])
    ours = [ours_clip(*c, flows=f) for c, f in zip(clips, flows)]
    _info(benchmark, clips, assert_same(ref, ours))
