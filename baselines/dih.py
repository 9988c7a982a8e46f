"""Deep Image Harmonization (Tsai et al., CVPR 2017), the encoder–decoder of Tables I and III.

Architecture (after Tsai et al. 2017, Fig. 2): an encoder of 4×4 stride-2 convolutions
(batch norm, ELU) halves the resolution at each level while the width grows
``w, 2w, 4w, 8w, 8w, ...``; a bottleneck layer stands in for the original fully
connected layer; a decoder of 4×4 stride-2 transposed convolutions mirrors the encoder.
The skip links are **element-wise sums** of the encoder feature into the decoder feature
of the same resolution (not concatenations as in the UNet); the paper contrasts exactly
this.  The input is the composite (in [-1, 1]) concatenated with the mask; the output
passes through tanh, so it lies in [-1, 1] like the UNet's.

Deliberate departures from the original, forced by our data and setting:

* **The semantic-segmentation branch is omitted.**  Tsai et al. pretrain with, and feed
  features from, a scene-parsing decoder; the Dancing data has no segmentation labels,
  so DIH here is the harmonization encoder–decoder alone, trained end to end with the
  reconstruction loss (no discriminator, as in Table III) through ``harmonizer.train``.
* The fully connected bottleneck is a 3×3 convolution so that any input size works.
* Inputs whose sides are not multiples of ``2**depth`` are reflection-padded and the
  output cropped back.
* The width ``w`` is not the original 64: it is derived so that the parameter count
  matches the UNet of the same profile within 10% (see :mod:`baselines.sizing`).
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from baselines.sizing import match_width


def _level_widths(width: int, depth: int) -> list[int]:
    return [width * min(2**i, 8) for i in range(depth)]


class DIHNet(nn.Module):
    """Encoder–decoder with element-wise-sum skips.  ``forward(composite_m11, mask) -> N×3×H×W`` in [-1, 1]."""

    def __init__(self, in_channels: int = 4, width: int = 64, depth: int = 4, out_channels: int = 3):
        super().__init__()
        if depth < 1 or width < 1:
            raise ValueError(f"DIHNet needs depth >= 1 and width >= 1, got depth={depth}, width={width}")
        self.in_channels, self.depth = in_channels, depth
        widths = _level_widths(width, depth)
        self.encoder = nn.ModuleList()
        prev = in_channels
        for i, ch in enumerate(widths):
            layers: list[nn.Module] = [nn.Conv2d(prev, ch, 4, stride=2, padding=1)]
            if i > 0:  # as in pix2pix-style encoders, no norm on the first layer
                layers.append(nn.BatchNorm2d(ch))
            layers.append(nn.ELU(inplace=True))
            self.encoder.append(nn.Sequential(*layers))
            prev = ch
        self.bottleneck = nn.Sequential(nn.Conv2d(prev, prev, 3, padding=1), nn.BatchNorm2d(prev), nn.ELU(inplace=True))
        # decoder level i maps widths[i] -> widths[i-1] (and, at level 0, to the output)
        self.decoder = nn.ModuleList()
        for i in reversed(range(1, depth)):
            self.decoder.append(
                nn.Sequential(
                    nn.ConvTranspose2d(widths[i], widths[i - 1], 4, stride=2, padding=1),
                    nn.BatchNorm2d(widths[i - 1]),
                    nn.ELU(inplace=True),
                )
            )
        self.head = nn.ConvTranspose2d(widths[0], out_channels, 4, stride=2, padding=1)

    def forward(self, composite: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        x = torch.cat([composite, mask.to(composite.dtype)], dim=1)
        if x.shape[1] != self.in_channels:
            raise ValueError(f"DIHNet expects {self.in_channels} input channels (image+mask), got {x.shape[1]}")
        h, w = x.shape[-2:]
        mult = 2**self.depth
        pad_h, pad_w = (-h) % mult, (-w) % mult
        if pad_h or pad_w:
            mode = "reflect" if pad_h < h and pad_w < w else "replicate"
            x = F.pad(x, (0, pad_w, 0, pad_h), mode=mode)
        skips = []
        for layer in self.encoder:
            x = layer(x)
            skips.append(x)
        x = self.bottleneck(x) + skips[-1]
        for layer, skip in zip(self.decoder, reversed(skips[:-1])):
            x = layer(x) + skip  # element-wise sum, the defining trait of DIH
        out = torch.tanh(self.head(x))
        return out[..., :h, :w]


def dih_width_for(target_params: int, *, in_channels: int = 4, depth: int = 4) -> int:
    """The width whose parameter count is closest to ``target_params``."""
    return match_width(lambda w: DIHNet(in_channels=in_channels, width=w, depth=depth), target_params)
