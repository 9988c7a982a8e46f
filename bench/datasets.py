"""Readers that turn datasets on disk into :class:`VideoSample` clips for the runner.

Four sources, one shape:

* :class:`DancingReader` — our Dancing format (``harmonizer.data.format``): ground truth and ground-truth flow.
* :class:`HYouTubeReader` — the HYouTube layout (bcmi/Video-Harmonization-Dataset-HYouTube)::

      ROOT/real_videos/<vid>/<frame>.jpg                      ground truth (all frames of the video)
      ROOT/foreground_mask/<vid>/object_<k>/<frame>.png       masks (only the frames where the object is annotated)
      ROOT/synthetic_composite_videos/<vid>/object_<k>/<frame>.jpg
      ROOT/train_list.txt, ROOT/test_list.txt                 "real_videos/<vid> foreground_mask/<vid>/object_<k>
                                                               synthetic_composite_videos/<vid>/object_<k>" per line

  A clip is one (video, object) pair, id ``<vid>/object_<k>``; its frames are the mask frames (as CO2Net's
  ``generate_frame_list.py`` pairs them).  No flow is stored, so temporal metrics need an estimator.
* :class:`CompositeReader` — real composites (``<root>/<clip_id>/composite`` and ``mask``, frame folders or video
  files; ``gt`` only if present).  :func:`bench.realworld.build_composites` writes this layout.
* :class:`ExternalMethod` — outputs produced elsewhere (``<root>/<method>/<clip_id>/<frame>.png``) paired with any
  of the readers above, so they can be scored without running the method.

Readers expose ``name``, ``clip_ids()`` and ``load(clip_id)`` so the runner can skip clips already scored without
decoding them.  Every error names the clip.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Protocol

import cv2
import numpy as np
import torch

from bench import video_io
from bench.metrics.context import INPUT_NAMES

HYOUTUBE_LISTS = {"train": "train_list.txt", "test": "test_list.txt"}


class ClipError(ValueError):
    """A clip cannot be read or is inconsistent; the message starts with the dataset and clip id."""


def _check_same_size(where: str, reference: tuple[str, np.ndarray], **others: np.ndarray | None) -> None:
    """Every array in ``others`` (T×H×W[×C]; None skipped) must have the reference's H×W; the error names the clip."""
    ref_label, ref = reference
    for label, arr in others.items():
        if arr is not None and arr.shape[1:3] != ref.shape[1:3]:
            raise ClipError(f"{where}: {label} frames are {arr.shape[2]}×{arr.shape[1]}, "
                            f"{ref_label} is {ref.shape[2]}×{ref.shape[1]}")


@dataclass
class VideoSample:
    """One clip, as tensors.  Frames ``T×3×H×W`` float32 in [0, 1]; masks ``T×1×H×W`` in {0, 1}.

    ``flow_bw[t-1]`` is the backward flow frame t → frame t−1 (``(T−1)×2×H×W`` pixels) and ``valid_bw`` its
    validity ``(T−1)×1×H×W``; ``flow_fw[t-1]`` / ``valid_fw`` go frame t−1 → t.  ``None`` where the dataset has none.
    """

    clip_id: str
    composite: torch.Tensor
    mask: torch.Tensor
    gt: torch.Tensor | None = None
    flow_bw: torch.Tensor | None = None
    valid_bw: torch.Tensor | None = None
    flow_fw: torch.Tensor | None = None
    valid_fw: torch.Tensor | None = None
    meta: dict = field(default_factory=dict)

    @property
    def num_frames(self) -> int:
        return int(self.composite.shape[0])

    @property
    def size(self) -> tuple[int, int]:
        """``(H, W)``."""
        return int(self.composite.shape[-2]), int(self.composite.shape[-1])

    def available(self) -> set[str]:
        """Which metric inputs (``bench.metrics.INPUT_NAMES``) this sample stores: always ``mask``; ``gt``,
        ``flow_bw``, ``flow_fw``, ``valid_bw``, ``valid_fw`` where the dataset has them."""
        return {name for name in INPUT_NAMES if getattr(self, name) is not None}


class VideoDataset(Protocol):
    name: str

    def clip_ids(self) -> list[str]: ...

    def load(self, clip_id: str) -> VideoSample: ...


def frames_to_tensor(frames: np.ndarray) -> torch.Tensor:
    """``T×H×W×3`` uint8 → ``T×3×H×W`` float32 in [0, 1]."""
    return torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 3, 1, 2).float().div_(255.0)


