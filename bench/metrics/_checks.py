"""Shape checks and dtype handling shared by every metric.

Metrics compute in float64: the per-frame values must match independent
float64 references (scikit-image, SciPy) to 1e-6, and float32 SSIM variances
(E[x²] − E[x]²) lose about that much to cancellation.
"""
from __future__ import annotations

import torch

COMPUTE_DTYPE = torch.float64
RANGE_SLACK = 1e-3  # frames a little outside [0, 1] (rounding in a method) pass; −1…1 or 0…255 frames do not


def as_frames(x: torch.Tensor, name: str, channels: int | None = 3) -> torch.Tensor:
    """Check an ``N×C×H×W`` tensor and return it as float64."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if x.dim() != 4:
        raise ValueError(f"{name} must be N×C×H×W, got shape {tuple(x.shape)}")
    if channels is not None and x.shape[1] != channels:
        raise ValueError(f"{name} must have {channels} channel(s), got shape {tuple(x.shape)}")
    return x.to(COMPUTE_DTYPE).contiguous()


def as_images(x: torch.Tensor, name: str) -> torch.Tensor:
    """RGB frames ``N×3×H×W``: float values in [0, 1] (integer tensors and other ranges are errors)."""
    if isinstance(x, torch.Tensor) and not (x.is_floating_point() or x.dtype == torch.bool):
        raise TypeError(f"{name} must be a float tensor in [0, 1], got dtype {x.dtype} (divide 8-bit frames by 255)")
    f = as_frames(x, name)
    if f.numel():
        lo, hi = float(f.min()), float(f.max())
        if lo < -RANGE_SLACK or hi > 1 + RANGE_SLACK:
            raise ValueError(f"{name} must hold values in [0, 1], found [{lo:.4g}, {hi:.4g}]")
    return f


def check_pair(pred: torch.Tensor, gt: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    p, g = as_images(pred, "pred"), as_images(gt, "gt")
    return p, same_shape(p, g, "gt")


def same_shape(pred: torch.Tensor, other: torch.Tensor, name: str) -> torch.Tensor:
    """``other`` (already checked) unchanged if its shape is ``pred``'s; the error names both."""
    if pred.shape != other.shape:
        raise ValueError(f"pred {tuple(pred.shape)} and {name} {tuple(other.shape)} differ in shape")
    return other


def check_mask(mask: torch.Tensor, like: torch.Tensor, name: str = "mask") -> torch.Tensor:
    """A ``N×1×H×W`` mask (values in [0, 1], soft allowed) matching ``like`` in N, H, W."""
    m = as_frames(mask, name, channels=1)
    if m.shape[0] != like.shape[0] or m.shape[-2:] != like.shape[-2:]:
        raise ValueError(f"{name} {tuple(m.shape)} does not match frames {tuple(like.shape)}")
    return m


def check_flow(flow: torch.Tensor, frames: torch.Tensor, name: str) -> torch.Tensor:
    """A ``(T−1)×2×H×W`` flow for a clip of ``T`` frames."""
    f = as_frames(flow, name, channels=2)
    t = frames.shape[0]
    if f.shape[0] != t - 1 or f.shape[-2:] != frames.shape[-2:]:
        raise ValueError(
            f"{name} must be (T−1)×2×H×W = {(t - 1, 2, *frames.shape[-2:])} for a clip of {t} frames, "
            f"got {tuple(f.shape)}"
        )
    return f


def require_frames(frames: torch.Tensor, name: str = "pred") -> torch.Tensor:
    """``frames`` (already checked) unchanged if it holds at least the 2 frames a temporal metric compares."""
    if frames.shape[0] < 2:
        raise ValueError(f"{name}: a temporal metric needs a clip of at least 2 frames, got {frames.shape[0]}")
    return frames


def safe_ratio(num: torch.Tensor, den: torch.Tensor) -> torch.Tensor:
    """``num / den`` per frame; NaN where ``den`` is 0 (empty foreground / no valid pixel), never 0 or a crash."""
    out = num / den.clamp_min(torch.finfo(den.dtype).tiny)
    return torch.where(den > 0, out, torch.full_like(out, float("nan")))
