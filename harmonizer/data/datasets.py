"""Torch datasets over Dancing clips: read from disk, or generated on the fly.

Both yield the same items (docs/interfaces.md), values in [0, 1]::

    composite, gt   T×3×H×W float32
    mask            T×1×H×W float32 in {0, 1}
    flow_bw         (T−1)×2×H×W float32, flow_bw[t] maps frame t+1 to frame t (dx, dy in pixels)
    valid_bw        (T−1)×1×H×W float32 in {0, 1}
    clip_id         str

``OnTheFlyDataset`` with the same arguments as ``build_dataset`` yields exactly the
items ``DancingDataset`` reads back from that build (PNG is lossless).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from .build import make_source, paper_fractions, split_counts, split_indices
from .clips import ClipConfig, make_clip
from .format import SPLITS, Clip, DatasetFormatError, list_clips, read_clip
from .motion import MotionConfig


def _frames(x: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(x)).permute(0, 3, 1, 2).float().div_(255.0)


def clip_to_item(clip: Clip) -> dict:
    """A :class:`Clip` of NumPy arrays → the dict of tensors both datasets yield."""
    return {
        "composite": _frames(clip.composite),
        "gt": _frames(clip.gt),
        "mask": torch.from_numpy(clip.mask.astype(np.float32)).unsqueeze(1),
        "flow_bw": torch.from_numpy(np.ascontiguousarray(clip.flow_bw, np.float32)).permute(0, 3, 1, 2).contiguous(),
        "valid_bw": torch.from_numpy(clip.valid_bw.astype(np.float32)).unsqueeze(1),
        "clip_id": clip.clip_id,
    }


def _check_split(split: str) -> None:
    if split not in SPLITS:
        raise ValueError(f"unknown split '{split}'; choose one of {', '.join(SPLITS)}")


class DancingDataset(Dataset):
    """The clips of one split of a Dancing dataset on disk (listed by its manifest)."""

    def __init__(self, root, split: str = "train"):
        _check_split(split)
        self.root, self.split = root, split
        self.clip_ids = [clip_id for _, clip_id in list_clips(root, split)]
        if not self.clip_ids:
            raise DatasetFormatError(f"{root} has no clips in split '{split}' (see its manifest.jsonl)")

    def __len__(self) -> int:
        return len(self.clip_ids)

    def __getitem__(self, i: int) -> dict:
        return clip_to_item(read_clip(self.root, self.split, self.clip_ids[i]))


class OnTheFlyDataset(Dataset):
    """The clips ``build_dataset`` would write for one split, generated in memory from (seed, index)."""

    def __init__(self, *, source: str = "procedural", clips: int, size: int, frames: int = 2, seed: int = 0,
                 style: str = "dancing", split: str = "train", split_fractions: dict | None = None,
                 scenes: int = 10, p_transfer: float = 0.3, strength: float = 1.0,
                 strength_range: tuple[float, float] | None = None, luts=(),
                 motion: MotionConfig | None = None, **source_options):
        _check_split(split)
        self.source = make_source(source, seed, source_options)
        self.config = ClipConfig(size=size, frames=frames, style=style, scenes=scenes, p_transfer=p_transfer,
                                 strength=strength, strength_range=strength_range,
                                 luts=tuple(str(Path(p).resolve()) for p in luts),
                                 motion=motion or MotionConfig())
        self.seed, self.split = int(seed), split
        self.indices = split_indices(split, split_counts(clips, split_fractions or paper_fractions()))

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, i: int) -> dict:
        index = self.indices[i]
        return clip_to_item(make_clip(self.source, index, seed=self.seed, config=self.config, split=self.split))
