"""The paper's GAN as a method of the registry: ``get_method("gan", checkpoint=RUN_DIR, mask_mode="given")``.

A thin wrapper over ``harmonizer.infer.GANHarmonizer`` (issue 3) that validates the clip
with :func:`baselines.base.check_clip` first, so every method rejects bad input the same way.

``blend``, the background option every method shares (:mod:`baselines.base`): ``"mask"`` (the default)
returns ``M·G(I, M) + (1 − M)·I`` — the background exactly as it came in, as the CO2Net and iSSAM
evaluations score; in the mask-free modes ``M`` is D's soft map.  ``"none"`` returns the raw generator
output (the paper's).  ``settings`` records which (with the mask mode).
"""
from __future__ import annotations

import os

import torch

from baselines.base import DEFAULT_BLEND, check_blend, check_clip


class GAN:
    name = "gan"

    def __init__(self, checkpoint: str | os.PathLike, *, mask_mode: str = "given", blend: str = DEFAULT_BLEND,
                 **options):
        from harmonizer.infer import GANHarmonizer  # imported here: loading a run is the expensive part anyway

        self.inner = GANHarmonizer(checkpoint=checkpoint, mask_mode=mask_mode, blend=check_blend(blend, where="gan"),
                                   **options)
        self.mask_mode, self.blend = mask_mode, blend
        self.name = self.inner.name  # "gan", or "gan[discriminator]" etc. for the mask-free modes
        # the background is returned untouched only when the given mask decides the blend
        self.keeps_background = self.inner.keeps_background
        self.settings = self.inner.settings

    def harmonize(self, frames: torch.Tensor, masks: torch.Tensor | None = None) -> torch.Tensor:
        # masks may be None only when G does not read them (mask_mode discriminator/zeros/ones, or mask-free G)
        check_clip(frames, masks, where=self.name, masks_required=self.inner.needs_mask)
        return self.inner.harmonize(frames, masks)
