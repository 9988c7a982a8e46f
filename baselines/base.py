"""The one interface every harmonization method shares (docs/design.md).

A method is any object with ``harmonize(frames, masks) -> frames`` where ``frames``
is a ``T×3×H×W`` float32 clip in [0, 1] and ``masks`` is ``T×1×H×W`` in {0, 1}
(soft masks allowed).  Calls are stateless: harmonizing a clip never depends on
clips seen before.  :func:`check_clip` is the input validation all methods use.

The background option (docs/interfaces.md "Method output and the background"): every method of the
registry takes ``blend`` — ``"mask"`` (the default, :data:`DEFAULT_BLEND`): ``M·O + (1 − M)·I``, the
input bit for bit where ``M = 0``; ``"none"``: the method's raw output — and records it in its
``settings`` as ``"blend"`` (what was asked) and ``"blend_region"`` (what the output was blended with:
"given mask", "discriminator map", "none" = the raw output, or a sentence where the option cannot change
the output).  The blend itself is
``harmonizer.infer.blend_background``; the choices, the default and their check are harmonizer's.
"""
from __future__ import annotations

from typing import Protocol, runtime_checkable

import torch

from harmonizer.infer import BLENDS, DEFAULT_BLEND, blend_background, check_blend
from harmonizer.infer import check_clip as harmonizer_check_clip

__all__ = ["BLENDS", "DEFAULT_BLEND", "Method", "blend_background", "check_blend", "check_clip"]


@runtime_checkable
class Method(Protocol):
    name: str

    def harmonize(self, frames: torch.Tensor, masks: torch.Tensor) -> torch.Tensor: ...


def check_clip(frames: torch.Tensor, masks: torch.Tensor | None, *, where: str = "clip",
               masks_required: bool = True) -> None:
    """Raise ``TypeError``/``ValueError`` naming ``where`` if frames/masks break the interface's contract.

    One check for the whole suite: this is :func:`harmonizer.infer.check_clip` (T×3×H×W finite
    frames in [0, 1]; T×1×H×W masks in [0, 1] of the same T, H, W), plus masks being required
    unless ``masks_required=False`` (e.g. the GAN with a mask-free ``mask_mode``).
    """
    if masks is None and masks_required:
        raise TypeError(f"{where}: frames and masks must be torch tensors (this method needs masks, got None)")
    harmonizer_check_clip(frames, masks, where=where)
