"""Model registry: architectures of the harmonization network G, and the discriminator D.

``ARCHITECTURES`` maps a name to ``builder(model_cfg) -> nn.Module`` whose
``forward(composite, mask)`` takes the composite in [-1, 1] (N×3×H×W) and the mask in
[0, 1] (N×1×H×W) and returns N×3×H×W in [-1, 1].  Every builder honours ``model_cfg.output``
(``direct`` or ``residual``, :mod:`harmonizer.models.output`) the same way.  "unet" is built in; ``baselines``
registers "resnet" and "dih" when imported.  The module that registered an architecture is
recorded so that a checkpoint of that architecture can import it again when loaded
(a plugin look-up by recorded name — harmonizer never imports baselines statically).
"""
from __future__ import annotations

import difflib
import importlib
from typing import Callable

import torch.nn as nn

from harmonizer.models.output import OUTPUTS, ResidualOutput, residual_tanh, with_output, zero_init_
from harmonizer.models.unet import UNet, UNetDiscriminator, UNetGenerator, xavier_init

Builder = Callable[..., nn.Module]
ARCHITECTURES: dict[str, Builder] = {}
ARCHITECTURE_MODULES: dict[str, str] = {}


def register_architecture(name: str, builder: Builder, *, module: str | None = None) -> None:
    """Register ``builder(model_cfg) -> nn.Module`` under ``name`` (re-registering replaces it)."""
    ARCHITECTURES[name] = builder
    ARCHITECTURE_MODULES[name] = module or getattr(builder, "__module__", "") or ""


def _build_unet(model_cfg) -> nn.Module:
    return UNetGenerator(in_mask=model_cfg.in_mask, base_channels=model_cfg.base_channels, depth=model_cfg.depth,
                         max_channels=model_cfg.max_channels, norm=model_cfg.norm, output=model_cfg.output)


register_architecture("unet", _build_unet)


def ensure_architecture(name: str, module: str | None = None) -> Builder:
    """The builder of ``name``, importing ``module`` (recorded in a checkpoint) if not yet registered."""
    if name not in ARCHITECTURES and module:
        importlib.import_module(module)
    if name not in ARCHITECTURES:
        close = difflib.get_close_matches(name, list(ARCHITECTURES), n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise KeyError(
            f"unknown architecture '{name}'. Registered: {', '.join(sorted(ARCHITECTURES))}.{hint} "
            "('resnet' and 'dih' are registered by importing the baselines package)"
        )
    return ARCHITECTURES[name]


def build_generator(model_cfg, *, module: str | None = None) -> nn.Module:
    return ensure_architecture(model_cfg.arch, module)(model_cfg)


def build_discriminator(model_cfg) -> nn.Module:
    """The pixel-wise disharmony discriminator: the UNet shape with one linear output channel."""
    return UNetDiscriminator(base_channels=model_cfg.d_base_channels, depth=model_cfg.d_depth,
                             max_channels=model_cfg.max_channels, norm=model_cfg.norm)


__all__ = ["ARCHITECTURES", "register_architecture", "build_generator", "build_discriminator",
           "ensure_architecture", "UNet", "UNetGenerator", "UNetDiscriminator", "xavier_init",
           "OUTPUTS", "ResidualOutput", "residual_tanh", "with_output", "zero_init_"]