def masks_to_tensor(masks: np.ndarray) -> torch.Tensor:
    """``T×H×W`` bool → ``T×1×H×W`` float32 in {0, 1}."""
    return torch.from_numpy(np.ascontiguousarray(masks)).unsqueeze(1).float()


def check_sample(sample: VideoSample, where: str) -> None:
    """Consistent frame counts and sizes across composite, mask, gt and flow; error names ``where``."""
    t, (h, w) = sample.num_frames, sample.size
    if sample.composite.dim() != 4 or sample.composite.shape[1] != 3:
        raise ClipError(f"{where}: composite must be T×3×H×W, got {tuple(sample.composite.shape)}")
    expected = {"mask": (t, 1, h, w), "gt": (t, 3, h, w), "flow_bw": (t - 1, 2, h, w), "valid_bw": (t - 1, 1, h, w),
                "flow_fw": (t - 1, 2, h, w), "valid_fw": (t - 1, 1, h, w)}
    for name, shape in expected.items():
        value = getattr(sample, name)
        if value is not None and tuple(value.shape) != shape:
            raise ClipError(f"{where}: {name} has shape {tuple(value.shape)}, expected {shape} to match the composite")


class _Reader:
    """Shared iteration over ``clip_ids()``; subclasses implement ``_load``."""

    name: str

    def clip_ids(self) -> list[str]:
        raise NotImplementedError

    def _load(self, clip_id: str) -> VideoSample:
        raise NotImplementedError

    def load(self, clip_id: str) -> VideoSample:
        where = f"{self.name}: clip {clip_id}"
        try:
            sample = self._load(clip_id)
        except ClipError:
            raise
        except (ValueError, OSError) as exc:  # format / video / image errors, re-raised naming the clip
            raise ClipError(f"{where}: {exc}") from exc
        check_sample(sample, where)
        return sample

    def __len__(self) -> int:
        return len(self.clip_ids())

    def __iter__(self) -> Iterator[VideoSample]:
        for clip_id in self.clip_ids():
            yield self.load(clip_id)


class DancingReader(_Reader):
    """Our Dancing format, one split (ground truth and ground-truth flow available)."""

    kind = "dancing"

    def __init__(self, root: str | os.PathLike, split: str = "test", *, name: str | None = None):
        from harmonizer.data import format as fmt

        self._fmt = fmt
        self.root, self.split = Path(root), split
        self.name = name or f"{self.root.name}:{split}"
        self._ids = [cid for _, cid in fmt.list_clips(self.root, split)]
        if not self._ids:
            raise ClipError(f"{self.root}: no clips of split '{split}' in its manifest")

    def clip_ids(self) -> list[str]:
        return list(self._ids)

    def _load(self, clip_id: str) -> VideoSample:
        clip = self._fmt.read_clip(self.root, self.split, clip_id)
        return VideoSample(
            clip_id=clip_id,
            composite=frames_to_tensor(clip.composite),
            mask=masks_to_tensor(clip.mask),
            gt=frames_to_tensor(clip.gt),
            flow_bw=torch.from_numpy(clip.flow_bw).permute(0, 3, 1, 2).contiguous(),
            valid_bw=masks_to_tensor(clip.valid_bw),
            flow_fw=torch.from_numpy(clip.flow_fw).permute(0, 3, 1, 2).contiguous(),
            valid_fw=masks_to_tensor(clip.valid_fw),
            meta=dict(clip.meta),
        )


def _resize(frames: np.ndarray, size: tuple[int, int] | None, *, nearest: bool = False) -> np.ndarray:
    """Resize ``T×H×W[×3]`` to ``size`` = (H, W); area for images, nearest for masks."""
    if size is None or frames.shape[1:3] == tuple(size):
        return frames
    interp = cv2.INTER_NEAREST if nearest else cv2.INTER_AREA
    out = [cv2.resize(f.astype(np.uint8), (size[1], size[0]), interpolation=interp) for f in frames]
    return np.stack(out).astype(frames.dtype)


def _as_hw(size: int | tuple[int, int] | None) -> tuple[int, int] | None:
    if size is None:
        return None
    return (size, size) if isinstance(size, int) else (int(size[0]), int(size[1]))


