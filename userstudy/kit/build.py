"""Build a self-contained static web page that runs a ranking or pairwise study.

``build_kit(videos_dir, plan, out)`` writes::

    OUT/index.html, app.js, style.css   the page (copied from this package)
    OUT/study.js                        window.STUDY = {...}: items, layouts, questions (no method names shown)
    OUT/study.json                      the same data plus which video file is which method (for the experimenter)
    OUT/plan.json                       the plan as given
    OUT/videos/<trial>/<opaque>.webm|mp4

The page works from ``file://`` (data is a script, not fetched) or behind ``python -m http.server``.

Randomisation is drawn here, from the plan's seed, and recorded: ``layouts`` pre-drawn
orders of the items and of the candidates' positions inside each item.  A rater
gets layout ``fnv1a_32(rater id) % n_layouts`` (:func:`layout_for_rater`; the page
computes the same hash), so any answer can be traced back to what was shown.
Frame folders are encoded to VP8 WebM with OpenCV (Chromium and Firefox play it;
OpenCV's MPEG-4 "mp4v" is not playable in browsers).
"""
from __future__ import annotations

import hashlib
import itertools
import json
import os
import shutil
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from harmonizer.outputs import fresh_output_dir
from userstudy.formats import CHOICES, KINDS, METHOD_NAME

TEMPLATE_FILES = ("index.html", "app.js", "style.css")
VIDEO_SUFFIXES = (".mp4", ".webm")
FRAME_SUFFIXES = (".png", ".jpg", ".jpeg")


class PlanError(ValueError):
    """plan.json or the videos it points to are wrong; the message names the file and key."""


@dataclass
class Trial:
    id: str
    videos: dict[str, str]  # method -> path relative to the videos folder (file or frame folder)


@dataclass
class StudyPlan:
    study: str
    kind: str  # "ranking" or "pairwise"
    methods: list[str]
    questions: list[dict[str, str]]  # [{"id": ..., "text": ...}]
    trials: list[Trial]
    seed: int = 0
    layouts: int = 16
    title: str = "Video study"
    instructions: str = ""
    pairs: list[list[str]] | None = None  # pairwise: pairs to compare (default: every pair in a trial)
    fps: float = 8.0  # frame rate when encoding frame folders
    source: str = field(default="<plan>", repr=False)


def _need(cond: bool, where: str, message: str) -> None:
    if not cond:
        raise PlanError(f"{where}: {message}")


def _ident(value, where: str) -> str:
    _need(isinstance(value, str) and bool(METHOD_NAME.match(value)), where,
          f"{value!r} must be letters, digits, '_', '.' or '-'")
    return value


