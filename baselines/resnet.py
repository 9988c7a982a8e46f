"""The residual transformer of Johnson et al. (ECCV 2016) used in style transfer (Table III "ResNet").

Layout (Johnson et al., supplementary Table 1), with base width ``w`` (32 in the original):

* ``c9s1-w``: reflection pad 4, 9×9 convolution, norm, ReLU;
* ``d2w``, ``d4w``: 3×3 stride-2 convolutions, norm, ReLU (resolution /4);
* ``n_blocks`` residual blocks of two 3×3 convolutions at width ``4w`` (5 in the original);
* ``u2w``, ``uw``: 3×3 stride-½ (transposed) convolutions, norm, ReLU;
* ``c9s1-3``: 9×9 convolution to RGB and tanh, so the output lies in [-1, 1].

The input is the composite (in [-1, 1]) concatenated with the foreground mask, as for
every generator of the suite.  Johnson et al. used batch normalisation; we keep it.
Inputs whose sides are not multiples of 4 are reflection-padded and cropped back.
The width is derived so that the parameter count matches the UNet of the same
profile within 10% (:mod:`baselines.sizing`); the block count stays at the original 5.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from baselines.sizing import match_width


def _conv_norm_relu(cin: int, cout: int, kernel: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.ReflectionPad2d(kernel // 2),
        nn.Conv2d(cin, cout, kernel, stride=stride),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class ResidualBlock(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.ReflectionPad2d(1),
            nn.Conv2d(channels, channels, 3),
            nn.BatchNorm2d(channels),
            nn.ReLU(inplace=True),
            nn.ReflectionPad2d(1),
            nn.Conv2d(channels, channels, 3),
            nn.BatchNorm2d(channels),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class JohnsonResNet(nn.Module):
    """``forward(composite_m11, mask) -> N×3×H×W`` in [-1, 1]."""

    def __init__(self, in_channels: int = 4, width: int = 32, n_blocks: int = 5, out_channels: int = 3):
        super().__init__()
        if width < 1 or n_blocks < 0:
            raise ValueError(f"JohnsonResNet needs width >= 1 and n_blocks >= 0, got {width}, {n_blocks}")
        self.in_channels = in_channels
        w = width
        up = []
        for cin, cout in ((4 * w, 2 * w), (2 * w, w)):
            up += [
                nn.ConvTranspose2d(cin, cout, 3, stride=2, padding=1, output_padding=1),
                nn.BatchNorm2d(cout),
                nn.ReLU(inplace=True),
            ]
        self.net = nn.Sequential(
            _conv_norm_relu(in_channels, w, 9),
            _conv_norm_relu(w, 2 * w, 3, stride=2),
            _conv_norm_relu(2 * w, 4 * w, 3, stride=2),
            *[ResidualBlock(4 * w) for _ in range(n_blocks)],
            *up,
            nn.ReflectionPad2d(4),
            nn.Conv2d(w, out_channels, 9),
        )

    def forward(self, composite: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        x = torch.cat([composite, mask.to(composite.dtype)], dim=1)
        if x.shape[1] != self.in_channels:
            raise ValueError(f"JohnsonResNet expects {self.in_channels} input channels (image+mask), got {x.shape[1]}")
        h, w = x.shape[-2:]
        pad_h, pad_w = (-h) % 4, (-w) % 4
        if pad_h or pad_w:
            x = F.pad(x, (0, pad_w, 0, pad_h), mode="replicate")
        return torch.tanh(self.net(x))[..., :h, :w]


def resnet_width_for(target_params: int, *, in_channels: int = 4, n_blocks: int = 5) -> int:
    """The width whose parameter count is closest to ``target_params``."""
    return match_width(lambda w: JohnsonResNet(in_channels=in_channels, width=w, n_blocks=n_blocks), target_params)
