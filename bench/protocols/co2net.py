"""``co2net``: CO2Net's evaluation on HYouTube (bcmi/Video-Harmonization-Dataset-HYouTube).

Peer files: ``CO2Net/scripts/evaluate_model.py`` (MSE, fMSE, PSNR, fSSIM), ``CO2Net/scripts/evaluate_flow.py`` (TL),
``CO2Net/iharm/utils/pytorch_ssim.py``, and the data pipeline they call (``iharm/data/compose.py``
``MyPreviousSequenceDataset``, ``iharm/data/transforms.py`` ``HCompose``, albumentations ``Resize(256, 256)``).

Steps (docs/metrics.md, "Protocols / co2net"):

1. read frames with OpenCV (BGR → RGB), masks as channel R / 255 (float32);
2. resize images **and masks** to 256×256 with ``INTER_LINEAR``; masks stay soft;
3. the prediction and ground truth as ``clamp(255·x, 0, 255)`` float32 (``ToTensor.inv_transform``);
4. ``mse``: scikit-image MSE of the whole image; ``psnr``: data range ``pred.max() − pred.min()`` per image;
   ``fmse``: whole-image MSE × 256² / (mask pixels equal to 1.0); ``fssim``: ``pytorch_ssim`` weighted by the soft
   mask (the script prints it as "ssim"); every figure is the mean over all test frames;
5. ``tl``: per pair (t, t+1), flow from frame t+1 to frame t estimated on the ground truth (peer: FlowNet2),
   warp by bilinear sampling with clamped borders (``Resample2d``), soft weight
   w = W(M_t)·mean_c exp(−|W(X_t) − X_{t+1}|), Σ(w·W(O_t) − w·O_{t+1})²·255² / Σw, mean over pairs; pairs are the
   TL-task pairs (``tl_task.txt`` + the TL test set's next frames) when given, else consecutive annotated frames.
"""
from __future__ import annotations

import torch

from bench.metrics import register_metric
from bench.metrics.temporal import tl_co2net as _suite_tl_co2net
from bench.readers.peer_io import Reading

from . import formulas as f
from .registry import Protocol, register_protocol

READING = Reading(composite="cv2_linear", gt="cv2_linear", mask="red_soft_linear", size=(256, 256))

STEPS = register_protocol(Protocol(
    name="co2net",
    title="CO2Net on HYouTube (evaluate_model.py + evaluate_flow.py)",
    peer="bcmi/Video-Harmonization-Dataset-HYouTube",
    files=("CO2Net/scripts/evaluate_model.py", "CO2Net/scripts/evaluate_flow.py", "CO2Net/iharm/utils/pytorch_ssim.py",
           "CO2Net/iharm/data/compose.py", "CO2Net/iharm/data/transforms.py", "CO2Net/tl_task.txt"),
    reading=READING,
    flow_frames="gt",
    tl_task_pairs=True,
    peer_flow="FlowNet2",
    pairs="TL-task pairs (t, t+1) from tl_task.txt and the TL test set when given; else consecutive annotated frames",
    peer_names={"mse": "mse", "fmse": "fmse", "psnr": "psnr", "fssim": "ssim (printed so; the mask-weighted fSSIM)",
                "tl_co2net": "tl loss"},
    notes=("The peer divides the summed TL by the number of lines of tl_task.txt (a set); this is the mean over the "
           "pairs scored, equal when every listed pair is in the test frame list (as released).",
           "An empty foreground gives NaN here; the peer's division by zero gives inf.",
           "fSSIM in float64; the peer's float32 GPU run differs in flat regions (docs/metrics.md: up to 2e-4 "
           "relative on float32 CPU, more with TF32).",
           "PSNR: scikit-image 0.17 squares the float32 data range in float32, as here; today's scikit-image does it "
           "in float64 (about 1e-8 relative).",
           "The flow is ours (--flow), not the peer's FlowNet2; without --tl-next the TL compares consecutive "
           "annotated frames (5 source frames apart), not the peer's TL-task pairs.",
           "The peer's methods see ±8 context frames 5 apart; a suite method harmonizes the clip it is given."),
))
PROTOCOL = STEPS.name
FRAMES_255, DB_PRED_RANGE = "0-255 images", "dB, data range pred.max-pred.min"


@register_metric(protocol=PROTOCOL, name="mse", higher_is_better=False, scale=FRAMES_255, needs=("gt",),
                 temporal=False)
def co2net_mse(clip) -> torch.Tensor:
    """``compare_mse(pred, gt)`` on 0–255 float32 frames."""
    return f.mse_255(f.pred_255(clip), f.gt_255(clip))


@register_metric(protocol=PROTOCOL, name="fmse", higher_is_better=False, scale=FRAMES_255, needs=("gt", "mask"),
                 temporal=False)
def co2net_fmse(clip) -> torch.Tensor:
    """``mse(pred, gt) · 256·256 / mask.astype(uint8).sum()``: whole-image error over the full-mask pixels."""
    return f.fmse_whole_over_full(f.pred_255(clip), f.gt_255(clip), clip.mask)


@register_metric(protocol=PROTOCOL, name="psnr", higher_is_better=True, scale=DB_PRED_RANGE, needs=("gt",),
                 temporal=False)
def co2net_psnr(clip) -> torch.Tensor:
    """``compare_psnr(pred, gt, data_range=pred.max() − pred.min())`` on 0–255 float32 frames."""
    return f.psnr_pred_range(f.pred_255(clip), f.gt_255(clip))


@register_metric(protocol=PROTOCOL, name="fssim", higher_is_better=True, scale="[-1,1] on 0-255 values",
                 needs=("gt", "mask"), temporal=False)
def co2net_fssim(clip) -> torch.Tensor:
    """``pytorch_ssim.ssim(clamp(pred·255), clamp(gt·255), window_size=11, mask=mask)[1]``: soft mask weights."""
    return f.fssim_weighted(f.zero_pad_ssim_map(clip), clip.mask)


@register_metric(protocol=PROTOCOL, name="tl_co2net", higher_is_better=False, scale=FRAMES_255,
                 needs=("gt", "mask", "flow_bw"), temporal=True)
def co2net_tl(clip) -> torch.Tensor:
    """``evaluate_flow.py``'s TL for each frame t ≥ 1, flow_bw (frame t → t−1) estimated on the ground truth."""
    return _suite_tl_co2net.spec.fn(clip)
