"""The reproduction's user-study kit: every study method's output on the real-world composites, as browser studies.

Step ``study_kit`` (after the trainings, beside ``study``) writes::

    OUT/study_kit/index.html           start page: what the two studies hold, how to bring the answers back
    OUT/study_kit/kit.json             footage, clips (frames each), methods (with their checkpoints), both plans
    OUT/study_kit/ranking/index.html   userstudy.kit.build_kit: realism + temporal rankings of the ranking methods
    OUT/study_kit/pairwise/index.html  userstudy.kit.build_kit: the with/without-D pairwise study (realism)
    OUT/study_kit/frames/<clip>/<method>/00000.png ...   each method's output frames (lossless; the kits encode them)

Methods and questions are the ones the ``study`` step simulates or fits (:class:`reports.plan.StudyPlan`), clips are
the ``data_realworld`` composites (real footage in quick/paper, procedural stand-ins in tiny), every method built
exactly as the scoring steps build it (with the background blend every method shares by default).  The kits' answer
CSVs (trial = clip id, method names = the tables' labels) go back in with ``--rankings`` / ``--pairwise``; until
then the study columns stay SIMULATED, and the report says so next to where the kit is.
"""
from __future__ import annotations

import html
import json
from dataclasses import asdict
from pathlib import Path

import cv2
import numpy as np
from tqdm.auto import tqdm

from harmonizer.atomic import write_text_atomic
from reports.pipeline import Step, StepContext, write_json_atomic
from reports.plan import ProfilePlan
from reports.steps import _to_uint8, build_method, open_scored_dataset, run_dir_of  # _to_uint8: as the samples step

STEP = "study_kit"
QUESTIONS = {  # the questions the study step's sources read (reports.steps.QUESTION_SOURCES)
    "ranking": [{"id": "realism", "text": "Rank the videos by how realistic the person looks in its scene, "
                                          "judging any single frame (click the best first)."},
                {"id": "temporal", "text": "Rank the videos by how steady the person's colours stay from frame "
                                           "to frame, without flicker (click the best first)."}],
    "pairwise": [{"id": "realism", "text": "Which video looks more realistic: does the person belong in the scene?"}],
}
INSTRUCTIONS = ("Each video loops a few frames of a person pasted into another scene; the person's colours were "
                "adjusted by a different method in each video. Watch all of them, then answer the question above.")


def study_kit_step_of(plan: ProfilePlan) -> Step:
    """The ``study_kit`` step of ``plan``: reads ``data_realworld`` and the (first) training of every study method."""
    s = plan.study
    labels = list(dict.fromkeys((*s.ranking_methods, *s.pairwise_methods)))
    methods = [asdict(plan.method(label)) for label in labels]
    config = {"profile": plan.profile, "ranking_methods": list(s.ranking_methods),
              "pairwise_methods": list(s.pairwise_methods), "methods": methods, "clips": s.kit_clips,
              "seed": s.seed, "layouts": 16, "questions": QUESTIONS}
    runs = sorted({m["run"] for m in methods if m["run"]})
    return Step(STEP, study_kit_step, config, ("data_realworld", *[f"train_{r}" for r in runs]))


def chosen_clips(ids: list[str], n: int | None) -> list[str]:
    """All clips, or ``n`` spread evenly over the list (so the kit covers every background and colour variant)."""
    if n is None or n >= len(ids):
        return list(ids)
    return [ids[i] for i in sorted(set(np.linspace(0, len(ids) - 1, n).round().astype(int).tolist()))]


def _write_frames(folder: Path, frames) -> int:
    """T×3×H×W float frames in [0, 1] as ``00000.png``, ``00001.png``, ... (RGB → OpenCV's BGR); returns T."""
    folder.mkdir(parents=True, exist_ok=True)
    arr = _to_uint8(frames)
    for t, frame in enumerate(arr):
        if not cv2.imwrite(str(folder / f"{t:05d}.png"), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR)):
            raise OSError(f"cannot write frame {folder / f'{t:05d}.png'}")
    return len(arr)


