"""Small pieces shared by the learned baselines' generators (DIH and the Johnson ResNet)."""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

NORMS = ("batch", "instance", "none")


def make_norm(kind: str, channels: int) -> nn.Module:
    """Batch norm is the default: both originals use it, and instance norm would erase the
    absolute colour of the whole frame in the ResNet, whose first layer is normalised."""
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "instance":
        return nn.InstanceNorm2d(channels, affine=True)
    if kind == "none":
        return nn.Identity()
    raise ValueError(f"unknown norm '{kind}'; choose one of {', '.join(NORMS)}")


def generator_input(composite: torch.Tensor, mask: torch.Tensor | None, in_mask: bool) -> torch.Tensor:
    """The network input: composite in [-1, 1], plus the mask as 2M−1 (as harmonizer's UNet feeds it)."""
    if composite.dim() != 4 or composite.shape[1] != 3:
        raise ValueError(f"composite must be N×3×H×W, got {tuple(composite.shape)}")
    if not in_mask:
        return composite
    if mask is None:
        raise ValueError("this generator takes a mask input; pass one")
    if mask.shape[0] != composite.shape[0] or mask.shape[1] != 1 or mask.shape[-2:] != composite.shape[-2:]:
        raise ValueError(f"mask {tuple(mask.shape)} does not fit composite {tuple(composite.shape)}")
    return torch.cat([composite, 2.0 * mask.to(composite.dtype) - 1.0], dim=1)


def pad_to_multiple(x: torch.Tensor, multiple: int) -> torch.Tensor:
    """Pad bottom/right so both sides are multiples of ``multiple`` (reflect where possible)."""
    h, w = x.shape[-2:]
    pad_h, pad_w = (-h) % multiple, (-w) % multiple
    if not (pad_h or pad_w):
        return x
    mode = "reflect" if pad_h < h and pad_w < w else "replicate"
    return F.pad(x, (0, pad_w, 0, pad_h), mode=mode)
