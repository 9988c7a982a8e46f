"""Using a trained run: load it, harmonize clips (the shared method interface), predict disharmony maps.

``GANHarmonizer(checkpoint=RUN_DIR, mask_mode=...)`` implements ``harmonize(frames, masks)
-> frames`` on T×3×H×W clips in [0, 1] (docs/design.md), frame by frame and stateless.
Mask modes (Table IV): ``given`` (the input masks), ``discriminator`` (O = G(I, D(I))),
``zeros`` and ``ones`` (constant masks).  A generator trained without a mask input ignores
masks.  Sizes that are not multiples of the UNet's 2**depth are padded and cropped.

Background (``blend``, docs/interfaces.md "Method output and the background"; the same option, with the
same default :data:`DEFAULT_BLEND`, of every method in ``baselines.registry``): by default
(``blend="mask"``) the output is ``M·G(I, M) + (1 − M)·I`` — the generator's pixels inside the
foreground, the input's outside, bit for bit where ``M = 0`` — as the CO2Net and iSSAM
evaluations score harmonization.  ``M`` is the given mask in ``given`` mode; in the mask-free
modes (``discriminator``, ``zeros``, ``ones``, or a mask-free G called without masks) it is D's
soft disharmony map, and without a D there is nothing to blend with, so the raw output is
returned.  ``blend="none"`` returns the raw generator output everywhere (the paper's).
:attr:`GANHarmonizer.settings` records which was used.
"""
from __future__ import annotations

import os
from pathlib import Path

import torch

from harmonizer.config import BLENDS, TrainConfig, config_from_dict
from harmonizer.models import build_discriminator, build_generator
from harmonizer.runs import CheckpointError, checkpoint_path, load_checkpoint

MASK_MODES = ("given", "discriminator", "zeros", "ones")
DEFAULT_BLEND = "mask"  # the one default of every method's ``blend`` option (baselines.registry passes it on)


def check_clip(frames: torch.Tensor, masks: torch.Tensor | None = None, *, where: str = "clip") -> None:
    """Raise ``TypeError``/``ValueError`` naming ``where`` if a clip breaks the method interface's contract.

    ``frames``: T×3×H×W finite values in [0, 1]; ``masks`` (optional): T×1×H×W in [0, 1], same T, H, W.
    The suite's one input check: ``baselines.base.check_clip`` delegates here (adding only that
    masks are required), so every method rejects bad input with the same messages.
    """
    if not isinstance(frames, torch.Tensor) or (masks is not None and not isinstance(masks, torch.Tensor)):
        raise TypeError(f"{where}: frames and masks must be torch tensors")
    if frames.dim() != 4 or frames.shape[1] != 3:
        raise ValueError(f"{where}: frames must be T×3×H×W, got {tuple(frames.shape)}")
    if not torch.isfinite(frames).all():
        raise ValueError(f"{where}: frames contain NaN or infinite values")
    lo, hi = float(frames.min()), float(frames.max())
    if lo < 0.0 or hi > 1.0:
        raise ValueError(f"{where}: frames must lie in [0, 1], found values in [{lo:.3g}, {hi:.3g}]")
    if masks is None:
        return
    if masks.dim() != 4 or masks.shape[1] != 1:
        raise ValueError(f"{where}: masks must be T×1×H×W, got {tuple(masks.shape)}")
    if frames.shape[0] != masks.shape[0] or frames.shape[-2:] != masks.shape[-2:]:
        raise ValueError(
            f"{where}: frames {tuple(frames.shape)} and masks {tuple(masks.shape)} differ in frame count or size")
    mlo, mhi = float(masks.min()), float(masks.max())
    if mlo < 0.0 or mhi > 1.0 or not torch.isfinite(masks).all():
        raise ValueError(f"{where}: masks must lie in [0, 1], found values in [{mlo:.3g}, {mhi:.3g}]")


def load_run(run_dir: str | os.PathLike, which: str = "best", *, arch: str | None = None,
             profile: str | None = None, device: str | torch.device = "cpu"):
    """``(G, D | None, config)`` of a run folder (or .pt file), in eval mode.

    ``arch``/``profile``: when given, a checkpoint of another architecture/profile is a clear error.
    """
    path = checkpoint_path(run_dir, which)
    expect = {k: v for k, v in (("arch", arch), ("profile", profile)) if v is not None}
    ckpt = load_checkpoint(path, expect=expect)
    config: TrainConfig = config_from_dict(ckpt["config"])
    G = build_generator(config.model, module=ckpt.get("arch_module") or None)
    try:
        G.load_state_dict(ckpt["G"])
    except RuntimeError as exc:
        raise CheckpointError(f"{path}: generator weights do not fit architecture '{config.model.arch}': {exc}") from exc
    D = None
    if ckpt.get("D") is not None:
        D = build_discriminator(config.model)
        D.load_state_dict(ckpt["D"])
        D.to(device).eval()
    return G.to(device).eval(), D, config


def check_blend(blend: str, *, where: str = "blend") -> str:
    """``blend`` if it is one of :data:`BLENDS`, else a ``ValueError`` naming ``where`` and the choices."""
    if blend not in BLENDS:
        raise ValueError(f"{where}: unknown blend '{blend}'; choose one of {', '.join(BLENDS)}")
    return blend