def study_kit_step(ctx: StepContext) -> dict:
    """Run every study method on the chosen real-world composites and build the ranking and pairwise kits."""
    import torch

    from userstudy.kit import build_kit, plan_from_dict

    c = ctx.config
    out = ctx.fresh()
    torch.manual_seed(c["seed"])
    dataset = open_scored_dataset(ctx, "realworld", None)
    described = json.loads((Path(dataset.root) / "dataset.json").read_text())  # bench.realworld's record
    clips = chosen_clips(dataset.clip_ids(), c["clips"])
    methods = {m["label"]: build_method(ctx, m) for m in c["methods"]}
    frames: dict[str, int] = {}
    size = None
    bar = tqdm(total=len(clips) * len(methods), desc="study kit outputs", unit="video", disable=not ctx.progress)
    for clip in clips:
        sample = dataset.load(clip)
        size = sample.size
        for label, method in methods.items():
            frames[clip] = _write_frames(out / "frames" / clip / label, method.harmonize(sample.composite, sample.mask))
            bar.update(1)
    bar.close()
    fps = float(described["config"]["fps"])
    plans, kits = {}, {}
    for kind in ("ranking", "pairwise"):
        shown = c[f"{kind}_methods"]
        plans[kind] = {
            "study": f"vhs-{c['profile']}-{kind}", "kind": kind, "methods": list(shown),
            "title": "Video harmonization study" + (" (with or without the discriminator)" if kind == "pairwise"
                                                    else ""),
            "instructions": INSTRUCTIONS, "questions": c["questions"][kind],
            "trials": [{"id": clip, "videos": {m: f"{clip}/{m}" for m in shown}} for clip in clips],
            "seed": int(c["seed"]), "layouts": int(c["layouts"]), "fps": fps,
        }
        build_kit(out / "frames", plan_from_dict(plans[kind], source=f"{STEP} {kind} plan"), out / kind)
        kits[kind] = {"index": f"{kind}/index.html", "study": plans[kind]["study"], "methods": list(shown),
                      "questions": [q["id"] for q in c["questions"][kind]], "trials": len(clips),
                      "answer_option": f"--{'rankings' if kind == 'ranking' else 'pairwise'}"}
    record = {
        "profile": c["profile"], "footage": described.get("footage"),
        "clips": {clip: frames[clip] for clip in clips}, "size": list(size), "fps": fps,
        "methods": {m["label"]: {**m, "checkpoint": str(run_dir_of(ctx, m["run"])) if m["run"] else None}
                    for m in c["methods"]},
        "kits": kits, "plans": plans,
        "simulated_until_answers": "without --rankings/--pairwise the reproduction's study columns are SIMULATED",
    }
    write_json_atomic(out / "kit.json", record)
    write_text_atomic(out / "index.html", start_page(record))
    return {"index": str(out / "index.html"), "clips": clips, "kits": kits, "footage": footage_text(record["footage"])}


def footage_text(footage) -> str:
    """Which footage the composites are made of, in words (``footage``: the dataset.json entry of bench.realworld,
    a dict of the real files used, or a sentence for procedural stand-ins)."""
    if not isinstance(footage, dict):
        return str(footage)
    people = sorted(k for k, v in footage.items() if v.get("kind") == "people")
    scenes = sorted(k for k, v in footage.items() if v.get("kind") != "people")
    return f"real footage: people of {', '.join(people)} over {', '.join(scenes)}"


def start_page(record: dict) -> str:
    """The kit's start page: links to both studies, what they show, how the answers come back."""
    e = html.escape
    n = len(record["clips"])
    rows = "".join(
        f"<li><a href=\"{e(k['index'])}\">{e(kind)} study</a>: {e(', '.join(k['methods']))} on {n} composite "
        f"videos; questions {e(', '.join(k['questions']))}; its answers CSV goes back with "
        f"<code>{e(k['answer_option'])} FILE.csv</code></li>" for kind, k in record["kits"].items())
    return (
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>User-study kit</title></head>\n"
        f"<body>\n<h1>User-study kit (profile {e(record['profile'])})</h1>\n"
        f"<p>{n} real-world composite videos ({e(footage_text(record['footage']))}), "
        f"{record['size'][1]}×{record['size'][0]}, played at {record['fps']:g} frames/s; clips and checkpoints in "
        "<code>kit.json</code>.</p>\n"
        f"<ul>\n{rows}\n</ul>\n"
        "<p>Send each study's page to the raters (open it from disk, or serve this folder with "
        "<code>python -m http.server</code>). Its last page exports the answers as CSV. Then run the same "
        "<code>python -m reports reproduce</code> command again with <code>--rankings ranking.csv "
        "--pairwise pairwise.csv</code>: only the study and the report are redone.</p>\n"
        "<p><strong>Until real answers are given, the reproduction's user-study columns are SIMULATED</strong> "
        "from our own PSNR and L_T2 and say nothing about human perception.</p>\n</body></html>\n")


def kit_description(root: Path, simulated: tuple[str, ...]) -> str:
    """One line for the tables and the report: where the kit is and whether the study columns are still simulated."""
    path = Path(root) / STEP / "kit.json"
    if not path.is_file():
        return ""
    record = json.loads(path.read_text())
    holds = "; ".join(f"{kind}: {', '.join(record['kits'][kind]['methods'])}" for kind in ("ranking", "pairwise"))
    line = (f"browser study kit for real raters: {STEP}/index.html in the reproduction folder ({holds}; "
            f"{len(record['clips'])} real-world composites, {footage_text(record['footage'])})")
    missing = [option for option, sources in (("--rankings", {"study_realism", "study_temporal"}),
                                              ("--pairwise", {"pairwise"})) if sources & set(simulated)]
    if missing:
        line += f"; the study columns stay SIMULATED until its answers are given with {' and '.join(missing)}"
    return line