def plan_from_dict(data: dict, source: str = "<plan>") -> StudyPlan:
    """Validate a plan dictionary (schema in docs/userstudy.md)."""
    _need(isinstance(data, dict), source, "a plan is a JSON object")
    known = {f for f in StudyPlan.__dataclass_fields__ if f != "source"}
    unknown = sorted(set(data) - known)
    _need(not unknown, source, f"unknown key(s) {unknown}; allowed: {sorted(known)}")
    for key in ("study", "kind", "methods", "questions", "trials"):
        _need(key in data, source, f"missing key {key!r}")
    _ident(data["study"], f"{source}: study")
    _need(data["kind"] in KINDS, f"{source}: kind", f"must be one of {KINDS}, not {data['kind']!r}")
    methods = data["methods"]
    _need(isinstance(methods, list) and len(methods) >= 2, f"{source}: methods", "list at least two methods")
    for i, m in enumerate(methods):
        _ident(m, f"{source}: methods[{i}]")
    _need(len(set(methods)) == len(methods), f"{source}: methods", "a method is listed twice")
    questions = data["questions"]
    _need(isinstance(questions, list) and questions, f"{source}: questions", "list at least one question")
    for i, q in enumerate(questions):
        where = f"{source}: questions[{i}]"
        _need(isinstance(q, dict) and set(q) == {"id", "text"}, where, 'must be {"id": ..., "text": ...}')
        _ident(q["id"], f"{where}.id")
        _need(isinstance(q["text"], str) and q["text"].strip(), f"{where}.text", "empty question text")
    _need(len({q["id"] for q in questions}) == len(questions), f"{source}: questions", "duplicate question id")
    trials = []
    _need(isinstance(data["trials"], list) and data["trials"], f"{source}: trials", "list at least one trial")
    for i, t in enumerate(data["trials"]):
        where = f"{source}: trials[{i}]"
        _need(isinstance(t, dict) and set(t) == {"id", "videos"}, where, 'must be {"id": ..., "videos": {...}}')
        _ident(t["id"], f"{where}.id")
        videos = t["videos"]
        _need(isinstance(videos, dict) and len(videos) >= 2, f"{where}.videos", "map at least two methods to videos")
        for m, path in videos.items():
            _need(m in methods, f"{where}.videos", f"method {m!r} is not in methods {methods}")
            _need(isinstance(path, str) and path and not os.path.isabs(path), f"{where}.videos.{m}",
                  f"{path!r} must be a path relative to the videos folder")
        trials.append(Trial(id=t["id"], videos=dict(videos)))
    _need(len({t.id for t in trials}) == len(trials), f"{source}: trials", "duplicate trial id")
    pairs = data.get("pairs")
    if pairs is not None:
        _need(data["kind"] == "pairwise", f"{source}: pairs", "only a pairwise study takes pairs")
        for i, p in enumerate(pairs):
            ok = isinstance(p, list) and len(p) == 2 and p[0] != p[1] and all(m in methods for m in p)
            _need(ok, f"{source}: pairs[{i}]", f"{p!r} must be two different methods of {methods}")
    for key, low in (("seed", 0), ("layouts", 1)):
        value = data.get(key, getattr(StudyPlan, key))
        _need(isinstance(value, int) and not isinstance(value, bool) and value >= low, f"{source}: {key}",
              f"must be an integer >= {low}")
    fps = data.get("fps", StudyPlan.fps)
    _need(isinstance(fps, (int, float)) and fps > 0, f"{source}: fps", "must be a positive number")
    return StudyPlan(**{**data, "trials": trials}, source=source)


def load_plan(path: str | os.PathLike) -> StudyPlan:
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise PlanError(f"{path}: no such plan file") from None
    except json.JSONDecodeError as err:
        raise PlanError(f"{path}: not valid JSON ({err})") from err
    return plan_from_dict(data, source=str(path))


def plan_items(plan: StudyPlan) -> list[dict]:
    """The units a rater answers, in plan order: question × trial (× pair for pairwise)."""
    items = []
    for q in plan.questions:
        for t in plan.trials:
            shown = [m for m in plan.methods if m in t.videos]
            if plan.kind == "ranking":
                items.append({"question": q["id"], "trial": t.id, "methods": shown})
                continue
            pairs = plan.pairs if plan.pairs is not None else list(itertools.combinations(shown, 2))
            for a, b in pairs:
                if a in t.videos and b in t.videos:
                    items.append({"question": q["id"], "trial": t.id, "methods": [a, b]})
    if not items:
        raise PlanError(f"{plan.source}: no trial shows both methods of any pair")
    return items


def make_layouts(items: list[dict], seed: int, n_layouts: int) -> list[dict]:
    """``n_layouts`` random orders of the items and of the candidates' positions, one RNG stream each."""
    layouts = []
    for k in range(n_layouts):
        rng = np.random.default_rng([seed, k])
        order = rng.permutation(len(items)).tolist()
        positions = [rng.permutation(len(item["methods"])).tolist() for item in items]
        layouts.append({"order": order, "positions": positions})
    return layouts


def fnv1a_32(text: str) -> int:
    h = 0x811C9DC5
    for byte in text.encode("utf-8"):
        h = ((h ^ byte) * 0x01000193) & 0xFFFFFFFF
    return h


def layout_for_rater(rater: str, n_layouts: int) -> int:
    """The layout the page shows to ``rater`` (app.js computes the same)."""
    return fnv1a_32(rater.strip()) % n_layouts


