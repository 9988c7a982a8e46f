"""bench.realworld: every foreground on every background and its colour variants, fitted to one size."""
import json

import numpy as np
import pytest

from bench import video_io
from bench.__main__ import main
from bench.datasets import CompositeReader
from bench.realworld import build_composites, discover_backgrounds, discover_foregrounds, fit_frames
from harmonizer.data.color import apply_adjustment

T, H, W = 3, 32, 32


def _sources(tmp_path):
    rng = np.random.default_rng(11)
    fg_dir, bg_dir = tmp_path / "fg", tmp_path / "bg"
    fgs = []
    for j in range(2):
        frames = rng.integers(0, 256, (T, H, W, 3), np.uint8)
        masks = np.zeros((T, H, W), bool)
        masks[:, 8 + j:20, 6:18 + j] = True
        fgs.append((frames, masks))
    # one foreground as video files, one as frame folders
    video_io.write_video_file(fg_dir / "dancer.mkv", fgs[0][0])
    video_io.write_video_file(fg_dir / "dancer_mask.mkv", fgs[0][1])
    video_io.write_frame_folder(fg_dir / "talker" / "frames", fgs[1][0])
    video_io.write_frame_folder(fg_dir / "talker" / "mask", fgs[1][1])
    # backgrounds wider than the target (centre-cropped, no scaling) and with a spare frame (trimmed)
    bgs = [rng.integers(0, 256, (T + 1, H, W + 8, 3), np.uint8) for _ in range(2)]
    video_io.write_video_file(bg_dir / "a_street.mkv", bgs[0])
    video_io.write_frame_folder(bg_dir / "b_beach", bgs[1])
    return fg_dir, bg_dir, fgs, bgs


def test_every_foreground_on_every_background_variant(tmp_path):
    fg_dir, bg_dir, fgs, bgs = _sources(tmp_path)
    fg_pairs, bg_paths = discover_foregrounds(fg_dir), discover_backgrounds(bg_dir)
    assert [p[0].name for p in fg_pairs] == ["dancer.mkv", "frames"]
    out = build_composites(fg_pairs, bg_paths, tmp_path / "out", size=(H, W), variants=2, seed=4)
    records = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    assert len(records) == 2 * 2 * 3  # foregrounds × backgrounds × (original + 2 colour variants)
    reader = CompositeReader(out)
    assert len(reader) == 12
    for rec in records:
        j, i, v = int(rec["id"][2:5]), int(rec["id"][8:11]), rec["variant"]
        s = reader.load(rec["id"])
        comp = (s.composite.permute(0, 2, 3, 1).numpy() * 255).round().astype(np.uint8)
        fg, mask = fgs[j]
        bg = bgs[i][:T, :, 4:4 + W]  # centre crop by hand
        assert rec["frames"] == T and s.num_frames == T
        np.testing.assert_array_equal(s.mask[:, 0].numpy() > 0.5, mask)
        np.testing.assert_array_equal(comp[mask], fg[mask])
        if v == 0:
            np.testing.assert_array_equal(comp[~mask], bg[~mask])
            assert rec["color_params"] == {}
        else:  # the recorded parameters reproduce the variant, the same on every frame
            expected = np.stack([apply_adjustment(f.astype(np.float32) / 255, rec["color_params"]) for f in bg])
            expected = (np.clip(expected, 0, 1) * 255 + 0.5).astype(np.uint8)
            np.testing.assert_array_equal(comp[~mask], expected[~mask])
            assert np.abs(comp[~mask].astype(int) - bg[~mask]).mean() > 1
    info = json.loads((out / "dataset.json").read_text())
    assert info["config"]["seed"] == 4 and info["clips"] == 12 and len(info["backgrounds"]) == 2


def test_build_is_deterministic_in_seed(tmp_path):
    fg_dir, bg_dir, _, _ = _sources(tmp_path)
    args = (discover_foregrounds(fg_dir), discover_backgrounds(bg_dir))
    a = build_composites(*args, tmp_path / "a", size=(H, W), variants=1, seed=1, video_format="mkv")
    b = build_composites(*args, tmp_path / "b", size=(H, W), variants=1, seed=1, video_format="mkv")
    c = build_composites(*args, tmp_path / "c", size=(H, W), variants=1, seed=2, video_format="mkv")
    read = lambda root, cid: video_io.read_frames(root / cid / "composite.mkv")  # noqa: E731
    np.testing.assert_array_equal(read(a, "fg000_bg001_v1"), read(b, "fg000_bg001_v1"))
    assert not np.array_equal(read(a, "fg000_bg001_v1"), read(c, "fg000_bg001_v1"))


def test_fit_frames_crop_and_resize():
    frames = np.arange(2 * 4 * 8, dtype=np.uint8).reshape(2, 4, 8)
    np.testing.assert_array_equal(fit_frames(frames, (4, 4), "crop"), frames[:, :, 2:6])
    halved = fit_frames(frames, (2, 4), "resize")  # area interpolation of 2×2 blocks = their mean
    np.testing.assert_allclose(halved, frames.reshape(2, 2, 2, 4, 2).mean(axis=(2, 4)), atol=0.5)
    with pytest.raises(ValueError, match="fit must be"):
        fit_frames(frames, (4, 4), "stretch")


