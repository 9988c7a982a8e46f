"""What the training loop reads: pairs (or single frames) from a Dancing dataset, batches, resizing.

* :func:`open_training_data` — the train samples and the val clips of a dataset folder, every clip
  checked to have the dataset's frame count (a clip missing a frame is an error naming it, in
  either split);
* :class:`PairDataset` — consecutive pairs (t−1, t) of every train clip, or frame 0 only;
* :func:`epoch_batches` — one epoch's batches, a permutation drawn from (seed, epoch), so a
  resumed run replays it; :func:`collate` stacks samples;
* :func:`resize_batch` — frames/masks/flow to size×size (flow vectors rescaled with the image).

Tensors as in docs/design.md: frames in [0, 1], ``B×T×3×H×W`` after collation, masks ``B×T×1×H×W``,
``flow_bw`` ``B×2×H×W`` mapping frame t to frame t−1 in pixels.
"""
from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F

from harmonizer.data.format import DatasetFormatError, list_clips, read_dataset_info


class FrameCountChecked(torch.utils.data.Dataset):
    """The clips of ``dataset`` (a DancingDataset), each checked to have ``frames`` frames."""

    def __init__(self, dataset, frames: int):
        self.dataset, self.frames = dataset, int(frames)
        self.split = getattr(dataset, "split", "")

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, i: int) -> dict:
        item = self.dataset[i]
        t = item["gt"].shape[0]
        if t != self.frames:
            split = f"{self.split} " if self.split else ""
            raise DatasetFormatError(f"{split}clip '{item.get('clip_id', i)}' has {t} frames, the dataset "
                                     f"{self.frames}")
        return item


class PairDataset(torch.utils.data.Dataset):
    """Training samples from a DancingDataset: consecutive pairs (t−1, t), or single frames (frame 0).

    ``frames``: T of every clip (from dataset.json), so that indexing a large dataset reads no clip;
    ``None`` reads the first clip to learn it.  A clip with another T is an error naming it.
    """

    def __init__(self, clips, *, pairs: bool, cache: bool, frames: int | None = None):
        self.pairs, self.cache = pairs, cache
        self._cache: dict[int, dict] = {}
        self.frames = int(frames) if frames else int(clips[0]["gt"].shape[0])
        self.clips = clips if isinstance(clips, FrameCountChecked) else FrameCountChecked(clips, self.frames)
        if pairs and self.frames < 2:
            raise DatasetFormatError(f"clips have {self.frames} frame; training on pairs needs at least 2")
        per_clip = range(1, self.frames) if pairs else range(1)
        self.index = [(ci, t) for ci in range(len(clips)) for t in per_clip]

    def _clip(self, ci: int) -> dict:
        if ci in self._cache:
            return self._cache[ci]
        item = self.clips[ci]
        if self.cache:
            self._cache[ci] = item
        return item

    def __len__(self) -> int:
        return len(self.index)

    def __getitem__(self, i: int) -> dict:
        ci, t = self.index[i]
        c = self._clip(ci)
        if not self.pairs:
            return {k: c[k][t:t + 1] for k in ("composite", "gt", "mask")}
        out = {k: c[k][t - 1:t + 1] for k in ("composite", "gt", "mask")}
        out["flow_bw"], out["valid_bw"] = c["flow_bw"][t - 1], c["valid_bw"][t - 1]
        return out


def open_split(data_dir: Path, split: str):
    """The DancingDataset of ``split``; a clear error if the folder is not a Dancing dataset."""
    from harmonizer.data.datasets import DancingDataset

    if not list_clips(data_dir, split):  # raises DatasetFormatError without a manifest
        raise DatasetFormatError(f"dataset {data_dir} has no '{split}' clips (manifest.jsonl lists none)")
    return DancingDataset(data_dir, split)


def open_training_data(data_dir: Path, *, pairs: bool, cache: bool) -> tuple[PairDataset, FrameCountChecked]:
    """``(train samples, val clips)`` of ``data_dir``; both splits checked for the same frame count."""
    train_set = PairDataset(open_split(data_dir, "train"), pairs=pairs, cache=cache,
                            frames=read_dataset_info(data_dir).get("frames"))
    return train_set, FrameCountChecked(open_split(data_dir, "val"), train_set.frames)


def epoch_batches(n: int, batch_size: int, seed: int, epoch: int, rank: int = 0, world: int = 1) -> list[list[int]]:
    """This rank's batches for ``epoch``: a permutation drawn from (seed, epoch), so resuming replays it."""
    gen = torch.Generator().manual_seed(seed * 1_000_003 + epoch)
    order = torch.randperm(n, generator=gen).tolist()
    if world > 1:  # every rank must take the same number of steps, or DDP's all-reduce waits forever
        order = order[: max(n // world, 1) * world]
    order = order[rank::world]
    return [order[i:i + batch_size] for i in range(0, len(order), batch_size)]


def collate(items: list[dict]) -> dict:
    return {k: torch.stack([it[k] for it in items]) for k in items[0]}


def resize_batch(batch: dict, size: int) -> dict:
    """Resize a batch to size×size (the paper resizes to 512²): bilinear frames, nearest masks, scaled flow."""
    h, w = batch["gt"].shape[-2:]
    if (h, w) == (size, size):
        return batch
    out = {}
    for k, v in batch.items():
        lead = v.shape[:-3]
        flat = v.reshape(-1, *v.shape[-3:])
        if k in ("composite", "gt"):
            r = F.interpolate(flat, size=(size, size), mode="bilinear", align_corners=False, antialias=True)
        elif k == "flow_bw":
            r = F.interpolate(flat, size=(size, size), mode="bilinear", align_corners=False)
            r = r * torch.tensor([(size - 1) / max(w - 1, 1), (size - 1) / max(h - 1, 1)]).view(1, 2, 1, 1)
        else:
            r = F.interpolate(flat, size=(size, size), mode="nearest")
        out[k] = r.reshape(*lead, *r.shape[-3:])
    return out
