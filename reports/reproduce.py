"""Turn a profile's plan into cached pipeline steps, run them, write ``manifest.json``.

Layout of ``OUT`` (one folder per step, ``stamps/`` beside them)::

    data_dancing/ data_static/ data_few_scene/ data_realworld/   datasets
    train_<name>/run/                                            run folders (config.json, metrics.csv, ...)
    score_synthetic__<label>/ score_realworld__<label>/          bench results per method
    summary_synthetic/ summary_realworld/                        merged results.csv + summary.csv
    study/                                                       answers, fitted scores, study.json
    samples/                                                     outputs and D maps on a few clips (figures)
    report/                                                      README.md, tables/, claims.md, figures/
    manifest.json                                                configs, seeds, versions, git revision, times
"""
from __future__ import annotations

import hashlib
import importlib.metadata
import platform
import subprocess
import sys
import time
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path

from reports import steps
from reports.pipeline import Pipeline, Step, StepRecord, write_json_atomic
from reports.plan import ProfilePlan, get_plan
from reports.report import FIGURE_METHODS, report_step

SYNTHETIC_METRICS = ("psnr", "mse", "lt_regional", "lt_global")  # gt flow: L_T1
REALWORLD_METRICS = ("lt_regional", "lt_global")  # DIS flow: L_T2 (no ground truth)
PACKAGES = ("torch", "torchvision", "numpy", "scipy", "pandas", "choix", "ptlflow", "opencv-python",
            "matplotlib", "tqdm", "video-harmonization-suite")


def _file_ref(path: str | None) -> dict | None:
    if path is None:
        return None
    p = Path(path).resolve()
    if not p.is_file():
        raise FileNotFoundError(f"answers file {p} does not exist")
    return {"path": str(p), "sha256": hashlib.sha256(p.read_bytes()).hexdigest()}


def build_steps(plan: ProfilePlan, *, rankings: str | None = None, pairwise: str | None = None) -> list[Step]:
    out: list[Step] = []
    for ds in plan.datasets:
        out.append(Step(f"data_{ds.name}", steps.build_dataset_step, asdict(ds)))
    out.append(Step("data_realworld", steps.build_realworld_step, asdict(plan.realworld)))
    for tr in plan.trainings:
        deps = [f"data_{tr.dataset}"] + ([f"train_{tr.init_from}"] if tr.init_from else [])
        out.append(Step(f"train_{tr.name}", steps.train_step,
                        {**asdict(tr), "profile": plan.profile, "seed": plan.seed}, tuple(deps)))
    by_label = {m.label: m for m in plan.synthetic_methods}
    for which, labels, flow, metrics, data_deps in (
            ("synthetic", [m.label for m in plan.synthetic_methods], "gt", SYNTHETIC_METRICS, ["data_dancing"]),
            ("realworld", list(plan.realworld_methods), "dis", REALWORLD_METRICS, ["data_dancing", "data_realworld"])):
        names = []
        for label in labels:
            method = by_label[label]
            deps = data_deps + ([f"train_{method.run}"] if method.run else [])
            name = f"score_{which}__{label}"
            names.append(name)
            out.append(Step(name, steps.score_step,
                            {"dataset": which, "method": asdict(method), "flow": flow, "metrics": list(metrics),
                             "max_clips": plan.max_test_clips if which == "synthetic" else None}, tuple(deps)))
        out.append(Step(f"summary_{which}", steps.summarize_step, {"dataset": which}, tuple(names)))
    s = plan.study
    out.append(Step("study", steps.study_step,
                    {"rankings": _file_ref(rankings), "pairwise": _file_ref(pairwise), "seed": s.seed,
                     "n_rankings": s.rankings, "n_pairwise": s.pairwise,
                     "raters": s.raters, "tie_rate": s.tie_rate,
                     "ranking_methods": list(s.ranking_methods), "pairwise_methods": list(s.pairwise_methods)},
                    ("summary_synthetic", "summary_realworld")))
    figure_methods = [asdict(by_label[m]) for m in FIGURE_METHODS]
    runs = sorted({m["run"] for m in figure_methods if m["run"]} | {"full"})
    out.append(Step("samples", steps.samples_step,
                    {"clips": plan.figure_clips, "methods": figure_methods, "seed": plan.seed},
                    ("data_dancing", "data_realworld", *[f"train_{r}" for r in runs])))
    rw = plan.realworld
    data = (f"procedural 'Dancing' synthetic test split ({plan.datasets[0].clips} clips built, "
            f"{plan.max_test_clips or 'all'} test clips scored, {plan.datasets[0].size}², gt flow) and "
            f"{rw.foregrounds * rw.backgrounds * (1 + rw.variants)} procedural real-world-style composite videos "
            f"({rw.size}², {rw.frames} frames, DIS flow); {plan.description}")
    out.append(Step("report", report_step,
                    {"profile": plan.profile, "data": data, "trainings": [t.name for t in plan.trainings]},
                    ("summary_synthetic", "summary_realworld", "study", "samples",
                     *[f"train_{t.name}" for t in plan.trainings])))
    return out


def _versions() -> dict[str, str | None]:
    out = {"python": sys.version.split()[0], "platform": platform.platform()}
    for name in PACKAGES:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = None
    return out


def _git_revision() -> dict:
    root = Path(__file__).resolve().parent.parent
    try:
        rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True,
                             timeout=10).stdout.strip()
        dirty = bool(subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                                    capture_output=True, text=True, timeout=10).stdout.strip())
        return {"revision": rev or None, "dirty": dirty}
    except (OSError, subprocess.SubprocessError):
        return {"revision": None, "dirty": None}


def write_manifest(out: Path, plan: ProfilePlan, pipeline: Pipeline, records: list[StepRecord],
                   wall_s: float, argv: list[str] | None) -> Path:
    """manifest.json: configs, seeds, versions, git revision, wall time per step (of the run that made it)."""
    by_name = {s.name: s for s in pipeline.steps}
    manifest = {
        "profile": plan.profile, "created": datetime.now(timezone.utc).isoformat(), "argv": argv,
        "plan": plan.to_dict(), "seeds": {"plan": plan.seed, "study": plan.study.seed,
                                          "datasets": {d.name: d.seed for d in plan.datasets},
                                          "realworld": plan.realworld.seed},
        "versions": _versions(), "git": _git_revision(),
        "this_invocation_wall_s": wall_s,
        "total_step_wall_s": sum(r.wall_s for r in records),
        "steps": [{"name": r.name, "status": r.status, "key": r.key, "wall_s": r.wall_s,
                   "config": by_name[r.name].config, "deps": list(by_name[r.name].deps), "info": r.info}
                  for r in records],
    }
    path = out / "manifest.json"
    write_json_atomic(path, manifest)
    return path


def reproduce(profile: str, out: str | Path, *, rankings: str | None = None, pairwise: str | None = None,
              train_steps: int | None = None, progress: bool = True, force: tuple[str, ...] = (),
              argv: list[str] | None = None) -> dict:
    """Run (or resume) the whole reproduction of ``profile`` into ``out``; returns a summary dict."""
    plan = get_plan(profile, train_steps=train_steps)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    pipeline = Pipeline(out, build_steps(plan, rankings=rankings, pairwise=pairwise), progress=progress)
    t0 = time.perf_counter()
    records = pipeline.run(force=force)
    wall = time.perf_counter() - t0
    manifest = write_manifest(out, plan, pipeline, records, wall, argv)
    return {"out": str(out), "manifest": str(manifest), "report": str(out / "report"), "wall_s": wall,
            "steps": [(r.name, r.status, r.wall_s) for r in records]}
