"""Temporal-consistency metrics of the "paper" protocol, on a whole clip.

Each metric is a function of a :class:`~bench.metrics.context.Clip` registered with ``@register_metric``; as
imported from here (or :mod:`bench.metrics.functional`) it is a function of tensors, ``lt_regional(pred, mask,
flow_bw, valid_bw=None)``: a clip ``pred`` of ``T×3×H×W`` frames in [0, 1] gives ``T−1`` float64 values, one for
every frame ``t ≥ 1`` (index ``i`` of the result is frame ``t = i + 1``).  Flow direction and warping are the
suite's one convention (docs/metrics.md, "Inputs"): ``flow_bw[i]`` is the backward flow of frame ``t = i + 1``,
``flow_fw[i]`` the forward flow of frame ``t − 1``; W(·) is :func:`harmonizer.warp.backward_warp` by ``flow_bw``.
The first paragraph of each docstring is its definition in docs/metrics.md's convention table.

An empty region (no valid foreground pixel, zero total weight, every pixel occluded) gives NaN for that frame,
never 0 and never an exception.
"""
from __future__ import annotations

import torch

from harmonizer.warp import backward_warp, flow_in_bounds

from ._checks import as_frames, safe_ratio
from .registry import register_metric

__all__ = ["lt_regional", "lt_global", "tl_co2net", "warp_error", "fr_rtc", "lai_occlusion"]

# Lai et al. 2018 (fast_blind_video_consistency) occlusion thresholds
FB_ALPHA, FB_BETA = 0.01, 0.5
MB_ALPHA, MB_BETA = 0.01, 0.002


