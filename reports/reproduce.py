"""Turn a profile's plan into cached pipeline steps, run them, write ``manifest.json``.

Layout of ``OUT`` (one folder per step, ``stamps/`` beside them)::

    data_dancing/ data_static/ data_few_scene/ data_realworld/   datasets (data_realworld: real footage in quick/paper)
    data_realset/                                                quick/paper: the ground-truth real set (bench.realset)
    train_<name>/run/                                            run folders (config.json, metrics.csv, ...)
    score_synthetic__<label>/ score_realworld__<label>/          bench results per method
    score_realset_report__<label>/ score_realset_untouched__<label>/   the real set's report parts (quick/paper)
    summary_synthetic/ summary_realworld/ summary_realset_*/     merged results.csv + summary.csv
    study/                                                       answers, fitted scores, study.json
    samples/                                                     outputs and D maps on a few clips (figures)
    study_kit/                                                   browser study kits on the real-world composites
    report/                                                      README.md, tables/, claims.md, figures/
    manifest.json                                                configs, seeds, versions, git revision, times
"""
from __future__ import annotations

import difflib
import json
import os
import platform
import time
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path

from harmonizer import outputs
from harmonizer.digest import file_digest
from harmonizer.environment import git_revision, package_versions
from reports import steps
from reports.pipeline import Pipeline, Step, StepRecord, write_json_atomic
from reports.plan import ProfilePlan, get_plan
from reports.report import FIGURE_METHODS, report_step
from reports.study_kit import study_kit_step_of

PACKAGES = ("torch", "torchvision", "numpy", "scipy", "pandas", "choix", "ptlflow", "opencv-python",
            "matplotlib", "tqdm", "video-harmonization-suite")


def _file_ref(path: str | None) -> dict | None:
    if path is None:
        return None
    p = Path(path).resolve()
    if not p.is_file():
        raise FileNotFoundError(f"answers file {p} does not exist")
    return {"path": str(p), "sha256": file_digest(p)}


def seed_suffix(k: int) -> str:
    """Step-name suffix of the ``k``-th training of a model (the first keeps the plain name)."""
    return "" if k == 0 else f"__seed{k}"


def media_record(media: str | Path | None) -> dict:
    """The fetched media folder a plan reads: its path, the manifest's sha256 (so a re-fetch with other files
    rebuilds the real-world steps) and its files; a folder without a manifest is one clear line."""
    folder = Path(media if media is not None else "media")
    path = folder / "manifest.json"
    if not path.is_file():
        raise OptionError(f"--media {folder}: no media manifest ({path}); run: python -m bench.media fetch --out "
                          f"{folder}")
    items = json.loads(path.read_text()).get("items", [])
    return {"dir": str(folder.resolve()), "manifest_sha256": file_digest(path),
            "files": {i["file"]: {k: i.get(k) for k in ("package", "version", "kind", "sha256")} for i in items}}


def realworld_description(plan: ProfilePlan, media: dict | None) -> str:
    """Which footage the real-world set is made of, for every table's notes."""
    rw = plan.realworld
    n = rw.foregrounds * rw.backgrounds * (1 + rw.variants)
    if rw.source != "media":
        return (f"{n} real-world-style composite videos from procedural stand-ins, no real pixels ({rw.size}², "
                f"{rw.frames} frames, DIS flow)")
    from bench.realworld import PEOPLE_FOOTAGE

    used = PEOPLE_FOOTAGE[:rw.foregrounds]  # not every people footage of the media: the set's own
    people = sorted(f for f, i in media["files"].items() if i["kind"] == "people" and Path(f).stem in used)
    backgrounds = sorted(f for f, i in media["files"].items() if i["kind"] in ("background_video", "still"))
    return (f"{n} real-world composite videos from real footage: {rw.foregrounds} people clips "
            f"({', '.join(people)}) × {rw.backgrounds} real backgrounds (the first in bench.realworld's order "
            f"among {', '.join(backgrounds)}; files, packages and sha256 in data_realworld/data/dataset.json) "
            f"({rw.size}², {rw.frames} frames, DIS flow)")


