"""Real footage in the reproduction's plan: quick/paper build the real-world set from the fetched media and score the
ground-truth real set's report parts (table R beside Table I); tiny keeps procedural stand-ins and needs no media.
No real media here: a hand-written manifest stands in for ``python -m bench.media fetch``."""
from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

from reports.__main__ import main
from reports.plan import get_plan
from reports.reproduce import OptionError, build_steps, media_record, reproduce
from reports.specs import TABLES

# what the brief of the real set asks for, written out by hand (not read from the specs)
REAL_METHODS = {"cut_and_paste", "dih", "realism_cnn", "no_adv", "full"}


def fake_media(root):
    root.mkdir()
    items = [{"file": "fake/vtest.avi", "kind": "people", "package": "fakemedia", "version": "0", "sha256": "a"},
             {"file": "fake/carphone_pristine.avi", "kind": "people", "package": "fakemedia", "version": "0",
              "sha256": "b"},
             {"file": "fake/movie.avi", "kind": "people", "package": "fakemedia", "version": "0", "sha256": "e"},
             {"file": "fake/bikes.avi", "kind": "background_video", "package": "fakemedia", "version": "0",
              "sha256": "c"},
             {"file": "fake/coffee.png", "kind": "still", "package": "fakemedia", "version": "0", "sha256": "d"}]
    (root / "manifest.json").write_text(json.dumps({"items": items}))
    return root


def test_quick_plan_scores_the_real_set_report_parts_only():
    plan = get_plan("quick")
    assert plan.realworld.source == "media" and plan.realset is not None and plan.needs_media
    assert plan.tables[:2] == ("I", "R")  # rendered beside Table I
    scoring = {s.set.name: s for s in plan.scoring}
    report, untouched = scoring["realset_report"], scoring["realset_untouched"]
    assert (report.set.part, untouched.set.part) == ("report", "report-untouched")  # never validation
    assert set(report.methods) == REAL_METHODS and set(untouched.methods) == REAL_METHODS
    assert set(report.metrics) == {"psnr", "fpsnr", "mse", "lt_regional"} and report.set.flow == "dis"
    assert {"psnr", "fpsnr"} <= set(untouched.metrics)
    for label in REAL_METHODS:  # every method keeps the default blend all methods share (no blend option in the plan)
        assert "blend" not in plan.method(label).options


def test_real_set_table_states_footage_protocol_flow_and_scale():
    spec = TABLES["R"]
    assert spec.title == "Real set with ground truth (report part)" and set(spec.methods()) == REAL_METHODS
    for needed in ("vtest.avi", "carphone_pristine.mp4", "ground truth", "64²", "DIS flow", "blend='mask'",
                   "report parts", "harmonious input"):
        assert needed in spec.notes, needed
    assert {c.metric for c in spec.columns if c.source == "realset_report"} == {"psnr", "fpsnr", "mse", "lt_regional"}
    assert all(v is None for row in spec.rows for v in row.values.values())  # the paper has no such set


def test_real_set_table_renders_notes_and_marks_an_unchanged_output_best(tmp_path):
    from reports import tables

    rows = [("realset_report", m, "psnr", v) for m, v in (("cut_and_paste", 28.0), ("full", 27.0))]
    rows += [("realset_untouched", m, "psnr", v) for m, v in (("cut_and_paste", math.inf), ("full", 37.0))]
    meas = pd.DataFrame([dict(source=s, method=m, metric=k, mean=v, ci_low=math.nan, ci_high=math.nan, n_clips=3)
                         for s, m, k, v in rows])
    ctx = tables.ReportContext(profile="quick", data="hand-made test numbers")
    written = tables.write_tables(tmp_path, meas, ctx, tables={"R": TABLES["R"]})
    md = written["R"]["md"].read_text()
    assert TABLES["R"].notes in md and "synthetic training data" in md and "compare directions" in md
    cells = pd.read_csv(written["R"]["csv"])
    best = cells[cells.best.astype(bool)].set_index("column").method.to_dict()
    assert best["PSNR"] == "cut_and_paste" and best["PSNR untouched"] == "cut_and_paste"  # ∞ is the best PSNR


def test_tiny_plan_keeps_procedural_stand_ins_and_needs_no_media():
    plan = get_plan("tiny")
    assert plan.realworld.source == "procedural" and plan.realset is None and not plan.needs_media
    assert "R" not in plan.tables and "procedural stand-ins" in plan.description
    assert not any(s.set.name.startswith("realset") for s in plan.scoring)
    steps = build_steps(plan)  # no media record needed
    names = [s.name for s in steps]
    assert "data_realset" not in names and not any("realset" in n for n in names)
    report = next(s for s in steps if s.name == "report")
    assert "R" not in report.config["tables"] and "procedural stand-ins" in report.config["data"]


def test_quick_steps_read_the_media_and_say_real_footage(tmp_path):
    media = media_record(fake_media(tmp_path / "media"))
    steps = {s.name: s for s in build_steps(get_plan("quick"), media=media)}
    realworld = steps["data_realworld"].config
    assert realworld["source"] == "media" and realworld["media"] == str((tmp_path / "media").resolve())
    assert steps["data_realset"].config["media_manifest_sha256"] == media["manifest_sha256"]
    for label in REAL_METHODS:
        assert steps[f"score_realset_report__{label}"].deps[0] == "data_realset"
        assert f"score_realset_untouched__{label}" in steps["summary_realset_untouched"].deps
    report = steps["report"]
    assert {"summary_realset_report", "summary_realset_untouched"} <= set(report.deps)
    assert "R" in report.config["tables"]
    assert "real footage" in report.config["data"] and "vtest.avi" in report.config["data"]
    # the tables name the footage the real-world set is cut from, not the validation-only face
    assert "carphone_pristine.avi" in report.config["data"] and "movie.avi" not in report.config["data"]


