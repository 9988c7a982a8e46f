"""Speed of the whole metric set with DIS flow at 256², against a per-frame NumPy/scikit-image loop.

The reference loop is written the way the HYouTube / CO2Net evaluation scripts are: frame by frame,
``skimage.metrics`` for MSE / PSNR / SSIM (one ``structural_similarity(full=True)`` call gives both
SSIM and the fSSIM map), fMSE as ``mse(pred·m, gt·m)·H·W / fg``, flows from ``cv2`` DIS per frame pair,
warping with ``scipy.ndimage.map_coordinates`` (bilinear, edge clamp), Lai et al.'s occlusion in NumPy.
Both paths compute DIS flow on the ground-truth frames (CO2Net's convention) in both directions.

The script asserts that both produce the same per-frame numbers (|Δ| ≤ 1e−6·max(1, |value|)) and
prints frames per second for each.  Run::

    .venv/bin/python benchmarks/bench_metrics.py --clips 4 --frames 5 --size 256
"""
from __future__ import annotations

import argparse
import math
import time

import cv2
import numpy as np
import torch
from scipy import ndimage
from skimage.metrics import mean_squared_error, peak_signal_noise_ratio, structural_similarity
from tqdm import tqdm

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
        visible = ~_lai_occlusion(bw, fw)
        out["warp_error"].append((d2 * visible).sum() / (3 * visible.sum()) if visible.any() else math.nan)
    d = np.abs(np.diff(bright_p) - np.diff(bright_x))
    mu = np.nanmean(d)
    out["fr_rtc"] = list(d**2 + np.maximum(d - mu, 0) ** 2)
    return out


def ours_clip(pred: torch.Tensor, gt: torch.Tensor, mask: torch.Tensor, estimator=None,
              flows: tuple | None = None) -> dict[str, torch.Tensor]:
    flow_bw, flow_fw = estimator.clip_flows(gt) if flows is None else flows
    return evaluate_clip(pred, gt=gt, mask=mask, flow_bw=flow_bw, flow_fw=flow_fw)


# ----------------------------------------------------------------------------- entry point
def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--clips", type=int, default=4)
    p.add_argument("--frames", type=int, default=5)
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--repeats", type=int, default=2, help="time each path this many times, keep the best")
    p.add_argument("--threads", type=int, default=1,
                   help="torch and OpenCV threads (1: on a shared machine two torch threads slow small ops down)")
    return p


def main(argv=None) -> dict:
    args = build_parser().parse_args(argv)
    torch.set_num_threads(args.threads)
    cv2.setNumThreads(args.threads)
    clips = [make_clip(seed, args.frames, args.size) for seed in range(args.clips)]
    n_frames = args.clips * args.frames
    estimator = get_estimator("dis")

    cpu: dict[str, float] = {}

    def timed(name, fn, inputs):
        """Best wall time of ``repeats`` runs; the CPU time of that run is kept in ``cpu`` (steadier on a
        shared machine: with one thread it counts only this process's work, not waiting for a core)."""
        best, result = math.inf, None
        for _ in range(args.repeats):
            start, start_cpu = time.perf_counter(), time.process_time()
            result = [fn(*c) for c in tqdm(inputs, desc=name, leave=False, disable=None)]
            wall = time.perf_counter() - start
            if wall < best:
                best, cpu[name] = wall, time.process_time() - start_cpu
        return best, result

    # end to end: DIS flow (both directions, on the ground-truth frames) + every metric
    t_ref, ref = timed("reference", reference_clip, clips)
    t_ours, ours = timed("ours", lambda p, g, m: ours_clip(p, g, m, estimator), clips)
    # metrics only: the same precomputed flows given to both
    t_flow, flows = timed("dis", lambda p, g, m: estimator.clip_flows(g), clips)
    with_flows = [(*c, f) for c, f in zip(clips, flows)]
    t_ref_m, ref_m = timed("reference (flows given)", reference_clip, with_flows)
    t_ours_m, ours_m = timed("ours (flows given)", lambda p, g, m, f: ours_clip(p, g, m, flows=f), with_flows)
    worst = 0.0
    for r, o in zip(ref + ref_m, ours + ours_m):
        for name in METRICS:
            a, b = np.asarray(r[name], dtype=np.float64), o[name].numpy()
            assert a.shape == b.shape, (name, a.shape, b.shape)
            assert np.array_equal(np.isnan(a), np.isnan(b)), name
            ok = ~np.isnan(a)
            dev = np.abs(a[ok] - b[ok]) / np.maximum(1.0, np.abs(a[ok]))
            worst = max(worst, float(dev.max(initial=0.0)))
            assert np.all(dev <= 1e-6), (name, a, b)
    result = {
        "frames": n_frames, "size": args.size, "metrics": len(METRICS), "threads": args.threads,
        "reference_fps": n_frames / t_ref, "ours_fps": n_frames / t_ours, "speedup": t_ref / t_ours,
        "dis_fps": n_frames / t_flow,
        "reference_metrics_only_fps": n_frames / t_ref_m, "ours_metrics_only_fps": n_frames / t_ours_m,
        "speedup_metrics_only": t_ref_m / t_ours_m, "max_relative_difference": worst,
        "cpu_speedup": cpu["reference"] / cpu["ours"],
        "cpu_speedup_metrics_only": cpu["reference (flows given)"] / cpu["ours (flows given)"],
        "cpu_ms_per_frame": {k: 1000 * v / n_frames for k, v in cpu.items()},
    }
    print(f"{n_frames} frames at {args.size}², {len(METRICS)} metrics, {args.threads} thread(s):")
    print(f"  with DIS flow (both directions): reference loop {result['reference_fps']:.1f} frames/s, "
          f"bench.metrics {result['ours_fps']:.1f} frames/s  → {result['speedup']:.1f}×")
    print(f"  metrics only (same flows given): reference loop {result['reference_metrics_only_fps']:.1f} frames/s, "
          f"bench.metrics {result['ours_metrics_only_fps']:.1f} frames/s  → {result['speedup_metrics_only']:.1f}×")
    print(f"  DIS alone (both directions per frame): {result['dis_fps']:.1f} frames/s")
    print("  CPU ms per frame: " + ", ".join(f"{k} {v:.1f}" for k, v in result["cpu_ms_per_frame"].items())
          + f"  → {result['cpu_speedup']:.1f}× with DIS, {result['cpu_speedup_metrics_only']:.1f}× metrics only")
    print(f"  largest difference: {worst:.2e} (relative to max(1, |value|)); asserted ≤ 1e-6")
    return result


if __name__ == "__main__":
    main()
