"""Temporal-consistency metrics on a whole clip.

Each function takes a clip ``pred`` of ``T×3×H×W`` frames in [0, 1] and returns
``T−1`` float64 values, one for every frame ``t ≥ 1`` (index ``i`` of the result
is frame ``t = i + 1``).  Flows follow DESIGN.md §2: ``flow_bw[i]`` is the
backward flow of frame ``t = i + 1`` (offset of each of its pixels into frame
``t − 1``), ``flow_fw[i]`` the forward flow of frame ``t − 1`` into frame ``t``;
warping is :func:`harmonizer.warp.backward_warp` (bilinear, border padding,
align_corners=True), the one convention of the suite.

=============== =================================================================== ==========
name            definition (frame t ≥ 1, W = warp by flow_bw[t−1])                  scale
=============== =================================================================== ==========
lt_regional     paper's L_T: mean over valid foreground pixels of M_t and channels   [0, 1]
                of (O_t − W(O_{t−1}))²; valid = in-bounds ∧ stored validity
lt_global       the same over all valid pixels                                       [0, 1]
tl_co2net       CO2Net's TL: w = W(M_{t−1})·mean_c exp(−|W(X_{t−1}) − X_t|),          0–255
                Σ_{pixels,channels}(w·W(O_{t−1}) − w·O_t)²·255² / Σ_pixels w
warp_error      Lai et al. 2018: mean over non-occluded pixels and channels of       [0, 1]
                (O_t − W(O_{t−1}))²; occluded where
                |bw + W(fw)|² > 0.01(|bw|² + |W(fw)|²) + 0.5 (forward–backward
                check) or |∇bw|² > 0.01|bw|² + 0.002 (motion boundary)
fr_rtc          flow-free foreground brightness consistency (VideoTripletTransformer 0–255²
                fR-RTC): b_t(Y) = mean over M_t of 255·max_c Y_t (HSV value),
                g_t = b_t − b_{t−1}, d_t = |g_t(O) − g_t(X)|, μ = mean_t d_t over
                the clip; value d_t² + max(d_t − μ, 0)² (clip mean = fR-RTC)
=============== =================================================================== ==========

An empty region (no valid foreground pixel, zero total weight, every pixel
occluded) gives NaN for that frame, never 0 and never an exception.
Differences from the reference scripts: the paper divides ‖M∘(O−S(O))‖² by
N_F (pixels, channels summed) — ours also averages over the 3 channels, as the
convention table says; Lai et al. fall back to all pixels when every pixel is
occluded — ours returns NaN.
"""
from __future__ import annotations

import torch

from harmonizer.warp import backward_warp, flow_in_bounds

from ._checks import as_frames, check_clip, check_flow, check_mask, safe_ratio

__all__ = ["lt_regional", "lt_global", "tl_co2net", "warp_error", "fr_rtc", "lai_occlusion", "warped_sq_diff"]

# Lai et al. 2018 (fast_blind_video_consistency) occlusion thresholds
FB_ALPHA, FB_BETA = 0.01, 0.5
MB_ALPHA, MB_BETA = 0.01, 0.002


def _valid_weight(flow_bw: torch.Tensor, valid_bw: torch.Tensor | None) -> torch.Tensor:
    """In-bounds correspondences, further restricted by a stored validity mask when given."""
    weight = flow_in_bounds(flow_bw)
    if valid_bw is not None:
        weight = weight * check_mask(valid_bw, flow_bw, "valid_bw")
    return weight


def warped_sq_diff(pred: torch.Tensor, flow_bw: torch.Tensor) -> torch.Tensor:
    """``(O_t − warp(O_{t−1}))²`` for t ≥ 1, ``(T−1)×3×H×W`` (float64)."""
    p = check_clip(pred)
    f = check_flow(flow_bw, p, "flow_bw")
    return (p[1:] - backward_warp(p[:-1], f)).square()


