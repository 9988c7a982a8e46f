"""The dataset reader a protocol reads with: ``open_for_protocol(path, protocol, ...)``.

* HYouTube (``real_videos/`` in the folder) under a protocol with a :class:`~bench.readers.peer_io.Reading`
  (``co2net``, ``vtt``, ``dovenet``) → :class:`~bench.readers.hyoutube.HYouTubePeerReader` at the protocol's size;
  with ``tl_next`` (CO2Net's TL test set; protocols with ``tl_task_pairs``: ``co2net``) → the TL-task pairs,
  :class:`~bench.readers.hyoutube.HYouTubeTLReader`;
* iHarmony4 (``composite_images/`` + ``masks/``, or ``IHD_<split>.txt``) → :class:`~bench.readers.iharmony4.IHarmony4Reader`
  with the protocol's reading (``dovenet``'s for protocols that have none);
* anything else, and HYouTube under ``paper`` / ``lai`` → ``bench.datasets.open_dataset`` (the suite's reading).

A ``size`` that contradicts the protocol's evaluation size is refused: it would not be that protocol any more.
"""
from __future__ import annotations

import os
from pathlib import Path

from bench.datasets import ClipError, open_dataset
from bench.readers.hyoutube import HYouTubePeerReader, HYouTubeTLReader
from bench.readers.iharmony4 import IHarmony4Reader, is_iharmony4

from .registry import get_protocol, list_protocols


def _as_hw(size) -> tuple[int, int] | None:
    if size is None:
        return None
    return (size, size) if isinstance(size, int) else (int(size[0]), int(size[1]))


def _reading_at(steps, size):
    """The protocol's reading, at ``size`` if given (refused when it contradicts a fixed evaluation size)."""
    reading = steps.reading
    if size is None or reading.size is None:
        return reading if size is None else reading.with_size(size)
    if tuple(size) != tuple(reading.size):
        raise ValueError(f"protocol {steps.name} evaluates at {reading.size[0]}×{reading.size[1]}; "
                         f"--size {size[0]}x{size[1]} would not be its protocol (leave --size out)")
    return reading


def open_for_protocol(path: str | os.PathLike, protocol: str = "paper", kind: str = "auto", *,
                      split: str = "test", size=None, max_frames: int | None = None,
                      tl_next: str | os.PathLike | None = None, tl_tasks: str | os.PathLike | None = None):
    """The reader for ``path`` under ``protocol`` (see the module docstring); ``kind`` as ``open_dataset``'s plus
    ``"iharmony4"``."""
    steps = get_protocol(protocol)
    root, size = Path(path), _as_hw(size)
    hyoutube = kind == "hyoutube" or (kind == "auto" and (root / "real_videos").is_dir())
    if tl_next is not None:
        if not steps.tl_task_pairs:
            accept = " or ".join(f"--protocol {n}" for n in list_protocols() if get_protocol(n).tl_task_pairs)
            raise ValueError(f"--tl-next is CO2Net's TL test set; score it with {accept}, not {protocol}")
        if not hyoutube:
            raise ClipError(f"{root} is not an HYouTube folder (no real_videos/), needed with --tl-next")
        return HYouTubeTLReader(root, tl_next, _reading_at(steps, size), tasks=tl_tasks)
    if kind == "iharmony4" or (kind == "auto" and is_iharmony4(root)):
        from .dovenet import READING as DOVENET_READING

        reading = _reading_at(steps, size) if steps.reading is not None else DOVENET_READING.with_size(
            size or DOVENET_READING.size)
        return IHarmony4Reader(root, reading, split)
    if hyoutube and steps.reading is not None:
        return HYouTubePeerReader(root, _reading_at(steps, size), split, max_frames=max_frames)
    options = {"split": split}
    if size is not None:
        options["size"] = size
    if max_frames:
        options["max_frames"] = max_frames
    return open_dataset(root, kind, **options)
