"""The peers' shared formulas (bench.protocols.formulas) against scikit-image, SciPy and hand-computed cases."""
import math

import numpy as np
import pytest
import torch
from scipy import ndimage
from skimage.metrics import mean_squared_error, peak_signal_noise_ratio

from bench.protocols import formulas as f


def _hwc(x: torch.Tensor) -> np.ndarray:
    """One N×3×H×W frame as the H×W×3 float32 array the peers' scripts hold."""
    return x[0].permute(1, 2, 0).numpy().astype(np.float32)


@pytest.fixture
def frames():
    g = torch.Generator().manual_seed(0)
    pred = torch.rand(2, 3, 19, 27, generator=g)            # non-square
    gt = (pred + 0.1 * torch.randn(2, 3, 19, 27, generator=g)).clamp(0, 1)
    return pred, gt


def test_to_255_is_float32_clamped():
    x = torch.tensor([0.0, 0.5, 1.0, 1.0004]).view(1, 1, 2, 2).repeat(1, 3, 1, 1)
    y = f.to_255(x)
    assert y.dtype == torch.float32
    assert y.flatten()[:4].tolist() == [0.0, 127.5, 255.0, 255.0]


def test_mse_and_psnr_pred_range_equal_skimage(frames):
    pred, gt = frames
    p, g = f.to_255(pred), f.to_255(gt)
    for i in range(2):
        a, b = _hwc(p[i:i + 1]), _hwc(g[i:i + 1])
        assert f.mse_255(p, g)[i].item() == pytest.approx(mean_squared_error(a, b), rel=1e-12)
        ref = peak_signal_noise_ratio(b, a, data_range=a.max() - a.min())   # evaluation.py's argument order
        # scikit-image 0.17 squared the float32 range in float32 (as here); today's squares it in float64:
        # the two differ by ~1e-8 relative
        assert f.psnr_pred_range(p, g)[i].item() == pytest.approx(ref, rel=1e-7)
        r32 = np.float32(a.max() - a.min())
        assert f.psnr_pred_range(p, g)[i].item() == pytest.approx(
            10 * np.log10(np.float32(r32**2) / mean_squared_error(a, b)), rel=1e-12)
        assert f.psnr_fixed(p, g)[i].item() == pytest.approx(peak_signal_noise_ratio(b, a, data_range=255), rel=1e-12)


def test_psnr_pred_range_narrow_prediction_hand_computed():
    # prediction 0.5 everywhere but one pixel at 0.6 (all channels), gt 0.5: range = 25.5 and
    # mse = 25.5² / (H·W), so PSNR = 10·log10(H·W) whatever the range — not 10·log10(255²·H·W/25.5²)
    h, w = 7, 11
    pred = torch.full((1, 3, h, w), 0.5)
    pred[..., 3, 4] = 0.6
    gt = torch.full((1, 3, h, w), 0.5)
    got = f.psnr_pred_range(f.to_255(pred), f.to_255(gt)).item()
    assert got == pytest.approx(10 * math.log10(h * w), rel=1e-6)
    assert f.psnr_fixed(f.to_255(pred), f.to_255(gt)).item() == pytest.approx(
        10 * math.log10(255**2 * h * w / 25.5**2), rel=1e-6)


def test_psnr_pred_range_edge_values():
    gt = torch.full((1, 3, 4, 4), 0.2)
    same = f.psnr_pred_range(f.to_255(gt), f.to_255(gt)).item()
    const = f.psnr_pred_range(f.to_255(torch.full((1, 3, 4, 4), 0.7)), f.to_255(gt)).item()
    assert math.isnan(same)                  # range 0 and error 0: 0/0, as NumPy gives
    assert const == -math.inf                # a constant prediction: log10(0)


def test_fmse_whole_over_full_soft_mask_hand_computed():
    # a soft edge: columns 0, 0.25, 0.75, 1.0 (what INTER_LINEAR gives upscaling [0, 1] by 2, see the reader tests)
    mask = torch.tensor([0.0, 0.25, 0.75, 1.0]).repeat(1, 1, 4, 1)
    gt = torch.full((1, 3, 4, 4), 0.5)
    pred = gt.clone()
    pred[..., :, 0] = 0.5 + 10 / 255        # error only in the background column
    pred[..., :, 2] = 0.5 - 20 / 255        # and in the soft-edge column
    mse = (4 * 3 * 10**2 + 4 * 3 * 20**2) / 48
    got = f.fmse_whole_over_full(f.to_255(pred), f.to_255(gt), mask).item()
    assert got == pytest.approx(mse * 16 / 4, rel=1e-5)    # 4 pixels equal 1.0; the error is all outside them
    # iHarmony4's fMSE on the same soft mask weighs by it: Σ m·…, numerator masked
    masked = (3 * 4 * (0.25**2 * 0 + 0.75**2 * 20**2)) / 48 * 16 / (4 * (0.25 + 0.75 + 1.0))
    assert f.fmse_masked(f.to_255(pred), f.to_255(gt), mask).item() == pytest.approx(masked, rel=1e-5)


