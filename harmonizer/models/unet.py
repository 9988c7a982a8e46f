"""The UNet shared by the generator G and the pixel-wise disharmony discriminator D (Sec. III-B).

Encoder: ``depth`` levels of 4×4 stride-2 convolutions (LeakyReLU 0.2), widths
``base, 2·base, …`` capped at ``max_channels``; no normalisation on the first and on the
innermost level (pix2pix convention: a norm over a tiny bottleneck only erases it).
Decoder: bilinear ×2 upsampling + 3×3 convolution (ReLU) per level — upsampling rather
than transposed convolutions avoids checkerboard artefacts — each followed by a
**concatenation** skip with the encoder feature of the same size; a last 3×3 convolution
sees the upsampled features concatenated with the network input itself, so details of the
composite reach the output unchanged in resolution.

Instance norm is the default: it normalises each sample on its own, so feeding the two
frames of a pair (or O, I and X for D) as one batch equals feeding them separately, and
training and evaluation behave the same.  Weights use Xavier (Glorot) initialisation, as
in the paper.  Inputs whose sides are not multiples of ``2**depth`` are reflection-padded
and the output cropped back.
"""
from __future__ import annotations

import torch
import torch.nn as nn
from harmonizer.models.layers import make_norm, pad_to_multiple
from harmonizer.models.output import check_output, residual_tanh, zero_init_


def xavier_init(module: nn.Module) -> None:
    """Xavier-uniform conv weights, zero biases, unit norm scales (Algorithm 1, line 1)."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.xavier_uniform_(m.weight)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.InstanceNorm2d, nn.BatchNorm2d)) and m.affine:
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)


class UNet(nn.Module):
    """``forward(x) -> N×out_channels×H×W``; ``x`` is ``N×in_channels×H×W``."""

    def __init__(self, in_channels: int, out_channels: int, *, base_channels: int = 64, depth: int = 7,
                 max_channels: int = 512, norm: str = "instance", out_activation: str = "tanh"):
        super().__init__()
        if depth < 1 or base_channels < 1:
            raise ValueError(f"UNet needs depth >= 1 and base_channels >= 1, got {depth}, {base_channels}")
        self.in_channels, self.out_channels, self.depth = in_channels, out_channels, depth
        widths = [min(base_channels * 2**i, max_channels) for i in range(depth)]
        self.down = nn.ModuleList()
        prev = in_channels
        for i, ch in enumerate(widths):
            use_norm = 0 < i < depth - 1
            self.down.append(nn.Sequential(
                nn.Conv2d(prev, ch, 4, stride=2, padding=1, bias=not use_norm),
                make_norm(norm, ch) if use_norm else nn.Identity(),
                nn.LeakyReLU(0.2, inplace=True),
            ))
            prev = ch
        # up[j] brings level depth-1-j to the size of level depth-2-j, then concatenation
        self.up = nn.ModuleList()
        for i in reversed(range(depth - 1)):
            self.up.append(nn.Sequential(
                nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False),
                nn.Conv2d(prev, widths[i], 3, padding=1, bias=norm == "none"),
                make_norm(norm, widths[i]),
                nn.ReLU(inplace=True),
            ))
            prev = widths[i] * 2
        self.final_up = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False)
        self.head = nn.Conv2d(prev + in_channels, out_channels, 3, padding=1)
        if out_activation not in ("tanh", "none"):
            raise ValueError(f"out_activation must be 'tanh' or 'none', got '{out_activation}'")
        self.out_activation = out_activation
        xavier_init(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"UNet expects N×{self.in_channels}×H×W input, got {tuple(x.shape)}")
        h, w = x.shape[-2:]
        x = pad_to_multiple(x, 2**self.depth)
        skips = []
        feat = x
        for layer in self.down:
            feat = layer(feat)
            skips.append(feat)
        for layer, skip in zip(self.up, reversed(skips[:-1])):
            feat = torch.cat([layer(feat), skip], dim=1)  # concatenation skip (UNet), not a sum (DIH)
        out = self.head(torch.cat([self.final_up(feat), x], dim=1))
        if self.out_activation == "tanh":
            out = torch.tanh(out)
        return out[..., :h, :w]


class UNetGenerator(nn.Module):
    """G(I, M) -> O.  ``composite`` in [-1, 1]; ``mask`` in [0, 1] (fed to the net as 2M-1, in [-1, 1]).

    ``output="direct"`` (the paper): O = tanh(UNet(I, M)).
    ``output="residual"``: O = tanh(atanh(I) + UNet(I, M)) with the last layer zero-initialised, so
    G starts as the identity (cut-and-paste) and learns only the correction.  Still a tanh output;
    used by the short CPU profiles, where a directly-predicting net cannot even learn to copy the
    background within a few hundred steps (the paper trains ~1.3 M steps).  The residual output is
    :func:`harmonizer.models.output.residual_tanh`, shared with every registered generator; the
    weights stay under ``net.`` in both modes (checkpoints of either kind load unchanged).
    """

    def __init__(self, *, in_mask: bool = True, output: str = "direct", **unet_kwargs):
        super().__init__()
        self.in_mask, self.output = in_mask, check_output(output)
        self.net = UNet(4 if in_mask else 3, 3, out_activation="tanh" if output == "direct" else "none",
                        **unet_kwargs)
        if output == "residual":
            zero_init_(self.net.head)

    def forward(self, composite: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        if not self.in_mask:
            out = self.net(composite)
        elif mask is None:
            raise ValueError("this generator takes a mask input; pass one (or use a mask_mode)")
        else:
            out = self.net(torch.cat([composite, 2.0 * mask.to(composite.dtype) - 1.0], dim=1))
        if self.output == "residual":
            out = residual_tanh(composite, out)
        return out


class UNetDiscriminator(nn.Module):
    """D(x) -> N×1×H×W per-pixel disharmony score.

    The output is linear (no sigmoid): the least-squares losses of Eq. (1)/(2) regress it to
    0 (harmonious) and 1 (disharmonious), as in LSGAN.  Maps used as masks are clamped to [0, 1].
    """

    def __init__(self, **unet_kwargs):
        super().__init__()
        self.net = UNet(3, 1, out_activation="none", **unet_kwargs)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.net(image)
