"""A tiny Dancing-format dataset written with harmonizer.data.format, for the baselines' tests.

Each clip is a smooth scene (blended random colours and a ramp) lit by one random colour cast (ground truth: the cast
applies to background and foreground alike, so the frame is harmonious); the composite
gives the foreground disc a different random gain and offset per channel, so its
cut-and-paste MSE is of the paper's order (about 0.012 here; Table I: 0.030).  Frame 1 moves the
foreground by a whole-pixel translation; the flows are exact for that motion, but every
pixel is marked valid (disocclusions ignored; the flows only feed the trainers' temporal term).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from harmonizer.data.format import Clip, write_clip, write_manifest


def _texture(rng: np.random.Generator, size: int) -> np.ndarray:
    # smooth on purpose: a bilinear blend of 3×3 random colours plus a ramp, so that even the
    # tiny profile's networks (a few thousand parameters) can carry the image through
    coarse = rng.uniform(0, 1, (1, 3, 3, 3))
    smooth = torch.nn.functional.interpolate(torch.from_numpy(coarse).permute(0, 3, 1, 2), size=(size, size),
                                             mode="bilinear", align_corners=True)[0].permute(1, 2, 0).numpy()
    yy, xx = np.mgrid[0:size, 0:size] / (size - 1)
    return np.clip(0.2 + 0.5 * smooth + 0.2 * (xx - 0.5)[..., None], 0, 1)


def make_clip(rng: np.random.Generator, clip_id: str, split: str, size: int) -> Clip:
    cast = rng.uniform(0.6, 1.2, 3)
    background = _texture(rng, size) * cast
    person = _texture(rng, size) * cast  # same light as the background: harmonious
    gain = rng.uniform(0.3, 1.7, 3)
    offset = rng.uniform(-0.35, 0.35, 3)
    person_adjusted = person * gain + offset
    cy, cx = rng.uniform(0.35, 0.65, 2) * size
    radius = rng.uniform(0.28, 0.36) * size
    dy, dx = rng.integers(-2, 3, 2)
    yy, xx = np.mgrid[0:size, 0:size]
    gts, comps, masks = [], [], []
    for t in range(2):
        sy, sx = int(dy) * t, int(dx) * t
        m = (yy - cy - sy) ** 2 + (xx - cx - sx) ** 2 < radius**2
        fg = np.roll(person, (sy, sx), axis=(0, 1))
        fg_adj = np.roll(person_adjusted, (sy, sx), axis=(0, 1))
        gts.append(np.where(m[..., None], fg, background))
        comps.append(np.where(m[..., None], fg_adj, background))
        masks.append(m)
    to8 = lambda a: (np.clip(np.stack(a), 0, 1) * 255 + 0.5).astype(np.uint8)
    flow_bw = np.zeros((1, size, size, 2), np.float32)
    flow_bw[0][masks[1]] = (-dx, -dy)  # frame 1 -> frame 0: the foreground moved by (dx, dy)
    flow_fw = np.zeros((1, size, size, 2), np.float32)
    flow_fw[0][masks[0]] = (dx, dy)
    valid = np.ones((1, size, size), bool)
    return Clip(clip_id, split, to8(gts), to8(comps), np.stack(masks), flow_bw, flow_fw, valid, valid.copy(),
                meta={"gain": gain.tolist(), "offset": offset.tolist()})


def build_tiny_dataset(root: Path, *, train: int = 24, val: int = 8, size: int = 32, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    records = []
    for split, count in (("train", train), ("val", val), ("test", val)):
        for i in range(count):
            clip_id = f"{split}{i:03d}"
            write_clip(root, make_clip(rng, clip_id, split, size))
            records.append({"id": clip_id, "split": split, "source": "tests.baselines", "seed": seed})
    write_manifest(root, records)
    return root
