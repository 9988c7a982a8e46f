"""Per-frame image metrics of the "paper" protocol: MSE, PSNR, SSIM and their foreground and 0–255 variants.

Each metric is a function of a :class:`~bench.metrics.context.Clip` registered with its metadata by
``@register_metric``; as imported from here (or :mod:`bench.metrics.functional`) it is a function of tensors,
``psnr(pred, gt)``, ``fmse(pred, gt, mask)``: frames ``N×3×H×W`` in [0, 1], masks ``N×1×H×W``, one float64 value
per frame.  The first paragraph of each docstring is its definition in docs/metrics.md's convention table.

An empty foreground (mask sums to 0) gives NaN for that frame, never 0.
"""
from __future__ import annotations

import torch

from ._checks import safe_ratio
from .registry import register_metric
from .ssim import SSIM_RADIUS, ssim_map  # noqa: F401  (ssim_map is part of this module's interface)

__all__ = ["mse", "psnr", "fmse", "fpsnr", "mse255", "fmse255", "ssim", "fssim", "ssim_map"]

UNIT = "[0,1] images"
DB = "dB, data range 1"
FRAMES_255 = "0-255 images"


def _mean(sum_sq: torch.Tensor, n_obs: torch.Tensor) -> torch.Tensor:
    return safe_ratio(sum_sq, n_obs)


def _psnr(sum_sq: torch.Tensor, n_obs: torch.Tensor, data_range: float = 1.0) -> torch.Tensor:
    # log10(range² / 0) = +inf for identical frames; NaN stays NaN for an empty foreground
    return 10.0 * torch.log10(data_range**2 / _mean(sum_sq, n_obs))


# ----------------------------------------------------------------------------- MSE / PSNR
@register_metric(higher_is_better=False, scale=UNIT, needs=("gt",), temporal=False)
def mse(clip):
    """Mean over pixels and channels of (O − X)², per frame."""
    return _mean(*clip.error_stats())


@register_metric(higher_is_better=True, scale=DB, needs=("gt",), temporal=False)
def psnr(clip):
    """10·log10(1 / mse) per frame; identical frames → +inf."""
    return _psnr(*clip.error_stats())


@register_metric(higher_is_better=False, scale=UNIT, needs=("gt", "mask"), temporal=False)
def fmse(clip):
    """Foreground MSE: Σ over mask pixels and channels of (O − X)² / (3·mask pixels).

    NaN for an empty foreground.  How HYouTube/CO2Net's fMSE differs: docs/metrics.md."""
    return _mean(*clip.error_stats(foreground=True))


@register_metric(higher_is_better=True, scale=DB, needs=("gt", "mask"), temporal=False)
def fpsnr(clip):
    """PSNR of the foreground-only MSE."""
    return _psnr(*clip.error_stats(foreground=True))


@register_metric(higher_is_better=False, scale=FRAMES_255, needs=("gt",), temporal=False)
def mse255(clip):
    """mse on 0–255 values (= 255²·mse), as HYouTube / iHarmony4 tables report it."""
    return _mean(*clip.error_stats()) * 255.0**2


@register_metric(higher_is_better=False, scale=FRAMES_255, needs=("gt", "mask"), temporal=False)
def fmse255(clip):
    """fmse on 0–255 values (= 255²·fmse): the fMSE column of HYouTube / iHarmony4 tables."""
    return _mean(*clip.error_stats(foreground=True)) * 255.0**2


# ----------------------------------------------------------------------------- SSIM
@register_metric(higher_is_better=True, scale="[-1,1]", needs=("gt",), temporal=False)
def ssim(clip):
    """scikit-image SSIM: Gaussian window σ = 1.5, truncate 3.5 (11×11), population covariance
    (use_sample_covariance=False), K1 = 0.01, K2 = 0.03, data range 1, per channel; mean of the map without the
    5-pixel border, averaged over channels."""
    smap = clip.ssim_map()
    inner = smap[..., SSIM_RADIUS:-SSIM_RADIUS, SSIM_RADIUS:-SSIM_RADIUS]
    return safe_ratio(inner.sum(dim=(1, 2, 3)), torch.full((smap.shape[0],), float(inner[0].numel()), dtype=smap.dtype))


@register_metric(higher_is_better=True, scale="[-1,1]", needs=("gt", "mask"), temporal=False)
def fssim(clip):
    """The same SSIM map, full size (borders by SciPy's symmetric 'reflect' padding, as scikit-image), averaged
    over mask pixels and channels."""
    smap, m = clip.ssim_map(), clip.mask
    return safe_ratio((smap * m).sum(dim=(1, 2, 3)), smap.shape[1] * m.sum(dim=(1, 2, 3)))