def _weighted_mean(sq: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Mean of ``sq`` over pixels weighted by the 1-channel ``weight`` and over channels."""
    return safe_ratio((sq * weight).sum(dim=(1, 2, 3)), sq.shape[1] * weight.sum(dim=(1, 2, 3)))


def lt_regional(pred: torch.Tensor, mask: torch.Tensor, flow_bw: torch.Tensor,
                valid_bw: torch.Tensor | None = None) -> torch.Tensor:
    """Paper's regional temporal loss L_T per frame t ≥ 1: mean over valid pixels of the foreground
    ``mask[t]`` and over channels of (O_t − warp(O_{t−1}))².  L_T1 with ground-truth flow, L_T2 with
    estimated flow.  NaN when frame t has no valid foreground pixel."""
    p = check_clip(pred)
    m = check_mask(mask, p)
    f = check_flow(flow_bw, p, "flow_bw")
    return _weighted_mean(warped_sq_diff(p, f), _valid_weight(f, valid_bw) * m[1:])


def lt_global(pred: torch.Tensor, flow_bw: torch.Tensor, valid_bw: torch.Tensor | None = None) -> torch.Tensor:
    """Global temporal loss per frame t ≥ 1: mean over all valid pixels and channels of (O_t − warp(O_{t−1}))²."""
    p = check_clip(pred)
    f = check_flow(flow_bw, p, "flow_bw")
    return _weighted_mean(warped_sq_diff(p, f), _valid_weight(f, valid_bw))


def tl_co2net(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor, flow_bw: torch.Tensor) -> torch.Tensor:
    """CO2Net's TL per frame t ≥ 1 on a 0–255 scale, with its soft occlusion weight
    ``w = warp(M_{t−1})·mean_c exp(−|warp(X_{t−1}) − X_t|)``:
    ``Σ(w·warp(O_{t−1}) − w·O_t)²·255² / Σw`` (numerator over pixels and channels, denominator over pixels).
    CO2Net estimates ``flow_bw`` on the ground-truth frames X.  NaN when Σw = 0."""
    p = check_clip(pred)
    x = check_clip(target, "target")
    if x.shape != p.shape:
        raise ValueError(f"pred {tuple(p.shape)} and target {tuple(x.shape)} differ in shape")
    m = check_mask(mask, p)
    f = check_flow(flow_bw, p, "flow_bw")
    warped = backward_warp(torch.cat((p[:-1], x[:-1], m[:-1]), dim=1), f)
    return _tl_from_warped((p[1:] - warped[:, :3]).square(), warped[:, 3:6], warped[:, 6:], x[1:])


def _tl_from_warped(sq: torch.Tensor, wx: torch.Tensor, wm: torch.Tensor, x_now: torch.Tensor) -> torch.Tensor:
    """TL from ``sq = (O_t − W(O_{t−1}))²`` and the warped ground truth and mask (shared with ``evaluate_clip``):
    Σ(w·W(O) − w·O)² is computed as Σ w²·(W(O) − O)², the same sum."""
    weight = wm * torch.exp(-(wx - x_now).abs()).mean(dim=1, keepdim=True)
    num = (weight.square() * sq.sum(dim=1, keepdim=True)).sum(dim=(1, 2, 3)) * 255.0**2
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


def warp_error(pred: torch.Tensor, flow_bw: torch.Tensor, flow_fw: torch.Tensor) -> torch.Tensor:
    """Lai et al. 2018 warping error per frame t ≥ 1: mean over non-occluded pixels (see
    :func:`lai_occlusion`) and channels of (O_t − warp(O_{t−1}))².  Needs both flows; NaN if all occluded."""
    p = check_clip(pred)
    bw = check_flow(flow_bw, p, "flow_bw")
    fw = check_flow(flow_fw, p, "flow_fw")
    return _weighted_mean(warped_sq_diff(p, bw), 1.0 - lai_occlusion(bw, fw))


def _fg_brightness(frames: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean HSV value (255·max over channels) over the mask pixels of each frame; NaN if empty."""
    value = frames.amax(dim=1, keepdim=True) * 255.0
    return safe_ratio((value * mask).sum(dim=(1, 2, 3)), mask.sum(dim=(1, 2, 3)))


def fr_rtc(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Flow-free foreground brightness consistency (VideoTripletTransformer's fR-RTC, lower is better).

    For frame t ≥ 1: ``d_t = |Δb_t(pred) − Δb_t(target)|`` where ``b_t`` is the mean HSV value (0–255) over the
    foreground ``mask[t]`` and ``Δb_t = b_t − b_{t−1}``; with ``μ`` the mean of ``d`` over the clip's frames the
    value is ``d_t² + max(d_t − μ, 0)²``, so the clip mean is the paper's fR-RTC.  The reference ``target`` is the
    ground truth; on videos without one, the composite input measures how a method keeps the foreground's own
    brightness changes.  NaN for frames whose foreground (at t or t−1) is empty."""
    p = check_clip(pred)
    x = check_clip(target, "target")
    if x.shape != p.shape:
        raise ValueError(f"pred {tuple(p.shape)} and target {tuple(x.shape)} differ in shape")
    m = check_mask(mask, p)
    bp, bx = _fg_brightness(p, m), _fg_brightness(x, m)
    d = ((bp[1:] - bp[:-1]) - (bx[1:] - bx[:-1])).abs()
    mu = d.nanmean()
    return d.square() + (d - mu).clamp_min(0).square()
