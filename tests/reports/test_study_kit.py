"""The reproduction's ``study_kit`` step on the tiny profile's procedural stand-ins: the steps it reads (the
real-world composites and the study methods' 2-step trainings) and the kit itself, run once for the module."""
from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest

from reports import steps
from reports.pipeline import Pipeline, Step
from reports.plan import get_plan
from reports.report import report_step
from reports.reproduce import build_steps
from reports.study_kit import STEP, chosen_clips, kit_description

# the study's methods as the paper's Table I and its with/without-D study name them, written out by hand
RANKING = ["cut_and_paste", "realism_cnn", "dih", "full"]
PAIRWISE = ["full", "no_adv"]


def _kit_pipeline(root: Path) -> Pipeline:
    """The tiny plan's steps the kit needs (itself included), taken from the reproduction's own step list."""
    all_steps = {s.name: s for s in build_steps(get_plan("tiny"))}
    needed, todo = [], [STEP]
    while todo:
        name = todo.pop()
        if name not in needed:
            needed.append(name)
            todo.extend(all_steps[name].deps)
    return Pipeline(root, [s for s in all_steps.values() if s.name in needed], progress=False)


@pytest.fixture(scope="module")
def kit_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("study-kit")
    records = {r.name: r for r in _kit_pipeline(root).run(jobs=1)}
    return root, records


