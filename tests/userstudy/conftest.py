"""Tiny generated videos and plans for the kit tests."""
import json

import cv2
import numpy as np
import pytest


def write_frames(folder, shade, n=6, size=32):
    folder.mkdir(parents=True, exist_ok=True)
    for t in range(n):
        img = np.zeros((size, size, 3), np.uint8)
        img[:, :, 1] = shade
        img[: (t * 5) % size, :, 2] = 200  # a moving bar, so consecutive frames differ
        assert cv2.imwrite(str(folder / f"{t:03d}.png"), img)
    return folder


def write_webm(path, shade, n=6, size=32):
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"VP80"), 8.0, (size, size))
    assert writer.isOpened()
    for t in range(n):
        writer.write(np.full((size, size, 3), (shade + 20 * t) % 256, np.uint8))
    writer.release()
    return path


@pytest.fixture
def ranking_study(tmp_path):
    """Three methods; clip c2 shows only two (a subset); clip c3 comes as a WebM file."""
    videos = tmp_path / "videos"
    for clip, methods in (("c1", "abc"), ("c2", "ac")):
        for k, m in enumerate(methods):
            write_frames(videos / clip / m, 60 * k)
    for k, m in enumerate("abc"):
        write_webm(videos / "c3" / f"{m}.webm", 70 * k)
    plan = {
        "study": "rank-test", "kind": "ranking", "methods": ["a", "b", "c"], "seed": 5, "layouts": 7,
        "title": "Test study", "instructions": "Rank the videos.",
        "questions": [{"id": "realism", "text": "Which looks most realistic?"},
                      {"id": "temporal", "text": "Which flickers least?"}],
        "trials": [{"id": "c1", "videos": {m: f"c1/{m}" for m in "abc"}},
                   {"id": "c2", "videos": {m: f"c2/{m}" for m in "ac"}},
                   {"id": "c3", "videos": {m: f"c3/{m}.webm" for m in "abc"}}],
    }
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    return videos, tmp_path / "plan.json", plan


@pytest.fixture
def pairwise_study(tmp_path):
    videos = tmp_path / "pvideos"
    for clip in ("p1", "p2"):
        for k, m in enumerate(("x", "y")):
            write_frames(videos / clip / m, 100 * k, n=4)
    plan = {
        "study": "pair-test", "kind": "pairwise", "methods": ["x", "y"], "seed": 1, "layouts": 3,
        "questions": [{"id": "realism", "text": "Which looks more realistic?"}],
        "trials": [{"id": c, "videos": {"x": f"{c}/x", "y": f"{c}/y"}} for c in ("p1", "p2")],
    }
    (tmp_path / "pplan.json").write_text(json.dumps(plan))
    return videos, tmp_path / "pplan.json", plan
