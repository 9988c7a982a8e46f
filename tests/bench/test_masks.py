"""bench.masks: extraction on synthetic moving figures with known masks, a real face, quality measures, caching."""
import numpy as np
import pytest

from bench import masks
from tests.bench.fake_media import close_face_video, face_video, figure_mask, make_fake_media, walking_video


def test_iou_and_polygon_against_hand_counts():
    square = masks.polygon_mask((20, 20), [[[2, 2], [11, 2], [11, 11], [2, 11]]])  # fillPoly includes the edges
    assert square.sum() == 100 and square[2:12, 2:12].all()
    other = np.zeros((20, 20), bool)
    other[7:17, 2:12] = True  # overlaps the square in 5 rows of 10
    assert masks.iou(square, other) == pytest.approx(50 / 150)
    assert masks.iou(np.zeros((3, 3), bool), np.zeros((3, 3), bool)) == 1.0
    half = masks.polygon_mask((10, 10), [[[2, 2], [11, 2], [11, 11], [2, 11]]], scale=0.5)
    assert half.sum() == 25


def test_background_model_recovers_walking_figures():
    frames, truth = walking_video()
    found = masks.background_model_masks(frames)
    ious = [masks.iou(f, t) for f, t in zip(found, truth)]
    assert min(ious) > 0.9, ious


def test_background_model_ignores_a_static_scene_and_small_specks():
    frames, _ = walking_video()
    still = np.repeat(frames[:1], 5, axis=0).copy()
    still[2, 10:13, 10:13] = 255  # a 9-pixel speck, under min_area
    background = masks.median_background(np.repeat(frames[:1], 3, axis=0))
    assert not masks.background_model_masks(still, background=background).any()


