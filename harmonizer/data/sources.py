"""Image + foreground-mask sources behind one small interface.

A source has ``name``, ``len(source)`` (number of distinct base samples),
``options()`` (JSON-able settings recorded in ``dataset.json``) and
``sample(index, size) -> Sample``: an RGB float32 image in [0, 1] of ``size×size``
with one foreground mask.  ``get_source(name, **options)`` builds one:

* ``procedural`` (default; no files) — :mod:`harmonizer.data.procedural` scenes, sample ``k``
  drawn from ``default_rng([seed, k, ...])``.
* ``photo`` — :mod:`harmonizer.data.photo` scenes: background and figure texture are two crops of one of
  the real photos in ``photos`` (a folder or a list of files; no masks needed), sample ``k`` drawn from
  ``default_rng([seed, k, ...])``.
* ``folder`` — ``images/`` and ``masks/`` with matching file stems (masks 0/255 PNG).
* ``coco`` — a COCO instances JSON (pycocotools): category person, instances whose area
  is ≥ ``min_area`` (10 %) of the image, one foreground per sample.

Real photos are cropped to the largest square centred (as far as possible) on the
foreground and resized; every bad input raises :class:`DatasetFormatError` naming the file.
"""
from __future__ import annotations

import contextlib
import io
import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from .format import DatasetFormatError, read_image, read_mask
from .photo import photo_scene
from .procedural import scene

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")
PROCEDURAL_TAG = 0x5CE7E  # separates scene draws from clip draws made with the same (seed, index)
PHOTO_TAG = 0x9407  # likewise for photo scenes
PHOTO_MAX_SIDE = 8  # photos are shrunk once so their shorter side is at most this many times the clip size


@dataclass
class Sample:
    image: np.ndarray  # size×size×3 float32 in [0, 1]
    mask: np.ndarray  # size×size bool, non-empty
    meta: dict = field(default_factory=dict)


def square_resize(image: np.ndarray, mask: np.ndarray, size: int, *, where: str) -> tuple[np.ndarray, np.ndarray]:
    """Crop the largest square centred on the mask's centroid (clamped to the image) and resize to ``size``."""
    h, w = mask.shape
    side = min(h, w)
    ys, xs = np.nonzero(mask)
    cx, cy = xs.mean(), ys.mean()
    x0 = int(np.clip(round(cx - side / 2), 0, w - side))
    y0 = int(np.clip(round(cy - side / 2), 0, h - side))
    img = image[y0:y0 + side, x0:x0 + side]
    m = mask[y0:y0 + side, x0:x0 + side].astype(np.float32)
    interp = cv2.INTER_AREA if side > size else cv2.INTER_LINEAR
    img = cv2.resize(img, (size, size), interpolation=interp)
    m = cv2.resize(m, (size, size), interpolation=interp) >= 0.5
    if not m.any():
        raise DatasetFormatError(f"{where}: the foreground vanishes when resized to {size}×{size}")
    return np.clip(img.astype(np.float32) / 255.0, 0, 1), m


class ProceduralSource:
    name = "procedural"

    def __init__(self, seed: int = 0, detail: float = 1.0, min_area: float = 0.1, count: int = 2**31 - 1):
        if not 0 <= min_area < 0.5:
            raise ValueError(f"procedural min_area must be in [0, 0.5), got {min_area}")
        self.seed, self.detail, self.min_area, self.count = int(seed), float(detail), float(min_area), int(count)

    def __len__(self) -> int:
        return self.count

    def options(self) -> dict:
        return {"seed": self.seed, "detail": self.detail, "min_area": self.min_area}

    def sample(self, index: int, size: int) -> Sample:
        rng = np.random.default_rng([self.seed, int(index), PROCEDURAL_TAG])
        sc = scene(rng, size, detail=self.detail, min_area=self.min_area)
        return Sample(sc.image, sc.mask, {"scene": sc.meta})


