"""Small pieces shared by the learned baselines' generators (DIH and the Johnson ResNet).

Norm and padding are harmonizer's (:mod:`harmonizer.models.layers`).  The baselines default to
batch norm: both originals use it, and instance norm would erase the absolute colour of the
whole frame in the ResNet, whose first layer is normalised.
"""
from __future__ import annotations

import torch

from harmonizer.models.layers import NORMS, make_norm, pad_to_multiple  # noqa: F401  (the shared ones)


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
