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

from bench.readers.peer_io import Reading

from . import formulas as f
from .registry import Protocol, ProtocolMetric, register_protocol

READING = Reading(composite="pil_bilinear", gt="pil_bicubic", mask="pil1_nearest", size=(256, 256))


def dovenet_mse(pred: torch.Tensor, gt: torch.Tensor) -> torch.Tensor:
    """``compare_mse(comp, real)`` on 0–255 float32 images."""
    return f.mse_255(f.to_255(pred), f.to_255(gt))


def dovenet_psnr(pred: torch.Tensor, gt: torch.Tensor) -> torch.Tensor:
    """``compare_psnr(real, comp, data_range=comp.max() − comp.min())``."""
    return f.psnr_pred_range(f.to_255(pred), f.to_255(gt))


def dovenet_fmse(pred: torch.Tensor, gt: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """``compare_mse(comp·mask, real·mask) · 256·256 / fore_area``."""
    return f.fmse_masked(f.to_255(pred), f.to_255(gt), mask)


PROTOCOL = register_protocol(Protocol(
    name="dovenet",
    title="iHarmony4 evaluation.py (DoveNet)",
    peer="bcmi/Image-Harmonization-Dataset-iHarmony4",
    files=("evaluation.py", "DoveNet/data/iharmony4_dataset.py"),
    reading=READING,
    flow_frames="gt_else_composite",
    peer_flow="none (image metrics only)",
    pairs="none (image metrics only)",
    metrics=(
        ProtocolMetric("dovenet_mse", dovenet_mse, ("gt",), False, "0-255 images", False, "MSE"),
        ProtocolMetric("dovenet_psnr", dovenet_psnr, ("gt",), True, "dB, data range pred.max-pred.min", False, "PSNR"),
        ProtocolMetric("dovenet_fmse", dovenet_fmse, ("gt", "mask"), False, "0-255 images", False, "fMSE"),
    ),
    notes=("The peer scores saved 8-bit files; a method of this suite is scored on its float output "
           "(score saved files with --external for the peer's exact input).",),
))
