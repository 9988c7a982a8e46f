"""The photo source: backgrounds and figure textures cropped from real photos (tiny photos written by the test)."""
from __future__ import annotations

import hashlib
import json

import cv2
import numpy as np
import pytest

from harmonizer.data import photo as photo_mod
from harmonizer.data.build import build_dataset
from harmonizer.data.format import DatasetFormatError, read_manifest
from harmonizer.data.sources import get_source

RED, BLUE = (30, 30, 200), (200, 40, 20)  # BGR as cv2 writes them


def _constant_photos(folder, h=90, w=120):
    folder.mkdir()
    for name, bgr in (("red.png", RED), ("blue.png", BLUE)):
        cv2.imwrite(str(folder / name), np.full((h, w, 3), bgr, np.uint8))
    return folder


def test_each_scene_takes_background_and_figure_from_one_photo(tmp_path):
    """Two one-colour photos: a scene mixing them would show two colours; every scene shows exactly one, and the
    figure covers a sensible area."""
    source = get_source("photo", photos=str(_constant_photos(tmp_path / "p")))
    seen = set()
    for index in range(12):
        sample = source.sample(index, 32)
        flat = sample.image.reshape(-1, 3)
        assert np.ptp(flat, axis=0).max() < 1e-6, f"scene {index} mixes photos"
        assert 0.1 <= sample.mask.mean() <= 0.6
        seen.add(sample.meta["scene"]["photo"])
        assert sample.image.shape == (32, 32, 3) and sample.image.dtype == np.float32
    assert seen == {"red.png", "blue.png"}  # both photos are drawn


def test_crops_follow_the_recorded_windows():
    """A photo whose value is its column index / width: background pixels lie in the recorded window's column range
    and rise left to right unless the crop is mirrored."""
    w = 200
    ramp = np.tile((np.arange(w, dtype=np.float32) / w)[None, :, None], (150, 1, 3))
    rng = np.random.default_rng(3)
    for _ in range(6):
        scene = photo_mod.photo_scene(rng, ramp, 32)
        crop = scene.meta["background_crop"]
        lo, hi = crop["x"] / w, (crop["x"] + crop["side"]) / w
        bg = np.where(scene.mask[..., None], np.nan, scene.image)[..., 0]
        assert np.nanmin(bg) >= lo - 1e-6 and np.nanmax(bg) <= hi + 1e-6
        columns = np.nanmean(np.where(np.isnan(bg), np.nan, bg), axis=0)
        columns = columns[~np.isnan(columns)]
        rising = columns[-1] > columns[0]
        assert rising != crop["mirror"]


def test_same_seed_and_index_give_the_same_scene(tmp_path):
    folder = tmp_path / "p"
    folder.mkdir()
    rng = np.random.default_rng(0)
    cv2.imwrite(str(folder / "noise.png"), rng.integers(0, 256, (80, 100, 3), dtype=np.uint8))
    a, b = get_source("photo", photos=str(folder), seed=5), get_source("photo", photos=str(folder), seed=5)
    assert np.array_equal(a.sample(7, 24).image, b.sample(7, 24).image)
    assert not np.array_equal(a.sample(7, 24).image, a.sample(8, 24).image)
    other_seed = get_source("photo", photos=str(folder), seed=6)
    assert not np.array_equal(a.sample(7, 24).image, other_seed.sample(7, 24).image)


def test_large_photos_are_shrunk_once_to_a_multiple_of_the_clip_size(tmp_path):
    folder = tmp_path / "p"
    folder.mkdir()
    cv2.imwrite(str(folder / "big.png"), np.full((800, 1000, 3), 128, np.uint8))
    source = get_source("photo", photos=str(folder))
    source.sample(0, 16)
    (image,) = source._cache.values()
    assert min(image.shape[:2]) == 8 * 16 and image.shape[1] == 160


def test_bad_photo_folders_name_the_folder_or_file(tmp_path):
    with pytest.raises(DatasetFormatError, match="nowhere"):
        get_source("photo", photos=str(tmp_path / "nowhere"))
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("no photos here")
    with pytest.raises(DatasetFormatError, match="no images.*empty"):
        get_source("photo", photos=str(empty))
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "bad.jpg").write_bytes(b"not a jpeg")
    with pytest.raises(DatasetFormatError, match="bad.jpg"):
        get_source("photo", photos=str(broken)).sample(0, 16)


def test_dataset_from_photos_records_each_photo_digest(tmp_path):
    photos = _constant_photos(tmp_path / "p")
    out = build_dataset(tmp_path / "d", source="photo", photos=str(photos), clips=4, size=24, seed=1,
                        split_fractions={"train": 0.5, "val": 0.25, "test": 0.25}, workers=1, progress=False)
    info = json.loads((out / "dataset.json").read_text())
    assert info["source"] == "photo"
    expected = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in photos.iterdir()}
    assert info["source_options"]["photo_files"] == expected
    assert len(read_manifest(out)) == 4


