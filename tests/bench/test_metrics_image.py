"""Image metrics against scikit-image and hand-computed cases."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from skimage.metrics import mean_squared_error, peak_signal_noise_ratio, structural_similarity

from bench.metrics import functional as F

SK_SSIM = dict(channel_axis=-1, data_range=1.0, gaussian_weights=True, sigma=1.5, use_sample_covariance=False)


@pytest.fixture
def pair():
    g = torch.Generator().manual_seed(1)
    target = torch.rand(3, 3, 24, 32, generator=g, dtype=torch.float64)
    pred = (target + 0.1 * torch.randn(target.shape, generator=g, dtype=torch.float64)).clamp(0, 1)
    mask = (torch.rand(3, 1, 24, 32, generator=g) > 0.6).double()
    return pred, target, mask


def _hwc(x: torch.Tensor, i: int) -> np.ndarray:
    return x[i].permute(1, 2, 0).numpy()


def test_mse_psnr_match_skimage(pair):
    pred, target, _ = pair
    ours_mse, ours_psnr = F.mse(pred, target), F.psnr(pred, target)
    for i in range(pred.shape[0]):
        ref_mse = mean_squared_error(_hwc(target, i), _hwc(pred, i))
        ref_psnr = peak_signal_noise_ratio(_hwc(target, i), _hwc(pred, i), data_range=1.0)
        assert ours_mse[i].item() == pytest.approx(ref_mse, rel=1e-12)
        assert ours_psnr[i].item() == pytest.approx(ref_psnr, rel=1e-12)
        assert F.mse255(pred, target)[i].item() == pytest.approx(ref_mse * 255**2, rel=1e-12)


def test_ssim_and_fssim_match_skimage(pair):
    pred, target, mask = pair
    ours, ours_f = F.ssim(pred, target), F.fssim(pred, target, mask)
    for i in range(pred.shape[0]):
        ref, full = structural_similarity(_hwc(pred, i), _hwc(target, i), full=True, **SK_SSIM)
        fg = mask[i, 0].numpy().astype(bool)
        assert ours[i].item() == pytest.approx(ref, abs=1e-12)
        # fSSIM = skimage's full SSIM map averaged over the mask pixels and the channels
        assert ours_f[i].item() == pytest.approx(full[fg].mean(), abs=1e-12)


def test_ssim_accepts_float32_and_matches_float64_reference(pair):
    pred, target, _ = pair
    ours = F.ssim(pred.float(), target.float())
    ref = structural_similarity(_hwc(pred.float().double(), 0), _hwc(target.float().double(), 0), **SK_SSIM)
    assert ours.dtype == torch.float64
    assert ours[0].item() == pytest.approx(ref, abs=1e-12)


def test_fmse_fpsnr_hand_computed():
    pred = torch.zeros(1, 3, 2, 2, dtype=torch.float64)
    target = torch.zeros(1, 3, 2, 2, dtype=torch.float64)
    target[0, :, 0, 0] = torch.tensor([0.1, 0.2, 0.3], dtype=torch.float64)  # inside the mask
    target[0, :, 1, 1] = 1.0  # outside the mask: must not count
    mask = torch.zeros(1, 1, 2, 2)
    mask[0, 0, 0, 0] = 1
    mask[0, 0, 0, 1] = 1  # a second fg pixel with zero error
    expected = (0.01 + 0.04 + 0.09) / (3 * 2)
    assert F.fmse(pred, target, mask).item() == pytest.approx(expected, rel=1e-12)
    assert F.fmse255(pred, target, mask).item() == pytest.approx(expected * 255**2, rel=1e-12)
    assert F.fpsnr(pred, target, mask).item() == pytest.approx(10 * math.log10(1 / expected), rel=1e-12)
    # whole-image MSE of the same pair, by hand: (0.14 + 3) / 12
    assert F.mse(pred, target).item() == pytest.approx((0.14 + 3.0) / 12, rel=1e-12)


def test_identical_inputs_give_zero_and_inf(pair):
    _, target, mask = pair
    assert torch.all(F.mse(target, target) == 0)
    assert torch.all(F.fmse(target, target, mask) == 0)
    assert torch.all(torch.isposinf(F.psnr(target, target)))
    assert torch.all(torch.isposinf(F.fpsnr(target, target, mask)))
    assert torch.allclose(F.ssim(target, target), torch.ones(3, dtype=torch.float64))
    assert torch.allclose(F.fssim(target, target, mask), torch.ones(3, dtype=torch.float64))


def test_empty_foreground_is_nan_for_that_frame_only(pair):
    pred, target, mask = pair
    mask = mask.clone()
    mask[1] = 0
    for fn in (F.fmse, F.fpsnr, F.fmse255, F.fssim):
        values = fn(pred, target, mask)
        assert torch.isnan(values[1]), fn.__name__
        assert not torch.isnan(values[0]) and not torch.isnan(values[2]), fn.__name__


def test_bad_shapes_raise_clear_errors(pair):
    pred, target, mask = pair
    with pytest.raises(ValueError, match="differ in shape"):
        F.mse(pred, target[:, :, :-1])
    with pytest.raises(ValueError, match="mask"):
        F.fmse(pred, target, mask[:, :, :-1])
    with pytest.raises(ValueError, match="N×C×H×W"):
        F.psnr(pred[0], target[0])
    with pytest.raises(ValueError, match="at least"):
        F.ssim(pred[..., :4, :4], target[..., :4, :4])


def test_convolution_path_matches_skimage_too(pair):
    """Tensors that need gradients (and non-CPU tensors) take the grouped-convolution blur."""
    pred, target, mask = pair
    ours = F.fssim(pred.clone().requires_grad_(True), target, mask).detach()
    for i in range(pred.shape[0]):
        _, full = structural_similarity(_hwc(pred, i), _hwc(target, i), full=True, **SK_SSIM)
        assert ours[i].item() == pytest.approx(full[mask[i, 0].numpy().astype(bool)].mean(), abs=1e-12)


def test_frames_must_be_float_in_unit_range(pair):
    pred, target, _ = pair
    with pytest.raises(TypeError, match="pred must be a float tensor.*255"):
        F.mse((pred * 255).to(torch.uint8), target)
    with pytest.raises(ValueError, match=r"gt must hold values in \[0, 1\]"):
        F.psnr(pred, target * 2 - 1)
    assert torch.isfinite(F.mse(pred + 1e-4, target)).all()  # rounding slack is tolerated
