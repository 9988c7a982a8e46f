"""Typed configuration of the RealismCNN baseline: classifier, its training, and the colour adjustment.

Profiles mirror harmonizer's (``tiny`` for tests, ``quick`` for the CPU reproduction,
``paper`` for the GPU run).  ``tiny`` and ``quick`` use a scaled-down VGG-16 with batch
norm (trained from scratch in seconds to minutes); ``paper`` is the full VGG-16 and is
fine-tuned for 20,000 iterations as in Sec. IV-C of the paper, starting from ImageNet
weights when ``pretrained_weights`` names a local file.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from baselines.realism_model import RealismNetConfig
from harmonizer.config import PROFILES
from harmonizer.overrides import apply_overrides


@dataclass
class AdjustConfig:
    """Per-frame gradient ascent of the realism logit over the foreground's colour parameters."""

    steps: int = 50
    lr: float = 0.05
    reg_weight: float = 1e-3  # L2 pull of the parameters toward "no change"
    colour_offsets: bool = True  # per-channel offsets besides brightness and contrast
    batch_size: int = 16  # frames optimised together (each with its own parameters)


@dataclass
class RealismConfig:
    profile: str = "quick"
    net: RealismNetConfig = field(default_factory=RealismNetConfig)
    adjust: AdjustConfig = field(default_factory=AdjustConfig)
    pretrained_weights: str | None = None  # local ImageNet VGG-16 state dict; None = from scratch
    steps: int = 2000
    batch_size: int = 16
    lr: float = 1e-4
    weight_decay: float = 0.0
    val_every: int = 200
    seed: int = 0


def get_realism_config(profile: str, **overrides) -> RealismConfig:
    """The named profile with ``overrides`` applied.

    Override keys are field names; nested fields use ``net__pool`` or ``adjust__steps``
    (a dotted ``"net.pool"`` works through ``**{...}``).  Values are checked against (and, from
    strings, parsed by) each field's type, as for harmonizer's configs (:mod:`harmonizer.overrides`);
    unknown keys are an error with close matches.
    """
    if profile == "tiny":
        cfg = RealismConfig(
            profile=profile,
            net=RealismNetConfig(width_scale=0.125, hidden=64, pool=1, batch_norm=True, input_size=32),
            adjust=AdjustConfig(steps=20, lr=0.05),
            steps=120,
            batch_size=16,
            lr=1e-3,
            val_every=40,
        )
    elif profile == "quick":
        cfg = RealismConfig(
            profile=profile,
            net=RealismNetConfig(width_scale=0.25, hidden=256, pool=2, batch_norm=True, input_size=64),
            adjust=AdjustConfig(steps=30, lr=0.05),  # ~0.4 s per 64² frame on one CPU thread
            steps=2000,
            batch_size=16,
            lr=3e-4,
            val_every=200,
        )
    elif profile == "paper":
        cfg = RealismConfig(
            profile=profile,
            net=RealismNetConfig(width_scale=1.0, hidden=4096, pool=7, batch_norm=False, input_size=224),
            adjust=AdjustConfig(steps=100, lr=0.02),
            steps=20000,
            batch_size=32,
            lr=1e-5,
            val_every=1000,
        )
    else:
        raise ValueError(f"unknown profile '{profile}'; choose one of {', '.join(PROFILES)}")
    return apply_overrides(cfg, overrides, what="RealismCNN config")


def config_to_dict(cfg: RealismConfig) -> dict:
    return dataclasses.asdict(cfg)


def config_from_dict(data: dict) -> RealismConfig:
    data = dict(data)
    net = RealismNetConfig(**data.pop("net"))
    adjust = AdjustConfig(**data.pop("adjust"))
    return RealismConfig(net=net, adjust=adjust, **data)
