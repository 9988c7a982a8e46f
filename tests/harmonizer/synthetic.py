"""Tiny synthetic Dancing datasets written with harmonizer.data.format (tests build their own data).

Each clip: a smooth random background with a foreground square, seen through two crops
of a larger canvas (a known integer translation, so the backward flow is exact); the
composite's foreground has per-clip channel gains, the ground truth has none.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from harmonizer.data.format import Clip, write_clip, write_manifest


def make_clip(rng: np.random.Generator, clip_id: str, split: str, size: int = 32, frames: int = 2,
              shift: tuple[int, int] | None = None, empty_fg: bool = False) -> Clip:
    pad = 8
    canvas_size = size + 2 * pad
    yy, xx = np.mgrid[0:canvas_size, 0:canvas_size] / canvas_size
    base = rng.uniform(0.2, 0.8, 3)
    slope = rng.uniform(-0.3, 0.3, (2, 3))
    canvas = base + xx[..., None] * slope[0] + yy[..., None] * slope[1]
    fg = np.zeros((canvas_size, canvas_size), bool)
    if not empty_fg:
        s = int(rng.integers(size // 2, 3 * size // 4))
        y0, x0 = rng.integers(pad, pad + size - s, 2)
        fg[y0:y0 + s, x0:x0 + s] = True
        canvas[fg] = rng.uniform(0.25, 0.75, 3) + 0.05 * rng.standard_normal((fg.sum(), 3))
    canvas = np.clip(canvas, 0, 1)
    gains = rng.choice([0.5, 1.6]) * rng.uniform(0.8, 1.25, 3)
    comp_canvas = canvas.copy()
    comp_canvas[fg] = np.clip(canvas[fg] * gains, 0, 1)
    step = np.array(shift if shift is not None else rng.integers(-3, 4, 2))  # (dx, dy) per frame
    offsets = [np.array([pad, pad]) + k * step for k in range(frames)]
    crop = lambda a, o: a[o[1]:o[1] + size, o[0]:o[0] + size]  # noqa: E731
    gt = np.stack([crop(canvas, o) for o in offsets])
    comp = np.stack([crop(comp_canvas, o) for o in offsets])
    mask = np.stack([crop(fg, o) for o in offsets])
    ys, xs = np.mgrid[0:size, 0:size]
    flow_bw, flow_fw, valid_bw, valid_fw = [], [], [], []
    for k in range(frames - 1):
        d = offsets[k + 1] - offsets[k]  # frame k+1 pixel x shows canvas x + o_{k+1} = frame k at x + d
        flow_bw.append(np.broadcast_to(d.astype(np.float32), (size, size, 2)).copy())
        flow_fw.append(np.broadcast_to((-d).astype(np.float32), (size, size, 2)).copy())
        valid_bw.append((xs + d[0] >= 0) & (xs + d[0] < size) & (ys + d[1] >= 0) & (ys + d[1] < size))
        valid_fw.append((xs - d[0] >= 0) & (xs - d[0] < size) & (ys - d[1] >= 0) & (ys - d[1] < size))
    to8 = lambda a: np.round(a * 255).astype(np.uint8)  # noqa: E731
    return Clip(clip_id, split, to8(gt), to8(comp), mask, np.stack(flow_bw), np.stack(flow_fw),
                np.stack(valid_bw), np.stack(valid_fw), {"gains": gains.tolist(), "shift": step.tolist()})


def make_dataset(root: Path, *, train: int = 24, val: int = 6, size: int = 32, frames: int = 2,
                 seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    records = []
    for split, n in (("train", train), ("val", val)):
        for i in range(n):
            cid = f"{split}{i:03d}"
            write_clip(root, make_clip(rng, cid, split, size, frames))
            records.append({"id": cid, "split": split, "source": "synthetic-test", "seed": seed})
    write_manifest(root, records)
    return Path(root)
