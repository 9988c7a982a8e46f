"""A PNG contact sheet of a few clips for a person to look at: gt, composite, mask per frame, flow, validity."""
from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

from harmonizer.atomic import atomic_path

from .format import list_clips, read_clip


def flow_to_colour(flow: np.ndarray, max_magnitude: float | None = None) -> np.ndarray:
    """H×W×2 flow → H×W×3 uint8 RGB: hue = direction, brightness = magnitude (white = no motion)."""
    dx, dy = flow[..., 0], flow[..., 1]
    mag = np.hypot(dx, dy)
    scale = max_magnitude or max(float(mag.max()), 1e-6)
    hsv = np.zeros((*flow.shape[:2], 3), np.uint8)
    hsv[..., 0] = ((np.arctan2(dy, dx) + np.pi) / (2 * np.pi) * 179).astype(np.uint8)
    hsv[..., 1] = np.clip(mag / scale * 255, 0, 255).astype(np.uint8)
    hsv[..., 2] = 255
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)


def _labelled(tile: np.ndarray, text: str, tile_size: int) -> np.ndarray:
    tile = cv2.resize(tile, (tile_size, tile_size), interpolation=cv2.INTER_NEAREST)
    bar = np.full((14, tile_size, 3), 32, np.uint8)
    cv2.putText(bar, text, (2, 11), cv2.FONT_HERSHEY_PLAIN, 0.8, (255, 255, 255), 1, cv2.LINE_AA)
    return np.concatenate([bar, tile], 0)


def contact_sheet(root, out: str | os.PathLike | None = None, *, clips: int = 4, split: str | None = None,
                  tile_size: int = 128) -> Path:
    """Write a contact sheet of the first ``clips`` clips of ``root`` (default ``root/contact_sheet.png``)."""
    out = Path(out) if out else Path(root) / "contact_sheet.png"
    rows = []
    for clip_split, clip_id in list_clips(root, split)[:clips]:
        c = read_clip(root, clip_split, clip_id)
        tiles = []
        for t in range(c.num_frames):
            mask = np.repeat(c.mask[t, ..., None].astype(np.uint8) * 255, 3, -1)
            tiles += [_labelled(c.gt[t], f"{clip_id} gt{t}", tile_size), _labelled(c.composite[t], f"comp{t}", tile_size),
                      _labelled(mask, f"mask{t}", tile_size)]
        for t in range(c.num_frames - 1):
            valid = np.repeat(c.valid_bw[t, ..., None].astype(np.uint8) * 255, 3, -1)
            tiles += [_labelled(flow_to_colour(c.flow_bw[t]), f"flow {t + 1}>{t}", tile_size),
                      _labelled(valid, f"valid {t + 1}>{t}", tile_size)]
        rows.append(np.concatenate(tiles, 1))
    if not rows:
        raise ValueError(f"{root} has no clips to show" + (f" in split '{split}'" if split else ""))
    width = max(r.shape[1] for r in rows)
    sheet = np.concatenate([np.pad(r, ((0, 2), (0, width - r.shape[1]), (0, 0))) for r in rows], 0)
    with atomic_path(out) as tmp:
        if not cv2.imwrite(str(tmp), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR)):
            raise OSError(f"could not write {out}")
    return out
