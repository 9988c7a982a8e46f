"""Differentiable backward warping by dense optical flow.

Conventions (docs/design.md), shared by the dataset, the losses and the metrics:

* Flow is ``N×2×H×W`` in pixels; channel 0 is dx, channel 1 is dy.
* A *backward* flow ``flow_{t→t-1}`` gives, for each pixel (x, y) of frame t, the
  offset to its position in frame t-1.  Warping ``O_{t-1}`` onto frame t therefore
  samples ``O_{t-1}`` at ``(x + dx, y + dy)``.
* Pixel centres sit at integer coordinates ``0 … W-1``; sampling uses
  ``grid_sample(..., align_corners=True)`` so that coordinate ``0`` is the centre of
  the first pixel and ``W-1`` the centre of the last one.  Every module warps
  through :func:`backward_warp` so this choice is made exactly once.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def pixel_grid(height: int, width: int, *, device=None, dtype=torch.float32) -> torch.Tensor:
    """Return a ``1×2×H×W`` tensor holding each pixel's own (x, y) coordinate."""
    ys, xs = torch.meshgrid(
        torch.arange(height, device=device, dtype=dtype),
        torch.arange(width, device=device, dtype=dtype),
        indexing="ij",
    )
    return torch.stack((xs, ys)).unsqueeze(0)


def _check_flow(image: torch.Tensor, flow: torch.Tensor) -> None:
    if image.dim() != 4 or flow.dim() != 4 or flow.shape[1] != 2:
        raise ValueError(f"expected image N×C×H×W and flow N×2×H×W, got {tuple(image.shape)} and {tuple(flow.shape)}")
    if image.shape[0] != flow.shape[0] or image.shape[-2:] != flow.shape[-2:]:
        raise ValueError(f"image {tuple(image.shape)} and flow {tuple(flow.shape)} differ in batch or size")


def backward_warp(image: torch.Tensor, flow: torch.Tensor, *, mode: str = "bilinear") -> torch.Tensor:
    """Sample ``image`` at ``(x + dx, y + dy)`` for every pixel (differentiable in both inputs).

    Samples that fall outside the image take the nearest border value; combine
    with :func:`flow_in_bounds` (or a stored validity mask) to exclude them.
    """
    _check_flow(image, flow)
    n, _, h, w = image.shape
    coords = pixel_grid(h, w, device=flow.device, dtype=flow.dtype) + flow
    # normalise to [-1, 1] with align_corners=True: 0 -> -1, W-1 -> +1
    gx = 2.0 * coords[:, 0] / max(w - 1, 1) - 1.0
    gy = 2.0 * coords[:, 1] / max(h - 1, 1) - 1.0
    grid = torch.stack((gx, gy), dim=-1)
    return F.grid_sample(image, grid.to(image.dtype), mode=mode, padding_mode="border", align_corners=True)


def flow_in_bounds(flow: torch.Tensor) -> torch.Tensor:
    """``N×1×H×W`` float mask: 1 where ``(x + dx, y + dy)`` lies inside the other frame."""
    n, _, h, w = flow.shape
    coords = pixel_grid(h, w, device=flow.device, dtype=flow.dtype) + flow
    inside = (coords[:, 0] >= 0) & (coords[:, 0] <= w - 1) & (coords[:, 1] >= 0) & (coords[:, 1] <= h - 1)
    return inside.unsqueeze(1).to(flow.dtype)