class PhotoSource:
    """Photo scenes (:mod:`harmonizer.data.photo`) from real photos: ``photos`` is a folder (every image file in
    it, in name order) or a list of image files (in the order given)."""

    name = "photo"

    def __init__(self, photos, seed: int = 0, detail: float = 1.0, min_area: float = 0.1, count: int = 2**31 - 1,
                 scene_light: bool = False, skin: bool = False, texture_elsewhere: float = 0.0):
        if not 0 <= min_area < 0.5:
            raise ValueError(f"photo min_area must be in [0, 0.5), got {min_area}")
        self.scene_light = bool(scene_light)  # the procedural scenes' random illumination on top (harmonizer.data.photo)
        self.skin = bool(skin)  # the figure's head and hands in procedural skin colours (harmonizer.data.photo)
        if not 0 <= texture_elsewhere <= 1:
            raise ValueError(f"photo texture_elsewhere must be in [0, 1], got {texture_elsewhere}")
        self.texture_elsewhere = float(texture_elsewhere)  # probability that the figure's texture is another photo's
        if isinstance(photos, (str, Path)):
            self.photos = str(photos)
            folder = Path(photos)
            if not folder.is_dir():
                raise DatasetFormatError(f"photo source: {folder} is not a directory")
            self.paths = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
            if not self.paths:
                raise DatasetFormatError(f"photo source: no images ({', '.join(IMAGE_SUFFIXES)}) in {folder}")
        else:
            self.photos = [str(p) for p in photos]
            self.paths = [Path(p) for p in self.photos]
            if not self.paths:
                raise DatasetFormatError("photo source: the list of photos is empty")
            for path in self.paths:
                if not path.is_file():
                    raise DatasetFormatError(f"photo source: photo {path} does not exist")
            names = [p.name for p in self.paths]
            twice = sorted({n for n in names if names.count(n) > 1})
            if twice:  # dataset.json records each photo by its file name
                raise DatasetFormatError(f"photo source: two photos share the file name {', '.join(twice)}")
        self.seed, self.detail, self.min_area, self.count = int(seed), float(detail), float(min_area), int(count)
        self._cache: dict[tuple[int, int], np.ndarray] = {}

    def __len__(self) -> int:
        return self.count

    def options(self) -> dict:
        from harmonizer.digest import file_digest  # the photos' contents are part of the dataset's identity

        return {"photos": self.photos, "seed": self.seed, "detail": self.detail, "min_area": self.min_area,
                "scene_light": self.scene_light, **({"skin": True} if self.skin else {}),
                **({"texture_elsewhere": self.texture_elsewhere} if self.texture_elsewhere else {}),
                "photo_files": {p.name: file_digest(p) for p in self.paths}}

    def photo(self, which: int, size: int) -> np.ndarray:
        """Photo ``which``, shrunk (area filter) so its shorter side is at most PHOTO_MAX_SIDE × ``size``."""
        key = (which, size)
        if key not in self._cache:
            image = read_image(self.paths[which]).astype(np.float32) / 255.0
            scale = PHOTO_MAX_SIDE * size / min(image.shape[:2])
            if scale < 1:
                h, w = image.shape[:2]
                image = cv2.resize(image, (max(1, round(w * scale)), max(1, round(h * scale))),
                                   interpolation=cv2.INTER_AREA)
            self._cache[key] = image
        return self._cache[key]

    def sample(self, index: int, size: int) -> Sample:
        rng = np.random.default_rng([self.seed, int(index), PHOTO_TAG])
        which = other = int(rng.integers(len(self.paths)))
        if self.texture_elsewhere and len(self.paths) > 1 and rng.random() < self.texture_elsewhere:
            other = (which + 1 + int(rng.integers(len(self.paths) - 1))) % len(self.paths)
        sc = photo_scene(rng, self.photo(which, size), size, detail=self.detail, min_area=self.min_area,
                         scene_light=self.scene_light, skin=self.skin,
                         texture_photo=None if other == which else self.photo(other, size))
        meta = {"photo": self.paths[which].name, **({"texture_photo": self.paths[other].name} if other != which else {})}
        return Sample(sc.image, sc.mask, {"scene": {**meta, **sc.meta}})


