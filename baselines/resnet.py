"""The residual transformer of Johnson et al. (ECCV 2016) used in style transfer (Table III "ResNet").

Layout (Johnson et al., supplementary Table 1), with trunk width ``c`` (128 in the original)
and ``w = c/4``, rounded:

* ``c9s1-w``: reflection pad 4, 9×9 convolution, norm, ReLU;
* ``d(c/2)``, ``dc``: 3×3 stride-2 convolutions, norm, ReLU (resolution /4);
* ``n_blocks`` residual blocks of two 3×3 convolutions at width ``c`` (5 in the original);
* ``u(c/2)``, ``uw``: 3×3 stride-½ (transposed) convolutions, norm, ReLU;
* ``c9s1-3``: 9×9 convolution to RGB and tanh, so the output lies in [-1, 1].

With ``out_activation="none"`` the tanh is left out and the net returns the unbounded
correction; :func:`baselines.architectures.matched_generator` wraps it in
``harmonizer.models.ResidualOutput`` when ``model.output == "residual"`` (the ``tiny`` and
``quick`` profiles), as the UNet generator does: O = tanh(atanh(I) + net(I, M)) with the last
9×9 convolution zero-initialised, so G starts as cut-and-paste.

The input is the composite (in [-1, 1]) with the mask (as 2M−1), as for every generator of
the suite.  Johnson et al. used batch normalisation, and so do we by default (see
:func:`baselines.layers.make_norm`).  Inputs whose sides are not multiples of 4 are padded
and the output cropped.  :mod:`baselines.architectures` derives ``c`` so the parameter
count matches the UNet of the same profile within 10%; the block count stays at 5.
"""
from __future__ import annotations

import torch
import torch.nn as nn

from baselines.architectures import matched_generator
from baselines.layers import generator_input, make_norm, pad_to_multiple
from harmonizer.models import register_generator


def _conv_norm_relu(cin: int, cout: int, kernel: int, norm: str, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.ReflectionPad2d(kernel // 2), nn.Conv2d(cin, cout, kernel, stride=stride),
                         make_norm(norm, cout), nn.ReLU(inplace=True))


class ResidualBlock(nn.Module):
    def __init__(self, channels: int, norm: str):
        super().__init__()
        self.body = nn.Sequential(
            nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3), make_norm(norm, channels), nn.ReLU(inplace=True),
            nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3), make_norm(norm, channels),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class JohnsonResNet(nn.Module):
    """``forward(composite_m11, mask) -> N×3×H×W`` in [-1, 1] (``out_activation="tanh"``) or unbounded (``"none"``)."""

    def __init__(self, *, width: int = 128, n_blocks: int = 5, in_mask: bool = True, norm: str = "batch",
                 out_activation: str = "tanh"):
        super().__init__()
        if width < 1 or n_blocks < 0:
            raise ValueError(f"JohnsonResNet needs width >= 1 and n_blocks >= 0, got {width}, {n_blocks}")
        if out_activation not in ("tanh", "none"):
            raise ValueError(f"out_activation must be 'tanh' or 'none', got '{out_activation}'")
        self.out_activation = out_activation
        self.in_mask = in_mask
        # ``width`` is the trunk width c (the residual blocks dominate the parameter count, so
        # matching on c is fine-grained); the outer layers have c/4 and c/2 channels
        c, half, w = width, max(1, round(width / 2)), max(1, round(width / 4))
        up: list[nn.Module] = []
        for cin, cout in ((c, half), (half, w)):
            up += [nn.ConvTranspose2d(cin, cout, 3, stride=2, padding=1, output_padding=1),
                   make_norm(norm, cout), nn.ReLU(inplace=True)]
        self.net = nn.Sequential(
            _conv_norm_relu(4 if in_mask else 3, w, 9, norm),
            _conv_norm_relu(w, half, 3, norm, stride=2),
            _conv_norm_relu(half, c, 3, norm, stride=2),
            *[ResidualBlock(c, norm) for _ in range(n_blocks)],
            *up,
            nn.ReflectionPad2d(4),
            nn.Conv2d(w, 3, 9),
        )

    @property
    def last_layer(self) -> nn.Module:
        return self.net[-1]

    def forward(self, composite: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        h, w = composite.shape[-2:]
        x = pad_to_multiple(generator_input(composite, mask, self.in_mask), 4)
        out = self.net(x)
        return (torch.tanh(out) if self.out_activation == "tanh" else out)[..., :h, :w]


def _net(model_cfg, options: dict, width: int, out_activation: str) -> JohnsonResNet:
    return JohnsonResNet(width=width, n_blocks=options["blocks"], in_mask=model_cfg.in_mask, norm=options["norm"],
                         out_activation=out_activation)


# model.options: width (None: matched to the UNet), norm (batch, as the original), blocks (5, as Johnson et al.)
SPEC = register_generator(matched_generator(
    "resnet", _net, options={"width": None, "norm": "batch", "blocks": 5},
    description="the style-transfer residual network of Johnson et al. 2016 (Table III)"))
