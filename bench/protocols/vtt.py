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

from bench.metrics import register_metric
from bench.metrics.temporal import fr_rtc as _suite_fr_rtc
from bench.readers.peer_io import Reading

from . import formulas as f
from .registry import Protocol, register_protocol

READING = Reading(composite="pil_bilinear", gt="pil_bilinear", mask="pil1_nearest", size=(256, 256),
                  resize_when="width_differs")

STEPS = register_protocol(Protocol(
    name="vtt",
    title="VideoTripletTransformer (ih_evaluation.py --evaluation_type hyt, tc_evaluation.py)",
    peer="zhenglab/VideoTripletTransformer",
    files=("video_harmonization/evaluation/ih_evaluation.py", "video_harmonization/tc_evaluation.py",
           "video_enhancement/evaluation/pytorch_ssim.py", "video_harmonization/data/hytsample_dataset.py"),
    reading=READING,
    flow_frames="gt_else_composite",
    peer_flow="none ((f)R-RTC is flow-free)",
    pairs="consecutive frames of each clip (every composite frame of the object)",
    peer_names={"mse": "MSE", "psnr": "PSNR", "fmse": "fMSE", "fpsnr": "fPSNR", "ssim": "SSIM", "fssim": "fSSIM",
                "fr_rtc": "fR-RTC", "r_rtc": "R-RTC"},
    aggregates={"fr_rtc": "clips", "r_rtc": "clips"},
    notes=("The peer scores the JPEG files its test run saved (harmonized, real and mask, re-read and the mask "
           "re-binarised); this protocol scores the method's output and the dataset's frames without that JPEG "
           "round trip.",
           "The peer's float32 reductions (mse_loss, np.sum) round at about 1e-7; the (f)R-RTC differences of "
           "brightness means amplify that where d_t is small.",
           "SSIM and fSSIM in float64; the peer's float32 GPU run differs in flat regions (as co2net)."),
))
PROTOCOL = STEPS.name
FRAMES_255, DB_255, SSIM_255 = "0-255 images", "dB, data range 255", "[-1,1] on 0-255 values"


@register_metric(protocol=PROTOCOL, name="mse", higher_is_better=False, scale=FRAMES_255, needs=("gt",),
                 temporal=False)
def vtt_mse(clip) -> torch.Tensor:
    """``mean_squared_error(harmonized_np, real_np)`` on 0–255 float32."""
    return f.mse_255(f.pred_255(clip), f.gt_255(clip))


@register_metric(protocol=PROTOCOL, name="psnr", higher_is_better=True, scale=DB_255, needs=("gt",), temporal=False)
def vtt_psnr(clip) -> torch.Tensor:
    """``peak_signal_noise_ratio(real_np, harmonized_np, data_range=255)``."""
    return f.psnr_fixed(f.pred_255(clip), f.gt_255(clip), 255.0)


@register_metric(protocol=PROTOCOL, name="fmse", higher_is_better=False, scale=FRAMES_255, needs=("gt", "mask"),
                 temporal=False)
def vtt_fmse(clip) -> torch.Tensor:
    """``mse_loss(harmonized·mask, real·mask) · 256·256 / Σmask``."""
    return clip.once(("vtt", "fmse"), lambda: f.fmse_masked(f.pred_255(clip), f.gt_255(clip), clip.mask))


@register_metric(protocol=PROTOCOL, name="fpsnr", higher_is_better=True, scale=DB_255, needs=("gt", "mask"),
                 temporal=False)
def vtt_fpsnr(clip) -> torch.Tensor:
    """``10·log10(255² / fmse)`` per frame (NaN for an empty foreground)."""
    return 10.0 * torch.log10(255.0**2 / vtt_fmse.spec.fn(clip))


@register_metric(protocol=PROTOCOL, name="ssim", higher_is_better=True, scale=SSIM_255, needs=("gt",), temporal=False)
def vtt_ssim(clip) -> torch.Tensor:
    """``pytorch_ssim.ssim(harmonized, real, window_size=11)[0]``: the mean of the whole zero-padded map."""
    return f.ssim_mean(f.zero_pad_ssim_map(clip))


@register_metric(protocol=PROTOCOL, name="fssim", higher_is_better=True, scale=SSIM_255, needs=("gt", "mask"),
                 temporal=False)
def vtt_fssim(clip) -> torch.Tensor:
    """``pytorch_ssim.ssim(harmonized, real, window_size=11, mask=mask)[1]``."""
    return f.fssim_weighted(f.zero_pad_ssim_map(clip), clip.mask)


@register_metric(protocol=PROTOCOL, name="fr_rtc", higher_is_better=False, scale="(0-255)^2 brightness",
                 needs=("gt", "mask"), temporal=True)
def vtt_fr_rtc(clip) -> torch.Tensor:
    """Per frame t ≥ 1, d_t² + max(d_t − μ, 0)² of the foreground HSV value; the clip mean is fR-RTC."""
    return _suite_fr_rtc.spec.fn(clip)


@register_metric(protocol=PROTOCOL, name="r_rtc", higher_is_better=False, scale="(0-255)^2 brightness",
                 needs=("gt",), temporal=True)
def vtt_r_rtc(clip) -> torch.Tensor:
    """The same over the whole image (R-RTC): g_t is the change of the image's mean HSV value."""
    return _suite_fr_rtc(clip.frames, clip.gt, torch.ones_like(clip.frames[:, :1]))