def test_a_list_of_photo_files_is_used_as_given_and_a_missing_one_is_named(tmp_path):
    photos = _constant_photos(tmp_path / "p")
    only_red = get_source("photo", photos=[str(photos / "red.png")])
    assert {only_red.sample(i, 16).meta["scene"]["photo"] for i in range(6)} == {"red.png"}
    red = np.array(RED[::-1], np.float32) / 255  # RGB
    assert np.allclose(only_red.sample(0, 16).image, red, atol=1e-6)  # the photo's own pixels, no added light
    with pytest.raises(DatasetFormatError, match="gone.png"):
        get_source("photo", photos=[str(photos / "red.png"), str(photos / "gone.png")])
    (tmp_path / "q").mkdir()
    (tmp_path / "q" / "red.png").write_bytes((photos / "blue.png").read_bytes())
    with pytest.raises(DatasetFormatError, match="share the file name red.png"):
        get_source("photo", photos=[str(photos / "red.png"), str(tmp_path / "q" / "red.png")])


def test_scene_light_adds_one_shared_cast_to_the_whole_scene(tmp_path):
    """``scene_light=True``: the procedural scenes' random illumination on top of the photo — one cast shared by
    figure and background (a one-colour photo stays one colour), not the photo's colour, and recorded."""
    photos = _constant_photos(tmp_path / "p")
    lit = get_source("photo", photos=[str(photos / "red.png")], scene_light=True)
    assert lit.options()["scene_light"] is True
    sample = lit.sample(0, 16)
    red = np.array(RED[::-1], np.float32) / 255
    assert np.ptp(sample.image.reshape(-1, 3), axis=0).max() < 1e-6
    assert not np.allclose(sample.image[0, 0], red, atol=1e-3)
    assert set(sample.meta["scene"]["illumination"]) == {"temperature", "tint", "exposure"}


def test_skin_puts_the_figures_head_and_hands_in_skin_colours_and_changes_nothing_else(tmp_path):
    """On a one-colour blue photo: with ``skin`` the pixels that differ from the photo are exactly the figure's skin
    (inside its mask, a part of it), and they are skin-coloured — red their largest channel, green above blue on
    average (the palette's hues 8–44°); the mask and every other pixel are those of the same scene without skin."""
    photos = _constant_photos(tmp_path / "p")
    plain = get_source("photo", photos=[str(photos / "blue.png")])
    skinned = get_source("photo", photos=[str(photos / "blue.png")], skin=True)
    blue = np.array(BLUE[::-1], np.float32) / 255
    for index in range(8):
        a, b = plain.sample(index, 48), skinned.sample(index, 48)
        assert np.array_equal(a.mask, b.mask) and np.allclose(a.image, blue, atol=1e-6)
        changed = np.abs(b.image - blue).max(-1) > 1e-6
        assert changed.any() and not (changed & ~b.mask).any() and changed.sum() < b.mask.sum()
        r, g, bl = b.image[changed].T
        assert ((r > g) & (r > bl)).mean() > 0.9 and r.mean() > g.mean() > bl.mean()  # edges mix with clothing
    assert skinned.options()["skin"] is True and "skin" not in plain.options()  # old datasets keep their identity


def test_texture_elsewhere_takes_the_figure_from_the_other_photo_and_records_it(tmp_path):
    """Two one-colour photos and probability 1: the figure is exactly the other photo's colour, the background
    the scene's photo's; with probability 0 every scene is the default's, draw for draw."""
    photos = _constant_photos(tmp_path / "p")
    colour = {"red.png": np.array(RED[::-1], np.float32) / 255, "blue.png": np.array(BLUE[::-1], np.float32) / 255}
    always = get_source("photo", photos=str(photos), texture_elsewhere=1.0)
    for index in range(8):
        sample = always.sample(index, 32)
        scene = sample.meta["scene"]
        assert scene["texture_photo"] != scene["photo"]
        assert np.allclose(sample.image[sample.mask], colour[scene["texture_photo"]], atol=1e-6)
        assert np.allclose(sample.image[~sample.mask], colour[scene["photo"]], atol=1e-6)
    never, default = get_source("photo", photos=str(photos), texture_elsewhere=0.0), get_source("photo", photos=str(photos))
    assert all(np.array_equal(never.sample(i, 32).image, default.sample(i, 32).image) for i in range(4))
    assert "texture_elsewhere" not in default.options() and always.options()["texture_elsewhere"] == 1.0
    with pytest.raises(ValueError, match="texture_elsewhere"):
        get_source("photo", photos=str(photos), texture_elsewhere=1.5)


def test_cli_texture_elsewhere_reaches_the_photo_source_and_is_refused_elsewhere(tmp_path):
    from harmonizer.data import __main__ as cli

    photos = _constant_photos(tmp_path / "p")
    out = cli.main(["build", "--source", "photo", "--photos", str(photos), "--out", str(tmp_path / "d"), "--clips",
                    "4", "--size", "24", "--texture-elsewhere", "1", "--workers", "1", "--no-progress"])
    info = json.loads((out / "dataset.json").read_text())
    assert info["source_options"]["texture_elsewhere"] == 1.0
    with pytest.raises(SystemExit, match="--source photo only"):
        cli.main(["build", "--out", str(tmp_path / "e"), "--clips", "3", "--texture-elsewhere", "0.5"])
