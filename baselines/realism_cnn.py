"""RealismCNN (Zhu et al., ICCV 2015) as a harmonization method: "VGG + color adjust" of Tables I and III.

Two separate steps, as in the original: a VGG-16 classifier of realism trained on our
data (:mod:`baselines.realism_train`), then, **for each frame on its own**, an
optimisation of a simple colour transform of the foreground that maximises the
classifier's realism logit.  The transform of foreground pixels ``F`` with per-channel
foreground mean ``μ`` is::

    F' = clamp((F − μ)·exp(c) + μ + b + o, 0, 1)        (contrast c, brightness b, offsets o ∈ R³)

and the frame becomes ``F'·M + I·(1 − M)`` (``harmonizer.infer.blend_background``), so the background
is returned untouched (``keeps_background = True``).  The colour change is defined on the foreground
only, so that blend is part of the method itself: the background option every method shares
(``blend``, :mod:`baselines.base`) cannot change its output, and ``settings`` says so.  The parameters start at "no change" and follow
gradient ascent (Adam) on ``logit(frame) − reg·‖(b, c, o)‖²``; the best objective seen
is kept, so a frame's score never drops below the composite's.  Frames are optimised
independently — that per-frame freedom is the flicker Table I measures.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import torch

from baselines.base import DEFAULT_BLEND, blend_background, check_blend, check_clip
from baselines.realism_config import AdjustConfig
from baselines.realism_model import RealismNet
from baselines.realism_train import load_realism_run


@dataclass
class Adjustment:
    """Result of :func:`adjust_foreground` for a batch of N frames."""

    frames: torch.Tensor  # N×3×H×W in [0, 1]
    params: torch.Tensor  # N×5: brightness, log-contrast, offset r, g, b
    score_before: torch.Tensor  # N realism logits of the input frames
    score_after: torch.Tensor  # N realism logits of the adjusted frames


def apply_colour_transform(frames: torch.Tensor, masks: torch.Tensor, params: torch.Tensor) -> torch.Tensor:
    """Apply per-frame (brightness, log-contrast, offsets) to the foreground; background untouched."""
    masks = masks.to(frames.dtype)
    area = masks.sum(dim=(2, 3), keepdim=True)
    mean = (frames * masks).sum(dim=(2, 3), keepdim=True) / area.clamp_min(1e-6)
    brightness = params[:, 0].view(-1, 1, 1, 1)
    contrast = params[:, 1].view(-1, 1, 1, 1).exp()
    offsets = params[:, 2:5].view(-1, 3, 1, 1)
    adjusted = ((frames - mean) * contrast + mean + brightness + offsets).clamp(0.0, 1.0)
    return blend_background(adjusted, frames, masks)


def adjust_foreground(net: RealismNet, frames: torch.Tensor, masks: torch.Tensor, cfg: AdjustConfig) -> Adjustment:
    """Maximise each frame's realism logit over its own colour parameters (frames are independent).

    Gradients are switched on here, so callers may run methods under ``torch.no_grad()`` or
    ``torch.inference_mode()`` as they do for the feed-forward ones.
    """
    with torch.inference_mode(False), torch.enable_grad():
        return _adjust(net, frames.clone(), masks.clone(), cfg)


def _adjust(net: RealismNet, frames: torch.Tensor, masks: torch.Tensor, cfg: AdjustConfig) -> Adjustment:
    net.eval()
    for p in net.parameters():
        p.requires_grad_(False)
    n = frames.shape[0]
    params = torch.zeros(n, 5, requires_grad=True)
    free = torch.ones(1, 5)
    if not cfg.colour_offsets:
        free[:, 2:] = 0.0  # offsets stay at zero: brightness and contrast only
    opt = torch.optim.Adam([params], lr=cfg.lr)

    def objective(p: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        out = apply_colour_transform(frames, masks, p * free)
        score = net(out)
        return score - cfg.reg_weight * (p * free).pow(2).sum(dim=1), score, out

    with torch.no_grad():
        best_obj, score_before, best_frames = objective(params)
    best_frames, best_params, best_score = best_frames.clone(), torch.zeros(n, 5), score_before.clone()
    for _ in range(cfg.steps):
        obj, score, out = objective(params)
        better = obj.detach() > best_obj
        if better.any():
            best_obj = torch.where(better, obj.detach(), best_obj)
            best_score = torch.where(better, score.detach(), best_score)
            best_params[better] = (params.detach() * free)[better]
            best_frames[better] = out.detach()[better]
        opt.zero_grad()
        (-obj.sum()).backward()  # sum of independent per-frame objectives: per-frame gradients
        opt.step()
    with torch.no_grad():  # the last step's parameters were never scored
        obj, score, out = objective(params)
        better = obj > best_obj
        best_score = torch.where(better, score, best_score)
        best_params[better] = (params * free)[better]
        best_frames[better] = out[better]
    return Adjustment(best_frames, best_params, score_before, best_score)


class RealismCNN:
    """``get_method("realism_cnn", checkpoint=RUN_DIR)``: the classifier-guided colour adjustment."""

    name = "realism_cnn"
    keeps_background = True  # only foreground pixels are transformed

    def __init__(self, checkpoint: str | os.PathLike, *, which: str = "best", steps: int | None = None,
                 blend: str = DEFAULT_BLEND):
        self.blend = check_blend(blend, where=self.name)
        self.settings = {"blend": self.blend,
                         "blend_region": "given mask, with either blend: the colour change is defined on the "
                                         "foreground only (Zhu et al.), so the background is always the input's"}
        self.net, cfg = load_realism_run(checkpoint, which)
        self.config = cfg
        self.adjust_config = cfg.adjust if steps is None else AdjustConfig(**{**vars(cfg.adjust), "steps": steps})

    @torch.no_grad()
    def score(self, frames: torch.Tensor) -> torch.Tensor:
        """Realism logits (higher = more real) of ``N×3×H×W`` frames in [0, 1]."""
        bs = self.adjust_config.batch_size
        return torch.cat([self.net(frames[i : i + bs]) for i in range(0, frames.shape[0], bs)])

    def harmonize(self, frames: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
        check_clip(frames, masks, where=self.name)
        frames, masks = frames.float(), masks.float()
        bs = self.adjust_config.batch_size
        chunks = [
            adjust_foreground(self.net, frames[i : i + bs], masks[i : i + bs], self.adjust_config).frames
            for i in range(0, frames.shape[0], bs)
        ]
        return torch.cat(chunks)