def build_steps(plan: ProfilePlan, *, rankings: str | None = None, pairwise: str | None = None,
                media: dict | None = None) -> list[Step]:
    """The plan's steps; ``media`` (:func:`media_record`) is required when the plan reads real footage."""
    if plan.needs_media and media is None:
        raise OptionError(f"profile {plan.profile} builds its real-world sets from real footage: "
                          "run python -m bench.media fetch --out media/ and pass --media media/")
    out: list[Step] = []
    real = {"media": media["dir"], "media_manifest_sha256": media["manifest_sha256"]} if plan.needs_media else {}
    for ds in plan.datasets:
        photo_media = real if ds.source == "photo" else {}  # photo scenes read the media's training photos
        out.append(Step(f"data_{ds.name}", steps.build_dataset_step, {**asdict(ds), **photo_media}))
    out.append(Step("data_realworld", steps.build_realworld_step,
                    {**asdict(plan.realworld), **(real if plan.realworld.source == "media" else {})}))
    if plan.realset is not None:
        out.append(Step("data_realset", steps.build_realset_step, {**asdict(plan.realset), **real}))
    for k in range(plan.seeds):
        for tr in plan.trainings:
            deps = [f"data_{tr.dataset}"] + ([f"train_{tr.init_from}{seed_suffix(k)}"] if tr.init_from else [])
            config = {**asdict(tr), "profile": plan.profile, "seed": plan.seed + k}
            if tr.init_from:
                config["init_from"] = f"{tr.init_from}{seed_suffix(k)}"
            out.append(Step(f"train_{tr.name}{seed_suffix(k)}", steps.train_step, config, tuple(deps)))
    for scoring in plan.scoring:
        names = []
        for label in scoring.methods:
            method = plan.method(label)
            for k in range(plan.seeds if method.run else 1):
                run = f"{method.run}{seed_suffix(k)}" if method.run else None
                deps = [scoring.set.data_step] + ([f"train_{run}"] if run else [])
                name = f"score_{scoring.set.name}__{label}{seed_suffix(k)}"
                names.append(name)
                config = {"dataset": scoring.set.name, "method": {**asdict(method), "run": run},
                          "flow": scoring.set.flow, "metrics": list(scoring.metrics), "max_clips": scoring.max_clips}
                if plan.seeds > 1:
                    config["seed_index"] = k if run else None  # the results' ``seed`` column
                out.append(Step(name, steps.score_step, config, tuple(deps)))
        out.append(Step(f"summary_{scoring.set.name}", steps.summarize_step, {"dataset": scoring.set.name},
                        tuple(names)))
    out.append(study_kit_step_of(plan))  # the browser kit for a real study on the real-world composites
    s = plan.study
    out.append(Step("study", steps.study_step,
                    {"rankings": _file_ref(rankings), "pairwise": _file_ref(pairwise), "seed": s.seed,
                     "n_rankings": s.rankings, "n_pairwise": s.pairwise, "n_boot": s.n_boot,
                     "raters": s.raters, "tie_rate": s.tie_rate,
                     "ranking_methods": list(s.ranking_methods), "pairwise_methods": list(s.pairwise_methods)},
                    ("summary_synthetic", "summary_realworld", "study_kit")))  # study_kit: answers' trials checked
    figure_methods = [asdict(plan.method(m)) for m in FIGURE_METHODS]
    runs = sorted({m["run"] for m in figure_methods if m["run"]} | {"full"})
    out.append(Step("samples", steps.samples_step,
                    {"clips": plan.figure_clips, "methods": figure_methods, "seed": plan.seed},
                    ("data_dancing", "data_realworld", *[f"train_{r}" for r in runs])))
    scenes = {"procedural": "procedural", "photo": "photo-scene"}.get(plan.datasets[0].source, plan.datasets[0].source)
    data = (f"{scenes} 'Dancing' synthetic test split ({plan.datasets[0].clips} clips built, "
            f"{plan.max_test_clips or 'all'} test clips scored, {plan.datasets[0].size}², gt flow) and "
            f"{realworld_description(plan, media)}; {plan.description}")
    report_config = {"profile": plan.profile, "data": data, "trainings": [t.name for t in plan.trainings],
                     "seed": plan.seed, "tables": list(plan.tables)}  # seed: the claims' paired bootstrap
    if plan.seeds > 1:
        report_config["seeds"] = plan.seeds
    summaries = tuple(f"summary_{s.set.name}" for s in plan.scoring)
    out.append(Step("report", report_step, report_config,
                    (*summaries, "study", "samples", "study_kit",
                     *[f"train_{t.name}{seed_suffix(k)}" for k in range(plan.seeds) for t in plan.trainings])))
    return out


def _versions() -> dict[str, str | None]:
    return {**package_versions(PACKAGES), "platform": platform.platform()}


