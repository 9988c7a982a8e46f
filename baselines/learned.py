"""The learned image baselines as methods: ``get_method("dih" | "resnet", checkpoint=RUN_DIR)``.

A run folder written by ``train_baseline("dih" | "resnet", ...)`` (i.e. by
``harmonizer.train``) is loaded with harmonizer's checkpoint reader and its generator is
applied frame by frame, like the originals (no temporal state).

Background: the paper does not say that DIH or the ResNet paste their output back over
the input background, and Tsai et al. output the whole image, so we return the network's
output as is (``keeps_background = False``); the background error they make is part of
what the metrics measure.  The network runs at the clip's own resolution (all layers are
convolutional; sizes that are not multiples of the network's stride are padded inside).
"""
from __future__ import annotations

import os

import torch

import baselines.architectures  # noqa: F401  (registers "dih" and "resnet" before a checkpoint is read)
from baselines.base import check_clip
from harmonizer.config import config_from_dict
from harmonizer.models import build_generator
from harmonizer.runs import checkpoint_path, load_checkpoint


class LearnedGenerator:
    """Applies the generator of a harmonizer run folder of architecture ``arch`` to every frame."""

    name = "learned"
    arch = ""
    keeps_background = False

    def __init__(self, checkpoint: str | os.PathLike, *, which: str = "best", batch_size: int = 8,
                 device: str = "cpu"):
        path = checkpoint_path(checkpoint, which)
        ckpt = load_checkpoint(path, expect={"arch": self.arch})
        self.config = config_from_dict(ckpt["config"])
        self.device = torch.device(device)
        self.generator = build_generator(self.config.model, module=ckpt.get("arch_module"))
        self.generator.load_state_dict(ckpt["G"])
        self.generator.to(self.device).eval()
        self.batch_size = batch_size
        self.checkpoint = str(path)

    @torch.no_grad()
    def harmonize(self, frames: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
        check_clip(frames, masks, where=self.name)
        outputs = []
        for start in range(0, frames.shape[0], self.batch_size):
            comp = frames[start:start + self.batch_size].float().to(self.device) * 2 - 1
            mask = masks[start:start + self.batch_size].float().to(self.device)
            out = self.generator(comp, mask)
            outputs.append(((out.float() + 1) / 2).clamp(0, 1).cpu())
        return torch.cat(outputs)


class DIH(LearnedGenerator):
    """Deep Image Harmonization (Tsai et al. 2017) without its segmentation branch; see :mod:`baselines.dih`."""

    name = "dih"
    arch = "dih"


class ResNet(LearnedGenerator):
    """The style-transfer residual network of Johnson et al. 2016; see :mod:`baselines.resnet`."""

    name = "resnet"
    arch = "resnet"
