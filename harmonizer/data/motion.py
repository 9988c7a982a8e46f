"""Foreground and camera motion, frame rendering and the exact optical flow between frames.

Each frame t has two maps from its pixel coordinates (x, y; pixel centres at integers):

* ``fg_maps[t]`` (3×3) takes a frame-t pixel to the *source* image (inverse of the
  foreground's accumulated small affine motion, identity at t = 0);
* ``bg_maps[t]`` (3×3) takes it to the inpainted *background* image: the random crop
  ``p ↦ s·p + (x0, y0)`` that is resized back to the frame (identity at t = 0).

Frame t shows the foreground layer where the warped mask is ≥ 0.5, else the
background.  Both layers are sampled bilinearly in float (no fixed-point remap), so a
pixel's backward flow is exactly ``fg_maps[t-1]⁻¹·fg_maps[t]·p − p`` on the foreground
and ``bg_maps[t-1]⁻¹·bg_maps[t]·p − p`` on the background.  A correspondence is valid
when it lands inside the other frame and all four pixels that bilinear sampling reads
there belong to the same layer (this excludes occlusion, disocclusion and layer edges).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np


@dataclass
class MotionConfig:
    max_rotation: float = 5.0  # degrees per frame, foreground
    max_scale: float = 0.05  # relative scale change per frame, foreground
    max_shear: float = 0.05
    max_shift: float = 0.05  # fraction of the frame size per frame, foreground
    max_zoom: float = 0.15  # background crop side is at least (1 − max_zoom) of the frame
    zoom_step: float = 0.03  # background zoom change per frame after the first (T > 2)
    pan_step: float = 0.25  # change of the crop's relative position per frame after the first

    def to_dict(self) -> dict:
        return asdict(self)


def _translate(tx: float, ty: float) -> np.ndarray:
    return np.array([[1.0, 0.0, tx], [0.0, 1.0, ty], [0.0, 0.0, 1.0]])


def foreground_increment(rng: np.random.Generator, centre: np.ndarray, size: int, cfg: MotionConfig) -> tuple[np.ndarray, dict]:
    """One small random affine and its parameters: about ``centre``, x ↦ c + R(rotation)·[[s, shear·s], [0, s]]·(x − c)
    + (shift_x, shift_y).  Frame t's foreground is the source moved by the product of increments 1..t."""
    p = {
        "rotation": float(rng.uniform(-cfg.max_rotation, cfg.max_rotation)),
        "scale": float(rng.uniform(1 - cfg.max_scale, 1 + cfg.max_scale)),
        "shear": float(rng.uniform(-cfg.max_shear, cfg.max_shear)),
        "shift_x": float(rng.uniform(-cfg.max_shift, cfg.max_shift) * size),
        "shift_y": float(rng.uniform(-cfg.max_shift, cfg.max_shift) * size),
        "centre_x": float(centre[0]), "centre_y": float(centre[1]),  # where the foreground is now
    }
    a = np.deg2rad(p["rotation"])
    linear = np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1.0]])
    linear = linear @ np.array([[p["scale"], p["shear"] * p["scale"], 0], [0, p["scale"], 0], [0, 0, 1.0]])
    m = _translate(centre[0] + p["shift_x"], centre[1] + p["shift_y"]) @ linear @ _translate(-centre[0], -centre[1])
    return m, p


def foreground_maps(rng: np.random.Generator, mask: np.ndarray, frames: int, cfg: MotionConfig) -> tuple[list, list]:
    """Per-frame maps frame→source for a foreground "dancing" by accumulated small affines."""
    ys, xs = np.nonzero(mask)
    centre = np.array([xs.mean(), ys.mean()]) if len(xs) else np.array(mask.shape[::-1]) / 2.0
    motion, maps, params = np.eye(3), [np.eye(3)], []
    for _ in range(1, frames):
        inc, p = foreground_increment(rng, (motion @ [centre[0], centre[1], 1.0])[:2], mask.shape[1], cfg)
        motion = inc @ motion
        maps.append(np.linalg.inv(motion))
        params.append(p)
    return maps, params


def background_maps(rng: np.random.Generator, size: tuple[int, int], frames: int, cfg: MotionConfig) -> tuple[list, list]:
    """Per-frame maps frame→background: random crops (a random walk after frame 1) resized back."""
    h, w = size
    maps, params = [np.eye(3)], []
    s, fx, fy = 1.0, 0.5, 0.5
    for t in range(1, frames):
        if t == 1:
            s, fx, fy = rng.uniform(1 - cfg.max_zoom, 1.0), rng.uniform(0, 1), rng.uniform(0, 1)
        else:
            s = float(np.clip(s + rng.uniform(-cfg.zoom_step, cfg.zoom_step), 1 - cfg.max_zoom, 1.0))
            fx = float(np.clip(fx + rng.uniform(-cfg.pan_step, cfg.pan_step), 0, 1))
            fy = float(np.clip(fy + rng.uniform(-cfg.pan_step, cfg.pan_step), 0, 1))
        x0, y0 = fx * (w - 1) * (1 - s), fy * (h - 1) * (1 - s)
        maps.append(np.array([[s, 0, x0], [0, s, y0], [0, 0, 1.0]]))
        params.append({"scale": float(s), "x0": float(x0), "y0": float(y0)})
    return maps, params