class HYouTubeReader(_Reader):
    """HYouTube clips from a list file; ``size`` resizes every frame (CO2Net evaluates at 256×256)."""

    kind = "hyoutube"

    def __init__(self, root: str | os.PathLike, split: str = "test", *, list_file: str | None = None,
                 size: int | tuple[int, int] | None = None, max_frames: int | None = None, name: str | None = None):
        self.root = Path(root)
        self.size, self.max_frames = _as_hw(size), max_frames
        self.name = name or f"{self.root.name}:{split}"
        list_path = self.root / (list_file or HYOUTUBE_LISTS.get(split, f"{split}_list.txt"))
        if not list_path.exists():
            raise ClipError(f"{self.root} is not an HYouTube folder: list file {list_path} is missing")
        self._entries: dict[str, tuple[str, str, str]] = {}
        for lineno, line in enumerate(list_path.read_text().splitlines(), 1):
            if not line.strip():
                continue
            parts = line.replace("\\", "/").split()  # the released lists mix Windows separators
            if len(parts) != 3:
                raise ClipError(f"{list_path}:{lineno}: expected 'gt_dir mask_dir composite_dir', got {line!r}")
            gt_dir, mask_dir, comp_dir = parts
            vid, obj = Path(mask_dir).parent.name, Path(mask_dir).name
            self._entries[f"{vid}/{obj}"] = (gt_dir, mask_dir, comp_dir)

    def clip_ids(self) -> list[str]:
        return list(self._entries)

    def _load(self, clip_id: str) -> VideoSample:
        if clip_id not in self._entries:
            raise ClipError(f"{self.name}: clip {clip_id} is not in the list file")
        gt_dir, mask_dir, comp_dir = (self.root / p for p in self._entries[clip_id])
        stems = [p.stem for p in video_io.list_frame_files(mask_dir)]
        if not stems:
            raise ClipError(f"{self.name}: clip {clip_id}: no mask frames in {mask_dir}")
        stems = stems[: self.max_frames] if self.max_frames else stems
        gt = video_io.read_frame_folder(gt_dir, names=stems)
        comp = video_io.read_frame_folder(comp_dir, names=stems)
        masks = video_io.masks_from_gray(video_io.read_frame_folder(mask_dir, gray=True, names=stems))
        _check_same_size(f"{self.name}: clip {clip_id}", ("ground truth", gt), composite=comp, mask=masks)
        return VideoSample(
            clip_id=clip_id,
            composite=frames_to_tensor(_resize(comp, self.size)),
            mask=masks_to_tensor(_resize(masks, self.size, nearest=True)),
            gt=frames_to_tensor(_resize(gt, self.size)),
            meta={"frames": stems},
        )


def _find_stream(clip_dir: Path, stem: str) -> Path | None:
    """``clip_dir/stem`` as a frame folder or a video file with any known suffix."""
    if (clip_dir / stem).is_dir():
        return clip_dir / stem
    for suffix in video_io.VIDEO_SUFFIXES:
        if (clip_dir / f"{stem}{suffix}").is_file():
            return clip_dir / f"{stem}{suffix}"
    return None


class CompositeReader(_Reader):
    """Real composites: ``<root>/<clip_id>/composite`` and ``mask`` (folders or videos), optional ``gt``.

    Clip ids come from ``manifest.jsonl`` (field ``id``) when present, else from the sub-folders.
    """

    kind = "composites"

    def __init__(self, root: str | os.PathLike, *, size: int | tuple[int, int] | None = None,
                 max_frames: int | None = None, name: str | None = None):
        self.root = Path(root)
        if not self.root.is_dir():
            raise ClipError(f"composite folder {self.root} does not exist")
        self.size, self.max_frames = _as_hw(size), max_frames
        self.name = name or self.root.name
        manifest = self.root / "manifest.jsonl"
        if manifest.exists():
            self._ids = [json.loads(line)["id"] for line in manifest.read_text().splitlines() if line.strip()]
        else:
            self._ids = sorted(p.name for p in self.root.iterdir()
                               if p.is_dir() and not p.name.startswith(".") and _find_stream(p, "composite"))
        if not self._ids:
            raise ClipError(f"{self.root}: no clips (expected <clip_id>/composite and <clip_id>/mask)")

    def clip_ids(self) -> list[str]:
        return list(self._ids)

    def _load(self, clip_id: str) -> VideoSample:
        d = self.root / clip_id
        comp_path, mask_path = _find_stream(d, "composite"), _find_stream(d, "mask")
        if comp_path is None or mask_path is None:
            missing = "composite" if comp_path is None else "mask"
            raise ClipError(f"{self.name}: clip {clip_id}: no {missing} folder or video in {d}")
        comp = video_io.read_frames(comp_path, max_frames=self.max_frames)
        masks = video_io.read_masks(mask_path, max_frames=self.max_frames)
        gt_path = _find_stream(d, "gt")
        gt = video_io.read_frames(gt_path, max_frames=self.max_frames) if gt_path else None
        if masks.shape[0] != comp.shape[0]:
            raise ClipError(f"{self.name}: clip {clip_id}: {comp.shape[0]} composite frames but {masks.shape[0]} masks")
        _check_same_size(f"{self.name}: clip {clip_id}", ("composite", comp), mask=masks, gt=gt)
        return VideoSample(
            clip_id=clip_id,
            composite=frames_to_tensor(_resize(comp, self.size)),
            mask=masks_to_tensor(_resize(masks, self.size, nearest=True)),
            gt=frames_to_tensor(_resize(gt, self.size)) if gt is not None else None,
        )


