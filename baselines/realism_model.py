"""The RealismCNN classifier (Zhu et al., ICCV 2015): VGG-16 scoring real frames against composites.

The network is torchvision's VGG-16 layout (13 convolutions in five blocks, max pooling,
adaptive average pooling, three fully connected layers) with one output logit:
positive means "looks real".  Parameter names match ``torchvision.models.vgg16`` (and
``vgg16_bn`` with batch norm), so ImageNet weights load from a **local** file; nothing is
ever downloaded.

For the CPU profiles the widths can be scaled down (``width_scale``, ``hidden``,
``pool``); such a network is "VGG-16-shaped", not VGG-16, and every run says so
(:func:`describe`).  ImageNet weights only fit the full-width network.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision.models.vgg import make_layers

# torchvision's configuration "D" (VGG-16): output widths of the 13 convolutions, "M" = max pool
VGG16_LAYOUT = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass
class RealismNetConfig:
    width_scale: float = 1.0  # 1.0 = the real VGG-16 widths (64 … 512)
    hidden: int = 4096  # width of the two hidden fully connected layers
    pool: int = 7  # side of the adaptive average pool before the classifier
    batch_norm: bool = False  # True = the vgg16_bn variant (trains from scratch far more easily)
    input_size: int = 224  # frames are resized to this square before scoring

    @property
    def is_full_vgg16(self) -> bool:
        return self.width_scale == 1.0 and self.hidden == 4096 and self.pool == 7


class RealismNet(nn.Module):
    """``forward(frames N×3×H×W in [0, 1]) -> N`` realism logits (differentiable in the frames)."""

    def __init__(self, cfg: RealismNetConfig):
        super().__init__()
        self.cfg = cfg
        layout = [v if v == "M" else max(1, round(v * cfg.width_scale)) for v in VGG16_LAYOUT]
        last = layout[-2]
        self.features = make_layers(layout, batch_norm=cfg.batch_norm)
        self.avgpool = nn.AdaptiveAvgPool2d(cfg.pool)
        self.classifier = nn.Sequential(
            nn.Linear(last * cfg.pool * cfg.pool, cfg.hidden),
            nn.ReLU(True),
            nn.Dropout(),
            nn.Linear(cfg.hidden, cfg.hidden),
            nn.ReLU(True),
            nn.Dropout(),
            nn.Linear(cfg.hidden, 1),
        )
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), persistent=False)
        self._init_weights()

    def _init_weights(self) -> None:  # torchvision's VGG initialisation
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0, 0.01)
                nn.init.zeros_(m.bias)

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        size = self.cfg.input_size
        if frames.shape[-2:] != (size, size):
            frames = F.interpolate(frames, size=(size, size), mode="bilinear", align_corners=False)
        x = self.features((frames - self.mean) / self.std)
        x = torch.flatten(self.avgpool(x), 1)
        return self.classifier(x).squeeze(1)


def load_imagenet_weights(net: RealismNet, path: str | os.PathLike) -> None:
    """Copy ImageNet VGG-16 weights from the local file ``path`` into ``net`` (all but the 1000-way layer)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"ImageNet VGG-16 weights file {path} does not exist; give a local torchvision "
            "vgg16 state dict (weights are never downloaded), or omit it to train from scratch"
        )
    if not net.cfg.is_full_vgg16:
        raise ValueError(
            f"ImageNet weights {path} only fit the full VGG-16 (width_scale=1, hidden=4096, pool=7); "
            f"this network is scaled ({net.cfg})"
        )
    state = torch.load(path, map_location="cpu", weights_only=True)
    for key in ("state_dict", "model"):
        if isinstance(state, dict) and key in state and isinstance(state[key], dict):
            state = state[key]
    if not isinstance(state, dict):
        raise ValueError(f"{path} does not hold a state dict")
    state = {k.removeprefix("module."): v for k, v in state.items() if not k.startswith("classifier.6.")}
    try:
        missing, unexpected = net.load_state_dict(state, strict=False)
    except RuntimeError as exc:  # shape mismatch, e.g. vgg16 weights for a vgg16_bn network
        raise ValueError(f"{path} does not fit VGG-16 (batch_norm={net.cfg.batch_norm}): {exc}") from exc
    if unexpected or set(missing) != {"classifier.6.weight", "classifier.6.bias"}:
        raise ValueError(
            f"{path} is not a torchvision VGG-16{'_bn' if net.cfg.batch_norm else ''} state dict: "
            f"missing {sorted(missing)[:4]}, unexpected {sorted(unexpected)[:4]}"
        )


def describe(cfg: RealismNetConfig) -> str:
    """Human-readable architecture name recorded in every run manifest."""
    name = "VGG-16" + ("-BN" if cfg.batch_norm else "")
    if cfg.is_full_vgg16:
        return f"{name} (torchvision layout), 1 output logit, input {cfg.input_size}²"
    return (
        f"scaled-down {name} (torchvision layout, conv widths ×{cfg.width_scale:g}, fc {cfg.hidden}, "
        f"pool {cfg.pool}×{cfg.pool}), 1 output logit, input {cfg.input_size}² — not the full VGG-16"
    )