def write_manifest(out: Path, plan: ProfilePlan, pipeline: Pipeline, records: list[StepRecord],
                   wall_s: float, argv: list[str] | None, *, jobs: int = 1, only: tuple[str, ...] | None = None,
                   media: dict | None = None) -> Path:
    """manifest.json: configs, seeds, versions, git revision, wall time per step (of the run that made it)."""
    by_name = {s.name: s for s in pipeline.steps}
    manifest = {
        "profile": plan.profile, "created": datetime.now(timezone.utc).isoformat(), "argv": argv,
        "plan": plan.to_dict(), "seeds": {"plan": plan.seed, "study": plan.study.seed,
                                          "trainings_per_model": plan.seeds,
                                          "training_seeds": [plan.seed + k for k in range(plan.seeds)],
                                          "datasets": {d.name: d.seed for d in plan.datasets},
                                          "realworld": plan.realworld.seed,
                                          "realset": plan.realset.seed if plan.realset else None},
        "jobs": jobs, "only": list(only) if only is not None else None,
        # the real footage the real-world sets were built from (None: procedural stand-ins only)
        "media": media if plan.needs_media else None,
        "versions": _versions(), "git": git_revision(),
        "this_invocation_wall_s": wall_s,
        "total_step_wall_s": sum(r.wall_s for r in records),
        "steps": [{"name": r.name, "status": r.status, "key": r.key, "wall_s": r.wall_s,
                   "config": by_name[r.name].config, "deps": list(by_name[r.name].deps), "info": r.info}
                  for r in records],
    }
    path = out / "manifest.json"
    write_json_atomic(path, manifest)
    return path


class OptionError(ValueError):
    """A bad reproduce option (unknown step name, jobs < 1): reported as one line by the CLI."""


def default_jobs() -> int:
    """One job per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def check_step_names(names, known: list[str], option: str) -> tuple[str, ...]:
    """``names`` if every one is a step of the plan, else a ValueError with the closest matches."""
    for name in names:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=3)
            hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
            raise OptionError(f"{option}: unknown step '{name}'{hint} (steps: {', '.join(known)})")
    return tuple(names)


def reproduce(profile: str, out: str | Path, *, rankings: str | None = None, pairwise: str | None = None,
              train_steps: int | None = None, progress: bool = True, force: tuple[str, ...] = (),
              only: tuple[str, ...] | None = None, jobs: int | None = None, seeds: int = 1,
              media: str | Path | None = "media", argv: list[str] | None = None) -> dict:
    """Run (or resume) the reproduction of ``profile`` into ``out`` (every step, or ``only`` these), ``jobs``
    steps at a time (default: one per core); returns a summary dict.  ``media``: the folder
    ``python -m bench.media fetch`` made (read by quick and paper, whose real-world sets are real footage; tiny
    uses procedural stand-ins and never reads it)."""
    for option, value in (("--seeds", seeds), ("--jobs", jobs), ("--train-steps", train_steps)):
        if value is not None and value < 1:
            raise OptionError(f"{option} must be >= 1, got {value}")
    plan = get_plan(profile, train_steps=train_steps, seeds=seeds)
    jobs = default_jobs() if jobs is None else int(jobs)
    media_info = media_record(media) if plan.needs_media else None  # checked now, not after hours of training
    step_list = build_steps(plan, rankings=rankings, pairwise=pairwise, media=media_info)
    known = [s.name for s in step_list]
    force = check_step_names(force, known, "--force")
    only = check_step_names(only, known, "--only") if only is not None else None
    for kind, path, methods in (("ranking", rankings, plan.study.ranking_methods),
                                ("pairwise", pairwise, plan.study.pairwise_methods)):
        if path is not None:  # checked now, not after hours of training
            steps.read_study_answers(path, kind, methods)
    out = Path(out)
    # a marked folder (several runners may share it, so its own files are not tracked; each step folder is)
    outputs.mark_dir(out, kind="reproduce", inputs=[rankings, pairwise], legacy=("stamps", "manifest.json"))
    pipeline = Pipeline(out, step_list, progress=progress)
    t0 = time.perf_counter()
    records = pipeline.run(force=force, only=only, jobs=jobs)
    wall = time.perf_counter() - t0
    manifest = write_manifest(out, plan, pipeline, records, wall, argv, jobs=jobs, only=only, media=media_info)
    return {"out": str(out), "manifest": str(manifest), "report": str(out / "report"), "wall_s": wall,
            "jobs": jobs, "steps": [(r.name, r.status, r.wall_s) for r in records]}
