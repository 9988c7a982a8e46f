"""Folder and COCO sources on files written by the test; every bad input names its file."""
from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from harmonizer.data.build import build_dataset
from harmonizer.data.clips import background_video, foreground_video
from harmonizer.data.format import DatasetFormatError, read_clip, read_manifest
from harmonizer.data.sources import get_source


def _photo(h: int, w: int, seed: int) -> np.ndarray:
    """A smooth colourful "photo" (BGR uint8)."""
    ys, xs = np.mgrid[0:h, 0:w] / max(h, w)
    rng = np.random.default_rng(seed)
    chans = [np.sin(xs * rng.uniform(2, 6) + ys * rng.uniform(2, 6) + rng.uniform(0, 6)) for _ in range(3)]
    return ((np.stack(chans, -1) * 0.4 + 0.5) * 255).astype(np.uint8)


def _person_polygon(h: int, w: int, scale: float = 1.0) -> np.ndarray:
    cx, cy = w / 2, h / 2
    pts = [(-0.15, -0.4), (0.15, -0.4), (0.2, 0.0), (0.12, 0.45), (-0.12, 0.45), (-0.2, 0.0)]
    return np.array([(cx + dx * w * scale, cy + dy * h * scale) for dx, dy in pts], np.float64)


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "images").mkdir()
    (tmp_path / "masks").mkdir()
    for i in range(3):
        cv2.imwrite(str(tmp_path / "images" / f"p{i}.jpg"), _photo(60, 80, i))
        mask = np.zeros((60, 80), np.uint8)
        cv2.fillPoly(mask, [_person_polygon(60, 80).astype(np.int32)], 255)
        cv2.imwrite(str(tmp_path / "masks" / f"p{i}.png"), mask)
    return tmp_path


def test_folder_source_builds_a_dataset(folder, tmp_path):
    out = build_dataset(tmp_path / "d", source="folder", images=folder / "images", masks=folder / "masks",
                        clips=4, size=32, workers=1, progress=False)
    records = read_manifest(out)
    assert [r["sample"]["image"] for r in records] == ["p0.jpg", "p1.jpg", "p2.jpg", "p0.jpg"]
    clip = read_clip(out, "train", "000000")
    assert 0.15 < clip.mask[0].mean() < 0.6


@pytest.mark.parametrize("defect,match", [
    ("unreadable", r"cannot read image .*p1\.jpg"),
    ("size", r"mask .*p1\.png is 40×30 but image .*p1\.jpg is 80×60"),
    ("empty", r"mask .*p1\.png is empty"),
    ("values", r"mask .*p1\.png has values other than 0 and 255"),
    ("missing", r"image .*p1\.jpg has no mask"),
])
def test_folder_bad_inputs_name_the_file(folder, defect, match):
    image, mask = folder / "images" / "p1.jpg", folder / "masks" / "p1.png"
    if defect == "unreadable":
        image.write_bytes(b"not a jpeg")
    elif defect == "size":
        cv2.imwrite(str(mask), np.full((30, 40), 255, np.uint8))
    elif defect == "empty":
        cv2.imwrite(str(mask), np.zeros((60, 80), np.uint8))
    elif defect == "values":
        cv2.imwrite(str(mask), np.full((60, 80), 128, np.uint8))
    else:
        mask.unlink()
    with pytest.raises(DatasetFormatError, match=match):
        src = get_source("folder", images=str(folder / "images"), masks=str(folder / "masks"))
        src.sample(1, 32)


