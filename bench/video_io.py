"""Reading and writing videos: OpenCV video files and folders of numbered frames.

Everything here speaks NumPy ``T×H×W×3`` uint8 RGB (masks ``T×H×W`` bool) so the
readers in :mod:`bench.datasets` and the builder in :mod:`bench.realworld` share
one place that knows about BGR, codecs and broken files.

Codec choice: ``.mkv``/``.avi`` are written with FFV1 (lossless, in every OpenCV
wheel) so a written-then-read video is bit-exact; ``.mp4`` uses ``mp4v`` (lossy,
for viewing only).  Writers go to a temporary sibling and rename into place.
"""
from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

from harmonizer.atomic import atomic_directory, atomic_path
from harmonizer.videofile import VideoReadError, decode_video  # noqa: F401 - VideoReadError is bench's error too

VIDEO_SUFFIXES = (".mkv", ".avi", ".mp4", ".mov", ".webm")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp")
_FOURCC = {".mkv": "FFV1", ".avi": "FFV1", ".mp4": "mp4v", ".mov": "mp4v"}


def is_video_file(path: str | os.PathLike) -> bool:
    return Path(path).suffix.lower() in VIDEO_SUFFIXES


def list_frame_files(folder: str | os.PathLike) -> list[Path]:
    """Image files of ``folder`` in name order (hidden files ignored)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise VideoReadError(f"frame folder {folder} does not exist")
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith("."))


def _read_image(path: Path, gray: bool) -> np.ndarray:
    img = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE if gray else cv2.IMREAD_COLOR)
    if img is None:
        raise VideoReadError(f"cannot read image {path} (missing, corrupt or not an image)")
    return img if gray else cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def _check_sizes(frames: list[np.ndarray], names: list, where: str) -> None:
    h, w = frames[0].shape[:2]
    for f, name in zip(frames, names):
        if f.shape[:2] != (h, w):
            raise VideoReadError(f"{where}: frame {name} is {f.shape[1]}×{f.shape[0]}, the first frame is {w}×{h}")


def read_frame_folder(folder: str | os.PathLike, *, gray: bool = False, names: list[str] | None = None) -> np.ndarray:
    """Read a folder of frames (sorted by name, or exactly ``names`` — stems or file names)."""
    folder = Path(folder)
    if names is None:
        files = list_frame_files(folder)
    else:
        files = [_resolve_frame(folder, n) for n in names]
    if not files:
        raise VideoReadError(f"frame folder {folder} holds no images")
    frames = [_read_image(f, gray) for f in files]
    _check_sizes(frames, [f.name for f in files], str(folder))
    return np.stack(frames)


def _resolve_frame(folder: Path, name: str) -> Path:
    """``name`` may be a file name or a stem; the stem matches any image suffix."""
    direct = folder / name
    if direct.suffix.lower() in IMAGE_SUFFIXES and direct.exists():
        return direct
    stem = Path(name).stem if Path(name).suffix.lower() in IMAGE_SUFFIXES else name
    for suffix in IMAGE_SUFFIXES:
        candidate = folder / f"{stem}{suffix}"
        if candidate.exists():
            return candidate
    raise VideoReadError(f"missing frame {stem} in {folder}")


def read_video_file(path: str | os.PathLike, *, gray: bool = False, max_frames: int | None = None) -> np.ndarray:
    """Decode every frame of a video file (RGB uint8, or gray for masks), checked against the count its container
    declares (:func:`harmonizer.videofile.decode_video`: a truncated file names the frame where decoding stopped)."""
    frames = decode_video(path, gray=gray, max_frames=max_frames)
    _check_sizes(frames, list(range(len(frames))), str(path))
    return np.stack(frames)


def read_frames(path: str | os.PathLike, *, gray: bool = False, max_frames: int | None = None) -> np.ndarray:
    """A video file or a frame folder → ``T×H×W×3`` RGB uint8 (``T×H×W`` when ``gray``)."""
    path = Path(path)
    if path.is_dir():
        frames = read_frame_folder(path, gray=gray)
        return frames[:max_frames] if max_frames else frames
    if is_video_file(path):
        return read_video_file(path, gray=gray, max_frames=max_frames)
    if not path.exists():
        raise VideoReadError(f"{path} does not exist (expected a video file or a frame folder)")
    raise VideoReadError(f"{path} is neither a frame folder nor a video file ({', '.join(VIDEO_SUFFIXES)})")


def masks_from_gray(gray: np.ndarray) -> np.ndarray:
    """Binarise gray mask frames at 128 (lossy codecs blur the 0/255 edges)."""
    return gray >= 128


def read_masks(path: str | os.PathLike, *, max_frames: int | None = None) -> np.ndarray:
    """Mask video or folder → ``T×H×W`` bool."""
    return masks_from_gray(read_frames(path, gray=True, max_frames=max_frames))


def _as_uint8(frames: np.ndarray) -> np.ndarray:
    if frames.dtype == bool:
        return frames.astype(np.uint8) * 255
    if frames.dtype != np.uint8:
        raise TypeError(f"frames must be uint8 (or bool masks), got {frames.dtype}")
    return frames


def write_video_file(path: str | os.PathLike, frames: np.ndarray, *, fps: float = 10.0) -> Path:
    """Write ``T×H×W×3`` RGB (or ``T×H×W`` gray/bool) frames as a video, atomically."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in _FOURCC:
        raise ValueError(f"cannot write {path}: use one of {', '.join(_FOURCC)}")
    frames = _as_uint8(np.asarray(frames))
    if frames.ndim == 3:
        frames = np.repeat(frames[..., None], 3, axis=-1)
    t, h, w, _ = frames.shape
    with atomic_path(path) as tmp:
        writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*_FOURCC[suffix]), fps, (w, h))
        try:
            if not writer.isOpened():
                raise OSError(f"OpenCV cannot open a {_FOURCC[suffix]} writer for {path}")
            for frame in frames:
                writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
        finally:
            writer.release()
    return path


def write_frame_folder(folder: str | os.PathLike, frames: np.ndarray, *, ext: str = ".png") -> Path:
    """Write frames as ``000.png, 001.png, ...`` into ``folder`` (temporary folder, then rename)."""
    folder = Path(folder)
    frames = _as_uint8(np.asarray(frames))
    with atomic_directory(folder) as tmp:
        for t, frame in enumerate(frames):
            img = cv2.cvtColor(frame, cv2.COLOR_RGB2BGR) if frame.ndim == 3 else frame
            if not cv2.imwrite(str(tmp / f"{t:03d}{ext}"), img):
                raise OSError(f"could not write frame {t} of {folder}")
    return folder


def write_frames(path: str | os.PathLike, frames: np.ndarray, *, fps: float = 10.0) -> Path:
    """Video file when ``path`` has a video suffix, frame folder otherwise."""
    return write_video_file(path, frames, fps=fps) if is_video_file(path) else write_frame_folder(path, frames)