def test_full_mask_pixels_truncates_like_astype_uint8():
    mask = torch.tensor([1.0, 0.99999994, 0.5, 0.0], dtype=torch.float32).view(1, 1, 2, 2)
    assert f.full_mask_pixels(mask).item() == float(mask.numpy().astype(np.uint8).sum()) == 1.0


def test_empty_foreground_is_nan(frames):
    pred, gt = frames
    empty = torch.zeros(2, 1, 19, 27)
    assert torch.isnan(f.fmse_whole_over_full(f.to_255(pred), f.to_255(gt), empty)).all()
    assert torch.isnan(f.fmse_masked(f.to_255(pred), f.to_255(gt), empty)).all()
    assert torch.isnan(f.fssim_weighted(f.ssim_map_zero_pad(f.to_255(pred), f.to_255(gt)), empty)).all()


def _window2d() -> np.ndarray:
    """pytorch_ssim's window written out: exp(−(x−5)²/(2·1.5²)) normalised, outer product."""
    g = np.array([math.exp(-((x - 5) ** 2) / (2 * 1.5**2)) for x in range(11)])
    g = g / g.sum()
    return np.outer(g, g)


def _ssim_map_reference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``pytorch_ssim._ssim`` re-derived with SciPy: 2-D correlation with zero padding (cval 0), one channel."""
    w = _window2d()
    blur = lambda x: ndimage.correlate(x, w, mode="constant", cval=0.0)  # noqa: E731
    mu1, mu2 = blur(a), blur(b)
    s1, s2, s12 = blur(a * a) - mu1**2, blur(b * b) - mu2**2, blur(a * b) - mu1 * mu2
    c1, c2 = 0.01**2, 0.03**2
    return ((2 * mu1 * mu2 + c1) * (2 * s12 + c2)) / ((mu1**2 + mu2**2 + c1) * (s1 + s2 + c2))


def test_ssim_map_zero_pad_equals_scipy_rederivation(frames):
    pred, gt = frames
    p, g = f.to_255(pred), f.to_255(gt)
    smap = f.ssim_map_zero_pad(p, g)
    for i in range(2):
        for c in range(3):
            ref = _ssim_map_reference(p[i, c].double().numpy(), g[i, c].double().numpy())
            np.testing.assert_allclose(smap[i, c].numpy(), ref, rtol=1e-9, atol=1e-12)
    soft = torch.rand(2, 1, 19, 27, generator=torch.Generator().manual_seed(3))
    for i in range(2):
        refs = [_ssim_map_reference(p[i, c].double().numpy(), g[i, c].double().numpy()) for c in range(3)]
        m = soft[i, 0].double().numpy()
        ref_f = np.mean([(r * m).sum() / m.sum() for r in refs])
        assert f.fssim_weighted(smap, soft)[i].item() == pytest.approx(ref_f, rel=1e-9)
        assert f.ssim_mean(smap)[i].item() == pytest.approx(np.mean(refs), rel=1e-9)


def test_ssim_zero_padding_at_a_border_pixel_hand_computed():
    # constant frames a (pred) and b (gt): at the corner the window keeps s = (Σ_{k≥5} g_k)² of its weight, so
    # μ = s·a, σ² = s·a² − (s·a)², σ12 = s·ab − s²·ab; a mask on the corner pixel alone gives that value
    a, b = 200.0, 150.0
    g = np.array([math.exp(-((x - 5) ** 2) / 4.5) for x in range(11)])
    s = (g[5:].sum() / g.sum()) ** 2
    mu1, mu2 = s * a, s * b
    s1, s2, s12 = s * a * a - mu1**2, s * b * b - mu2**2, s * a * b - mu1 * mu2
    c1, c2 = 1e-4, 9e-4
    corner = ((2 * mu1 * mu2 + c1) * (2 * s12 + c2)) / ((mu1**2 + mu2**2 + c1) * (s1 + s2 + c2))
    pred = torch.full((1, 3, 16, 24), a / 255)
    gt = torch.full((1, 3, 16, 24), b / 255)
    mask = torch.zeros(1, 1, 16, 24)
    mask[..., 0, 0] = 1.0
    smap = f.ssim_map_zero_pad(f.to_255(pred), f.to_255(gt))
    assert f.fssim_weighted(smap, mask).item() == pytest.approx(corner, rel=1e-5)
    interior = (2 * a * b + c1) / (a * a + b * b + c1)          # σ = 0 away from the border: (C2/C2) = 1
    assert smap[0, 0, 8, 12].item() == pytest.approx(interior, rel=1e-5)


def test_identical_frames_give_ssim_one():
    x = torch.rand(1, 3, 12, 13, generator=torch.Generator().manual_seed(5))
    smap = f.ssim_map_zero_pad(f.to_255(x), f.to_255(x))
    assert f.ssim_mean(smap).item() == pytest.approx(1.0, abs=1e-9)
    assert f.fssim_weighted(smap, torch.rand(1, 1, 12, 13)).item() == pytest.approx(1.0, abs=1e-9)
