"""Reading and resizing frames and masks the way a peer's evaluation pipeline does (docs/metrics.md, "Protocols").

A :class:`Reading` names, for one protocol, the library and filter that load and resize the composite (the
method's input), the ground truth and the mask, and the evaluation size.  The filters are the peers' own calls:

=================== =======================================================================================
``cv2_linear``      ``cv2.imread`` (BGR → RGB), ``cv2.resize(…, INTER_LINEAR)`` on uint8 — albumentations'
                    ``Resize(256, 256)`` in CO2Net's ``HCompose``
``pil_bicubic``     ``Image.open(...).convert('RGB').resize(size, BICUBIC)`` — iHarmony4's ``evaluation.py``
``pil_bilinear``    the same with ``BILINEAR`` — torchvision ``tf.resize`` of a PIL image (DoveNet's and
                    VideoTripletTransformer's data loaders)
``red_soft_linear`` mask: ``cv2.imread`` → channel R → float32 / 255 → ``cv2.resize(…, INTER_LINEAR)``, kept
                    soft (CO2Net: ``HCompose`` maps ``object_mask`` to an image target, not nearest)
``pil1_nearest``    mask: ``Image.open(...).convert('1')`` (PIL's default Floyd–Steinberg dithering) then
                    ``resize`` — always nearest for mode '1' whatever filter is asked — as 0/1 float32
=================== =======================================================================================

``resize_when="differs"`` resizes whenever the stored size is not the evaluation size (cv2 and PIL both copy an
image already at that size); ``"width_differs"`` copies VideoTripletTransformer's loader, which tests only the width.
Frames come back as NumPy ``H×W×3`` uint8 RGB, masks as ``H×W`` float32 in [0, 1].
"""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass

import cv2
import numpy as np

from bench.video_io import VideoReadError

IMAGE_FILTERS = ("cv2_linear", "pil_bicubic", "pil_bilinear")
MASK_FILTERS = ("red_soft_linear", "pil1_nearest")


@dataclass(frozen=True)
class Reading:
    """How one protocol reads a clip: filters for composite, ground truth and mask, and the size (H, W)."""

    composite: str
    gt: str
    mask: str
    size: tuple[int, int] | None = (256, 256)
    resize_when: str = "differs"

    def __post_init__(self):
        for label, value, allowed in (("composite", self.composite, IMAGE_FILTERS), ("gt", self.gt, IMAGE_FILTERS),
                                      ("mask", self.mask, MASK_FILTERS),
                                      ("resize_when", self.resize_when, ("differs", "width_differs"))):
            if value not in allowed:
                raise ValueError(f"Reading.{label} must be one of {', '.join(allowed)}, got {value!r}")

    def describe(self) -> dict:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(self).items()}

    def with_size(self, size: tuple[int, int] | None) -> "Reading":
        return Reading(self.composite, self.gt, self.mask, size, self.resize_when)


def _needs_resize(shape: tuple[int, int], size: tuple[int, int] | None, when: str) -> bool:
    if size is None:
        return False
    if when == "width_differs":
        return shape[1] != size[1]
    return tuple(shape) != tuple(size)


def _cv2_read(path: str | os.PathLike) -> np.ndarray:
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if img is None:
        raise VideoReadError(f"cannot read image {path} (missing, corrupt or not an image)")
    return img


def _pil_open(path: str | os.PathLike):
    from PIL import Image

    try:
        img = Image.open(path)
        img.load()
    except (OSError, ValueError) as exc:
        raise VideoReadError(f"cannot read image {path} ({exc})") from None
    return img


def read_image(path: str | os.PathLike, method: str, size: tuple[int, int] | None,
               resize_when: str = "differs") -> np.ndarray:
    """One RGB frame as ``H×W×3`` uint8, read and resized with ``method`` (see the module table)."""
    if method == "cv2_linear":
        rgb = cv2.cvtColor(_cv2_read(path), cv2.COLOR_BGR2RGB)
        if _needs_resize(rgb.shape[:2], size, resize_when):
            rgb = cv2.resize(rgb, (size[1], size[0]), interpolation=cv2.INTER_LINEAR)
        return rgb
    if method in ("pil_bicubic", "pil_bilinear"):
        from PIL import Image

        img = _pil_open(path).convert("RGB")
        if _needs_resize((img.size[1], img.size[0]), size, resize_when):
            img = img.resize((size[1], size[0]), Image.BICUBIC if method == "pil_bicubic" else Image.BILINEAR)
        return np.asarray(img, dtype=np.uint8).copy()
    raise ValueError(f"unknown image filter {method!r}; known: {', '.join(IMAGE_FILTERS)}")


def read_mask(path: str | os.PathLike, method: str, size: tuple[int, int] | None,
              resize_when: str = "differs") -> np.ndarray:
    """One mask as ``H×W`` float32 in [0, 1], read and resized with ``method`` (see the module table)."""
    if method == "red_soft_linear":
        red = _cv2_read(path)[:, :, 2].astype(np.float32) / 255.0   # BGR2RGB then [:, :, 0]
        if _needs_resize(red.shape, size, resize_when):
            red = cv2.resize(red, (size[1], size[0]), interpolation=cv2.INTER_LINEAR)
        return red
    if method == "pil1_nearest":
        from PIL import Image

        img = _pil_open(path).convert("1")
        if _needs_resize((img.size[1], img.size[0]), size, resize_when):
            img = img.resize((size[1], size[0]), Image.NEAREST)
        return np.asarray(img).astype(np.float32)
    raise ValueError(f"unknown mask filter {method!r}; known: {', '.join(MASK_FILTERS)}")


def read_frames(paths: list, reading: Reading, kind: str) -> np.ndarray:
    """``T×H×W×3`` uint8 (``kind`` "composite" or "gt") or ``T×H×W`` float32 masks (``kind`` "mask")."""
    method = getattr(reading, kind)
    if kind == "mask":
        frames = [read_mask(p, method, reading.size, reading.resize_when) for p in paths]
    else:
        frames = [read_image(p, method, reading.size, reading.resize_when) for p in paths]
    shapes = {f.shape[:2] for f in frames}
    if len(shapes) > 1:
        raise VideoReadError(f"{kind} frames differ in size ({', '.join(f'{w}×{h}' for h, w in sorted(shapes))}): "
                             f"{paths[0]} …")
    return np.stack(frames)
