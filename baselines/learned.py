"""The trainable generators as methods: ``get_method(NAME, checkpoint=RUN_DIR)`` for every generator
of ``harmonizer.models``' registry trained on its own ("dih", "resnet", ...; :mod:`baselines.registry`).

A run folder written by ``train_baseline("dih" | "resnet", ...)`` (i.e. by
``harmonizer.train``) is loaded by ``harmonizer.infer`` and its generator is applied
frame by frame, like the originals (no temporal state).  The network runs at the clip's own
resolution (all layers are convolutional; sizes that are not multiples of the network's stride
are padded inside).

Background: the option every method shares (:mod:`baselines.base`).  ``blend="mask"`` (the
default) returns ``M·O + (1 − M)·I`` — the network's pixels inside the mask, the input's outside —
so DIH, the ResNet and the GAN are scored alike; ``blend="none"`` returns the network output for
the whole frame, as Tsai et al.'s network produces it (then the background error the network
makes is part of what the metrics measure).
"""
from __future__ import annotations

import os

import torch

from baselines.base import DEFAULT_BLEND, check_blend, check_clip
from harmonizer.infer import GANHarmonizer


class LearnedGenerator:
    """Applies the generator of a harmonizer run folder of architecture ``arch`` to every frame.

    Loading, inference and the blend are harmonizer's (``GANHarmonizer`` with the given masks), with a
    check that the run really holds this architecture.
    """

    def __init__(self, checkpoint: str | os.PathLike, *, arch: str, which: str = "best", batch_size: int = 8,
                 device: str = "cpu", blend: str = DEFAULT_BLEND):
        self.name = self.arch = arch  # the method is named after its generator (harmonizer.models registry)
        self.inner = GANHarmonizer(checkpoint, "given", which=which, device=device, chunk=batch_size, arch=self.arch,
                                   blend=check_blend(blend, where=arch))
        self.config, self.blend = self.inner.config, blend

    @property
    def keeps_background(self) -> bool:
        return self.inner.keeps_background

    @property
    def settings(self) -> dict:
        """The background option as harmonizer applies it (``blend``, ``blend_region``)."""
        return {k: self.inner.settings[k] for k in ("blend", "blend_region")}

    def harmonize(self, frames: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
        check_clip(frames, masks, where=self.name)
        return self.inner.harmonize(frames, masks)
