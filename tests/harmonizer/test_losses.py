"""Eq. (1)/(2) against hand-computed values; gradients; warping by known flows."""
import numpy as np
import pytest
import torch

from harmonizer.losses import (adversarial_loss, discriminator_loss, generator_loss, reconstruction_loss,
                               temporal_loss)
from harmonizer.warp import backward_warp
from tests.harmonizer.synthetic import make_clip


def test_discriminator_loss_hand_computed():
    # 2×2 frame, N = 4; mask has one foreground pixel
    mask = torch.tensor([[[[1.0, 0.0], [0.0, 0.0]]]])
    d_out = torch.full((1, 1, 2, 2), 0.5)  # (0.5-1)² + 3·0.5² = 1.0 → /(2·4) = 0.125
    d_in = torch.zeros(1, 1, 2, 2)  # (0-1)² = 1 → /8 = 0.125
    d_gt = torch.full((1, 1, 2, 2), 0.5)  # 4·0.25 = 1 → /4 = 0.25
    assert discriminator_loss(d_out, d_in, d_gt, mask).item() == pytest.approx(0.5)


def test_reconstruction_and_adversarial_divide_by_pixels_not_channels():
    out = torch.zeros(1, 3, 2, 2)
    gt = torch.ones(1, 3, 2, 2)
    assert reconstruction_loss(out, gt).item() == pytest.approx(12 / 4)  # Σ over 3 channels × 4 px, / N=4
    assert adversarial_loss(torch.full((1, 1, 2, 2), 2.0)).item() == pytest.approx(4.0)


def test_regional_temporal_counts_only_valid_foreground():
    out_t = torch.zeros(1, 3, 2, 2)
    out_prev = torch.zeros(1, 3, 2, 2)
    out_prev[0, :, 0, 0] = 1.0  # differs at (0,0) and (0,1)
    out_prev[0, :, 0, 1] = 2.0
    mask = torch.tensor([[[[1.0, 1.0], [1.0, 0.0]]]])
    valid = torch.tensor([[[[1.0, 0.0], [1.0, 1.0]]]])  # (0,1) has no correspondence
    zero = torch.zeros(1, 2, 2, 2)
    # valid foreground: (0,0), (1,0) → N_F = 2; squared diff there: 3·1² at (0,0)
    assert temporal_loss(out_t, out_prev, zero, valid, mask).item() == pytest.approx(3 / 2)
    # global: all valid pixels (0,0),(1,0),(1,1), divided by N = 4
    assert temporal_loss(out_t, out_prev, zero, valid, None, mode="global").item() == pytest.approx(3 / 4)


def test_empty_foreground_gives_no_temporal_term_and_finite_gradients():
    out_t = torch.rand(2, 3, 4, 4, requires_grad=True)
    out_prev = torch.rand(2, 3, 4, 4, requires_grad=True)
    mask = torch.zeros(2, 1, 4, 4)
    mask[1, :, 1:3, 1:3] = 1
    valid = torch.ones(2, 1, 4, 4)
    loss = temporal_loss(out_t, out_prev, torch.zeros(2, 2, 4, 4), valid, mask)
    expected = ((out_t[1] - out_prev[1])[:, 1:3, 1:3] ** 2).sum() / 4 / 2  # sample 0 contributes 0; mean of 2
    assert loss.item() == pytest.approx(expected.item(), rel=1e-5)
    loss.backward()
    assert torch.isfinite(out_t.grad).all() and torch.isfinite(out_prev.grad).all()
    assert out_t.grad[0].abs().sum() == 0


def test_temporal_gradient_reaches_both_frames():
    out_t = torch.rand(1, 3, 8, 8, requires_grad=True)
    out_prev = torch.rand(1, 3, 8, 8, requires_grad=True)
    flow = torch.full((1, 2, 8, 8), 0.5)
    loss, parts = generator_loss(out_t, torch.zeros(1, 3, 8, 8), out_prev=out_prev, flow_bw=flow,
                                 valid=torch.ones(1, 1, 8, 8), mask=torch.ones(1, 1, 8, 8), lambda_temporal=1.0)
    loss.backward()
    assert out_prev.grad.abs().sum() > 0 and out_t.grad.abs().sum() > 0
    assert set(parts) == {"g_rec", "g_temporal", "g_total"}


