"""``dovenet``: iHarmony4's ``evaluation.py`` (bcmi/Image-Harmonization-Dataset-iHarmony4), as DoveNet reports.

Peer files: ``evaluation.py`` (MSE, PSNR, fMSE of one harmonized image) and ``DoveNet/data/iharmony4_dataset.py``
(how the model's input is read).

Steps (docs/metrics.md, "Protocols / dovenet"):

1. the model's input: ``Image.open(composite).convert('RGB')`` resized to 256×256 by torchvision's ``tf.resize``
   (PIL bilinear); the mask ``convert('1')`` (dithered) and resized (nearest, forced for mode '1');
2. the evaluation: the harmonized image and the real image resized to 256×256 with PIL **bicubic**
   (a no-op for an output already at 256), the mask ``convert('1')`` then nearest, as 0/1;
3. ``mse``: scikit-image MSE of the 0–255 float32 images; ``psnr``: data range ``pred.max() − pred.min()``;
   ``fmse``: ``mse(pred·m, real·m) · 256² / Σm`` (only mask pixels in the numerator); per image, then the mean
   over the test images.
"""
from __future__ import annotations

import torch

from bench.metrics import register_metric
from bench.readers.peer_io import Reading

from . import formulas as f
from .registry import Protocol, register_protocol

READING = Reading(composite="pil_bilinear", gt="pil_bicubic", mask="pil1_nearest", size=(256, 256))

STEPS = register_protocol(Protocol(
    name="dovenet",
    title="iHarmony4 evaluation.py (DoveNet)",
    peer="bcmi/Image-Harmonization-Dataset-iHarmony4",
    files=("evaluation.py", "DoveNet/data/iharmony4_dataset.py"),
    reading=READING,
    flow_frames="gt_else_composite",
    peer_flow="none (image metrics only)",
    pairs="none (image metrics only)",
    peer_names={"mse": "MSE", "psnr": "PSNR", "fmse": "fMSE"},
    notes=("The peer scores saved 8-bit files; a method of this suite is scored on its float output "
           "(score saved files with --external for the peer's exact input).",),
))
PROTOCOL = STEPS.name


@register_metric(protocol=PROTOCOL, name="mse", higher_is_better=False, scale="0-255 images", needs=("gt",),
                 temporal=False)
def dovenet_mse(clip) -> torch.Tensor:
    """``compare_mse(comp, real)`` on 0–255 float32 images."""
    return f.mse_255(f.pred_255(clip), f.gt_255(clip))


@register_metric(protocol=PROTOCOL, name="psnr", higher_is_better=True, scale="dB, data range pred.max-pred.min",
                 needs=("gt",), temporal=False)
def dovenet_psnr(clip) -> torch.Tensor:
    """``compare_psnr(real, comp, data_range=comp.max() − comp.min())``."""
    return f.psnr_pred_range(f.pred_255(clip), f.gt_255(clip))


@register_metric(protocol=PROTOCOL, name="fmse", higher_is_better=False, scale="0-255 images", needs=("gt", "mask"),
                 temporal=False)
def dovenet_fmse(clip) -> torch.Tensor:
    """``compare_mse(comp·mask, real·mask) · 256·256 / fore_area``."""
    return f.fmse_masked(f.pred_255(clip), f.gt_255(clip), clip.mask)
