"""One Dancing clip from (source, seed, index) — the paper's §III-A recipe.

1. take a source sample (image + foreground mask) as frame 0's content;
2. cut the foreground out and inpaint the hole (OpenCV Telea) → pure background;
3. adjust the foreground's colours (:mod:`harmonizer.data.color`) → the composite's foreground;
4. move the foreground by small random affines (the same on ground truth and composite)
   and the camera by random crops of the background resized back; render every frame;
5. store the exact backward/forward flow of both layers with validity (:mod:`.motion`).

Every random draw comes from ``default_rng([seed, index, CLIP_TAG])`` and is recorded in
the clip's ``meta`` (the manifest line), so a clip is reproducible from (seed, index).
Styles: ``dancing`` (the paper), ``static`` (MSCOCO-style: no motion, zero flow) and
``few_scene`` (DAVIS-style: clip i reuses base scene ``i % scenes``, recoloured and moved anew).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

import cv2
import numpy as np

from .color import apply_adjustment, lab_stats, random_adjustment
from .format import Clip
from .motion import MotionConfig, background_maps, clip_flows, foreground_maps, render

STYLES = ("dancing", "static", "few_scene")
CLIP_TAG = 0xC11B  # separates clip draws from the source's scene draws


@dataclass
class ClipConfig:
    size: int = 64
    frames: int = 2
    style: str = "dancing"
    scenes: int = 10  # few_scene only: number of base scenes
    p_transfer: float = 0.3  # probability of Reinhard transfer from another foreground
    strength: float = 1.0  # colour-adjustment strength: 1 = paper-like disharmony (color.RANGES), 0 = none
    # (lo, hi): each clip of the ``range_splits`` draws its own strength uniformly in [lo, hi] (recorded in
    # its meta) instead of ``strength`` — mild and near-harmonious foregrounds too
    # (benchmarks/RESULTS-real-recipe.md).  A training recipe, not an evaluation one: the test split keeps
    # ``strength``, so the reported synthetic test split measures the same disharmony whatever the recipe.
    strength_range: tuple[float, float] | None = None
    range_splits: tuple[str, ...] = ("train", "val")
    luts: tuple[str, ...] = ()  # .cube files the random adjustment may pick
    inpaint_radius: int = 3
    motion: MotionConfig = field(default_factory=MotionConfig)

    def __post_init__(self):
        if self.style not in STYLES:
            raise ValueError(f"unknown style '{self.style}'; choose one of {', '.join(STYLES)}")
        if self.frames < 2:
            raise ValueError(f"clips need at least 2 frames, got frames={self.frames}")
        if self.size < 8:
            raise ValueError(f"size must be at least 8 pixels, got {self.size}")
        if not self.strength >= 0:
            raise ValueError(f"strength must be ≥ 0, got {self.strength}")
        if self.scenes < 1:
            raise ValueError(f"scenes must be ≥ 1, got {self.scenes}")
        if self.strength_range is not None:
            lo, hi = (float(v) for v in self.strength_range)
            if not 0 <= lo <= hi:
                raise ValueError(f"strength_range must be (lo, hi) with 0 ≤ lo ≤ hi, got {self.strength_range}")
            self.strength_range = (lo, hi)
        self.range_splits = tuple(str(v) for v in self.range_splits)
        self.luts = tuple(str(p) for p in self.luts)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["luts"] = list(self.luts)
        if self.strength_range is None:
            # datasets built without it keep their dataset.json byte for byte
            del d["strength_range"], d["range_splits"]
        else:
            d["strength_range"], d["range_splits"] = list(self.strength_range), list(self.range_splits)
        return d

    def drawn_strength(self, split: str) -> bool:
        return self.strength_range is not None and split in self.range_splits

    def clip_strength(self, rng: np.random.Generator, split: str) -> float:
        """This clip's colour-adjustment strength: a uniform draw in ``strength_range`` for a clip of the
        ``range_splits``, else ``strength``."""
        if not self.drawn_strength(split):
            return self.strength  # no draw: the clip's other draws stay what they were
        return float(rng.uniform(*self.strength_range))


def inpaint_background(image: np.ndarray, mask: np.ndarray, radius: int = 3) -> np.ndarray:
    """Fill the (slightly dilated) foreground with OpenCV inpainting; pixels away from it are kept exactly."""
    hole = cv2.dilate(mask.astype(np.uint8), np.ones((5, 5), np.uint8))
    u8 = np.round(np.clip(image, 0, 1) * 255).astype(np.uint8)
    filled = cv2.inpaint(u8, hole, radius, cv2.INPAINT_TELEA).astype(np.float32) / 255.0
    return np.where(hole[..., None] > 0, filled, image).astype(np.float32)


def extend_foreground(image: np.ndarray, mask: np.ndarray, sigma: float = 2.0) -> np.ndarray:
    """Keep foreground pixels; outside, continue their colours smoothly (normalised convolution).

    Bilinear sampling near the silhouette then mixes only foreground-like colours,
    so moved edges carry no halo of the source's old background.
    """
    m = mask.astype(np.float32)
    num = cv2.GaussianBlur(image * m[..., None], (0, 0), sigma)
    den = cv2.GaussianBlur(m, (0, 0), sigma)[..., None]
    mean = image[mask].mean(0) if mask.any() else np.full(3, 0.5, np.float32)
    spread = np.where(den > 1e-3, num / np.maximum(den, 1e-3), mean)
    return np.where(mask[..., None], image, spread).astype(np.float32)


def clip_rng(seed: int, index: int) -> np.random.Generator:
    return np.random.default_rng([int(seed), int(index), CLIP_TAG])


def base_index(index: int, config: ClipConfig) -> int:
    return index % config.scenes if config.style == "few_scene" else index


def _reference_index(rng: np.random.Generator, base: int, n: int) -> int:
    return (base + 1 + int(rng.integers(n - 1))) % n if n > 1 else base


def _to_u8(x: np.ndarray) -> np.ndarray:
    return np.round(np.clip(x, 0.0, 1.0) * 255.0).astype(np.uint8)


def make_clip(source, index: int, *, seed: int, config: ClipConfig, split: str = "train",
              clip_id: str | None = None) -> Clip:
    """Build clip ``index`` of a dataset in memory (see the module docstring)."""
    rng = clip_rng(seed, index)
    base = base_index(index, config)
    strength = config.clip_strength(rng, split)
    sample = source.sample(base, config.size)
    fg = extend_foreground(sample.image, sample.mask)
    bg = inpaint_background(sample.image, sample.mask, config.inpaint_radius)
    reference = None
    if config.p_transfer > 0 and len(source) > 1 and rng.random() < config.p_transfer:
        reference = _reference_index(rng, base, len(source))
        ref = source.sample(reference, min(config.size, 64))  # Lab stats barely depend on resolution
        params, _ = random_adjustment(rng, reference_stats=lab_stats(ref.image, ref.mask),
                                      source_stats=lab_stats(sample.image, sample.mask), p_transfer=1.0,
                                      strength=strength)
    else:
        params, _ = random_adjustment(rng, luts=config.luts, p_transfer=0.0, strength=strength)
    adjusted = apply_adjustment(fg, params)
    h, w = sample.mask.shape
    if config.style == "static":
        fg_maps, fg_params = [np.eye(3)] * config.frames, []
        bg_maps, bg_params = [np.eye(3)] * config.frames, []
    else:
        fg_maps, fg_params = foreground_maps(rng, sample.mask, config.frames, config.motion)
        bg_maps, bg_params = background_maps(rng, (h, w), config.frames, config.motion)
    layers, masks = render(np.concatenate([fg, adjusted], -1), sample.mask, bg, fg_maps, bg_maps)
    flow_bw, flow_fw, valid_bw, valid_fw = clip_flows(fg_maps, bg_maps, masks)
    clip_id = clip_id or f"{index:06d}"
    meta = {
        "id": clip_id, "split": split, "index": int(index), "seed": int(seed), "source": source.name,
        "source_index": int(base), "style": config.style, "size": config.size, "frames": config.frames,
        "sample": sample.meta, "adjustment": params, "reference_index": reference,
        "foreground_motion": fg_params, "camera_motion": bg_params,
        "foreground_fraction": [float(m.mean()) for m in masks],
    }
    if config.drawn_strength(split):
        meta["strength"] = strength
    return Clip(clip_id=clip_id, split=split, gt=_to_u8(layers[..., :3]), composite=_to_u8(layers[..., 3:]),
                mask=masks, flow_bw=flow_bw, flow_fw=flow_fw, valid_bw=valid_bw, valid_fw=valid_fw, meta=meta)


def foreground_video(source, index: int, *, frames: int, size: int, seed: int = 0,
                     motion: MotionConfig | None = None) -> tuple[np.ndarray, np.ndarray, dict]:
    """A "foreground video" for real-world-style composites: the source's foreground dancing over its own
    inpainted background, static camera → (frames T×H×W×3 float32 in [0, 1], masks T×H×W bool, params)."""
    cfg = ClipConfig(size=size, frames=frames, motion=motion or MotionConfig())
    rng = clip_rng(seed, index)
    sample = source.sample(index, size)
    fg_maps, fg_params = foreground_maps(rng, sample.mask, frames, cfg.motion)
    bg = inpaint_background(sample.image, sample.mask, cfg.inpaint_radius)
    rgb, masks = render(extend_foreground(sample.image, sample.mask), sample.mask, bg, fg_maps, [np.eye(3)] * frames)
    return np.clip(rgb, 0, 1).astype(np.float32), masks, {"source_index": int(index), "foreground_motion": fg_params}


def background_video(source, index: int, *, frames: int, size: int, seed: int = 0,
                     motion: MotionConfig | None = None) -> tuple[np.ndarray, dict]:
    """A "background video": the source's inpainted background under camera motion (random crops
    resized back) → (frames T×H×W×3 float32 in [0, 1], params)."""
    cfg = ClipConfig(size=size, frames=frames, motion=motion or MotionConfig())
    rng = clip_rng(seed, index)
    sample = source.sample(index, size)
    bg = inpaint_background(sample.image, sample.mask, cfg.inpaint_radius)
    bg_maps, bg_params = background_maps(rng, (size, size), frames, cfg.motion)
    empty = np.zeros_like(sample.mask)
    rgb, _ = render(bg, empty, bg, [np.eye(3)] * frames, bg_maps)
    return np.clip(rgb, 0, 1).astype(np.float32), {"source_index": int(index), "camera_motion": bg_params}
