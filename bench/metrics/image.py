"""Per-frame image metrics: MSE, PSNR, SSIM and their foreground and 0–255 variants.

Every function takes ``pred`` and ``target`` frames ``N×3×H×W`` in [0, 1]
(plus a ``N×1×H×W`` mask for the foreground ones) and returns one float64 value
per frame, a tensor of ``N``.  Each is built torchmetrics-style from an
``_update`` (per-frame sufficient statistics) and a ``_compute`` step so the
accumulators can reuse them.

Conventions (the same table is in docs/metrics.md):

========== ============================================================== ===============
name       definition                                                     scale
========== ============================================================== ===============
mse        mean over pixels and channels of (O − X)²                      [0, 1] images
psnr       10·log10(1 / mse); identical frames → +inf                     dB, range 1
fmse       Σ_mask (O − X)² over mask pixels and channels / (3·Σ mask)     [0, 1] images
fpsnr      10·log10(1 / fmse)                                             dB, range 1
mse255     mse on 0–255 values (= 255²·mse)                               0–255
fmse255    fmse on 0–255 values (= 255²·fmse)  — HYouTube / iHarmony4 fMSE 0–255
ssim       scikit-image SSIM: Gaussian window σ = 1.5 (truncate 3.5, 11×11),
           population covariance, K1 = 0.01, K2 = 0.03, data range 1, per
           channel; mean of the map without the 5-pixel border, averaged
           over channels                                                  [−1, 1]
fssim      the same SSIM map (full size, borders filled by symmetric
           'reflect' padding as scikit-image does) averaged over mask
           pixels and channels                                            [−1, 1]
========== ============================================================== ===============

An empty foreground (mask sums to 0) gives NaN for that frame, never 0.

Note on fMSE: HYouTube/CO2Net compute ``mse(whole image) · H·W / fg_pixels``,
which also counts background errors; ours sums only over mask pixels.  For a
method that returns the background untouched the two agree.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ._checks import check_mask, check_pair, safe_ratio

SSIM_SIGMA = 1.5
SSIM_TRUNCATE = 3.5
SSIM_K1, SSIM_K2 = 0.01, 0.03

__all__ = ["mse", "psnr", "fmse", "fpsnr", "mse255", "fmse255", "ssim", "fssim", "ssim_map"]


# ----------------------------------------------------------------------------- MSE / PSNR
def _mse_update(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor | None = None):
    """Per-frame ``(sum of squared errors, number of observations)``; with a mask only its pixels count."""
    p, t = check_pair(pred, target)
    return _mse_stats((p - t).square(), None if mask is None else check_mask(mask, p))


def _mse_stats(sq: torch.Tensor, mask: torch.Tensor | None):
    """Sufficient statistics from the squared error ``sq`` (N×C×H×W), over all pixels or the mask's."""
    if mask is None:
        return sq.sum(dim=(1, 2, 3)), torch.full((sq.shape[0],), float(sq[0].numel()), dtype=sq.dtype)
    return (sq * mask).sum(dim=(1, 2, 3)), sq.shape[1] * mask.sum(dim=(1, 2, 3))


def _mse_compute(sum_sq: torch.Tensor, n_obs: torch.Tensor) -> torch.Tensor:
    return safe_ratio(sum_sq, n_obs)


def _psnr_compute(sum_sq: torch.Tensor, n_obs: torch.Tensor, data_range: float = 1.0) -> torch.Tensor:
    # log10(range² / 0) = +inf for identical frames; NaN stays NaN for an empty foreground
    return 10.0 * torch.log10(data_range**2 / _mse_compute(sum_sq, n_obs))


