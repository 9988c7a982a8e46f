"""Readers and writers of the on-disk Dancing format (docs/design.md) — the suite's public data format.

::

    DIR/manifest.jsonl                      one JSON line per clip: id, split, source, seed, every random parameter
    DIR/dataset.json                        how the dataset was built (source, size, frames, seed, ...)
    DIR/<split>/<clip_id>/gt/000.png ...    harmonious frames X_t (8-bit RGB)
                         composite/000.png  disharmonious inputs I_t
                         mask/000.png       foreground masks M_t (0 or 255)
                         flow/001_to_000.npy   float32 H×W×2 backward flow (dx, dy); 000_to_001.npy forward
                         valid/001_to_000.png  255 where the correspondence is valid

A clip is written into a temporary sibling folder and renamed into place, so an
interrupted build never leaves half a clip behind.  In memory a clip is a
:class:`Clip` of NumPy arrays (uint8 frames, bool masks, float32 flows).
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from harmonizer.atomic import atomic_directory, write_json_atomic, write_jsonl_atomic

MANIFEST = "manifest.jsonl"
DATASET_INFO = "dataset.json"
SPLITS = ("train", "val", "test")


class DatasetFormatError(ValueError):
    """A file or folder does not follow the Dancing format; the message names it."""


@dataclass
class Clip:
    """One clip of T frames.  Index t of ``flow_bw`` holds the flow from frame t+1 to frame t."""

    clip_id: str
    split: str
    gt: np.ndarray  # T×H×W×3 uint8 RGB
    composite: np.ndarray  # T×H×W×3 uint8 RGB
    mask: np.ndarray  # T×H×W bool
    flow_bw: np.ndarray  # (T-1)×H×W×2 float32, frame t+1 -> frame t
    flow_fw: np.ndarray  # (T-1)×H×W×2 float32, frame t -> frame t+1
    valid_bw: np.ndarray  # (T-1)×H×W bool
    valid_fw: np.ndarray  # (T-1)×H×W bool
    meta: dict = field(default_factory=dict)

    @property
    def num_frames(self) -> int:
        return int(self.gt.shape[0])


def clip_dir(root: str | os.PathLike, split: str, clip_id: str) -> Path:
    return Path(root) / split / clip_id


def _write_png(path: Path, rgb_or_gray: np.ndarray) -> None:
    img = rgb_or_gray
    if img.ndim == 3:
        img = cv2.cvtColor(img, cv2.COLOR_RGB2BGR)
    if not cv2.imwrite(str(path), img):
        raise OSError(f"could not write {path}")


def read_image(path: str | os.PathLike, *, gray: bool = False) -> np.ndarray:
    """Read an 8-bit PNG/JPEG as RGB (or single-channel) uint8; clear error naming the file."""
    flag = cv2.IMREAD_GRAYSCALE if gray else cv2.IMREAD_COLOR
    img = cv2.imread(str(path), flag)
    if img is None:
        raise DatasetFormatError(f"cannot read image {path} (missing, unreadable or not an image)")
    return img if gray else cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def read_mask(path: str | os.PathLike) -> np.ndarray:
    """Read a 0/255 mask as bool; any other value is an error naming the file."""
    m = read_image(path, gray=True)
    bad = (m != 0) & (m != 255)
    if bad.any():
        raise DatasetFormatError(f"mask {path} has values other than 0 and 255 (e.g. {int(m[bad][0])})")
    return m == 255


def write_clip(root: str | os.PathLike, clip: Clip) -> Path:
    """Write ``clip`` atomically (temporary folder, then rename).  Returns the clip folder."""
    final = clip_dir(root, clip.split, clip.clip_id)
    # the temporary's name starts ".tmp-<clip id>-", which build.remove_stale_temporaries relies on
    with atomic_directory(final) as tmp:
        for sub in ("gt", "composite", "mask", "flow", "valid"):
            (tmp / sub).mkdir()
        for t in range(clip.num_frames):
            _write_png(tmp / "gt" / f"{t:03d}.png", clip.gt[t])
            _write_png(tmp / "composite" / f"{t:03d}.png", clip.composite[t])
            _write_png(tmp / "mask" / f"{t:03d}.png", clip.mask[t].astype(np.uint8) * 255)
        for t in range(clip.num_frames - 1):
            np.save(tmp / "flow" / f"{t + 1:03d}_to_{t:03d}.npy", clip.flow_bw[t].astype(np.float32))
            np.save(tmp / "flow" / f"{t:03d}_to_{t + 1:03d}.npy", clip.flow_fw[t].astype(np.float32))
            _write_png(tmp / "valid" / f"{t + 1:03d}_to_{t:03d}.png", clip.valid_bw[t].astype(np.uint8) * 255)
            _write_png(tmp / "valid" / f"{t:03d}_to_{t + 1:03d}.png", clip.valid_fw[t].astype(np.uint8) * 255)
        (tmp / "meta.json").write_text(json.dumps(clip.meta, sort_keys=True))
    return final


def _load_flow(path: Path, shape: tuple[int, int]) -> np.ndarray:
    if not path.exists():
        raise DatasetFormatError(f"missing flow file {path}")
    flow = np.load(path)
    if flow.shape != (*shape, 2):
        raise DatasetFormatError(f"flow {path} has shape {flow.shape}, expected {(*shape, 2)}")
    return flow.astype(np.float32)


def read_clip(root: str | os.PathLike, split: str, clip_id: str) -> Clip:
    """Read one clip; any missing or inconsistent file is an error naming it."""
    d = clip_dir(root, split, clip_id)
    if not d.is_dir():
        raise DatasetFormatError(f"clip folder {d} does not exist")
    frames = sorted(p.name for p in (d / "gt").glob("*.png"))
    if not frames:
        raise DatasetFormatError(f"clip {d} has no frames in gt/")
    gt = np.stack([read_image(d / "gt" / f) for f in frames])
    h, w = gt.shape[1:3]
    composite, mask = [], []
    for f in frames:
        c, m = read_image(d / "composite" / f), read_mask(d / "mask" / f)
        for name, arr in (("composite", c), ("mask", m)):
            if arr.shape[:2] != (h, w):
                raise DatasetFormatError(f"{d / name / f} is {arr.shape[1]}×{arr.shape[0]}, gt is {w}×{h}")
        composite.append(c)
        mask.append(m)
    t_count = len(frames)
    flow_bw = [_load_flow(d / "flow" / f"{t + 1:03d}_to_{t:03d}.npy", (h, w)) for t in range(t_count - 1)]
    flow_fw = [_load_flow(d / "flow" / f"{t:03d}_to_{t + 1:03d}.npy", (h, w)) for t in range(t_count - 1)]
    valid_bw = [read_mask(d / "valid" / f"{t + 1:03d}_to_{t:03d}.png") for t in range(t_count - 1)]
    valid_fw = [read_mask(d / "valid" / f"{t:03d}_to_{t + 1:03d}.png") for t in range(t_count - 1)]
    meta_path = d / "meta.json"
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    empty = np.zeros((0, h, w, 2), np.float32)
    empty_v = np.zeros((0, h, w), bool)
    return Clip(
        clip_id=clip_id,
        split=split,
        gt=gt,
        composite=np.stack(composite),
        mask=np.stack(mask),
        flow_bw=np.stack(flow_bw) if flow_bw else empty,
        flow_fw=np.stack(flow_fw) if flow_fw else empty,
        valid_bw=np.stack(valid_bw) if valid_bw else empty_v,
        valid_fw=np.stack(valid_fw) if valid_fw else empty_v,
        meta=meta,
    )


def read_manifest(root: str | os.PathLike) -> list[dict]:
    """All manifest records, in file order.  A folder without a manifest is not a Dancing dataset."""
    path = Path(root) / MANIFEST
    if not path.exists():
        raise DatasetFormatError(f"{root} is not a Dancing dataset: {path} is missing")
    records = []
    for lineno, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DatasetFormatError(f"{path}:{lineno} is not valid JSON ({exc})") from exc
        for key in ("id", "split"):
            if key not in rec:
                raise DatasetFormatError(f"{path}:{lineno} lacks the field '{key}'")
        records.append(rec)
    return records


def list_clips(root: str | os.PathLike, split: str | None = None) -> list[tuple[str, str]]:
    """``(split, clip_id)`` pairs from the manifest, optionally for one split."""
    return [(r["split"], r["id"]) for r in read_manifest(root) if split is None or r["split"] == split]


def write_manifest(root: str | os.PathLike, records: list[dict]) -> None:
    """Replace the manifest atomically with ``records`` (one JSON line each, sorted keys)."""
    write_jsonl_atomic(Path(root) / MANIFEST, records, sort_keys=True)


def write_dataset_info(root: str | os.PathLike, info: dict) -> None:
    write_json_atomic(Path(root) / DATASET_INFO, info, indent=2, sort_keys=True)


def read_dataset_info(root: str | os.PathLike) -> dict:
    path = Path(root) / DATASET_INFO
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise DatasetFormatError(f"{path} is not valid JSON ({exc})") from exc
