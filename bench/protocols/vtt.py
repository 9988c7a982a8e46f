"""``vtt``: VideoTripletTransformer on HYouTube (zhenglab/VideoTripletTransformer).

Peer files: ``video_harmonization/evaluation/ih_evaluation.py --evaluation_type hyt`` (MSE, PSNR, fMSE, fPSNR,
SSIM, fSSIM), ``video_harmonization/tc_evaluation.py`` ((f)R-RTC), ``evaluation/pytorch_ssim.py`` and the loader
``video_harmonization/data/hytsample_dataset.py``.

Steps (docs/metrics.md, "Protocols / vtt"):

1. every frame of an object's composite folder (sorted), ``Image.open(...).convert('RGB')``, resized to 256×256
   with torchvision ``tf.resize`` (PIL bilinear) when the **width** is not 256; the mask ``convert('1')`` (dithered),
   then nearest (mode '1'), as 0/1;
2. ``mse``: scikit-image MSE on 0–255 float32; ``psnr``: data range **255**; ``fmse``:
   ``mse_loss(h·m, r·m) · 256² / Σm``; ``fpsnr``: 10·log10(255² / fmse) per frame; ``ssim`` / ``fssim``:
   ``pytorch_ssim`` on the 0–255 tensors (``tf.to_tensor`` of a float32 array does not rescale), the whole map's
   mean and the mask-weighted mean; each the mean over all frames;
3. ``fr_rtc`` (``tc_evaluation.py --mode v --brightness_region foreground``): b_t = mean over the mask of the HSV
   value (max over RGB, 0–255), g_t = b_t − b_{t−1} for harmonized and real, d_t = |g_t(O) − g_t(X)|, μ = mean of d
   over the clip; per clip mean_t(d_t² + max(d_t − μ, 0)²), then the **mean over clips**; ``r_rtc``
   (``--brightness_region image``): the same with the whole image as region.
"""
from __future__ import annotations

import torch

from bench.metrics.temporal import fr_rtc
from bench.readers.peer_io import Reading

from . import formulas as f
from .registry import Protocol, ProtocolMetric, register_protocol

READING = Reading(composite="pil_bilinear", gt="pil_bilinear", mask="pil1_nearest", size=(256, 256),
                  resize_when="width_differs")


def vtt_mse(pred: torch.Tensor, gt: torch.Tensor) -> torch.Tensor:
    """``mean_squared_error(harmonized_np, real_np)`` on 0–255 float32."""
    return f.mse_255(f.to_255(pred), f.to_255(gt))


def vtt_psnr(pred: torch.Tensor, gt: torch.Tensor) -> torch.Tensor:
    """``peak_signal_noise_ratio(real_np, harmonized_np, data_range=255)``."""
    return f.psnr_fixed(f.to_255(pred), f.to_255(gt), 255.0)


def vtt_fmse(pred: torch.Tensor, gt: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """``mse_loss(harmonized·mask, real·mask) · 256·256 / Σmask``."""
    return f.fmse_masked(f.to_255(pred), f.to_255(gt), mask)


def vtt_fpsnr(pred: torch.Tensor, gt: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """``10·log10(255² / fmse)`` per frame (NaN for an empty foreground)."""
    return 10.0 * torch.log10(255.0**2 / vtt_fmse(pred, gt, mask))


def vtt_ssim(pred: torch.Tensor, gt: torch.Tensor) -> torch.Tensor:
    """``pytorch_ssim.ssim(harmonized, real, window_size=11)[0]``: the mean of the whole zero-padded map."""
    return f.ssim_mean(f.ssim_map_zero_pad(f.to_255(pred), f.to_255(gt)))


def vtt_fssim(pred: torch.Tensor, gt: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """``pytorch_ssim.ssim(harmonized, real, window_size=11, mask=mask)[1]``."""
    return f.fssim_weighted(f.ssim_map_zero_pad(f.to_255(pred), f.to_255(gt)), mask)


def vtt_fr_rtc(pred: torch.Tensor, gt: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Per frame t ≥ 1, d_t² + max(d_t − μ, 0)² of the foreground HSV value (the clip mean is fR-RTC)."""
    return fr_rtc(pred, gt, mask)


def vtt_r_rtc(pred: torch.Tensor, gt: torch.Tensor) -> torch.Tensor:
    """The same over the whole image (R-RTC): g_t is the change of the image's mean HSV value."""
    return fr_rtc(pred, gt, torch.ones_like(pred[:, :1]))


PROTOCOL = register_protocol(Protocol(
    name="vtt",
    title="VideoTripletTransformer (ih_evaluation.py --evaluation_type hyt, tc_evaluation.py)",
    peer="zhenglab/VideoTripletTransformer",
    files=("video_harmonization/evaluation/ih_evaluation.py", "video_harmonization/tc_evaluation.py",
           "video_enhancement/evaluation/pytorch_ssim.py", "video_harmonization/data/hytsample_dataset.py"),
    reading=READING,
    flow_frames="gt_else_composite",
    peer_flow="none ((f)R-RTC is flow-free)",
    pairs="consecutive frames of each clip (every composite frame of the object)",
    metrics=(
        ProtocolMetric("vtt_mse", vtt_mse, ("gt",), False, "0-255 images", False, "MSE"),
        ProtocolMetric("vtt_psnr", vtt_psnr, ("gt",), True, "dB, data range 255", False, "PSNR"),
        ProtocolMetric("vtt_fmse", vtt_fmse, ("gt", "mask"), False, "0-255 images", False, "fMSE"),
        ProtocolMetric("vtt_fpsnr", vtt_fpsnr, ("gt", "mask"), True, "dB, data range 255", False, "fPSNR"),
        ProtocolMetric("vtt_ssim", vtt_ssim, ("gt",), True, "[-1,1] on 0-255 values", False, "SSIM"),
        ProtocolMetric("vtt_fssim", vtt_fssim, ("gt", "mask"), True, "[-1,1] on 0-255 values", False, "fSSIM"),
        ProtocolMetric("vtt_fr_rtc", vtt_fr_rtc, ("gt", "mask"), False, "(0-255)^2 brightness", True, "fR-RTC",
                       aggregate="clips"),
        ProtocolMetric("vtt_r_rtc", vtt_r_rtc, ("gt",), False, "(0-255)^2 brightness", True, "R-RTC",
                       aggregate="clips"),
    ),
    notes=("The peer scores the JPEG files its test run saved (harmonized, real and mask, re-read and the mask "
           "re-binarised); this protocol scores the method's output and the dataset's frames without that JPEG "
           "round trip.",),
))
