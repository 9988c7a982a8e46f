"""Decoding a video file completely or not at all: the suite's one OpenCV decode loop (harmonize's input reader
and bench.video_io use it; docs/safety.md).

The frames decoded are compared with the count the container declares, so a truncated or corrupt file (e.g. a
lossless FFV1 ``.avi`` cut short, which OpenCV decodes up to the cut with only a log line) is a
:class:`VideoReadError` naming the file and the frame where decoding stopped, never a shorter clip.
"""
from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

__all__ = ["VideoReadError", "decode_video"]


class VideoReadError(ValueError):
    """A video file or frame folder is missing, corrupt or inconsistent; the message names it."""


def decode_video(path: str | os.PathLike, *, gray: bool = False, max_frames: int | None = None) -> list[np.ndarray]:
    """Every frame of a video file (RGB uint8 H×W×3, or gray H×W), or the first ``max_frames``."""
    path = Path(path)
    if not path.is_file():
        raise VideoReadError(f"video file {path} does not exist")
    cap = cv2.VideoCapture(str(path))
    try:
        if not cap.isOpened():
            raise VideoReadError(f"cannot open video {path} (corrupt or unsupported codec)")
        declared = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)  # 0: the container does not say
        frames = []
        while max_frames is None or len(frames) < max_frames:
            ok, bgr = cap.read()
            if not ok:
                break
            frames.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY if gray else cv2.COLOR_BGR2RGB))
    finally:
        cap.release()
    if not frames:
        raise VideoReadError(f"video {path} has no decodable frames (corrupt or empty)")
    wanted = declared if max_frames is None else min(declared, max_frames)
    if len(frames) < wanted:
        raise VideoReadError(f"{path}: decoding stopped at frame {len(frames)} of the {declared} its container "
                             f"declares (frames counted from 0); the file is truncated or corrupt")
    return frames