def mse(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean over pixels and channels of (pred − target)², per frame, on [0, 1] images."""
    return _mse_compute(*_mse_update(pred, target))


def psnr(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """10·log10(1 / mse) per frame (data range 1); +inf for identical frames."""
    return _psnr_compute(*_mse_update(pred, target))


def fmse(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Foreground MSE: Σ over mask pixels and channels of (pred − target)² / (3·mask pixels); NaN if empty."""
    return _mse_compute(*_mse_update(pred, target, mask))


def fpsnr(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """PSNR of the foreground-only MSE (data range 1); NaN for an empty foreground."""
    return _psnr_compute(*_mse_update(pred, target, mask))


def mse255(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """:func:`mse` on 0–255 values (as HYouTube / iHarmony4 tables report it)."""
    return mse(pred, target) * 255.0**2


def fmse255(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """:func:`fmse` on 0–255 values (the fMSE column of HYouTube / iHarmony4 tables)."""
    return fmse(pred, target, mask) * 255.0**2


# ----------------------------------------------------------------------------- SSIM
def _gaussian_kernel1d(sigma: float, truncate: float, dtype, device) -> torch.Tensor:
    """The 1-D kernel of ``scipy.ndimage.gaussian_filter`` (radius ``int(truncate·σ + 0.5)``)."""
    radius = int(truncate * sigma + 0.5)
    x = torch.arange(-radius, radius + 1, dtype=dtype, device=device)
    k = torch.exp(-0.5 / sigma**2 * x**2)  # written as SciPy writes it, to round alike
    return k / k.sum()


def _symmetric_pad(x: torch.Tensor, r: int) -> torch.Tensor:
    """Pad H and W by ``r`` with SciPy's 'reflect' mode (d c b a | a b c d | d c b a)."""
    h, w = x.shape[-2:]
    if r > min(h, w):
        raise ValueError(f"SSIM needs frames of at least {r}×{r} pixels, got {w}×{h}")
    iy = torch.cat((torch.arange(r - 1, -1, -1), torch.arange(h), torch.arange(h - 1, h - 1 - r, -1))).to(x.device)
    ix = torch.cat((torch.arange(r - 1, -1, -1), torch.arange(w), torch.arange(w - 1, w - 1 - r, -1))).to(x.device)
    return x.index_select(-2, iy).index_select(-1, ix)


def _gaussian_filter_torch(x: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    """Separable Gaussian blur of every channel of ``x`` (N×C×H×W) by grouped convolution (GPU path)."""
    c = x.shape[1]
    r = (kernel.numel() - 1) // 2
    xp = _symmetric_pad(x, r)
    kx = kernel.view(1, 1, 1, -1).expand(c, 1, 1, -1)
    ky = kernel.view(1, 1, -1, 1).expand(c, 1, -1, 1)
    return F.conv2d(F.conv2d(xp, ky, groups=c), kx, groups=c)


class _PlaneBlur:
    """Float64 Gaussian blur of a small stack of H×W planes with SciPy 'reflect' borders, into reused buffers.

    Each pass is a sum of shifted slices of the padded planes; a few planes at a time stay in cache and
    nothing is allocated per call, which on CPU is several times faster than float64 ``conv2d`` (which has
    no vectorised kernel) and than SciPy's ``correlate1d``."""

    def __init__(self, kernel: torch.Tensor, shape: tuple[int, int, int], dtype) -> None:
        self.weights = [float(v) for v in kernel]
        self.r = r = (len(self.weights) - 1) // 2
        b, self.h, self.w = shape
        self.pad_rows = torch.empty(b, self.h + 2 * r, self.w, dtype=dtype)
        self.rows = torch.empty(b, self.h, self.w, dtype=dtype)
        self.pad_cols = torch.empty(b, self.h, self.w + 2 * r, dtype=dtype)

    def __call__(self, planes: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
        r, h, w, wts = self.r, self.h, self.w, self.weights
        pr, rows, pc = self.pad_rows, self.rows, self.pad_cols
        pr[:, r:r + h].copy_(planes)
        pr[:, :r].copy_(planes[:, :r].flip(1))
        pr[:, r + h:].copy_(planes[:, h - r:].flip(1))
        torch.mul(pr[:, 0:h], wts[0], out=rows)
        for k in range(1, len(wts)):
            rows.add_(pr[:, k:k + h], alpha=wts[k])
        pc[..., r:r + w].copy_(rows)
        pc[..., :r].copy_(rows[..., :r].flip(2))
        pc[..., r + w:].copy_(rows[..., w - r:].flip(2))
        torch.mul(pc[..., 0:w], wts[0], out=out)
        for k in range(1, len(wts)):
            out.add_(pc[..., k:k + w], alpha=wts[k])
        return out


def _ssim_map_cpu(p: torch.Tensor, t: torch.Tensor, kernel: torch.Tensor, c1: float, c2: float) -> torch.Tensor:
    """:func:`ssim_map` channel by channel (CPU path): four moment planes blurred together, then the formula.
    Works best with one torch thread on a busy machine (small ops; see benchmarks/RESULTS-bench.md)."""
    n, c, h, w = p.shape
    blur = _PlaneBlur(kernel, (4, h, w), p.dtype)
    src = torch.empty(4, h, w, dtype=p.dtype)
    mom = torch.empty(4, h, w, dtype=p.dtype)
    ux, uy, uxx_yy, uxy = mom
    num, den = torch.empty(h, w, dtype=p.dtype), torch.empty(h, w, dtype=p.dtype)
    out = torch.empty_like(p)
    for i in range(n):
        for ch in range(c):
            x, y = p[i, ch], t[i, ch]
            src[0].copy_(x)
            src[1].copy_(y)
            torch.mul(x, x, out=src[2]).addcmul_(y, y)
            torch.mul(x, y, out=src[3])
            blur(src, mom)
            # the formula of the convolution path, in place
            uxuy = ux * uy
            mu_sq = ux.square().add_(uy.square())
            torch.mul(uxuy, 2, out=num).add_(c1).mul_(uxy.sub_(uxuy).mul_(2).add_(c2))
            torch.add(mu_sq, c1, out=den).mul_(uxx_yy.sub_(mu_sq).add_(c2))
            torch.div(num, den, out=out[i, ch])
    return out


def ssim_map(pred: torch.Tensor, target: torch.Tensor, *, data_range: float = 1.0) -> torch.Tensor:
    """Full-size ``N×3×H×W`` SSIM map, as ``skimage.metrics.structural_similarity(full=True,
    gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=1)`` per channel."""
    p, t = check_pair(pred, target)
    r = int(SSIM_TRUNCATE * SSIM_SIGMA + 0.5)
    if r > min(p.shape[-2:]):
        raise ValueError(f"SSIM needs frames of at least {r}×{r} pixels, got {p.shape[-1]}×{p.shape[-2]}")
    kernel = _gaussian_kernel1d(SSIM_SIGMA, SSIM_TRUNCATE, p.dtype, p.device)
    c1, c2 = (SSIM_K1 * data_range) ** 2, (SSIM_K2 * data_range) ** 2
    if p.device.type == "cpu" and not (p.requires_grad or t.requires_grad):
        return _ssim_map_cpu(p, t, kernel, c1, c2)
    c = p.shape[1]
    # σx² and σy² only appear summed, so blur(x² + y²) replaces blur(x²) and blur(y²): four maps, not five
    moments = _gaussian_filter_torch(torch.cat((p, t, p * p + t * t, p * t), dim=1), kernel)
    ux, uy, uxx_yy, uxy = moments.split(c, dim=1)
    uxuy = ux * uy
    mu_sq = ux * ux + uy * uy
    return ((2 * uxuy + c1) * (2 * (uxy - uxuy) + c2)) / ((mu_sq + c1) * (uxx_yy - mu_sq + c2))


def _ssim_update(smap: torch.Tensor, mask: torch.Tensor | None = None):
    """Per-frame ``(sum of SSIM values, count)``: the cropped map (skimage's mean) or the mask pixels."""
    if mask is None:
        pad = int(SSIM_TRUNCATE * SSIM_SIGMA + 0.5)
        inner = smap[..., pad:-pad, pad:-pad] if pad else smap
        return inner.sum(dim=(1, 2, 3)), torch.full((smap.shape[0],), float(inner[0].numel()), dtype=smap.dtype)
    m = check_mask(mask, smap)
    return (smap * m).sum(dim=(1, 2, 3)), smap.shape[1] * m.sum(dim=(1, 2, 3))


def ssim(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """SSIM per frame, equal to scikit-image's ``structural_similarity(channel_axis=-1, data_range=1,
    gaussian_weights=True, sigma=1.5, use_sample_covariance=False)``."""
    return safe_ratio(*_ssim_update(ssim_map(pred, target)))


def fssim(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Foreground SSIM: the full SSIM map of :func:`ssim_map` averaged over mask pixels and channels; NaN if empty."""
    return safe_ratio(*_ssim_update(ssim_map(pred, target), mask))

