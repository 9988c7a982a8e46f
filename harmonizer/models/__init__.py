"""Networks: the generator registry (:mod:`harmonizer.models.registry`), the UNet G and the discriminator D.

Every generator's ``forward(composite, mask)`` takes the composite in [-1, 1] (N×3×H×W) and the
mask in [0, 1] (N×1×H×W) and returns N×3×H×W in [-1, 1]; every builder honours ``model_cfg.output``
(``direct`` or ``residual``, :mod:`harmonizer.models.output`) the same way.  "unet" is registered
here; the baselines' generators are plugins of the registry (docs/design.md).
"""
from __future__ import annotations

import torch.nn as nn

from harmonizer.models.layers import NORMS, make_norm, pad_to_multiple
from harmonizer.models.output import OUTPUTS, ResidualOutput, residual_tanh, with_output, zero_init_
from harmonizer.models.registry import (GeneratorSpec, build_generator, get_generator, list_generators,
                                        register_generator, unregister_generator)
from harmonizer.models.unet import UNet, UNetDiscriminator, UNetGenerator, xavier_init


def _build_unet(model_cfg) -> nn.Module:
    return UNetGenerator(in_mask=model_cfg.in_mask, base_channels=model_cfg.base_channels, depth=model_cfg.depth,
                         max_channels=model_cfg.max_channels, norm=model_cfg.norm, output=model_cfg.output)


register_generator(GeneratorSpec(
    "unet", _build_unet, description="the paper's UNet (Sec. III-B); trained through harmonizer's variants"))


def build_discriminator(model_cfg) -> nn.Module:
    """The pixel-wise disharmony discriminator: the UNet shape with one linear output channel."""
    return UNetDiscriminator(base_channels=model_cfg.d_base_channels, depth=model_cfg.d_depth,
                             max_channels=model_cfg.max_channels, norm=model_cfg.norm)


__all__ = ["GeneratorSpec", "register_generator", "unregister_generator", "get_generator", "list_generators",
           "build_generator", "build_discriminator", "UNet", "UNetGenerator", "UNetDiscriminator", "xavier_init",
           "NORMS", "make_norm", "pad_to_multiple", "OUTPUTS", "ResidualOutput", "residual_tanh", "with_output",
           "zero_init_"]
