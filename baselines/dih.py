"""Deep Image Harmonization (Tsai et al., CVPR 2017), the encoder–decoder of Tables I and III.

Architecture (after Tsai et al. 2017, Fig. 2): an encoder of 4×4 stride-2 convolutions
(norm, ELU) halves the resolution at each level while the width grows
``w/8, w/4, w/2, w, w, ...`` (``w`` = 512 in the original); a bottleneck layer stands in for the original fully
connected layer; a decoder of 4×4 stride-2 transposed convolutions mirrors the encoder.
The skip links are **element-wise sums** of the encoder feature into the decoder feature
of the same resolution (not concatenations as in the UNet) — the difference the paper
points out.  The input is the composite (in [-1, 1]) with the mask (as 2M−1); the output
passes through tanh, so it lies in [-1, 1] like the UNet's.  With ``out_activation="none"``
the net returns the unbounded correction, and :func:`baselines.architectures.matched_generator` wraps it
in ``harmonizer.models.ResidualOutput`` when ``model.output == "residual"`` (the ``tiny`` and
``quick`` profiles), exactly as the UNet generator does: O = tanh(atanh(I) + net(I, M)) with
the last layer (``head``) zero-initialised, so G starts as cut-and-paste.

Departures from the original, forced by our data and setting:

* **The semantic-segmentation branch is omitted.**  Tsai et al. pretrain with, and feed
  features from, a scene-parsing decoder; the Dancing data has no segmentation labels,
  so DIH here is the harmonization encoder–decoder alone, trained end to end with the
  reconstruction loss (no discriminator, as in Table III) through ``harmonizer.train``.
* The fully connected bottleneck is a 3×3 convolution so that any input size works.
* Inputs whose sides are not multiples of ``2**depth`` are padded and the output cropped.
* The width ``w`` is not the original 512: :mod:`baselines.architectures` derives it so the
  parameter count matches the UNet of the same profile within 10%; the depth follows the
  UNet's ``model.depth``.
"""
from __future__ import annotations

import torch
import torch.nn as nn

from baselines.architectures import matched_generator
from baselines.layers import generator_input, make_norm, pad_to_multiple
from harmonizer.models import register_generator


def level_widths(width: int, depth: int) -> list[int]:
    """Widths of the encoder levels: ``width`` at the deepest, halving toward the input (×1/8 at most).

    Parametrising by the deepest width (512 in Tsai et al.) rather than the first one keeps
    the parameter count a fine-grained function of ``width``, so it can match the UNet's.
    """
    top = min(2 ** (depth - 1), 8)
    return [max(1, round(width * min(2**i, 8) / top)) for i in range(depth)]


class DIHNet(nn.Module):
    """Encoder–decoder with element-wise-sum skips: ``forward(composite_m11, mask) -> N×3×H×W``,
    in [-1, 1] (``out_activation="tanh"``) or unbounded (``"none"``, the correction of a residual G)."""

    def __init__(self, *, width: int = 512, depth: int = 4, in_mask: bool = True, norm: str = "batch",
                 out_activation: str = "tanh"):
        super().__init__()
        if depth < 1 or width < 1:
            raise ValueError(f"DIHNet needs depth >= 1 and width >= 1, got depth={depth}, width={width}")
        if out_activation not in ("tanh", "none"):
            raise ValueError(f"out_activation must be 'tanh' or 'none', got '{out_activation}'")
        self.out_activation = out_activation
        self.in_mask, self.depth = in_mask, depth
        self.widths = level_widths(width, depth)
        widths = self.widths
        self.encoder = nn.ModuleList()
        prev = 4 if in_mask else 3
        for i, ch in enumerate(widths):
            self.encoder.append(nn.Sequential(
                nn.Conv2d(prev, ch, 4, stride=2, padding=1),
                make_norm(norm, ch) if i > 0 else nn.Identity(),  # no norm on the first layer (raw colours)
                nn.ELU(inplace=True),
            ))
            prev = ch
        self.bottleneck = nn.Sequential(nn.Conv2d(prev, prev, 3, padding=1), make_norm(norm, prev), nn.ELU(inplace=True))
        self.decoder = nn.ModuleList()  # level i -> level i-1, deepest first
        for i in reversed(range(1, depth)):
            self.decoder.append(nn.Sequential(
                nn.ConvTranspose2d(widths[i], widths[i - 1], 4, stride=2, padding=1),
                make_norm(norm, widths[i - 1]),
                nn.ELU(inplace=True),
            ))
        self.head = nn.ConvTranspose2d(widths[0], 3, 4, stride=2, padding=1)

    @property
    def last_layer(self) -> nn.Module:
        return self.head

    def forward(self, composite: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        h, w = composite.shape[-2:]
        x = pad_to_multiple(generator_input(composite, mask, self.in_mask), 2**self.depth)
        skips = []
        for layer in self.encoder:
            x = layer(x)
            skips.append(x)
        x = self.bottleneck(x) + skips[-1]
        for layer, skip in zip(self.decoder, reversed(skips[:-1])):
            x = layer(x) + skip  # element-wise sum: the defining trait of DIH
        out = self.head(x)
        return (torch.tanh(out) if self.out_activation == "tanh" else out)[..., :h, :w]


def _net(model_cfg, options: dict, width: int, out_activation: str) -> DIHNet:
    return DIHNet(width=width, depth=options["depth"] or model_cfg.depth, in_mask=model_cfg.in_mask,
                  norm=options["norm"], out_activation=out_activation)


# model.options: width (None: matched to the UNet), norm (batch, as the original), depth (None: model.depth,
# so DIH's bottleneck has the UNet's size)
SPEC = register_generator(matched_generator(
    "dih", _net, options={"width": None, "norm": "batch", "depth": None},
    description="Deep Image Harmonization (Tsai et al. 2017) without its segmentation branch (Tables I, III)"))
