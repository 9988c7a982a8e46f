"""The formulas the peers' evaluation scripts share, each written out once (docs/metrics.md, "Protocols").

Every function takes frames ``N×3×H×W`` and masks ``N×1×H×W`` and returns one float64 value per frame.
The peers work on **0–255 values**: :func:`to_255` turns a suite frame (float in [0, 1]) into what their
scripts hold — ``clamp(255·x, 0, 255)`` in float32, as ``255 * image`` after ``ToTensor``'s ``/ 255`` — so a
frame read from an 8-bit file gives the same float32 numbers as in the peer's script.

* :func:`mse_255` — scikit-image's ``compare_mse`` / ``mean_squared_error`` on float32 images: the difference
  and its square in float32, the mean accumulated in float64.
* :func:`psnr_pred_range` — ``compare_psnr(..., data_range=pred.max() − pred.min())`` (CO2Net, iHarmony4's
  ``evaluation.py``): the data range is the prediction's own value range over all its pixels and channels,
  ``range²`` taken in float32 as NumPy does for a float32 scalar.
* :func:`psnr_fixed` — ``peak_signal_noise_ratio(..., data_range=255)`` (VideoTripletTransformer).
* :func:`fmse_whole_over_full` — CO2Net: whole-image MSE × H·W / (pixels whose mask equals 1.0; its
  ``mask.astype(uint8).sum()``): background error and soft-edge error count in the numerator, only full
  foreground pixels in the denominator.
* :func:`fmse_masked` — iHarmony4 / VideoTripletTransformer: ``mse(pred·m, gt·m) × H·W / Σm`` =
  Σ over mask pixels and channels of the squared error / (3·Σm) for a binary mask.
* :func:`ssim_map_zero_pad` — ``pytorch_ssim`` as both peers ship it: 11×11 Gaussian window (σ 1.5,
  normalised over the 11 taps), **zero** padding of 5, C1 = 0.01², C2 = 0.03² as constants on the 0–255 values
  given to it; :func:`ssim_mean` averages the whole map, :func:`fssim_weighted` weighs it by the (soft) mask:
  per channel Σ(map·m) / Σm, then the mean over channels.

Computed in float64.  The peers run float32 (on a GPU for the SSIM); where that rounding matters more than
1e-6 (the SSIM variances E[x²] − E[x]² on 0–255 values) docs/metrics.md gives the measured difference.
An empty foreground gives NaN, where the peers' scripts divide by zero (inf / NaN in their sums).
"""
from __future__ import annotations

import math

import torch

__all__ = ["to_255", "mse_255", "psnr_pred_range", "psnr_fixed", "full_mask_pixels", "fmse_whole_over_full",
           "fmse_masked", "gaussian_window", "ssim_map_zero_pad", "ssim_mean", "fssim_weighted", "per_frame_nan",
           "pred_255", "gt_255", "zero_pad_ssim_map"]

SSIM_WINDOW = 11
SSIM_SIGMA = 1.5
SSIM_C1, SSIM_C2 = 0.01**2, 0.03**2  # used as-is on 0–255 values, as the peers do


def _frames(x: torch.Tensor, name: str, channels: int | None = None) -> torch.Tensor:
    if not isinstance(x, torch.Tensor) or x.dim() != 4 or (channels is not None and x.shape[1] != channels):
        shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(f"{name} must be N×{channels or 'C'}×H×W, got {shape}")
    return x


def to_255(frames: torch.Tensor) -> torch.Tensor:
    """``clamp(255·x, 0, 255)`` in float32: what the peers' scripts hold for a frame ``x`` in [0, 1]."""
    return (_frames(frames, "frames", 3).to(torch.float32) * 255.0).clamp_(0.0, 255.0)


def per_frame_nan(num: torch.Tensor, den: torch.Tensor) -> torch.Tensor:
    """``num / den`` per frame in float64; NaN where ``den`` is 0 (an empty foreground)."""
    num, den = num.to(torch.float64), den.to(torch.float64)
    return torch.where(den > 0, num / den.clamp_min(1e-300), torch.full_like(num, math.nan))