def test_grabcut_finds_a_real_face_and_stays_stable():
    video = face_video(5)  # scikit-image's astronaut photo, drifting
    face = masks.detect_face(video[0])
    assert face is not None
    found = masks.grabcut_face_masks(video)
    x, y, w, h = face.astype(int)
    assert found[:, y + h // 4:y + 3 * h // 4, x + w // 4:x + 3 * w // 4].all()  # the face core is foreground
    assert not found[:, :8, -20:].any()  # the top-right corner (the rocket's sky) is background
    assert 0.2 < found.mean() < 0.7
    assert masks.stability(found).min() > 0.75


def test_side_background_keeps_the_scene_beside_a_close_face_out_and_the_face_in():
    video = close_face_video(4)  # the astronaut's head and shoulders filling the frame
    face = masks.detect_face(video[0])
    found = masks.grabcut_face_masks(video, side_background=True)
    x, y, w, h = face.astype(int)
    assert found[:, y + h // 4:y + 3 * h // 4, x + w // 4:x + 3 * w // 4].all()  # the face core is foreground
    # beside the head, down to the chin, is the scene (frame 0, whose seed is this detection; 3 px for the closing)
    beside = np.r_[0:max(0, x - w // 4 - 3), min(video.shape[2], x + int(1.25 * w) + 3):video.shape[2]]
    assert not found[0, :y + h][:, beside].any()
    assert found[:, -5:].mean() > 0.3  # the shoulders below are still the person


def test_footage_options_reach_the_extractor_and_key_the_cache(tmp_path, monkeypatch):
    media, _ = make_fake_media(tmp_path, monkeypatch)
    seen = []
    monkeypatch.setitem(masks.EXTRACTORS, "grabcut_face",
                        lambda frames, **k: seen.append(k) or np.zeros(frames.shape[:3], bool))
    masks.footage_masks(media, "movie", progress=False)
    assert seen == [{"progress": False, "side_background": True}]  # the recipe's option, from FOOTAGE
    monkeypatch.setitem(masks.FOOTAGE, "movie", {**masks.FOOTAGE["movie"], "options": {"side_background": False}})
    masks.footage_masks(media, "movie", progress=False)  # another option: not the cached masks
    assert seen[-1]["side_background"] is False and len(seen) == 2


def test_grabcut_masks_do_not_depend_on_what_used_opencvs_rng_before():
    import cv2

    video = face_video(4)
    first = masks.grabcut_face_masks(video)
    cv2.randu(np.empty((500, 500)), 0, 1)  # anything else drawing from OpenCV's RNG, e.g. another video's GrabCut
    assert np.array_equal(masks.grabcut_face_masks(video), first)


def test_grabcut_without_a_face_is_a_clear_error():
    blank = np.full((3, 60, 80, 3), 128, np.uint8)
    with pytest.raises(ValueError, match="no face found in frame 0"):
        masks.grabcut_face_masks(blank)


def test_warped_stability_forgives_motion_but_not_flicker():
    rng = np.random.default_rng(0)
    import cv2

    scene = cv2.GaussianBlur(rng.integers(0, 256, (64, 96, 3)).astype(np.uint8), (0, 0), 1.5)
    frames = np.stack([np.roll(scene, 3 * t, axis=1) for t in range(4)])  # the whole view pans 3 px per frame
    moving = np.stack([np.roll(figure_mask(64, 96, 30, 10, 40), 3 * t, axis=1) for t in range(4)])
    assert masks.stability(moving).max() < 0.95  # the plain IoU drops as the figure moves
    assert masks.warped_stability(frames, moving).min() > 0.95
    flicker = moving.copy()
    flicker[2] = False
    assert masks.warped_stability(frames, flicker)[1] == 0.0


def test_footage_masks_are_cached_and_keyed_by_the_source(tmp_path, monkeypatch):
    media, fake = make_fake_media(tmp_path, monkeypatch)
    frames, found = masks.footage_masks(media, "vtest", progress=False)
    assert frames.shape[1:3] == (96, 128)  # vtest is read at half scale
    assert (media / "masks" / "vtest.npz").is_file()
    calls = []
    monkeypatch.setitem(masks.EXTRACTORS, "background_model", lambda *a, **k: calls.append(1) or found)
    again = masks.footage_masks(media, "vtest", progress=False)[1]
    assert calls == [] and np.array_equal(again, found)
    monkeypatch.setattr(masks, "MASKS_VERSION", masks.MASKS_VERSION + 1)  # a changed recipe recomputes
    masks.footage_masks(media, "vtest", progress=False)
    assert calls == [1]


def test_people_clips_hold_one_whole_person(tmp_path, monkeypatch):
    media, _ = make_fake_media(tmp_path, monkeypatch)
    clips = masks.people_clips(media, "vtest", 3, length=4, size=(32, 32))
    assert clips and all(c["gt"].shape == (4, 32, 32, 3) and c["mask"].shape == (4, 32, 32) for c in clips)
    for c in clips:
        border = np.concatenate([c["mask"][:, 0], c["mask"][:, -1], c["mask"][:, :, 0], c["mask"][:, :, -1]], 1)
        assert border.mean() <= 0.05 and c["mask"].mean(axis=(1, 2)).min() > 0.05
    assert len({c["start"] for c in clips}) == len(clips)


def test_evaluate_writes_numbers_and_sheets(tmp_path, monkeypatch):
    media, fake = make_fake_media(tmp_path, monkeypatch)
    import json

    truth = fake["vtest_masks"][7]
    import cv2

    contours, _ = cv2.findContours(truth.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    hand = tmp_path / "hand.json"
    hand.write_text(json.dumps({"masks": [{"footage": "vtest.avi", "frame": 7, "size": list(truth.shape),
                                           "region": [0, 0, truth.shape[1], truth.shape[0]],
                                           "polygons": [c[:, 0].tolist() for c in contours]}]}))
    monkeypatch.setattr(masks, "FOOTAGE", {"vtest": masks.FOOTAGE["vtest"]})
    report = masks.evaluate(media, hand, tmp_path / "quality")
    assert report["footage"]["vtest"]["iou_mean"] > 0.85
    assert (tmp_path / "quality" / "masks-vtest.png").stat().st_size > 1000
    assert (tmp_path / "quality" / "hand-vtest.png").is_file()