def blend_background(output: torch.Tensor, frames: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
    """``M·O + (1 − M)·I``: the output inside the (soft) mask, the input outside — exactly the input where M = 0."""
    return masks * output + (1 - masks) * frames


def _as_module(run_dir_or_D, which: str = "best") -> torch.nn.Module:
    if isinstance(run_dir_or_D, torch.nn.Module):
        return run_dir_or_D
    _, D, _ = load_run(run_dir_or_D, which)
    if D is None:
        raise CheckpointError(f"run {run_dir_or_D} was trained without a discriminator (no disharmony maps)")
    return D


@torch.no_grad()
def discriminator_maps(run_dir_or_D, frames: torch.Tensor, *, chunk: int = 8, which: str = "best") -> torch.Tensor:
    """D's per-pixel disharmony maps of ``frames`` (T×3×H×W in [0, 1]) → T×1×H×W clamped to [0, 1]."""
    check_clip(frames, where="discriminator_maps")
    D = _as_module(run_dir_or_D, which)
    device = next(D.parameters()).device
    maps = [D(frames[s:s + chunk].to(device) * 2 - 1).float().clamp(0, 1).cpu()
            for s in range(0, frames.shape[0], chunk)]
    return torch.cat(maps)


class GANHarmonizer:
    """The trained model as a method (``harmonize(frames, masks) -> frames``, frames in [0, 1]).

    ``blend``: ``"mask"`` (default) pastes the input back outside the mask (see the module docstring),
    ``"none"`` keeps the raw generator output.
    """

    name = "gan"

    def __init__(self, checkpoint: str | os.PathLike, mask_mode: str | None = None, *, which: str = "best",
                 device: str = "cpu", chunk: int = 8, arch: str | None = None, profile: str | None = None,
                 blend: str = DEFAULT_BLEND):
        check_blend(blend, where="GANHarmonizer")
        self.G, self.D, self.config = load_run(checkpoint, which, arch=arch, profile=profile, device=device)
        self.device, self.chunk = torch.device(device), chunk
        self.takes_mask = bool(getattr(self.G, "in_mask", True))
        if mask_mode is None:
            mask_mode = "discriminator" if self.config.data.mask_source == "discriminator" else "given"
        if mask_mode not in MASK_MODES:
            raise ValueError(f"unknown mask_mode '{mask_mode}'; choose one of {', '.join(MASK_MODES)}")
        if mask_mode == "discriminator" and self.D is None:
            raise CheckpointError(f"{checkpoint} has no discriminator, so mask_mode='discriminator' is impossible")
        self.mask_mode, self.blend = mask_mode, blend
        self.name = f"gan[{mask_mode}]" if mask_mode != "given" else "gan"

    @property
    def needs_mask(self) -> bool:
        return self.takes_mask and self.mask_mode == "given"

    @property
    def keeps_background(self) -> bool:
        """True when every pixel outside the given mask is returned exactly as it came in."""
        return self.blend == "mask" and self.mask_mode == "given"

    def blend_region(self, masks_given: bool = True) -> str:
        """What the output is blended with: ``"given mask"``, ``"discriminator map"`` or ``"none"`` (raw output)."""
        if self.blend == "none":
            return "none"
        if self.mask_mode == "given" and masks_given:
            return "given mask"
        return "discriminator map" if self.D is not None else "none"

    @property
    def settings(self) -> dict:
        """The options that decide the output, for results manifests and run records."""
        return {"mask_mode": self.mask_mode, "blend": self.blend, "blend_region": self.blend_region()}

    def _mask_for(self, inp: torch.Tensor, given: torch.Tensor | None) -> torch.Tensor:
        shape = (inp.shape[0], 1, *inp.shape[-2:])
        if not self.takes_mask:
            return None  # a mask-free generator has no mask input
        if self.mask_mode == "given":
            return given.to(self.device)
        if self.mask_mode == "discriminator":
            return self.D(inp).float().clamp(0, 1)
        return torch.full(shape, 0.0 if self.mask_mode == "zeros" else 1.0, device=self.device)

    def _region(self, inp: torch.Tensor, given: torch.Tensor | None, mask: torch.Tensor | None):
        region = self.blend_region(masks_given=given is not None)
        if region == "given mask":
            return given.to(self.device)
        if region == "discriminator map":
            if self.mask_mode == "discriminator" and mask is not None:
                return mask  # G's mask input already is D's map
            return self.D(inp).float().clamp(0, 1)
        return None

    @torch.no_grad()
    def harmonize(self, frames: torch.Tensor, masks: torch.Tensor | None = None) -> torch.Tensor:
        check_clip(frames, masks, where=self.name)
        if masks is None and self.needs_mask:
            raise ValueError(f"{self.name}: mask_mode='given' needs masks (or choose discriminator|zeros|ones)")
        out = []
        for s in range(0, frames.shape[0], self.chunk):
            frame = frames[s:s + self.chunk].to(self.device)
            inp = frame * 2 - 1
            given = masks[s:s + self.chunk] if masks is not None else None
            mask = self._mask_for(inp, given)
            raw = ((self.G(inp, mask).float() + 1) / 2).clamp(0, 1)
            region = self._region(inp, given, mask)
            out.append((raw if region is None else blend_background(raw, frame, region)).cpu())
        return torch.cat(out)


def describe(run_dir: str | os.PathLike) -> dict:
    """Small summary of a run (config profile/variant/arch) for logs and CLIs."""
    ckpt = load_checkpoint(checkpoint_path(run_dir, "best"))
    cfg = ckpt["config"]
    return {"run": str(Path(run_dir)), "profile": cfg["profile"], "variant": cfg["variant"],
            "arch": cfg["model"]["arch"], "step": ckpt["step"]}