def test_quick_without_media_is_one_clear_error_before_any_work(tmp_path, capsys):
    out = tmp_path / "out"
    with pytest.raises(OptionError, match=r"python -m bench\.media fetch --out .*nomedia"):
        reproduce("quick", out, media=tmp_path / "nomedia", progress=False)
    assert not out.exists()
    with pytest.raises(SystemExit) as exc:
        main(["reproduce", "--profile", "quick", "--out", str(out), "--media", str(tmp_path / "nomedia")])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert "bench.media fetch" in err[-1] and "Traceback" not in "\n".join(err) and not out.exists()
    with pytest.raises(OptionError, match="bench.media fetch"):
        build_steps(get_plan("quick"))  # a plan that reads footage cannot be built without it


def test_untouched_identity_renders_as_infinite_psnr():
    from reports import tables

    cell = dict(ours=math.inf, ci_low=math.nan, ci_high=math.nan, metric="fpsnr")
    assert tables._ours_text(cell).startswith("∞")
    assert tables._ours_text({**cell, "ours": math.nan}) == "not measured"


def test_real_footage_steps_build_and_score_the_report_parts(tmp_path, monkeypatch):
    """The data steps and a scoring step on tiny stand-ins of the fetched media (tests/bench/fake_media.py)."""
    from dataclasses import asdict

    from bench.summary import read_results
    from reports import steps
    from reports.pipeline import Pipeline, Step
    from tests.bench.fake_media import make_fake_media

    media, _ = make_fake_media(tmp_path, monkeypatch)
    record = media_record(media)
    real = {"media": record["dir"], "media_manifest_sha256": record["manifest_sha256"]}
    rw = dict(foregrounds=2, backgrounds=2, frames=4, size=32, variants=1, seed=0, source="media", **real)
    # the fake vtest is 40 frames long: validation people from frames [0, 18), report ones from 20 on
    rs = dict(size=32, frames=4, clips=2, carphone_clips=1, seed=0, split_frame=18, gap=2, **real)
    plan = get_plan("quick")
    score = [Step(f"score_{name}__cut_and_paste", steps.score_step,
                  {"dataset": name, "method": {**asdict(plan.method("cut_and_paste")), "run": None}, "flow": "dis",
                   "metrics": ["psnr", "fpsnr", "mse", "lt_regional"], "max_clips": None}, ("data_realset",))
             for name in ("realset_report", "realset_untouched")]
    Pipeline(tmp_path / "out", [Step("data_realworld", steps.build_realworld_step, rw),
                                Step("data_realset", steps.build_realset_step, rs), *score], progress=False).run(jobs=1)
    stamps = tmp_path / "out" / "stamps"
    realworld = json.loads((stamps / "data_realworld.json").read_text())["info"]
    assert realworld["source"] == "media" and realworld["footage"]["vtest"]["package"] == "fakemedia"
    report = read_results(tmp_path / "out" / "score_realset_report__cut_and_paste" / "results")
    untouched = read_results(tmp_path / "out" / "score_realset_untouched__cut_and_paste" / "results")
    assert report["clip"].nunique() == (2 + 1) * 3  # 3 people clips × the 3 default strengths, report part only
    assert untouched["clip"].nunique() == 3 and all(c.endswith("-orig") for c in untouched["clip"].unique())
    assert set(report["dataset"]) == {"report"} and set(untouched["dataset"]) == {"report-untouched"}  # never validation
    psnr = untouched[untouched.metric == "psnr"].value
    assert (psnr == math.inf).all()  # cut-and-paste returns the harmonious input unchanged: output = gt
    assert (report[report.metric == "fpsnr"].value < math.inf).all()  # recoloured clips differ from their gt


def test_quick_datasets_are_photo_scenes_read_from_the_media_training_photos(tmp_path):
    """The quick plan's three datasets are photo scenes; their steps carry the media folder, and the step builds the
    dataset from exactly the manifest's training photos (two tiny one-colour photos written here)."""
    import cv2
    import numpy as np

    from reports.pipeline import StepContext
    from reports.steps import build_dataset_step

    plan = get_plan("quick")
    assert {d.source for d in plan.datasets} == {"photo"} and plan.needs_media
    media = fake_media(tmp_path / "media")
    (media / "fake").mkdir()
    manifest = json.loads((media / "manifest.json").read_text())
    for name, bgr in (("red.png", (30, 30, 200)), ("green.png", (30, 200, 30))):
        cv2.imwrite(str(media / "fake" / name), np.full((60, 80, 3), bgr, np.uint8))
        manifest["items"].append({"file": f"fake/{name}", "kind": "training_photo", "package": "fakemedia",
                                  "version": "0", "sha256": "e"})
    still = np.full((60, 80, 3), (200, 30, 30), np.uint8)
    cv2.imwrite(str(media / "fake" / "coffee.png"), still)  # a still of the real-world set: not a training photo
    (media / "manifest.json").write_text(json.dumps(manifest))
    steps = {s.name: s for s in build_steps(plan, media=media_record(media))}
    config = steps["data_dancing"].config
    assert config["source"] == "photo" and config["media"] == str(media.resolve())
    config = {**config, "clips": 4, "size": 24, "workers": 1}
    ctx = StepContext("data_dancing", tmp_path / "step", config, {}, tmp_path, False, progress=False)
    info = build_dataset_step(ctx)
    assert info["source"] == "photo" and info["photos"] == ["green.png", "red.png"]
    built = json.loads((Path(info["data_dir"]) / "dataset.json").read_text())
    assert set(built["source_options"]["photo_files"]) == {"green.png", "red.png"}  # the still is not a training photo
