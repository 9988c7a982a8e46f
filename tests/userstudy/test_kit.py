"""Study kit builder (no browser): plan validation, recorded randomisation, video placement."""
import json
import re

import cv2
import pytest

from harmonizer.atomic import OutputError
from userstudy.kit import PlanError, build_kit, layout_for_rater, load_plan, make_layouts, plan_items
from userstudy.kit.build import fnv1a_32


def test_fnv1a_matches_published_test_vectors():
    # FNV-1a 32-bit reference values (Fowler/Noll/Vo test suite)
    assert fnv1a_32("") == 0x811C9DC5
    assert fnv1a_32("a") == 0xE40C292C
    assert fnv1a_32("foobar") == 0xBF9CF968
    assert layout_for_rater(" a ", 7) == 0xE40C292C % 7


def test_build_kit_writes_page_videos_and_record(ranking_study, tmp_path):
    videos, plan_path, plan = ranking_study
    out = build_kit(videos, plan_path, tmp_path / "kit")
    for name in ("index.html", "app.js", "style.css", "study.js", "study.json", "plan.json"):
        assert (out / name).is_file(), name
    record = json.loads((out / "study.json").read_text())
    # 2 questions x 3 trials; the c2 item shows only a and c
    assert [(i["question"], i["trial"], i["methods"]) for i in record["items"]][:3] == [
        ("realism", "c1", ["a", "b", "c"]), ("realism", "c2", ["a", "c"]), ("realism", "c3", ["a", "b", "c"])]
    assert len(record["layouts"]) == 7
    for layout in record["layouts"]:
        assert sorted(layout["order"]) == list(range(6))
    assert record["layouts"] == make_layouts(plan_items(load_plan(plan_path)), seed=5, n_layouts=7)
    assert len({tuple(l["order"]) for l in record["layouts"]}) > 1  # layouts actually differ
    for clip, files in record["video_files"].items():
        for method, rel in files.items():
            path = out / rel
            assert re.fullmatch(r"[0-9a-f]{10}", path.stem)  # opaque: the name does not give the method away
            cap = cv2.VideoCapture(str(path))
            ok, frame = cap.read()
            assert ok and frame.shape == (32, 32, 3), path
    assert record["video_files"]["c1"]["a"].endswith(".webm")  # frame folder encoded
    assert "window.STUDY = " in (out / "study.js").read_text()
    assert not list(tmp_path.glob(".kit.*"))  # no temporary folder left
    with pytest.raises(OutputError, match="--overwrite"):
        build_kit(videos, plan_path, out)
    build_kit(videos, plan_path, out, overwrite=True)


def test_pairwise_items(pairwise_study):
    _, plan_path, _ = pairwise_study
    items = plan_items(load_plan(plan_path))
    assert [(i["trial"], i["methods"]) for i in items] == [("p1", ["x", "y"]), ("p2", ["x", "y"])]


@pytest.mark.parametrize("change, message", [
    (lambda p: p.update(kind="rating"), "kind: must be one of"),
    (lambda p: p["trials"][1]["videos"].update(zhu="c2/a"), r"trials\[1\].videos: method 'zhu' is not in methods"),
    (lambda p: p["trials"][0]["videos"].update(a="/abs/a.mp4"), r"trials\[0\].videos.a: '/abs/a.mp4' must be"),
    (lambda p: p.pop("questions"), "missing key 'questions'"),
    (lambda p: p.update(colour="red"), r"unknown key\(s\) \['colour'\]"),
    (lambda p: p["methods"].append("a"), "listed twice"),
    (lambda p: p.update(layouts=0), "layouts: must be an integer >= 1"),
    (lambda p: p["trials"].append(dict(p["trials"][0])), "duplicate trial id"),
])
def test_plan_errors_name_the_key(ranking_study, tmp_path, change, message):
    _, plan_path, plan = ranking_study
    change(plan)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(plan))
    with pytest.raises(PlanError, match=message) as err:
        load_plan(bad)
    assert str(bad) in str(err.value)


def test_missing_or_bad_videos_are_named(ranking_study, tmp_path):
    videos, plan_path, plan = ranking_study
    plan["trials"][0]["videos"]["a"] = "c1/missing.mp4"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(plan))
    with pytest.raises(PlanError, match=r"trials\[c1\].videos.a: .*missing.mp4 does not exist"):
        build_kit(videos, bad, tmp_path / "kit")
    (videos / "notes.txt").write_text("x")
    plan["trials"][0]["videos"]["a"] = "notes.txt"
    bad.write_text(json.dumps(plan))
    with pytest.raises(PlanError, match="must be .mp4 or .webm"):
        build_kit(videos, bad, tmp_path / "kit")
    assert not (tmp_path / "kit").exists()