def test_generator_loss_combines_terms_with_lambdas():
    out = torch.zeros(1, 3, 2, 2)
    gt = torch.ones(1, 3, 2, 2)
    prev = torch.ones(1, 3, 2, 2)
    d_out = torch.ones(1, 1, 2, 2)
    total, parts = generator_loss(out, gt, d_out=d_out, out_prev=prev, flow_bw=torch.zeros(1, 2, 2, 2),
                                  valid=torch.ones(1, 1, 2, 2), mask=torch.ones(1, 1, 2, 2))
    # rec = 12/4 = 3; temporal = 12/4 = 3; adv = 4/4 = 1
    assert total.item() == pytest.approx(3 + 2e-2 * 3 + 1e-2 * 1)
    _, no_t = generator_loss(out, gt, d_out=d_out, out_prev=prev, flow_bw=torch.zeros(1, 2, 2, 2),
                             valid=torch.ones(1, 1, 2, 2), mask=torch.ones(1, 1, 2, 2), temporal="none")
    assert "g_temporal" not in no_t and no_t["g_total"] == pytest.approx(3 + 1e-2)


def test_zero_flow_warp_is_identity():
    img = torch.rand(2, 3, 7, 9)
    assert torch.allclose(backward_warp(img, torch.zeros(2, 2, 7, 9)), img, atol=1e-6)


def test_stored_flow_warps_frame_onto_next_on_valid_pixels():
    clip = make_clip(np.random.default_rng(3), "c", "train", size=32, shift=(2, -3))
    to_t = lambda a: torch.from_numpy(a).permute(2, 0, 1)[None].float() / 255  # noqa: E731
    flow = torch.from_numpy(clip.flow_bw[0]).permute(2, 0, 1)[None]
    warped = backward_warp(to_t(clip.gt[0]), flow)
    valid = torch.from_numpy(clip.valid_bw[0])
    diff = (warped - to_t(clip.gt[1]))[0].abs().amax(0)
    assert valid.sum() > 0.5 * valid.numel()
    assert diff[valid].max() < 1e-5  # integer shift: exact
    assert diff[~valid].max() > 1e-3  # the excluded pixels really lack a correspondence


def test_shared_dataset_flow_warps_frame_onto_next(tiny_dancing):
    """The builder's stored backward flow (subpixel, layered motion) maps X_0 onto X_1 on valid pixels."""
    from harmonizer.data.datasets import DancingDataset

    item = DancingDataset(tiny_dancing, "train")[0]
    warped = backward_warp(item["gt"][:1], item["flow_bw"][:1])
    diff = (warped - item["gt"][1:2]).abs().amax(1)[0]
    valid = item["valid_bw"][0, 0].bool()
    assert valid.float().mean() > 0.5
    assert diff[valid].max() < 3 / 255  # 8-bit rounding and bilinear interpolation only
    assert diff[~valid].mean() > 10 * diff[valid].mean()


def test_log_l2_reconstruction_has_the_gradient_of_mean_log_mse():
    """loss.reconstruction='log_l2': gradient = (m̄ + ε)·∇ mean log(m_i + ε) (the mean-PSNR objective at the batch's
    L2 scale), derived here by autograd of the closed form."""
    from harmonizer.losses import LOG_L2_FLOOR, reconstruction_loss

    torch.manual_seed(0)
    gt = torch.rand(4, 3, 6, 6)
    out = (gt + torch.randn(4, 3, 6, 6) * torch.tensor([0.3, 0.1, 0.01, 0.001]).view(4, 1, 1, 1)).requires_grad_()
    loss = reconstruction_loss(out, gt, "log_l2")
    (grad,) = torch.autograd.grad(loss, out)
    ref_out = out.detach().clone().requires_grad_()
    m = (ref_out - gt).pow(2).flatten(1).sum(1) / 36
    scale = float(m.detach().mean()) + LOG_L2_FLOOR
    (ref,) = torch.autograd.grad(scale * torch.log(m + LOG_L2_FLOOR).mean(), ref_out)
    torch.testing.assert_close(grad, ref, rtol=1e-5, atol=1e-9)
    assert float(loss) == pytest.approx(scale * float((m / (m + LOG_L2_FLOOR)).mean()), rel=1e-5)
    # the nearly exact sample gets a far larger share of the gradient than under plain L2
    (plain,) = torch.autograd.grad(reconstruction_loss(out, gt, "l2"), out)
    share = lambda g: float(g[3].norm() / g.norm())  # noqa: E731
    assert share(grad) > 5 * share(plain)
    with pytest.raises(ValueError, match="reconstruction"):
        reconstruction_loss(out, gt, "l1")
