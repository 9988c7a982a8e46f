"""Procedural scenes with natural-image statistics — the embedded default source (no download).

A scene is a background (two materials split by a horizon, multi-scale 1/f
textures, a smooth illumination gradient, a few textured objects) and an
articulated "figure" foreground (head, torso, limbs with clothing and skin
colours, its own texture and shading) whose limb thickness is fitted to a drawn target
area — 15–45 % of the frame, mean ≈ 27 %, like COCO people in the paper's data
(:data:`FIGURE_AREA`).  One shared scene illumination — white
balance, tint and exposure — is applied to background and foreground alike, so
the ground truth is harmonious and a composite's disharmony can be inferred from
the background.  Everything is vectorised NumPy/OpenCV; all draws come from the
generator passed in.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from .color import exposure, temperature, tint


@dataclass
class Scene:
    image: np.ndarray  # H×W×3 float32 in [0, 1], illumination applied
    mask: np.ndarray  # H×W bool, the figure
    meta: dict = field(default_factory=dict)


def fractal_noise(rng: np.random.Generator, h: int, w: int, channels: int = 1, *, base: int = 2,
                  max_cells: int | None = None, persistence: float = 0.55) -> np.ndarray:
    """Octaves of random grids, cells doubling per octave (≈1/f spectrum), std ≈ 1.

    Built coarse-to-fine (upsample the running sum 2×, add the next octave) so only
    the last bicubic resize is full resolution.
    """
    max_cells = max_cells or max(2, max(h, w) // 4)
    acc = rng.standard_normal((base + 1, base + 1, channels)).astype(np.float32)
    amp, total, cells = 1.0, 1.0, base
    while cells * 2 <= max_cells:
        cells *= 2
        amp *= persistence
        acc = cv2.resize(acc, (cells + 1, cells + 1), interpolation=cv2.INTER_LINEAR).reshape(cells + 1, cells + 1, channels)
        acc += amp * rng.standard_normal((cells + 1, cells + 1, channels)).astype(np.float32)
        total += amp**2
    out = cv2.resize(acc, (w, h), interpolation=cv2.INTER_CUBIC).reshape(h, w, channels)
    return out / np.float32(np.sqrt(total))


def _random_colour(rng: np.random.Generator, sat: tuple[float, float], val: tuple[float, float],
                   hue: tuple[float, float] = (0, 180)) -> np.ndarray:
    hsv = np.float32([[[rng.uniform(*hue), rng.uniform(*sat) * 255, rng.uniform(*val) * 255]]]).astype(np.uint8)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0, 0].astype(np.float32) / 255.0


def _ramp(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """A linear ramp in [-1, 1] along a random direction."""
    angle = rng.uniform(0, 2 * np.pi)
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    r = (xs / max(w - 1, 1) - 0.5) * np.cos(angle) + (ys / max(h - 1, 1) - 0.5) * np.sin(angle)
    return (r / 0.71).astype(np.float32)[..., None]


def _textured(rng, colour: np.ndarray, h: int, w: int, strength: float, max_cells: int) -> np.ndarray:
    lum = fractal_noise(rng, h, w, 1, max_cells=max_cells)
    chroma = fractal_noise(rng, h, w, 3, max_cells=max(2, max_cells // 4))
    return colour * (1.0 + strength * lum) + 0.03 * chroma


def background(rng: np.random.Generator, h: int, w: int, *, detail: float = 1.0) -> tuple[np.ndarray, dict]:
    """Horizon-split materials with 1/f texture, a lighting gradient and 2–5 textured objects."""
    cells = max(2, int(max(h, w) / 4 * detail))
    top, ground = _random_colour(rng, (0.05, 0.5), (0.45, 0.95)), _random_colour(rng, (0.1, 0.6), (0.25, 0.8))
    horizon = rng.uniform(0.3, 0.7)
    ys = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    blend = 1 / (1 + np.exp(-(ys - horizon) * 60.0))
    image = (1 - blend) * _textured(rng, top, h, w, 0.15, cells) + blend * _textured(rng, ground, h, w, 0.3, cells)
    n_obj = int(rng.integers(2, 6))
    object_texture = 1.0 + 0.25 * fractal_noise(rng, h, w, 1, max_cells=cells)  # shared by all objects
    for _ in range(n_obj):
        obj_mask = np.zeros((h, w), np.uint8)
        cx, cy = rng.uniform(0, w), rng.uniform(0.1 * h, h)
        rx, ry = rng.uniform(0.05, 0.25) * w, rng.uniform(0.05, 0.25) * h
        if rng.random() < 0.5:
            cv2.ellipse(obj_mask, (int(cx), int(cy)), (int(rx) + 1, int(ry) + 1), rng.uniform(0, 180), 0, 360, 1, -1)
        else:
            n = int(rng.integers(3, 7))
            ang = np.sort(rng.uniform(0, 2 * np.pi, n))
            pts = np.stack([cx + rx * np.cos(ang), cy + ry * np.sin(ang)], 1).astype(np.int32)
            cv2.fillPoly(obj_mask, [pts], 1)
        soft = cv2.GaussianBlur(obj_mask.astype(np.float32), (0, 0), 0.7)[..., None]
        colour = _random_colour(rng, (0.1, 0.8), (0.2, 0.95))
        shade = 1.0 + 0.2 * _ramp(rng, h, w)
        image = (1 - soft) * image + soft * colour * object_texture * shade
    light = 1.0 + rng.uniform(0.1, 0.35) * _ramp(rng, h, w)
    return np.clip(image * light, 0, 1).astype(np.float32), {"horizon": float(horizon), "objects": n_obj}


def _limb(canvas, label, a, b, thickness, value):
    cv2.line(canvas, (int(a[0]), int(a[1])), (int(b[0]), int(b[1])), value, max(1, int(thickness)), cv2.LINE_8)
    cv2.circle(canvas, (int(b[0]), int(b[1])), max(1, int(thickness) // 2), value, -1)


# Target foreground area (fraction of the frame) of a figure, drawn per scene from a triangular law with
# mode 0.22 (mean ≈ 0.27).  Why: the paper keeps COCO people covering ≥ 10 % of the image, and such people
# typically cover 10–60 % (mean ≈ 25–30 %); thin stick figures (≈ 13 %) made the composites far less
# disharmonious overall than the paper's (cut-and-paste PSNR ≈ 27 dB vs 18 dB).
FIGURE_AREA = (0.15, 0.22, 0.45)


def _draw_figure_labels(H, W, height, girth, pose):
    """Rasterise the figure at 2× → label map (0 none, 1 skin, 2 shirt, 3 trousers)."""
    labels = np.zeros((H, W), np.uint8)
    feet_y, cx, lean, legs, arms = pose
    hip = np.array([cx, feet_y - 0.48 * height])
    neck = hip + [lean * height, -0.32 * height]
    unit = height * girth
    for side, (a1, a2), (b1, b2) in zip((-1, 1), legs, arms):  # two segments per limb, angles from the vertical
        knee = hip + [side * 0.04 * height + 0.24 * height * np.sin(a1), 0.24 * height * np.cos(a1)]
        foot = knee + [0.24 * height * np.sin(a1 + a2), 0.24 * height * np.cos(a1 + a2)]
        _limb(labels, 3, hip + [side * 0.04 * height, 0], knee, 0.09 * unit, 3)
        _limb(labels, 3, knee, foot, 0.075 * unit, 3)
        shoulder = neck + [side * 0.08 * height, 0.03 * height]
        elbow = shoulder + [side * 0.18 * height * np.sin(b1), 0.18 * height * np.cos(b1)]
        hand = elbow + [side * 0.16 * height * np.sin(b1 + b2), 0.16 * height * np.cos(b1 + b2)]
        _limb(labels, 2, shoulder, elbow, 0.07 * unit, 2)
        _limb(labels, 1, elbow, hand, 0.055 * unit, 1)
    torso = np.array([neck + [-0.1 * unit, 0], neck + [0.1 * unit, 0], hip + [0.09 * unit, 0], hip + [-0.09 * unit, 0]])
    cv2.fillPoly(labels, [torso.astype(np.int32)], 2)
    head = neck + [0, -0.08 * height]
    head_r = 0.07 * height * max(1.0, girth) ** 0.5  # heavier figures get a somewhat larger head (hair, hood)
    cv2.ellipse(labels, (int(head[0]), int(head[1])), (int(head_r), int(head_r * 9 / 7)), 0, 0, 360, 1, -1)
    return labels


def figure(rng: np.random.Generator, h: int, w: int, *, detail: float = 1.0, min_area: float = 0.1):
    """An articulated figure: returns (colour layer H×W×3 valid under the mask, mask bool, meta).

    The pose is drawn once; the limb thickness (``girth``) is then fitted in a few redraws so the
    figure covers a drawn target area (:data:`FIGURE_AREA`, never below ``min_area``).
    """
    layer, mask, _skin, meta = figure_parts(rng, h, w, detail=detail, min_area=min_area)
    return layer, mask, meta


def figure_parts(rng: np.random.Generator, h: int, w: int, *, detail: float = 1.0, min_area: float = 0.1):
    """:func:`figure` (the same draws) and its skin (head, forearms and hands): ``(layer, mask, skin, meta)``,
    ``skin`` a bool map inside ``mask``."""
    ss = 2  # draw at 2× and area-average for smooth silhouettes
    H, W = h * ss, w * ss
    height = rng.uniform(0.7, 0.95) * H
    target = max(float(rng.triangular(*FIGURE_AREA)), min_area)
    pose = (rng.uniform(0.9, 1.0) * H, rng.uniform(0.35, 0.65) * W, rng.uniform(-0.06, 0.06),
            [(rng.uniform(-0.5, 0.5), rng.uniform(-0.6, 0.6)) for _ in range(2)],
            [(rng.uniform(0.1, 2.6), rng.uniform(-1.2, 1.2)) for _ in range(2)])
    girth, best = 1.0, None
    for _attempt in range(6):
        labels = _draw_figure_labels(H, W, height, girth, pose)
        cover = cv2.resize((labels > 0).astype(np.float32), (w, h), interpolation=cv2.INTER_AREA)
        area = float((cover >= 0.5).mean())
        if area >= min_area and (best is None or abs(area - target) < abs(best[3] - target)):
            best = (labels, cover, girth, area)
        if abs(area - target) <= 0.05 * target and area >= min_area:
            break
        girth *= float(np.clip(target / max(area, 1e-3), 0.5, 2.0))  # area grows about linearly with girth
    labels, cover, girth, area = best if best is not None else (labels, cover, girth, area)
    palette = np.stack([np.zeros(3, np.float32), _random_colour(rng, (0.2, 0.55), (0.35, 0.9), hue=(4, 22)),  # skin
                        _random_colour(rng, (0.1, 0.9), (0.15, 0.95)), _random_colour(rng, (0.1, 0.8), (0.1, 0.8))])
    colour_hi = palette[labels] * (labels > 0)[..., None]
    colour_sum = cv2.resize(colour_hi, (w, h), interpolation=cv2.INTER_AREA)
    colour = colour_sum / np.maximum(cover, 1e-6)[..., None]  # un-premultiply so edges keep their colour
    cells = max(2, int(max(h, w) / 4 * detail))
    texture = 1.0 + 0.2 * fractal_noise(rng, h, w, 1, max_cells=cells) + 0.08 * fractal_noise(rng, h, w, 3, max_cells=cells)
    shade = 1.0 + 0.25 * _ramp(rng, h, w)
    layer = np.clip(colour * texture * shade, 0, 1).astype(np.float32)
    mask = cover >= 0.5
    skin = mask & (cv2.resize((labels == 1).astype(np.float32), (w, h), interpolation=cv2.INTER_AREA) >= 0.5)
    return layer, mask, skin, {"figure_height": float(height / H), "girth": float(girth), "target_area": target}


def illumination(rng: np.random.Generator) -> dict:
    """A shared scene illumination: white balance (temperature), tint and exposure."""
    return {"temperature": float(rng.uniform(-0.25, 0.25)), "tint": float(rng.uniform(-0.1, 0.1)),
            "exposure": float(rng.uniform(-0.6, 0.4))}


def apply_illumination(image: np.ndarray, light: dict) -> np.ndarray:
    return exposure(tint(temperature(image, light["temperature"]), light["tint"]), light["exposure"])


def scene(rng: np.random.Generator, size: int | tuple[int, int], *, detail: float = 1.0, min_area: float = 0.1) -> Scene:
    """One procedural scene: figure over background under one shared illumination."""
    h, w = (size, size) if isinstance(size, int) else size
    bg, bg_meta = background(rng, h, w, detail=detail)
    layer, mask, fig_meta = figure(rng, h, w, detail=detail, min_area=min_area)
    light = illumination(rng)
    image = apply_illumination(np.where(mask[..., None], layer, bg), light)
    return Scene(image=np.ascontiguousarray(image, np.float32), mask=mask,
                 meta={"illumination": light, **bg_meta, **fig_meta})