def _encode_frames(folder: Path, target: Path, fps: float, where: str) -> None:
    frames = sorted(p for p in folder.iterdir() if p.suffix.lower() in FRAME_SUFFIXES)
    _need(bool(frames), where, f"frame folder {folder} holds no .png/.jpg frames")
    first = cv2.imread(str(frames[0]), cv2.IMREAD_COLOR)
    _need(first is not None, where, f"cannot read frame {frames[0]}")
    h, w = first.shape[:2]
    writer = cv2.VideoWriter(str(target), cv2.VideoWriter_fourcc(*"VP80"), float(fps), (w, h))
    _need(writer.isOpened(), where, "OpenCV cannot write VP8 WebM here (no libvpx in this OpenCV build)")
    try:
        for path in frames:
            img = cv2.imread(str(path), cv2.IMREAD_COLOR)
            _need(img is not None and img.shape[:2] == (h, w), where,
                  f"frame {path} is unreadable or not {w}x{h} like {frames[0].name}")
            writer.write(img)
    finally:
        writer.release()


def _place_video(src: Path, target_stem: Path, fps: float, where: str) -> Path:
    if src.is_dir():
        target = target_stem.with_suffix(".webm")
        _encode_frames(src, target, fps, where)
        return target
    _need(src.is_file(), where, f"{src} does not exist")
    _need(src.suffix.lower() in VIDEO_SUFFIXES, where,
          f"{src.name}: videos must be .mp4 or .webm files, or folders of frames")
    target = target_stem.with_suffix(src.suffix.lower())
    shutil.copy2(src, target)
    return target


def build_kit(videos_dir: str | os.PathLike, plan: StudyPlan | str | os.PathLike, out: str | os.PathLike,
              *, overwrite: bool = False) -> Path:
    """Write the study page for ``plan`` into ``out`` (built in a temporary sibling, then renamed).

    ``out`` is a harmonizer.outputs folder: a user's folder, or one inside ``videos_dir``, is refused; an earlier
    kit is replaced only with ``overwrite`` (files the experimenter added there stay)."""
    plan_file = None if isinstance(plan, StudyPlan) else Path(plan)
    plan = plan if isinstance(plan, StudyPlan) else load_plan(plan)
    videos_dir, out = Path(videos_dir), Path(out)
    _need(videos_dir.is_dir(), str(videos_dir), "videos folder does not exist")
    with fresh_output_dir(out, kind="study-kit", inputs=[videos_dir, plan_file], overwrite=overwrite) as tmp:
        files: dict[str, dict[str, str]] = {}
        jobs = [(t, m, rel) for t in plan.trials for m, rel in t.videos.items()]
        for t, m, rel in tqdm(jobs, desc="kit videos", leave=False, disable=None):
            where = f"{plan.source}: trials[{t.id}].videos.{m}"
            # Opaque names so a rater cannot read the method from the page.
            stem = hashlib.sha1(f"{plan.seed}:{t.id}:{m}".encode()).hexdigest()[:10]
            (tmp / "videos" / t.id).mkdir(parents=True, exist_ok=True)
            placed = _place_video(videos_dir / rel, tmp / "videos" / t.id / stem, plan.fps, where)
            files.setdefault(t.id, {})[m] = placed.relative_to(tmp).as_posix()
        items = plan_items(plan)
        for item in items:
            item["videos"] = [files[item["trial"]][m] for m in item["methods"]]
        layouts = make_layouts(items, plan.seed, plan.layouts)
        build = hashlib.sha1(json.dumps([items, layouts], sort_keys=True).encode()).hexdigest()[:12]
        columns = ["rater", "question", "trial"] + (["ranking"] if plan.kind == "ranking" else ["left", "right", "choice"])
        page = {
            "study": plan.study, "build": build, "title": plan.title, "instructions": plan.instructions,
            "kind": plan.kind, "columns": columns, "choices": list(CHOICES),
            "questions": {q["id"]: q["text"] for q in plan.questions},
            # the page sees methods only through the exported CSV, never on screen
            "items": items, "layouts": layouts,
        }
        (tmp / "study.js").write_text("window.STUDY = " + json.dumps(page, indent=1) + ";\n")
        record = {**page, "seed": plan.seed, "methods": plan.methods, "video_files": files,
                  "rater_to_layout": "fnv1a_32(utf-8 rater id, trimmed) % layouts"}
        (tmp / "study.json").write_text(json.dumps(record, indent=1))
        plan_dict = asdict(plan)
        plan_dict.pop("source")
        (tmp / "plan.json").write_text(json.dumps(plan_dict, indent=1))
        templates = resources.files("userstudy.kit")
        for name in TEMPLATE_FILES:
            (tmp / name).write_text(templates.joinpath(name).read_text())
    return out
