"""HYouTube read the way a peer reads it, and CO2Net's TL-task pairs (docs/metrics.md, "Protocols").

* :class:`HYouTubePeerReader` — the clips of ``bench.datasets.HYouTubeReader`` (one (video, object) line of the
  list file; its frames are the object's mask frames, sorted by name, the ground truth named like the composite as
  CO2Net's ``generate_frame_list.py`` pairs them), each frame read and resized by a :class:`~bench.readers.peer_io.Reading`.
* :class:`HYouTubeTLReader` — CO2Net's temporal-loss test: each line of ``tl_task.txt`` (the line format of the test
  frame list, ``real_videos/<vid>/<n>.jpg foreground_mask/<vid>/<obj>/<n>.png synthetic_composite_videos/<vid>/<obj>/<n>.jpg``)
  is a two-frame clip: frame n from the HYouTube folder and frame n + 1 (``'%05d' % (n + 1)``, same suffix) from the
  separately released TL test set, which has the HYouTube layout (its ``future_list.txt``).  Repeated lines count
  once (``evaluate_flow.py`` reads them into a set).  Clip id ``<vid>/<obj>/<n>``.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from bench import video_io
from bench.datasets import ClipError, HYouTubeReader, VideoSample, frames_to_tensor
from bench.readers.peer_io import Reading, read_frames

TL_TASKS = "tl_task.txt"


def _mask_tensor(masks: np.ndarray) -> torch.Tensor:
    """``T×H×W`` float32 in [0, 1] → ``T×1×H×W`` (soft values kept)."""
    return torch.from_numpy(np.ascontiguousarray(masks, dtype=np.float32)).unsqueeze(1)


def _sample(clip_id: str, reading: Reading, comp: list, gt: list, mask: list, meta: dict) -> VideoSample:
    return VideoSample(clip_id=clip_id,
                       composite=frames_to_tensor(read_frames(comp, reading, "composite")),
                       mask=_mask_tensor(read_frames(mask, reading, "mask")),
                       gt=frames_to_tensor(read_frames(gt, reading, "gt")),
                       meta={**meta, "reading": reading.describe()})


class HYouTubePeerReader(HYouTubeReader):
    """HYouTube clips (the list file's (video, object) lines) read with a peer's :class:`Reading`."""

    def __init__(self, root: str | os.PathLike, reading: Reading, split: str = "test", *,
                 list_file: str | None = None, max_frames: int | None = None, name: str | None = None):
        super().__init__(root, split, list_file=list_file, size=None, max_frames=max_frames, name=name)
        self.reading = reading

    def _load(self, clip_id: str) -> VideoSample:
        if clip_id not in self._entries:
            raise ClipError(f"{self.name}: clip {clip_id} is not in the list file")
        gt_dir, mask_dir, comp_dir = (self.root / p for p in self._entries[clip_id])
        masks = video_io.list_frame_files(mask_dir)
        if not masks:
            raise ClipError(f"{self.name}: clip {clip_id}: no mask frames in {mask_dir}")
        comps = {p.stem: p for p in video_io.list_frame_files(comp_dir)}
        masks = masks[: self.max_frames] if self.max_frames else masks
        missing = [m.stem for m in masks if m.stem not in comps]
        if missing:
            raise ClipError(f"{self.name}: clip {clip_id}: no composite frame {missing[0]} in {comp_dir}")
        comp = [comps[m.stem] for m in masks]
        gt = [gt_dir / c.name for c in comp]  # generate_frame_list.py names the ground truth like the composite
        absent = [g for g in gt if not g.is_file()]
        if absent:
            raise ClipError(f"{self.name}: clip {clip_id}: ground-truth frame {absent[0]} does not exist")
        return _sample(clip_id, self.reading, comp, gt, masks, {"frames": [m.stem for m in masks]})


def _next_name(relative: str) -> str:
    """``a/b/00035.jpg`` → ``a/b/00036.jpg`` (``'%05d' % (n + 1)`` + the same suffix, as ``evaluate_flow.py``)."""
    path = Path(relative)
    try:
        number = int(path.stem)
    except ValueError:
        raise ValueError(f"frame name {path.name!r} is not a frame number") from None
    return str(path.with_name("%05d" % (number + 1) + path.suffix))


class HYouTubeTLReader:
    """CO2Net's TL-task pairs: frame n (``root``) and frame n + 1 (``next_root``, the TL test set) per ``tl_task.txt``.

    ``tasks`` is the list file (default: ``tl_task.txt`` in ``root``, else in ``next_root``).  Only temporal
    metrics are scored on these clips (``temporal_only``): frame n + 1 is not part of the image-metric test set.
    """

    kind = "hyoutube_tl"
    temporal_only = True

    def __init__(self, root: str | os.PathLike, next_root: str | os.PathLike, reading: Reading, *,
                 tasks: str | os.PathLike | None = None, name: str | None = None):
        self.root, self.next_root, self.reading = Path(root), Path(next_root), reading
        self.name = name or f"{self.root.name}:tl_task"
        if tasks is None:
            candidates = [self.root / TL_TASKS, self.next_root / TL_TASKS]
            tasks = next((c for c in candidates if c.is_file()), candidates[0])
        self.tasks = Path(tasks)
        if not self.tasks.is_file():
            raise ClipError(f"TL task list {self.tasks} does not exist (CO2Net's tl_task.txt; give --tl-tasks FILE)")
        if not self.next_root.is_dir():
            raise ClipError(f"TL test set folder {self.next_root} does not exist")
        self._entries: dict[str, tuple[str, str, str]] = {}
        for lineno, line in enumerate(self.tasks.read_text().splitlines(), 1):
            if not line.strip():
                continue
            parts = line.strip().replace("\\", "/").split()
            if len(parts) != 3:
                raise ClipError(f"{self.tasks}:{lineno}: expected 'real_videos/<vid>/<n>.jpg "
                                f"foreground_mask/<vid>/<obj>/<n>.png synthetic_composite_videos/…', got {line!r}")
            gt, mask, comp = parts
            clip_id = f"{Path(mask).parent.parent.name}/{Path(mask).parent.name}/{Path(mask).stem}"
            self._entries.setdefault(clip_id, (gt, mask, comp))  # a set in evaluate_flow.py: repeats count once

    def clip_ids(self) -> list[str]:
        return list(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def load(self, clip_id: str) -> VideoSample:
        where = f"{self.name}: clip {clip_id}"
        if clip_id not in self._entries:
            raise ClipError(f"{where}: not in {self.tasks}")
        gt, mask, comp = self._entries[clip_id]
        try:
            nxt = [_next_name(p) for p in (gt, mask, comp)]
            paths = {"gt": [self.root / gt, self.next_root / nxt[0]], "mask": [self.root / mask, self.next_root / nxt[1]],
                     "composite": [self.root / comp, self.next_root / nxt[2]]}
            for kind, (now, later) in paths.items():
                for p in (now, later):
                    if not p.is_file():
                        raise ClipError(f"{where}: {kind} frame {p} does not exist")
            return _sample(clip_id, self.reading, paths["composite"], paths["gt"], paths["mask"],
                           {"frames": [Path(gt).stem, Path(nxt[0]).stem], "pairs": "tl_task"})
        except ClipError:
            raise
        except (ValueError, OSError) as exc:
            raise ClipError(f"{where}: {exc}") from exc
