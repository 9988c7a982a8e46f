"""The losses of Eq. (1) and Eq. (2), exactly as printed, per sample then averaged over the batch.

N is the number of pixels of a frame (H·W); squared norms sum over channels and pixels.

* Eq. (1)  L_D = 1/(2N)‖D(O_t) − M_t‖² + 1/(2N)‖D(I_t) − M_t‖² + 1/N‖D(X_t)‖²
* Eq. (2)  L_G = 1/N‖O_t − X_t‖² + λ1/N_F‖M_t ∘ (O_t − S(O_{t−1}))‖² + λ2/N‖D(O_t)‖²

S(O_{t−1}) is O_{t−1} warped onto frame t by the ground-truth backward flow
(:func:`harmonizer.warp.backward_warp`, differentiable).  Pixels without a valid
correspondence are excluded, so N_F counts the *valid* foreground pixels (mask weights
for a soft mask); a frame with N_F = 0 contributes no temporal term (never 0/0).  The
global variant sums over all valid pixels and divides by N, like the global loss of
video style transfer that the paper compares against.
"""
from __future__ import annotations

import torch

from harmonizer.config import LOG_L2_FLOOR, RECONSTRUCTIONS  # the options' names and default, said once
from harmonizer.warp import backward_warp


def _pixels(x: torch.Tensor) -> int:
    return int(x.shape[-2] * x.shape[-1])


def _sq_per_sample(x: torch.Tensor) -> torch.Tensor:
    """Σ over channels and pixels of x², one value per sample (N)."""
    return x.float().pow(2).flatten(1).sum(1)


def discriminator_loss(d_out: torch.Tensor, d_in: torch.Tensor, d_gt: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Eq. (1) from D's outputs on O_t, I_t and X_t (each N×1×H×W) and the mask M_t (N×1×H×W)."""
    n = _pixels(mask)
    per = (_sq_per_sample(d_out - mask) / (2 * n) + _sq_per_sample(d_in - mask) / (2 * n)
           + _sq_per_sample(d_gt) / n)
    return per.mean()




def reconstruction_loss(out: torch.Tensor, gt: torch.Tensor, mode: str = "l2", *,
                        floor: float = LOG_L2_FLOOR) -> torch.Tensor:
    """``l2``: 1/N‖O_t − X_t‖², averaged over the batch (Eq. 2).

    ``log_l2``: the same per-sample MSEs m_i, each weighted by (m̄ + ε)/(m_i + ε) (weights detached, m̄ the
    batch mean, ε = ``floor``: below it a sample's weight stops growing; ε → ∞ gives back ``l2``).  Its
    gradient is that of mean log(m_i + ε) — mean PSNR, the metric the suite reports — times the batch's mean
    MSE, so λ1, λ2 and the learning rate keep their scale.  Plain L2
    lets a few badly disharmonious samples dominate; a small error on a nearly harmonious input then costs
    almost nothing, and the model learns to change such inputs (benchmarks/RESULTS-real-recipe.md).
    """
    per = _sq_per_sample(out - gt) / _pixels(out)
    if mode == "l2":
        return per.mean()
    if mode == "log_l2":
        level = per.detach()
        return (per * (level.mean() + floor) / (level + floor)).mean()
    raise ValueError(f"unknown reconstruction loss '{mode}' ({', '.join(RECONSTRUCTIONS)})")


def adversarial_loss(d_out: torch.Tensor) -> torch.Tensor:
    """1/N‖D(O_t)‖²: G wants every pixel of its output labelled harmonious (0)."""
    return (_sq_per_sample(d_out) / _pixels(d_out)).mean()


def temporal_loss(out_t: torch.Tensor, out_prev: torch.Tensor, flow_bw: torch.Tensor, valid: torch.Tensor,
                  mask: torch.Tensor | None, *, mode: str = "regional") -> torch.Tensor:
    """Temporal term without λ1.

    ``out_t``, ``out_prev``: N×3×H×W; ``flow_bw``: N×2×H×W flow t → t−1 in pixels;
    ``valid``: N×1×H×W {0,1}; ``mask``: M_t, N×1×H×W (required for ``regional``).
    ``regional``: Σ(M∘valid∘(O_t − S(O_{t−1})))² / N_F with N_F = Σ M∘valid per sample
    (0 where N_F = 0).  ``global``: Σ(valid∘(O_t − S(O_{t−1})))² / N.
    """
    warped = backward_warp(out_prev.float(), flow_bw.float())
    diff = out_t.float() - warped
    valid = valid.float()
    if mode == "regional":
        if mask is None:
            raise ValueError("the regional temporal loss needs the foreground mask M_t")
        weight = mask.float() * valid
        n_f = weight.flatten(1).sum(1)
        num = _sq_per_sample(weight * diff)
        per = torch.where(n_f > 0, num / n_f.clamp_min(1e-12), torch.zeros_like(num))
    elif mode == "global":
        per = _sq_per_sample(valid * diff) / _pixels(diff)
    else:
        raise ValueError(f"unknown temporal loss mode '{mode}' (regional, global)")
    return per.mean()


def generator_loss(out_t, gt_t, *, d_out=None, out_prev=None, flow_bw=None, valid=None, mask=None,
                   temporal: str = "regional", lambda_temporal: float = 2e-2,
                   lambda_adv: float = 1e-2, reconstruction: str = "l2",
                   log_l2_floor: float = LOG_L2_FLOOR) -> tuple[torch.Tensor, dict[str, float]]:
    """Eq. (2).  Terms whose inputs are ``None`` (or ``temporal='none'``) are left out.

    Returns the total and a dict of its parts (floats, for logging).
    """
    rec = reconstruction_loss(out_t, gt_t, reconstruction, floor=log_l2_floor)
    total = rec
    parts = {"g_rec": float(rec.detach())}
    if temporal != "none" and out_prev is not None:
        tem = temporal_loss(out_t, out_prev, flow_bw, valid, mask, mode=temporal)
        total = total + lambda_temporal * tem
        parts["g_temporal"] = float(tem.detach())
    if d_out is not None:
        adv = adversarial_loss(d_out)
        total = total + lambda_adv * adv
        parts["g_adv"] = float(adv.detach())
    parts["g_total"] = float(total.detach())
    return total, parts