class FolderSource:
    name = "folder"

    def __init__(self, images: str, masks: str, min_area: float = 0.0):
        self.images_dir, self.masks_dir, self.min_area = Path(images), Path(masks), float(min_area)
        for d in (self.images_dir, self.masks_dir):
            if not d.is_dir():
                raise DatasetFormatError(f"folder source: {d} is not a directory")
        masks_by_stem = {p.stem: p for p in self.masks_dir.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES}
        self.pairs = []
        for img in sorted(p for p in self.images_dir.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES):
            if img.stem not in masks_by_stem:
                raise DatasetFormatError(f"image {img} has no mask named {img.stem}.* in {self.masks_dir}")
            self.pairs.append((img, masks_by_stem[img.stem]))
        if not self.pairs:
            raise DatasetFormatError(f"folder source: no images ({', '.join(IMAGE_SUFFIXES)}) in {self.images_dir}")

    def __len__(self) -> int:
        return len(self.pairs)

    def options(self) -> dict:
        return {"images": str(self.images_dir), "masks": str(self.masks_dir), "min_area": self.min_area}

    def sample(self, index: int, size: int) -> Sample:
        img_path, mask_path = self.pairs[int(index) % len(self.pairs)]
        image = read_image(img_path)
        mask = read_mask(mask_path)
        if mask.shape != image.shape[:2]:
            raise DatasetFormatError(
                f"mask {mask_path} is {mask.shape[1]}×{mask.shape[0]} but image {img_path} is "
                f"{image.shape[1]}×{image.shape[0]}")
        if not mask.any():
            raise DatasetFormatError(f"mask {mask_path} is empty (no 255 pixel)")
        if mask.mean() < self.min_area:
            raise DatasetFormatError(f"mask {mask_path} covers {mask.mean():.1%} < min_area {self.min_area:.0%}")
        img, m = square_resize(image, mask, size, where=str(mask_path))
        return Sample(img, m, {"image": img_path.name})


class CocoSource:
    name = "coco"

    def __init__(self, coco_json: str, coco_images: str, min_area: float = 0.1, category: str = "person"):
        from pycocotools.coco import COCO  # imported here: only this source needs it

        self.json_path, self.images_dir = Path(coco_json), Path(coco_images)
        self.min_area, self.category = float(min_area), category
        if not self.images_dir.is_dir():
            raise DatasetFormatError(f"coco source: image folder {self.images_dir} is not a directory")
        try:
            with contextlib.redirect_stdout(io.StringIO()):  # pycocotools prints progress
                self.coco = COCO(str(self.json_path))
        except (OSError, json.JSONDecodeError, KeyError, TypeError, AssertionError) as exc:
            raise DatasetFormatError(f"cannot read COCO annotations {self.json_path}: {exc}") from exc
        cat_ids = self.coco.getCatIds(catNms=[category])
        anns = self.coco.loadAnns(self.coco.getAnnIds(catIds=cat_ids, iscrowd=False)) if cat_ids else []
        self.anns = []
        for ann in sorted(anns, key=lambda a: a["id"]):
            info = self.coco.imgs.get(ann["image_id"])
            if info and ann.get("area", 0) >= self.min_area * info["width"] * info["height"]:
                self.anns.append(ann)
        if not self.anns:
            raise DatasetFormatError(
                f"COCO file {self.json_path} has no usable '{category}' instance (non-crowd, area ≥ "
                f"{self.min_area:.0%} of its image)")

    def __len__(self) -> int:
        return len(self.anns)

    def options(self) -> dict:
        return {"coco_json": str(self.json_path), "coco_images": str(self.images_dir),
                "min_area": self.min_area, "category": self.category}

    def sample(self, index: int, size: int) -> Sample:
        ann = self.anns[int(index) % len(self.anns)]
        info = self.coco.imgs[ann["image_id"]]
        path = self.images_dir / info["file_name"]
        image = read_image(path)
        if image.shape[:2] != (info["height"], info["width"]):
            raise DatasetFormatError(
                f"image {path} is {image.shape[1]}×{image.shape[0]} but {self.json_path} says "
                f"{info['width']}×{info['height']}")
        with warnings.catch_warnings():  # pycocotools' NumPy-2 copy-keyword deprecation, not ours to fix
            warnings.simplefilter("ignore", DeprecationWarning)
            mask = self.coco.annToMask(ann).astype(bool)
        if not mask.any():
            raise DatasetFormatError(f"annotation {ann['id']} of {self.json_path} has an empty segmentation")
        img, m = square_resize(image, mask, size, where=f"{path} (annotation {ann['id']})")
        return Sample(img, m, {"image": info["file_name"], "annotation": int(ann["id"])})


SOURCES = {"procedural": ProceduralSource, "photo": PhotoSource, "folder": FolderSource, "coco": CocoSource}


def get_source(name: str = "procedural", **options):
    """Build a source by name; unknown names and options give an error listing what exists."""
    if name not in SOURCES:
        raise ValueError(f"unknown source '{name}'; available: {', '.join(SOURCES)}")
    try:
        return SOURCES[name](**options)
    except TypeError as exc:
        raise TypeError(f"source '{name}': {exc}") from exc