def pixel_coords(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    ys, xs = np.mgrid[0:h, 0:w]
    return xs.astype(np.float64), ys.astype(np.float64)


def apply_map(m: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return m[0, 0] * xs + m[0, 1] * ys + m[0, 2], m[1, 0] * xs + m[1, 1] * ys + m[1, 2]


def bilinear(image: np.ndarray, xs: np.ndarray, ys: np.ndarray, *, zero_outside: bool = False) -> np.ndarray:
    """Sample H×W×C ``image`` at float coordinates (border-clamped, or 0 beyond a one-pixel fade)."""
    if zero_outside:  # pad with a ring of zeros so samples fade to 0 just outside the frame
        image = np.pad(image, ((1, 1), (1, 1), (0, 0)))
        xs, ys = xs + 1.0, ys + 1.0
    h, w, c = image.shape
    xs, ys = np.clip(xs, 0, w - 1), np.clip(ys, 0, h - 1)
    x0 = np.minimum(np.floor(xs).astype(np.intp), max(w - 2, 0))
    y0 = np.minimum(np.floor(ys).astype(np.intp), max(h - 2, 0))
    fx = (xs - x0).astype(np.float32)[..., None]
    fy = (ys - y0).astype(np.float32)[..., None]
    flat = image.reshape(-1, c)
    i00 = y0 * w + x0  # flat indices: one take per corner is much faster than 2-D fancy indexing
    step_x, step_y = int(w > 1), w * int(h > 1)
    top = flat.take(i00, 0) * (1 - fx) + flat.take(i00 + step_x, 0) * fx
    bottom = flat.take(i00 + step_y, 0) * (1 - fx) + flat.take(i00 + step_y + step_x, 0) * fx
    return top * (1 - fy) + bottom * fy


def render(fg_layers: np.ndarray, fg_mask: np.ndarray, background: np.ndarray, fg_maps: list, bg_maps: list):
    """Render T frames → (layers T×H×W×C: fg_layers where the moved mask ≥ 0.5, else background; masks T×H×W).

    ``fg_layers`` stacks any number of foreground images whose first channels match
    ``background`` (e.g. ground-truth and adjusted foreground side by side, C = 3k).
    """
    h, w = fg_mask.shape
    xs, ys = pixel_coords(h, w)
    reps = fg_layers.shape[-1] // background.shape[-1]
    out, masks = [], []
    identity = np.eye(3)
    for fg_map, bg_map in zip(fg_maps, bg_maps):
        if np.array_equal(fg_map, identity):  # sampling at pixel centres is a copy: skip the work
            m, fg = fg_mask.astype(bool), fg_layers
        else:
            sx, sy = apply_map(fg_map, xs, ys)
            m = bilinear(fg_mask.astype(np.float32)[..., None], sx, sy, zero_outside=True)[..., 0] >= 0.5
            fg = bilinear(fg_layers, sx, sy)
        bg = background if np.array_equal(bg_map, identity) else bilinear(background, *apply_map(bg_map, xs, ys))
        out.append(np.where(m[..., None], fg, np.tile(bg, (1, 1, reps))))
        masks.append(m)
    return np.stack(out), np.stack(masks)


def layered_flow(maps_from: tuple, maps_to: tuple, mask_from: np.ndarray) -> np.ndarray:
    """Flow from frame a to frame b (H×W×2) given (fg_map_a, bg_map_a), (fg_map_b, bg_map_b) and a's mask."""
    h, w = mask_from.shape
    xs, ys = pixel_coords(h, w)
    flows = []
    for map_a, map_b in zip(maps_from, maps_to):
        tx, ty = apply_map(np.linalg.inv(map_b) @ map_a, xs, ys)
        flows.append(np.stack([tx - xs, ty - ys], -1))
    return np.where(mask_from[..., None], flows[0], flows[1]).astype(np.float32)


def flow_validity(flow: np.ndarray, mask_from: np.ndarray, mask_to: np.ndarray) -> np.ndarray:
    """True where ``p + flow`` is inside frame b and the pixels bilinear sampling reads there (those with
    non-zero weight) share p's layer."""
    h, w = mask_from.shape
    xs, ys = pixel_coords(h, w)
    qx, qy = xs + flow[..., 0], ys + flow[..., 1]
    inside = (qx >= 0) & (qx <= w - 1) & (qy >= 0) & (qy <= h - 1)
    fx, fy = np.floor(qx), np.floor(qy)
    x0, y0 = np.clip(fx, 0, w - 1).astype(np.intp), np.clip(fy, 0, h - 1).astype(np.intp)
    x1 = np.where(qx > fx, np.minimum(x0 + 1, w - 1), x0)  # a neighbour with zero weight is not read
    y1 = np.where(qy > fy, np.minimum(y0 + 1, h - 1), y0)
    same = np.ones((h, w), bool)
    for yy in (y0, y1):
        for xx in (x0, x1):
            same &= mask_to[yy, xx] == mask_from
    return inside & same


def clip_flows(fg_maps: list, bg_maps: list, masks: np.ndarray):
    """Backward (t+1→t) and forward (t→t+1) flows and validity for every consecutive pair."""
    bw, fw, vbw, vfw = [], [], [], []
    for t in range(len(fg_maps) - 1):
        a, b = (fg_maps[t], bg_maps[t]), (fg_maps[t + 1], bg_maps[t + 1])
        f_bw = layered_flow(b, a, masks[t + 1])
        f_fw = layered_flow(a, b, masks[t])
        bw.append(f_bw)
        fw.append(f_fw)
        vbw.append(flow_validity(f_bw, masks[t + 1], masks[t]))
        vfw.append(flow_validity(f_fw, masks[t], masks[t + 1]))
    return np.stack(bw), np.stack(fw), np.stack(vbw), np.stack(vfw)