def _clips(root: Path) -> list[dict]:
    """The real-world composites as bench.realworld recorded them (manifest.jsonl), read without the suite's code."""
    lines = (root / "data_realworld" / "data" / "manifest.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _decoded_frames(path: Path) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(frame)
    cap.release()
    return frames


def test_plan_wires_the_kit_into_the_reproduction():
    plan = get_plan("tiny")
    names = [s.name for s in build_steps(plan)]
    assert STEP in names and names.index(STEP) < names.index("report")
    report = next(s for s in build_steps(plan) if s.name == "report")
    assert STEP in report.deps  # the report says where the kit is
    study = next(s for s in build_steps(plan) if s.name == "study")
    assert STEP in study.deps and names.index(STEP) < names.index("study")  # given answers checked against its clips
    kit = next(s for s in build_steps(plan) if s.name == STEP)
    assert set(kit.deps) == {"data_realworld", "train_full", "train_no_adv", "train_dih", "train_realism_cnn"}
    assert get_plan("quick").study.kit_clips is None and get_plan("paper").study.kit_clips == 30


def test_kit_plans_name_every_study_method_and_clip(kit_run):
    root, records = kit_run
    assert records[STEP].status == "ran"
    kit = root / STEP
    clips = [c["id"] for c in _clips(root)]
    assert len(clips) == 2  # tiny: 1 foreground × 1 background × (1 + 1 colour variant)
    plan = get_plan("tiny").study
    assert list(plan.ranking_methods) == RANKING and list(plan.pairwise_methods) == PAIRWISE
    for kind, methods, questions in (("ranking", RANKING, ["realism", "temporal"]), ("pairwise", PAIRWISE, ["realism"])):
        assert (kit / kind / "index.html").is_file()
        written = json.loads((kit / kind / "plan.json").read_text())  # the plan build_kit wrote
        assert written["kind"] == kind and written["methods"] == methods
        assert [q["id"] for q in written["questions"]] == questions
        assert [t["id"] for t in written["trials"]] == clips
        assert all(set(t["videos"]) == set(methods) for t in written["trials"])
        record = json.loads((kit / kind / "study.json").read_text())
        assert set(record["video_files"]) == set(clips)
        assert all(set(files) == set(methods) for files in record["video_files"].values())
        # every question of the kit is one the study step reads (it fits nothing else)
        assert all(q in steps.QUESTION_SOURCES for q in questions)
    record = json.loads((kit / "kit.json").read_text())
    assert record["clips"] == {c["id"]: c["frames"] for c in _clips(root)}
    assert set(record["methods"]) == set(RANKING) | set(PAIRWISE)
    assert record["methods"]["full"]["checkpoint"] == str(root / "train_full" / "run")
    assert "procedural" in record["footage"]  # tiny: stand-ins, said so
    page = (kit / "index.html").read_text()
    assert "ranking/index.html" in page and "pairwise/index.html" in page and "SIMULATED" in page
    assert "--rankings" in page and "--pairwise" in page


def test_kit_videos_decode_with_every_frame_of_the_clip(kit_run):
    root, _ = kit_run
    frames = {c["id"]: c["frames"] for c in _clips(root)}
    for kind in ("ranking", "pairwise"):
        record = json.loads((root / STEP / kind / "study.json").read_text())
        for clip, files in record["video_files"].items():
            for method, rel in files.items():
                decoded = _decoded_frames(root / STEP / kind / rel)
                assert len(decoded) == frames[clip] == 3, (kind, clip, method)
                assert decoded[0].shape == (32, 32, 3)


def test_kit_frames_are_the_methods_outputs_on_the_composites(kit_run):
    root, _ = kit_run
    for clip in _clips(root):
        src = root / "data_realworld" / "data" / clip["id"]
        for t in range(clip["frames"]):
            composite = cv2.imread(str(sorted((src / "composite").iterdir())[t]))
            mask = cv2.imread(str(sorted((src / "mask").iterdir())[t]), cv2.IMREAD_GRAYSCALE) > 127
            out = root / STEP / "frames" / clip["id"]
            paste = cv2.imread(str(out / "cut_and_paste" / f"{t:05d}.png"))
            assert np.array_equal(paste, composite)  # cut-and-paste shows the composite itself
            for gan in ("full", "no_adv"):  # the GAN methods as scored: background kept (blend="mask")
                frame = cv2.imread(str(out / gan / f"{t:05d}.png"))
                assert np.array_equal(frame[~mask], composite[~mask])


def test_a_second_run_is_cached(kit_run):
    root, _ = kit_run
    stamp = (root / "stamps" / f"{STEP}.json").read_text()
    again = {r.name: r for r in _kit_pipeline(root).run(jobs=1)}
    assert {r.status for r in again.values()} == {"cached"}
    assert (root / "stamps" / f"{STEP}.json").read_text() == stamp


def test_answers_in_the_kits_export_format_are_what_the_study_reads(kit_run, tmp_path):
    """Rows shaped as the page exports them (study.json columns, trial = item trial, methods of the item) pass the
    reproduction's own check of a --rankings / --pairwise file."""
    root, _ = kit_run
    plan = get_plan("tiny").study
    for kind, methods in (("ranking", plan.ranking_methods), ("pairwise", plan.pairwise_methods)):
        record = json.loads((root / STEP / kind / "study.json").read_text())
        rows = []
        for rater in ("p1", "p2"):
            for item in record["items"]:
                row = {"rater": rater, "question": item["question"], "trial": item["trial"]}
                if kind == "ranking":
                    row["ranking"] = ">".join(item["methods"])
                else:
                    row.update(left=item["methods"][0], right=item["methods"][1], choice="left")
                rows.append(row)
        path = tmp_path / f"{kind}.csv"
        pd.DataFrame(rows, columns=record["columns"]).to_csv(path, index=False)
        answers = steps.read_study_answers(path, kind, methods)
        assert len(answers.table) == 2 * len(record["items"])


def test_clip_choice_spreads_over_the_set():
    ids = [f"c{i}" for i in range(27)]
    assert chosen_clips(ids, None) == ids and chosen_clips(ids, 40) == ids
    assert chosen_clips(ids, 3) == ["c0", "c13", "c26"]


def test_the_report_says_where_the_kit_is_and_that_the_study_stays_simulated(kit_run, tmp_path):
    """The report step of a hand-made pipeline (tests/reports/test_report_glue.py) with this module's kit record."""
    from tests.reports.test_report_glue import _pipeline

    root, _ = kit_run
    assert kit_description(root, ("study_realism", "study_temporal", "pairwise")).endswith(
        "stay SIMULATED until its answers are given with --rankings and --pairwise")
    assert kit_description(root, ("pairwise",)).endswith("until its answers are given with --pairwise")
    assert "SIMULATED" not in kit_description(root, ()) and "study_kit/index.html" in kit_description(root, ())

    Pipeline(tmp_path, _glue_with_kit(root, tmp_path), progress=False).run()
    readme = (tmp_path / "report" / "README.md").read_text()
    assert "## User-study kit" in readme and "(../study_kit/index.html)" in readme
    for text in (readme, (tmp_path / "report" / "tables" / "table_I.md").read_text(),
                 (tmp_path / "report" / "claims.md").read_text()):
        assert "study_kit/index.html" in text and "stay SIMULATED until its answers are given" in text


def _glue_with_kit(root: Path, out: Path, rankings: Path | None = None) -> list[Step]:
    """The hand-made pipeline of tests/reports/test_report_glue.py with a ``study_kit`` step holding this module's
    kit record, read by the study and the report as in the reproduction."""
    from tests.reports.test_report_glue import _pipeline

    def copy_kit(ctx):
        (ctx.out_dir / "kit.json").write_text((root / STEP / "kit.json").read_text())

    glue = [Step(STEP, copy_kit)]
    for step in _pipeline(out, rankings=rankings).steps:
        deps = (*step.deps, STEP) if step.name in ("study", "report") else step.deps
        glue.append(Step(step.name, step.fn, step.config, deps))
    return glue


def test_given_rankings_are_checked_against_the_kits_clips(kit_run, tmp_path):
    root, _ = kit_run
    clips = [c["id"] for c in _clips(root)]
    orders = ["gan>dih>realism_cnn>cut_and_paste", "dih>gan>cut_and_paste>realism_cnn",
              "gan>cut_and_paste>dih>realism_cnn"]
    rows = [dict(rater=f"r{r}", question=q, trial=trial, ranking=orders[(r + k) % 3])
            for r in range(4) for q in ("realism", "temporal") for k, trial in enumerate([*clips, "from-elsewhere"])]
    path = tmp_path / "rankings.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    out = tmp_path / "out"
    Pipeline(out, _glue_with_kit(root, out, rankings=path), progress=False).run()
    info = json.loads((out / "study" / "study.json").read_text())
    assert info["ranking"]["trials"] == 3 and info["ranking"]["trials_in_kit"] == 2  # 2 kit clips + 1 foreign
    table = (out / "report" / "tables" / "table_I.md").read_text()
    assert "2 of its 3 trials are clips of this reproduction's study kit" in table
    assert table.count("until its answers are given with --pairwise") == 1  # the pairwise study is still simulated
    assert "--rankings and" not in table