def _weighted_mean(sq: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Mean of ``sq`` over pixels weighted by the 1-channel ``weight`` and over channels."""
    return safe_ratio((sq * weight).sum(dim=(1, 2, 3)), sq.shape[1] * weight.sum(dim=(1, 2, 3)))


@register_metric(higher_is_better=False, scale="[0,1] images", needs=("mask", "flow_bw"), optional=("valid_bw",),
                 temporal=True)
def lt_regional(clip):
    """The paper's L_T: mean over valid foreground pixels of M_t and channels of (O_t − W(O_{t−1}))², valid =
    the correspondence lands inside frame t−1 and valid_bw (if given) holds; L_T1 with ground-truth flow, L_T2
    with estimated flow.

    NaN when frame t has no valid foreground pixel.  How the paper's normalisation differs: docs/metrics.md."""
    return _weighted_mean(clip.warped_sq_diff(), clip.valid_weight() * clip.mask[1:])


@register_metric(higher_is_better=False, scale="[0,1] images", needs=("flow_bw",), optional=("valid_bw",),
                 temporal=True)
def lt_global(clip):
    """The same over all valid pixels."""
    return _weighted_mean(clip.warped_sq_diff(), clip.valid_weight())


@register_metric(higher_is_better=False, scale="0-255 images", needs=("gt", "mask", "flow_bw"), temporal=True)
def tl_co2net(clip):
    """CO2Net's TL with its soft occlusion weight w = W(M_{t−1})·mean_c exp(−|W(X_{t−1}) − X_t|):
    Σ_{pixels, channels}(w·W(O_{t−1}) − w·O_t)²·255² / Σ_{pixels} w; CO2Net estimates the flow on the
    ground-truth frames.

    Σ(w·W(O) − w·O)² is computed as Σ w²·(W(O) − O)², the same sum.  NaN when Σw = 0."""
    agreement = torch.exp(-(clip.warped_previous("gt") - clip.gt[1:]).abs()).mean(dim=1, keepdim=True)
    weight = clip.warped_previous("mask") * agreement
    num = (weight.square() * clip.warped_sq_diff().sum(dim=1, keepdim=True)).sum(dim=(1, 2, 3)) * 255.0**2
    return safe_ratio(num, weight.sum(dim=(1, 2, 3)))


def _flow_gradient_sq(flow: torch.Tensor) -> torch.Tensor:
    """Σ of squared forward differences of both flow components (zero on the last row/column), as Lai et al."""
    out = torch.zeros_like(flow[:, :1])
    out[..., :, :-1] += (flow[..., :, :-1] - flow[..., :, 1:]).square().sum(dim=1, keepdim=True)
    out[..., :-1, :] += (flow[..., :-1, :] - flow[..., 1:, :]).square().sum(dim=1, keepdim=True)
    return out


def lai_occlusion(flow_bw: torch.Tensor, flow_fw: torch.Tensor) -> torch.Tensor:
    """``(T−1)×1×H×W`` float {0, 1}: 1 where frame t's pixel is occluded in frame t−1 (Lai et al. 2018,
    expressed on frame t's grid): forward–backward inconsistency or motion boundary of ``flow_bw``."""
    bw = as_frames(flow_bw, "flow_bw", channels=2)
    fw = as_frames(flow_fw, "flow_fw", channels=2)
    if bw.shape != fw.shape:
        raise ValueError(f"flow_bw {tuple(bw.shape)} and flow_fw {tuple(fw.shape)} differ in shape")
    return _occlusion_from_warped(bw, backward_warp(fw, bw))


def _occlusion_from_warped(bw: torch.Tensor, fw_w: torch.Tensor) -> torch.Tensor:
    """Lai et al.'s occlusion given ``fw_w``, the forward flow of t−1 sampled where each pixel of t comes from."""
    mag = lambda v: v.square().sum(dim=1, keepdim=True)  # noqa: E731
    inconsistent = mag(bw + fw_w) > FB_ALPHA * (mag(fw_w) + mag(bw)) + FB_BETA
    boundary = _flow_gradient_sq(bw) > MB_ALPHA * mag(bw) + MB_BETA
    # A pixel whose correspondence leaves frame t−1 has nothing to compare with; Lai et al.'s
    # scripts leave it to the border fill, which would charge a perfectly consistent video.
    outside = flow_in_bounds(bw) < 0.5
    return (inconsistent | boundary | outside).to(bw.dtype)


@register_metric(higher_is_better=False, scale="[0,1] images", needs=("flow_bw", "flow_fw"), temporal=True)
def warp_error(clip):
    """Lai et al. 2018: mean over non-occluded pixels and channels of (O_t − W(O_{t−1}))²; occluded where
    |bw + W(fw)|² > 0.01(|bw|² + |W(fw)|²) + 0.5 (forward–backward check) or Σ(forward differences of bw)² >
    0.01|bw|² + 0.002 (motion boundary), or the correspondence falls outside frame t−1.

    NaN when every pixel is occluded.  How Lai et al.'s scripts differ: docs/metrics.md."""
    occluded = _occlusion_from_warped(clip.flow_bw, clip.warped_previous("flow_fw"))
    return _weighted_mean(clip.warped_sq_diff(), 1.0 - occluded)


def _fg_brightness(frames: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean HSV value (255·max over channels) over the mask pixels of each frame; NaN if empty."""
    value = frames.amax(dim=1, keepdim=True) * 255.0
    return safe_ratio((value * mask).sum(dim=(1, 2, 3)), mask.sum(dim=(1, 2, 3)))


@register_metric(higher_is_better=False, scale="(0-255)^2 brightness", needs=("gt", "mask"), temporal=True)
def fr_rtc(clip):
    """Flow-free foreground brightness consistency (VideoTripletTransformer's fR-RTC): b_t(Y) = mean over M_t of
    255·max_c Y_t (HSV value), Δb_t = b_t − b_{t−1}, d_t = |Δb_t(O) − Δb_t(X)|, μ = mean of d over the clip;
    value d_t² + max(d_t − μ, 0)² (its clip mean is fR-RTC).

    The reference X is the ground truth; on videos without one, the composite input measures how a method keeps
    the foreground's own brightness changes.  NaN for frames whose foreground (at t or t−1) is empty."""
    p, m = clip.frames, clip.mask
    bp, bx = _fg_brightness(p, m), _fg_brightness(clip.gt, m)
    d = ((bp[1:] - bp[:-1]) - (bx[1:] - bx[:-1])).abs()
    mu = d.nanmean()
    return d.square() + (d - mu).clamp_min(0).square()