def _write_coco(tmp_path, people_scales, other_category=False):
    (tmp_path / "imgs").mkdir(exist_ok=True)
    images, anns = [], []
    for i, scale in enumerate(people_scales):
        h, w = 64, 96
        cv2.imwrite(str(tmp_path / "imgs" / f"{i:04d}.png"), _photo(h, w, i))
        images.append({"id": i + 1, "file_name": f"{i:04d}.png", "height": h, "width": w})
        poly = _person_polygon(h, w, scale)
        mask = np.zeros((h, w), np.uint8)
        cv2.fillPoly(mask, [np.round(poly).astype(np.int32)], 1)
        anns.append({"id": 100 + i, "image_id": i + 1, "category_id": 3 if other_category else 1, "iscrowd": 0,
                     "area": float(mask.sum()), "bbox": [0, 0, w, h], "segmentation": [poly.ravel().tolist()]})
    cats = [{"id": 1, "name": "person", "supercategory": "person"}, {"id": 3, "name": "car", "supercategory": "v"}]
    path = tmp_path / "instances.json"
    path.write_text(json.dumps({"images": images, "annotations": anns, "categories": cats}))
    return path


def test_coco_source_keeps_people_covering_ten_percent(tmp_path):
    coco_json = _write_coco(tmp_path, [1.0, 0.3, 0.9])  # the middle person covers < 10 % of its image
    src = get_source("coco", coco_json=str(coco_json), coco_images=str(tmp_path / "imgs"))
    assert [a["id"] for a in src.anns] == [100, 102]
    out = build_dataset(tmp_path / "d", source="coco", coco_json=coco_json, coco_images=tmp_path / "imgs",
                        clips=3, size=32, workers=1, progress=False)
    records = read_manifest(out)
    assert [r["sample"]["annotation"] for r in records] == [100, 102, 100]
    sample = src.sample(0, 32)
    reference = np.zeros((64, 96), np.uint8)  # the polygon drawn by the test, cropped and resized the same way
    cv2.fillPoly(reference, [np.round(_person_polygon(64, 96)).astype(np.int32)], 1)
    expected = cv2.resize(reference[:, 16:80].astype(np.float32), (32, 32), interpolation=cv2.INTER_AREA) >= 0.5
    assert (sample.mask != expected).mean() < 0.03


def test_coco_without_usable_person_names_the_file(tmp_path):
    small = _write_coco(tmp_path, [0.2])
    with pytest.raises(DatasetFormatError, match=r"instances\.json has no usable 'person'"):
        get_source("coco", coco_json=str(small), coco_images=str(tmp_path / "imgs"))
    cars = _write_coco(tmp_path, [1.0], other_category=True)
    with pytest.raises(DatasetFormatError, match=r"instances\.json has no usable 'person'"):
        get_source("coco", coco_json=str(cars), coco_images=str(tmp_path / "imgs"))
    (tmp_path / "broken.json").write_text("{not json")
    with pytest.raises(DatasetFormatError, match="broken.json"):
        get_source("coco", coco_json=str(tmp_path / "broken.json"), coco_images=str(tmp_path / "imgs"))


def test_unknown_source_lists_the_known_ones():
    with pytest.raises(ValueError, match="procedural, photo, folder, coco"):
        get_source("imagenet")


def test_foreground_and_background_videos_for_bench():
    src = get_source("procedural", seed=0)
    rgb, masks, params = foreground_video(src, 3, frames=4, size=32, seed=0)
    assert rgb.shape == (4, 32, 32, 3) and rgb.dtype == np.float32 and masks.shape == (4, 32, 32)
    assert 0 <= rgb.min() and rgb.max() <= 1 and len(params["foreground_motion"]) == 3
    background = ~masks.any(0)  # static camera: pixels never covered by the figure do not change
    assert np.abs(rgb[1:] - rgb[:1])[:, background].max() < 1e-6
    assert not np.array_equal(masks[0], masks[3])
    bg, bparams = background_video(src, 3, frames=3, size=32, seed=0)
    assert bg.shape == (3, 32, 32, 3) and len(bparams["camera_motion"]) == 2
    cam = bparams["camera_motion"][0]  # frame 1 is frame 0 cropped at (x0, y0) with scale s, resized back
    ys, xs = np.mgrid[0:32, 0:32]
    from scipy.ndimage import map_coordinates

    expected = np.stack([map_coordinates(bg[0, ..., c], [cam["scale"] * ys + cam["y0"], cam["scale"] * xs + cam["x0"]],
                                         order=1) for c in range(3)], -1)
    np.testing.assert_allclose(bg[1], expected, atol=1e-5)