def _pair(a: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    _frames(a, "pred", 3), _frames(b, "gt", 3)
    if a.shape != b.shape:
        raise ValueError(f"pred {tuple(a.shape)} and gt {tuple(b.shape)} differ in shape")
    return a.to(torch.float32), b.to(torch.float32)


def mse_255(pred255: torch.Tensor, gt255: torch.Tensor) -> torch.Tensor:
    """scikit-image's MSE of float32 images: ``mean((a − b)², dtype=float64)``, per frame."""
    a, b = _pair(pred255, gt255)
    return (a - b).square().to(torch.float64).mean(dim=(1, 2, 3))


def psnr_pred_range(pred255: torch.Tensor, gt255: torch.Tensor) -> torch.Tensor:
    """``compare_psnr(gt, pred, data_range=pred.max() − pred.min())`` per frame (CO2Net, iHarmony4).

    +inf for identical frames, −inf for a constant prediction that differs from the ground truth, NaN for a
    constant prediction equal to it (as NumPy gives)."""
    a, b = _pair(pred255, gt255)
    flat = a.flatten(1)
    data_range = flat.amax(dim=1) - flat.amin(dim=1)          # float32, as pred.max() - pred.min()
    err = mse_255(a, b)
    ratio = data_range.square().to(torch.float64) / err      # range**2 of a float32 scalar stays float32
    return 10.0 * torch.log10(ratio)


def psnr_fixed(pred255: torch.Tensor, gt255: torch.Tensor, data_range: float = 255.0) -> torch.Tensor:
    """``peak_signal_noise_ratio(gt, pred, data_range=255)`` per frame; +inf for identical frames."""
    return 10.0 * torch.log10(data_range**2 / mse_255(pred255, gt255))


def full_mask_pixels(mask: torch.Tensor) -> torch.Tensor:
    """Per frame, the pixels whose mask value is at least 1.0 — CO2Net's ``mask.astype(np.uint8).sum()``
    (the cast truncates, so 0.999… counts 0 and a soft edge counts nothing)."""
    m = _frames(mask, "mask", 1)
    return (m.to(torch.float32) >= 1.0).flatten(1).sum(dim=1).to(torch.float64)


def fmse_whole_over_full(pred255: torch.Tensor, gt255: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """CO2Net's fMSE: ``mse(pred, gt) · H·W / full_mask_pixels(mask)`` (its script writes H·W as 256·256,
    the only size it evaluates at)."""
    h, w = pred255.shape[-2:]
    return per_frame_nan(mse_255(pred255, gt255) * float(h * w), full_mask_pixels(mask))


def fmse_masked(pred255: torch.Tensor, gt255: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """iHarmony4 / VideoTripletTransformer fMSE: ``mse(pred·m, gt·m) · H·W / Σm`` (mask broadcast over channels)."""
    a, b = _pair(pred255, gt255)
    m = _frames(mask, "mask", 1).to(torch.float32)
    h, w = a.shape[-2:]
    return per_frame_nan(mse_255(a * m, b * m) * float(h * w), m.to(torch.float64).sum(dim=(1, 2, 3)))


# ----------------------------------------------------------------------------- pytorch_ssim
def gaussian_window(size: int = SSIM_WINDOW, sigma: float = SSIM_SIGMA) -> torch.Tensor:
    """The peers' 1-D window: ``exp(−(x − size//2)² / (2σ²))`` for x = 0 … size−1, normalised to sum 1.
    Their 2-D window is the outer product of this with itself, so blurring rows then columns is the same sum."""
    g = torch.tensor([math.exp(-((x - size // 2) ** 2) / float(2 * sigma**2)) for x in range(size)],
                     dtype=torch.float64)
    return g / g.sum()


def _zero_pad_blur(x: torch.Tensor, window: torch.Tensor, chunk: int = 5) -> torch.Tensor:
    """``conv2d(x, outer(g, g), padding=size//2, groups=C)`` as two 1-D passes of shifted slices (float64), a few
    planes at a time into reused buffers (so they stay in cache)."""
    r = (window.numel() - 1) // 2
    weights = [float(v) for v in window]
    *lead, h, w = x.shape
    planes = x.reshape(-1, h, w)
    out = torch.empty_like(planes)
    n = min(chunk, planes.shape[0])
    pad_rows = torch.zeros(n, h + 2 * r, w, dtype=x.dtype, device=x.device)
    rows = torch.empty(n, h, w, dtype=x.dtype, device=x.device)
    pad_cols = torch.zeros(n, h, w + 2 * r, dtype=x.dtype, device=x.device)
    for start in range(0, planes.shape[0], n):
        k = min(n, planes.shape[0] - start)
        pr, rw, pc = pad_rows[:k], rows[:k], pad_cols[:k]
        pr[:, r:r + h].copy_(planes[start:start + k])
        torch.mul(pr[:, 0:h], weights[0], out=rw)
        for j in range(1, len(weights)):
            rw.add_(pr[:, j:j + h], alpha=weights[j])
        pc[..., r:r + w].copy_(rw)
        dst = out[start:start + k]
        torch.mul(pc[..., 0:w], weights[0], out=dst)
        for j in range(1, len(weights)):
            dst.add_(pc[..., j:j + w], alpha=weights[j])
    return out.reshape(*lead, h, w)


def ssim_map_zero_pad(a255: torch.Tensor, b255: torch.Tensor, *, c1: float = SSIM_C1, c2: float = SSIM_C2,
                      window_size: int = SSIM_WINDOW) -> torch.Tensor:
    """The full ``N×C×H×W`` map of ``pytorch_ssim._ssim`` (zero padding; σ² = blur(x²) − blur(x)²), float64."""
    a, b = (t.to(torch.float64) for t in _pair(a255, b255))
    win = gaussian_window(window_size).to(a.device)
    c = a.shape[1]
    mu1, mu2, e11, e22, e12 = _zero_pad_blur(torch.cat((a, b, a * a, b * b, a * b), dim=1), win).split(c, dim=1)
    mu1_sq, mu2_sq, mu12 = mu1 * mu1, mu2 * mu2, mu1 * mu2
    s1, s2, s12 = e11 - mu1_sq, e22 - mu2_sq, e12 - mu12
    return ((2 * mu12 + c1) * (2 * s12 + c2)) / ((mu1_sq + mu2_sq + c1) * (s1 + s2 + c2))


def ssim_mean(smap: torch.Tensor) -> torch.Tensor:
    """``ssim_map.mean()`` per frame: every pixel (borders included) and channel."""
    return smap.mean(dim=(1, 2, 3))


def fssim_weighted(smap: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """``(ssim_map·m).sum(3).sum(2) / m.sum()`` then ``.mean()`` over channels, per frame; NaN if Σm = 0."""
    m = _frames(mask, "mask", 1).to(torch.float64)
    per_channel = (smap * m).sum(dim=(2, 3))                       # N×C
    return per_frame_nan(per_channel.mean(dim=1), m.sum(dim=(1, 2, 3)))


# ----------------------------------------------------------------------------- once per clip
def pred_255(clip) -> torch.Tensor:
    """:func:`to_255` of the clip's prediction, computed once per :class:`~bench.metrics.context.Clip`."""
    return clip.once(("peer_255", "pred"), lambda: to_255(clip.pred))


def gt_255(clip) -> torch.Tensor:
    """:func:`to_255` of the clip's ground truth, once per clip."""
    return clip.once(("peer_255", "gt"), lambda: to_255(clip.gt))


def zero_pad_ssim_map(clip) -> torch.Tensor:
    """:func:`ssim_map_zero_pad` of the clip's 0–255 prediction and ground truth, once per clip."""
    return clip.once("ssim_map_zero_pad", lambda: ssim_map_zero_pad(pred_255(clip), gt_255(clip)))