def test_bad_foregrounds_are_named(tmp_path):
    fg_dir, bg_dir, _, _ = _sources(tmp_path)
    video_io.write_frame_folder(fg_dir / "talker" / "mask", np.zeros((T - 1, H, W), bool))
    with pytest.raises(video_io.VideoReadError, match="talker.*3 frames but 2 masks"):
        build_composites(discover_foregrounds(fg_dir), discover_backgrounds(bg_dir), tmp_path / "o", size=(H, W))
    (fg_dir / "dancer_mask.mkv").unlink()
    with pytest.raises(video_io.VideoReadError, match="dancer.mkv has no mask video"):
        discover_foregrounds(fg_dir)


def test_procedural_build_through_the_cli(tmp_path):
    out = main(["build-realworld", "--out", str(tmp_path / "rw"), "--procedural-foregrounds", "2",
                "--procedural-backgrounds", "1", "--size", "32", "--frames", "3", "--seed", "3"])
    reader = CompositeReader(out)
    assert len(reader) == 2 * 1 * 3
    s = reader.load("fg001_bg000_v2")
    assert s.composite.shape == (3, 3, 32, 32) and 0 < float(s.mask.mean()) < 1
    info = json.loads((out / "dataset.json").read_text())
    assert info["source"]["name"] == "procedural" and info["source"]["seed"] == 3


def test_cli_with_given_videos_writes_video_files(tmp_path):
    fg_dir, bg_dir, fgs, _ = _sources(tmp_path)
    out = main(["build-realworld", "--out", str(tmp_path / "o"), "--foregrounds", str(fg_dir), "--backgrounds",
                str(bg_dir), "--size", f"{H}x{W}", "--variants", "0", "--format", "mkv"])
    assert sorted(p.name for p in (out / "fg001_bg000_v0").iterdir()) == ["composite.mkv", "mask.mkv"]
    s = CompositeReader(out).load("fg001_bg000_v0")
    np.testing.assert_array_equal(s.mask[:, 0].numpy() > 0.5, fgs[1][1])
    with pytest.raises(SystemExit, match="both --foregrounds and --backgrounds"):
        main(["build-realworld", "--out", str(tmp_path / "p"), "--foregrounds", str(fg_dir)])


# --- from real files: bench.realworld.build_from_media over tiny stand-ins of the fetched media --------------------

def test_build_from_media_pastes_real_people_on_real_videos_and_moving_stills(tmp_path, monkeypatch):
    from bench.realworld import build_from_media
    from tests.bench.fake_media import make_fake_media

    media, _ = make_fake_media(tmp_path, monkeypatch)
    out = build_from_media(media, tmp_path / "rw", foregrounds=2, backgrounds=2, frames=4, size=(32, 32), variants=1)
    info = json.loads((out / "dataset.json").read_text())
    assert set(info["footage"]) == {"carphone_pristine", "vtest", "bikes", "coffee"}
    assert info["footage"]["vtest"]["package"] == "fakemedia" and info["source"]["backgrounds"] == ["bikes", "coffee"]
    records = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    assert len(records) == 2 * 2 * 2
    reader = CompositeReader(out)
    for rec in records:
        fg_dir = out / rec["foreground"]
        fg = video_io.read_frames(fg_dir)
        mask = video_io.read_masks(out / rec["foreground_mask"])
        bg = video_io.read_frames(out / rec["background"])
        if rec["variant"]:
            bg = np.stack([(np.clip(apply_adjustment(f / 255.0, rec["color_params"]), 0, 1) * 255 + 0.5)
                           .astype(np.uint8) for f in bg])
        expected = np.where(mask[..., None], fg, bg)  # person from the footage, scene from the background
        sample = reader.load(rec["id"])
        got = (sample.composite.permute(0, 2, 3, 1).numpy() * 255).round().astype(np.uint8)
        assert np.array_equal(got, expected), rec["id"]
        assert 0.02 < mask.mean() < 0.9
    # the carphone foreground holds the (astronaut) face found by the Haar cascade; vtest's a walking figure
    assert records[0]["foreground"].startswith("sources/foregrounds/fg000-carphone_pristine")


def test_still_video_pans_the_window_it_records():
    from bench.realworld import still_video

    h, w = 120, 200
    ramp = np.tile(np.arange(w, dtype=np.float32), (h, 1))
    image = np.repeat((ramp / w * 255)[..., None], 3, axis=-1).astype(np.uint8)
    video, params = still_video(image, 5, (16, 16), np.random.default_rng(3))
    assert video.shape == (5, 16, 16, 3)
    xs = np.linspace(params["start"][0], params["end"][0], 5)
    centres = video[..., 0].astype(float).mean(axis=(1, 2)) / 255 * w  # a ramp's mean column is the centre
    assert np.allclose(centres, xs, atol=2.0), (centres, xs)


def test_cli_build_realworld_from_media(tmp_path, monkeypatch):
    from tests.bench.fake_media import make_fake_media

    media, _ = make_fake_media(tmp_path, monkeypatch)
    out = main(["build-realworld", "--media", str(media), "--out", str(tmp_path / "rw"), "--size", "32",
                "--frames", "3", "--variants", "0", "--procedural-foregrounds", "1", "--procedural-backgrounds", "1"])
    assert len(CompositeReader(out).clip_ids()) == 1
    assert "carphone_pristine" in json.loads((out / "dataset.json").read_text())["footage"]
