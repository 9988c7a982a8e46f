"""bench.realset: real footage recoloured inside its mask, the untouched footage as ground truth, disjoint parts."""
import json

import cv2
import numpy as np
import pytest

from bench.datasets import open_dataset
from bench.realset import PARTS, build_realset, reader
from harmonizer.data.color import apply_adjustment
from tests.bench.fake_media import make_fake_media

OPTIONS = dict(size=(32, 32), frames=4, clips=2, carphone_clips=1, face_clips=1, split_frame=18, gap=2,
               strengths=(0.25, 1.0))


@pytest.fixture(scope="module")
def realset(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("realset")
    with pytest.MonkeyPatch.context() as mp:
        media, _ = make_fake_media(tmp, mp)
        return build_realset(media, tmp / "set", **OPTIONS)


def _records(root, part):
    return [json.loads(line) for line in (root / part / "manifest.jsonl").read_text().splitlines()]


def test_parts_have_the_promised_clips_and_name_their_footage(realset):
    counts = json.loads((realset / "dataset.json").read_text())["parts"]
    assert counts == {"validation": (2 + 1) * 2, "validation-untouched": 3,
                      "report": (2 + 1) * 2, "report-untouched": 3}
    for part in PARTS:
        info = json.loads((realset / part / "dataset.json").read_text())
        assert info["kind"] == "realset" and info["footage"]
    assert cv2.imread(str(realset / "contact_sheet.png")).shape[1] >= 3 * 32  # one column per people clip
    assert {r["footage"] for r in _records(realset, "validation")} == {"vtest.avi", "movie.avi"}  # the close-up face
    assert {r["footage"] for r in _records(realset, "report")} == {"vtest.avi", "carphone_pristine.avi"}


def test_validation_and_report_share_no_frames(realset):
    def spans(part):
        return {(r["footage"], f) for r in _records(realset, part) for f in range(r["start_frame"], r["start_frame"] + 4)}

    assert not spans("validation") & spans("report")
    vtest = [r for r in _records(realset, "validation") if r["footage"] == "vtest.avi"]
    assert max(r["start_frame"] for r in vtest) + 4 <= OPTIONS["split_frame"]


def test_composite_is_the_footage_recoloured_inside_the_mask_only(realset):
    data = reader(realset, "report")
    for rec in _records(realset, "report"):
        sample = data.load(rec["id"])
        gt = (sample.gt.permute(0, 2, 3, 1).numpy() * 255).round().astype(np.uint8)
        comp = (sample.composite.permute(0, 2, 3, 1).numpy() * 255).round().astype(np.uint8)
        mask = sample.mask[:, 0].numpy() > 0.5
        assert np.array_equal(comp[~mask], gt[~mask])  # the scene is untouched
        expected = (np.clip(apply_adjustment(gt / 255.0, rec["color_params"]), 0, 1) * 255 + 0.5).astype(np.uint8)
        assert np.abs(comp[mask].astype(int) - expected[mask].astype(int)).max() <= 1  # recomputed by hand
        assert mask.mean() > 0.02 and rec["strength"] in OPTIONS["strengths"]


def test_colour_changes_grow_with_strength(realset):
    by_clip = {}
    for rec in _records(realset, "report") + _records(realset, "validation"):
        by_clip.setdefault(rec["id"].rsplit("-", 1)[0], {})[rec["strength"]] = rec["delta_e_fg"]
    for clip, de in by_clip.items():
        assert de[1.0] > de[0.25] > 0, clip
    # the recorded ΔE is the CIELAB distance over the mask, recomputed here for one clip
    rec = _records(realset, "validation")[0]
    sample = reader(realset, "validation").load(rec["id"])
    to_lab = lambda x: np.stack([cv2.cvtColor(f, cv2.COLOR_RGB2LAB) for f in x.permute(0, 2, 3, 1).numpy()])  # noqa: E731
    diff = np.linalg.norm(to_lab(sample.composite) - to_lab(sample.gt), axis=-1)
    assert diff[sample.mask[:, 0].numpy() > 0.5].mean() == pytest.approx(rec["delta_e_fg"], rel=0.02)


def test_untouched_parts_are_the_ground_truth_itself(realset):
    data = open_dataset(realset / "validation-untouched")  # auto-detected as a composite folder with gt
    for clip_id in data.clip_ids():
        sample = data.load(clip_id)
        assert "gt" in sample.available()
        assert bool((sample.composite == sample.gt).all())
    assert all(r["harmonious"] for r in _records(realset, "validation-untouched"))


def test_bench_runner_scores_gt_metrics_with_estimated_flow(realset, tmp_path):
    import pandas as pd

    from baselines.registry import get_method
    from bench.runner import run_benchmark

    out = run_benchmark({"cut_and_paste": get_method("cut_and_paste")}, reader(realset, "validation"),
                        tmp_path / "res", flow="dis", metrics=["psnr", "fpsnr", "mse", "lt_regional"], progress=False)
    table = pd.read_csv(out / "results.csv")
    assert set(table["metric"]) >= {"psnr", "fpsnr", "mse", "lt_regional"}
    assert table["value"].notna().all()
    mse = table[table["metric"] == "mse"]
    assert (mse["value"] > 0).all()  # cut-and-paste returns the recoloured input, which differs from the truth


def test_unknown_part_and_missing_footage_are_clear(tmp_path, realset):
    with pytest.raises(ValueError, match="unknown real-set part"):
        reader(realset, "test")
    from bench.media import MediaError

    with pytest.raises(MediaError, match="python -m bench.media fetch"):
        build_realset(tmp_path / "nothing", tmp_path / "set")


def test_too_few_people_clips_is_one_clear_error(tmp_path, monkeypatch, realset):
    import bench.masks

    media = realset.parent / "media"  # the fetched fake media of the module fixture
    monkeypatch.setattr(bench.masks, "people_clips", lambda *a, **k: [])
    with pytest.raises(ValueError, match="only 0 validation and 0 report people clips"):
        build_realset(media, tmp_path / "set", **OPTIONS)
    assert not (tmp_path / "set" / "dataset.json").exists()


def test_validation_only_builds_new_colour_draws_of_the_same_people_and_no_report(tmp_path, realset):
    """validation_only + another seed: the validation parts alone, the same footage frames and masks, other draws."""
    media = realset.parent / "media"
    other = build_realset(media, tmp_path / "val", **{**OPTIONS, "seed": 1, "validation_only": True})
    assert sorted(p.name for p in other.iterdir() if p.is_dir()) == ["validation", "validation-untouched"]
    counts = json.loads((other / "dataset.json").read_text())["parts"]
    assert counts == {"validation": (2 + 1) * 2, "validation-untouched": 3}
    assert json.loads((other / "dataset.json").read_text())["config"]["footage"].keys() == {"vtest.avi", "movie.avi"}
    first, second = _records(realset, "validation"), _records(other, "validation")
    assert [r["id"] for r in first] == [r["id"] for r in second]  # the same people clips (ids name frame and box)
    assert [r["color_params"] for r in first] != [r["color_params"] for r in second]  # other colour draws
    for a, b in zip(first, second):
        for folder in ("gt", "mask"):
            for fa, fb in zip(sorted((realset / "validation" / a["id"] / folder).iterdir()),
                              sorted((other / "validation" / b["id"] / folder).iterdir())):
                assert np.array_equal(cv2.imread(str(fa)), cv2.imread(str(fb)))


def test_without_the_validation_face_the_build_needs_no_webcam_clip(tmp_path, realset):
    """--face-clips 0: no movie.avi needed (a media folder without kphotoalbum); with it missing, one clear line."""
    media = tmp_path / "media"
    import shutil

    shutil.copytree(realset.parent / "media", media)
    manifest = json.loads((media / "manifest.json").read_text())
    manifest["items"] = [i for i in manifest["items"] if not i["file"].endswith("movie.avi")]
    (media / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(FileNotFoundError, match=r"no movie footage.*--face-clips 0"):
        build_realset(media, tmp_path / "set", **OPTIONS)
    built = build_realset(media, tmp_path / "set", **{**OPTIONS, "face_clips": 0})
    assert {r["footage"] for r in _records(built, "validation")} == {"vtest.avi"}
    assert _records(built, "report") == _records(realset, "report")  # the report part does not depend on it


def test_an_existing_real_set_is_replaced_only_with_overwrite_and_a_foreign_folder_never(tmp_path, realset):
    """A rebuild into a real set (e.g. validation-only draws into the full set) would mix two builds: refused
    without overwrite, and then the old parts are gone; a user's non-empty folder and the media folder are refused
    before any work, and nothing in them changes."""
    from harmonizer.atomic import OutputError

    media = realset.parent / "media"
    out = build_realset(media, tmp_path / "set", **OPTIONS)
    with pytest.raises(OutputError, match="holds an earlier 'realset' output; pass --overwrite"):
        build_realset(media, out, **{**OPTIONS, "seed": 1, "validation_only": True})
    assert (out / "report" / "manifest.jsonl").exists()  # untouched by the refused build
    build_realset(media, out, overwrite=True, **{**OPTIONS, "seed": 1, "validation_only": True})
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == ["validation", "validation-untouched"]
    assert json.loads((out / "dataset.json").read_text())["config"]["seed"] == 1

    user = tmp_path / "mine"
    user.mkdir()
    (user / "notes.txt").write_text("keep me")
    with pytest.raises(OutputError, match="is not empty .* not written by this suite"):
        build_realset(media, user, **OPTIONS)
    assert sorted(p.name for p in user.iterdir()) == ["notes.txt"]
    with pytest.raises(OutputError, match="lies inside the input"):
        build_realset(media, media / "set", **OPTIONS)
    assert not (media / "set").exists()