class ExternalMethod:
    """A "method" whose outputs were made elsewhere: ``<root>/<method>/<clip_id>/<frame>.png`` (or a video file
    ``<clip_id>.mkv``).  The runner calls :meth:`outputs_for` instead of ``harmonize``."""

    keeps_background = False

    def __init__(self, root: str | os.PathLike, method: str):
        self.root, self.name = Path(root), method
        if not (self.root / method).is_dir():
            raise ClipError(f"external results folder {self.root / method} does not exist")

    def outputs_for(self, sample: VideoSample) -> torch.Tensor:
        base = self.root / self.name
        path = _find_stream(base, sample.clip_id)
        where = f"external results '{self.name}': clip {sample.clip_id}"
        if path is None:
            raise ClipError(f"{where}: no folder or video {base / sample.clip_id}")
        try:
            frames = video_io.read_frames(path)
        except video_io.VideoReadError as exc:
            raise ClipError(f"{where}: {exc}") from exc
        if frames.shape[0] != sample.num_frames:
            raise ClipError(f"{where}: {frames.shape[0]} frames, the dataset clip has {sample.num_frames}")
        if frames.shape[1:3] != sample.size:
            raise ClipError(f"{where}: frames are {frames.shape[2]}×{frames.shape[1]}, "
                            f"the dataset clip is {sample.size[1]}×{sample.size[0]}")
        return frames_to_tensor(frames)

    def harmonize(self, frames: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
        raise TypeError(f"external results '{self.name}' cannot harmonize new frames; the runner reads them per clip")


def external_methods(root: str | os.PathLike) -> dict[str, ExternalMethod]:
    """Every ``<root>/<method>/`` folder as an :class:`ExternalMethod`, labelled by the folder name."""
    root = Path(root)
    if not root.is_dir():
        raise ClipError(f"external results folder {root} does not exist")
    return {p.name: ExternalMethod(root, p.name) for p in sorted(root.iterdir())
            if p.is_dir() and not p.name.startswith(".")}


def open_dataset(path: str | os.PathLike, kind: str = "auto", **options) -> _Reader:
    """Open ``path`` as ``dancing`` (manifest.jsonl and split folders), ``hyoutube`` (has real_videos/) or
    ``composites``; ``kind="auto"`` picks by those markers.  ``options`` go to the reader (``split``, ``size``...)."""
    path = Path(path)
    if not path.is_dir():
        raise ClipError(f"dataset folder {path} does not exist")
    if kind == "auto":
        if (path / "real_videos").is_dir():
            kind = "hyoutube"
        elif (path / "manifest.jsonl").exists() and any((path / s).is_dir() for s in ("train", "val", "test")):
            kind = "dancing"
        else:
            kind = "composites"
    readers = {"dancing": DancingReader, "hyoutube": HYouTubeReader, "composites": CompositeReader}
    if kind not in readers:
        raise ValueError(f"unknown dataset kind '{kind}'; choose one of {', '.join(readers)} or auto")
    if kind == "composites":
        options.pop("split", None)
    if kind == "dancing":
        unsupported = sorted(set(options) - {"split", "name"})
        if unsupported:  # resizing would also have to rescale the stored flow; score at the stored size instead
            raise ValueError(f"{path} is a Dancing dataset: option(s) {', '.join(unsupported)} are not supported")
    return readers[kind](path, **options)
