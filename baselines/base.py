"""The one interface every harmonization method shares (DESIGN.md §2).

A method is any object with ``harmonize(frames, masks) -> frames`` where ``frames``
is a ``T×3×H×W`` float32 clip in [0, 1] and ``masks`` is ``T×1×H×W`` in {0, 1}
(soft masks allowed).  Calls are stateless: harmonizing a clip never depends on
clips seen before.  :func:`check_clip` is the input validation all methods use.
"""
from __future__ import annotations

from typing import Protocol, runtime_checkable

import torch


@runtime_checkable
class Method(Protocol):
    name: str

    def harmonize(self, frames: torch.Tensor, masks: torch.Tensor) -> torch.Tensor: ...


def check_clip(frames: torch.Tensor, masks: torch.Tensor, *, where: str = "clip") -> None:
    """Raise ``ValueError`` naming ``where`` if frames/masks break the interface's contract."""
    if not isinstance(frames, torch.Tensor) or not isinstance(masks, torch.Tensor):
        raise TypeError(f"{where}: frames and masks must be torch tensors")
    if frames.dim() != 4 or frames.shape[1] != 3:
        raise ValueError(f"{where}: frames must be T×3×H×W, got {tuple(frames.shape)}")
    if masks.dim() != 4 or masks.shape[1] != 1:
        raise ValueError(f"{where}: masks must be T×1×H×W, got {tuple(masks.shape)}")
    if frames.shape[0] != masks.shape[0] or frames.shape[-2:] != masks.shape[-2:]:
        raise ValueError(
            f"{where}: frames {tuple(frames.shape)} and masks {tuple(masks.shape)} differ in frame count or size"
        )
    if not torch.isfinite(frames).all():
        raise ValueError(f"{where}: frames contain NaN or infinite values")
    lo, hi = float(frames.min()), float(frames.max())
    if lo < 0.0 or hi > 1.0:
        raise ValueError(f"{where}: frames must lie in [0, 1], found values in [{lo:.3g}, {hi:.3g}]")
    mlo, mhi = float(masks.min()), float(masks.max())
    if mlo < 0.0 or mhi > 1.0:
        raise ValueError(f"{where}: masks must lie in [0, 1], found values in [{mlo:.3g}, {mhi:.3g}]")
