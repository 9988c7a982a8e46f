"""The SSIM map of scikit-image, in torch: ``structural_similarity(full=True, gaussian_weights=True, sigma=1.5,
use_sample_covariance=False, data_range=1)`` per channel, full size, in float64.

Two paths compute the same map: a cache-friendly shifted-slice blur on CPU (:class:`_PlaneBlur`) and a grouped
convolution for tensors that need gradients or live on another device.  The ``ssim`` and ``fssim`` metrics
(:mod:`bench.metrics.image`) average this map; :meth:`bench.metrics.context.Clip.ssim_map` computes it once per clip.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ._checks import check_pair

SSIM_SIGMA = 1.5
SSIM_TRUNCATE = 3.5
SSIM_K1, SSIM_K2 = 0.01, 0.03
SSIM_RADIUS = int(SSIM_TRUNCATE * SSIM_SIGMA + 0.5)  # 5: the window is 11×11 and skimage's mean drops this border

__all__ = ["ssim_map", "SSIM_RADIUS"]


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


def ssim_map(pred: torch.Tensor, gt: torch.Tensor, *, data_range: float = 1.0) -> torch.Tensor:
    """Full-size ``N×3×H×W`` SSIM map, as ``skimage.metrics.structural_similarity(full=True,
    gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=1)`` per channel."""
    p, t = check_pair(pred, gt)
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
