"""``lai``: the warping error of Lai et al. 2018 (phoenix104104/fast_blind_video_consistency).

Peer files: ``compute_flow_occlusion.py`` (flows and occlusion on the *input* video), ``evaluate_WarpError.py``
(the error of the processed video) and ``utils.py`` (``detect_occlusion``, ``compute_flow_gradients``).

Steps (docs/metrics.md, "Protocols / lai"), for each pair of frames (t−1, t) of a clip:

1. flows on the **input** frames (here: the composite), peer: FlowNet2: ``fw`` from frame t−1 to t, ``bw`` from t to
   t−1 (``model(img1, img2)``, ``model(img2, img1)``);
2. occlusion on frame t−1's grid — ``detect_occlusion(bw_flow, fw_flow)`` is called with the flows swapped with
   respect to its parameter names, so: bw sampled where each pixel of t−1 lands, b = W_fw(bw);
   occluded where |fw + b|² > 0.01(|b|² + |fw|²) + 0.5, or where the forward differences of ``fw`` (zero on the
   last row/column) give (∂x fw_x² + ∂y fw_x²) + (∂x fw_y² + ∂y fw_y²) > 0.01|fw|² + 0.002;
   correspondences that leave the frame are *not* excluded (``Resample2d`` clamps to the border);
3. frame t warped onto t−1 by ``fw`` (bilinear, clamped borders), error Σ over non-occluded pixels and channels of
   (W(O_t) − O_{t−1})² / N with N = 3·(non-occluded pixels), N = 3·H·W when every pixel is occluded;
4. per video the mean over its pairs, then the **mean over videos**; values on [0, 1] frames.
"""
from __future__ import annotations

import torch

from bench.metrics import register_metric
from bench.metrics.temporal import FB_ALPHA, FB_BETA, MB_ALPHA, MB_BETA, _flow_gradient_sq
from harmonizer.warp import backward_warp

from .registry import Protocol, register_protocol

STEPS = register_protocol(Protocol(
    name="lai",
    title="Lai et al. 2018 warping error (compute_flow_occlusion.py + evaluate_WarpError.py)",
    peer="phoenix104104/fast_blind_video_consistency",
    files=("compute_flow_occlusion.py", "evaluate_WarpError.py", "utils.py"),
    reading=None,
    flow_frames="composite",
    peer_flow="FlowNet2 (on frames resized to multiples of 64, flow resized back)",
    pairs="consecutive frames of each clip",
    peer_names={"warp_error": "Warping Error"},
    aggregates={"warp_error": "clips"},
    notes=("The peer estimates FlowNet2 flow at sizes rounded up to multiples of 64 and resizes it back; our "
           "estimators (DIS, RAFT) run at the frame size, so the warping error is the peer's formula with our flow.",),
))
PROTOCOL = STEPS.name


def _magnitude(v: torch.Tensor) -> torch.Tensor:
    return v.square().sum(dim=1, keepdim=True)


def lai_occlusion(flow_fw: torch.Tensor, flow_bw: torch.Tensor) -> torch.Tensor:
    """``(T−1)×1×H×W`` {0, 1}: 1 where pixel x of frame t−1 is occluded in frame t (``fw`` = flow t−1 → t,
    ``bw`` = flow t → t−1), as ``compute_flow_occlusion.py`` computes it."""
    fw, bw = flow_fw.to(torch.float64), flow_bw.to(torch.float64)
    if fw.shape != bw.shape or fw.dim() != 4 or fw.shape[1] != 2:
        raise ValueError(f"flow_fw {tuple(fw.shape)} and flow_bw {tuple(bw.shape)} must both be (T−1)×2×H×W")
    b = backward_warp(bw, fw)
    inconsistent = _magnitude(fw + b) > FB_ALPHA * (_magnitude(b) + _magnitude(fw)) + FB_BETA
    boundary = _flow_gradient_sq(fw) > MB_ALPHA * _magnitude(fw) + MB_BETA
    return (inconsistent | boundary).to(torch.float64)


@register_metric(protocol=PROTOCOL, name="warp_error", higher_is_better=False, scale="[0,1] images",
                 needs=("flow_bw", "flow_fw"), temporal=True)
def lai_warp_error(clip) -> torch.Tensor:
    """``evaluate_WarpError.py``'s error for each frame t ≥ 1 (the pair t−1, t), flows from the input frames."""
    p, fw = clip.frames, clip.flow_fw
    noc = 1.0 - lai_occlusion(fw, clip.flow_bw)
    sq = (backward_warp(p[1:], fw) - p[:-1]).square() * noc
    n = p.shape[1] * noc.sum(dim=(1, 2, 3))
    n = torch.where(n > 0, n, torch.full_like(n, float(p[0].numel())))
    return sq.sum(dim=(1, 2, 3)) / n
