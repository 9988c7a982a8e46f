"""The trainable generators as methods: ``get_method(NAME, checkpoint=RUN_DIR)`` for every generator
of ``harmonizer.models``' registry trained on its own ("dih", "resnet", ...; :mod:`baselines.registry`).

A run folder written by ``train_baseline("dih" | "resnet", ...)`` (i.e. by
``harmonizer.train``) is loaded by ``harmonizer.infer`` and its generator is applied
frame by frame, like the originals (no temporal state).

Background: the paper does not say that DIH or the ResNet paste their output back over
the input background, and Tsai et al. output the whole image, so by default we return the
network's output as is (``keeps_background = False``); the background error they make is
part of what the metrics measure.  ``paste_background=True`` returns ``O·M + I·(1−M)``
instead (then ``keeps_background = True``), for users who want the foreground change only.  The network runs at the clip's own resolution (all layers are
convolutional; sizes that are not multiples of the network's stride are padded inside).
"""
from __future__ import annotations

import os

import torch

from baselines.base import check_clip
from harmonizer.infer import GANHarmonizer


class LearnedGenerator:
    """Applies the generator of a harmonizer run folder of architecture ``arch`` to every frame.

    Loading and inference are harmonizer's (``GANHarmonizer`` with the given masks), with a
    check that the run really holds this architecture.
    """

    keeps_background = False

    def __init__(self, checkpoint: str | os.PathLike, *, arch: str, which: str = "best", batch_size: int = 8,
                 device: str = "cpu", paste_background: bool = False):
        self.name = self.arch = arch  # the method is named after its generator (harmonizer.models registry)
        # the blend is harmonizer's one (harmonizer.infer.blend_background); off unless paste_background
        self.inner = GANHarmonizer(checkpoint, "given", which=which, device=device, chunk=batch_size, arch=self.arch,
                                   blend="mask" if paste_background else "none")
        self.config = self.inner.config
        self.keeps_background = bool(paste_background)

    def harmonize(self, frames: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
        check_clip(frames, masks, where=self.name)
        return self.inner.harmonize(frames, masks)

