"""Cut-and-paste: the composite itself, unchanged (the input of every other method).

It takes the background option every method shares (:mod:`baselines.base`) so that any method can be
built with the same options; both values return the input (the blend of the input with itself).
"""
from __future__ import annotations

import torch

from baselines.base import DEFAULT_BLEND, check_blend, check_clip


class CutAndPaste:
    name = "cut_and_paste"
    keeps_background = True  # the background is returned untouched

    def __init__(self, *, blend: str = DEFAULT_BLEND):
        self.blend = check_blend(blend, where=self.name)
        self.settings = {"blend": self.blend,
                         "blend_region": "no effect: the output is the input, with either blend"}

    def harmonize(self, frames: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
        check_clip(frames, masks, where=self.name)
        return frames.clone()
