"""The step functions of the reproduction: each calls one lower package and leaves files.

Every function takes a :class:`reports.pipeline.StepContext` whose ``config`` is a JSON-able
dict (built by :mod:`reports.reproduce` from :mod:`reports.plan`) and returns a small info
dict that lands in the step's stamp.  Data producers: harmonizer.data (datasets),
harmonizer.train / baselines.train (runs), bench (scores and summaries), userstudy (fits).
The only arrays computed here are method outputs and D's maps on a few clips, for figures.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from harmonizer.atomic import atomic_path
from reports.pipeline import StepContext, write_json_atomic
from reports.plan import SCORING_SETS

# names a human answers file may use for our methods (userstudy's examples say "gan")
METHOD_ALIASES = {"gan": "full", "ours": "full", "gan_no_adv": "no_adv", "no_d": "no_adv"}
QUESTION_SOURCES = {"realism": "study_realism", "temporal": "study_temporal",
                    "temporal_consistency": "study_temporal", "consistency": "study_temporal"}


def _stamp_info(ctx: StepContext, dep: str) -> dict:
    stamp = json.loads((ctx.root / "stamps" / f"{dep}.json").read_text())
    return stamp.get("info") or {}


def run_dir_of(ctx: StepContext, train_name: str) -> Path:
    """The run folder a training step produced (recorded in its stamp)."""
    return Path(_stamp_info(ctx, f"train_{train_name}")["run_dir"])


# ------------------------------------------------------------------ datasets
def build_dataset_step(ctx: StepContext) -> dict:
    """A Dancing dataset: procedural scenes, or (``source="photo"``) photo scenes from the fetched media's
    training photos (``bench.media`` kind ``training_photo``)."""
    from harmonizer.data.build import build_dataset

    c = ctx.config
    source = c.get("source", "procedural")
    options = dict(c.get("options", {}))
    info = {}
    if source == "photo":
        from bench.media import training_photos

        photos = training_photos(c["media"])
        options["photos"] = [str(p) for p in photos]
        info["photos"] = sorted(p.name for p in photos)
    out = ctx.out_dir / "data"  # build_dataset resumes: clips already on disk are kept
    build_dataset(out, source=source, clips=c["clips"], size=c["size"], frames=c["frames"],
                  seed=c["seed"], style=c["style"], split_fractions=c.get("split_fractions"),
                  workers=c.get("workers"), progress=ctx.progress, **options)
    return {"data_dir": str(out), "source": source, **info}


def build_realworld_step(ctx: StepContext) -> dict:
    """The Sec. IV real-world composite set: from the fetched footage (``source="media"``) or procedural stand-ins."""
    from bench.realworld import build_from_media, build_procedural

    c = ctx.config
    out = ctx.fresh() / "data"
    common = dict(foregrounds=c["foregrounds"], backgrounds=c["backgrounds"], frames=c["frames"],
                  size=(c["size"], c["size"]), variants=c["variants"], seed=c["seed"])
    if c.get("source", "procedural") == "media":
        build_from_media(c["media"], out, **common)
    else:
        build_procedural(out, **common)
    footage = json.loads((out / "dataset.json").read_text()).get("footage")
    return {"data_dir": str(out), "source": c.get("source", "procedural"), "footage": footage}


def build_realset_step(ctx: StepContext) -> dict:
    """The ground-truth real set (bench.realset): four parts; the reproduction scores only the report parts."""
    from bench.realset import build_realset

    c = ctx.config
    out = ctx.fresh() / "data"
    options = {k: v for k, v in c.items() if k not in ("media", "media_manifest_sha256", "size")}  # RealSetConfig's
    build_realset(c["media"], out, size=(c["size"], c["size"]), **options)
    info = json.loads((out / "dataset.json").read_text())
    return {"data_dir": str(out), "parts": info["parts"], "footage": info["config"]["footage"]}


# ------------------------------------------------------------------ training
def train_step(ctx: StepContext) -> dict:
    c = ctx.config
    data_dir = Path(_stamp_info(ctx, f"data_{c['dataset']}")["data_dir"])
    run = ctx.out_dir / "run"
    resume = ctx.interrupted and (run / "checkpoints" / "last.pt").exists()
    if ctx.interrupted and not resume:
        ctx.fresh()
    overrides = {"seed": c["seed"], **(c.get("overrides") or {})}  # every draw from the plan's seed
    if c["via"] == "baseline":
        from baselines.train import train_baseline

        if ctx.interrupted:  # baseline trainers do not resume: start clean
            ctx.fresh()
        run_dir = train_baseline(c["variant"], c["profile"], data_dir, run, progress=ctx.progress, **overrides)
    else:
        from harmonizer.config import config_to_dict, get_config
        from harmonizer.train import train

        config = get_config(c["profile"], c["variant"], **overrides)
        if resume and _saved_config(run) != json.loads(json.dumps(config_to_dict(config))):
            ctx.fresh()  # the interrupted attempt trained another config: it cannot be resumed
            resume = False
        init_from = run_dir_of(ctx, c["init_from"]) if c.get("init_from") else None
        run_dir = train(config, data_dir, run, resume=resume, init_from=init_from, progress=ctx.progress)
    run_dir = Path(run_dir)
    summary_path = run_dir / "summary.json"
    summary = json.loads(summary_path.read_text()) if summary_path.exists() else {}
    return {"run_dir": str(run_dir), "resumed": resume,
            "summary": {k: v for k, v in summary.items() if isinstance(v, (int, float, str))}}


def _saved_config(run: Path) -> dict | None:
    path = run / "config.json"
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return None


# ------------------------------------------------------------------ scoring
class ClipSubset:
    """The first ``n`` clips of a bench dataset reader (the quick profile scores a capped test split)."""

    def __init__(self, dataset, n: int | None):
        self._dataset = dataset
        ids = dataset.clip_ids()
        self._ids = ids if n is None else ids[:n]
        self.name = dataset.name

    def clip_ids(self) -> list[str]:
        return list(self._ids)

    def load(self, clip_id: str):
        return self._dataset.load(clip_id)

    def __len__(self) -> int:
        return len(self._ids)

    def __iter__(self):
        for clip_id in self._ids:
            yield self.load(clip_id)

    def __getattr__(self, name):  # anything else (kind, root, ...) from the wrapped reader
        return getattr(self._dataset, name)


def build_method(ctx: StepContext, method: dict):
    """A harmonization method from a MethodPlan dict, with its checkpoint from the training step."""
    from baselines.registry import get_method

    options = dict(method.get("options") or {})
    if method.get("run"):
        options["checkpoint"] = str(run_dir_of(ctx, method["run"]))
    return get_method(method["method"], **options)  # RealismCNN enables autograd itself


def open_scored_dataset(ctx: StepContext, which: str, max_clips: int | None):
    """The clips of scoring set ``which`` (reports.plan.SCORING_SETS), capped at ``max_clips``."""
    from bench.datasets import open_dataset

    scoring = SCORING_SETS[which]
    data_dir = Path(_stamp_info(ctx, scoring.data_step)["data_dir"])
    if scoring.part:
        data_dir = data_dir / scoring.part
    split = {"split": scoring.split} if scoring.split else {}
    return ClipSubset(open_dataset(data_dir, kind=scoring.reader, **split), max_clips)


def score_step(ctx: StepContext) -> dict:
    """Score one method on one dataset with bench (synthetic: gt flow; real-world-style: DIS flow)."""
    from bench.runner import run_benchmark

    c = ctx.config
    dataset = open_scored_dataset(ctx, c["dataset"], c.get("max_clips"))
    method = build_method(ctx, c["method"])
    # bench's runner resumes from its part files when an earlier attempt was interrupted
    results = run_benchmark({c["method"]["label"]: method}, dataset, ctx.out_dir / "results", flow=c["flow"],
                            metrics=list(c["metrics"]), progress=ctx.progress,
                            extra_config={"method_plan": c["method"]})
    return {"results_dir": str(results), "clips": len(dataset)}


def summarize_step(ctx: StepContext) -> dict:
    """All methods' results of one dataset in one tidy CSV, summarised by bench (paired bootstrap)."""
    from bench.summary import read_results, summarize

    frames = []
    for dep in sorted(ctx.inputs):
        if not dep.startswith("score_"):
            continue
        part = read_results(_stamp_info(ctx, dep)["results_dir"])
        stamp = json.loads((ctx.root / "stamps" / f"{dep}.json").read_text())
        if "seed_index" in stamp["config"]:  # several trainings per model: say which one scored
            part["seed"] = pd.array([stamp["config"]["seed_index"]] * len(part), dtype="Int64")
        frames.append(part)
    results = pd.concat(frames, ignore_index=True)
    summary = summarize(results)
    _write_csv(results, ctx.out_dir / "results.csv")
    _write_csv(summary, ctx.out_dir / "summary.csv")
    return {"summary": str(ctx.out_dir / "summary.csv"), "methods": sorted(results.method.unique())}


def _write_csv(df: pd.DataFrame, path: Path) -> None:
    with atomic_path(path) as tmp:
        df.to_csv(tmp, index=False)


# ------------------------------------------------------------------ user studies
def standardised(values: dict[str, float], sign: float = 1.0) -> dict[str, float]:
    """sign·(v − mean)/std over the given methods (population std; 0 when all are equal)."""
    arr = np.array(list(values.values()), dtype=float)
    std = arr.std()
    return {m: (sign * (v - arr.mean()) / std if std > 0 else 0.0) for m, v in values.items()}


def proxy_utilities(synthetic: pd.DataFrame, realworld: pd.DataFrame, methods: list[str]) -> dict[str, dict]:
    """The proxy model of a simulated study: realism utility = PSNR on the synthetic test split and
    temporal utility = −L_T2 (lt_regional, DIS flow, real-world-style set), each standardised over
    *every* method scored on that set (so two methods with equal PSNR get equal utilities, whatever
    the study's subset), then restricted to ``methods``."""
    def column(df, metric):
        rows = df[df.metric == metric].set_index("method")["mean"].astype(float)
        missing = [m for m in methods if m not in rows.index or not math.isfinite(rows[m])]
        if missing:
            raise ValueError(f"cannot simulate the user study: no {metric} for {missing}")
        return {m: float(v) for m, v in rows.items() if math.isfinite(v)}

    realism = standardised(column(synthetic, "psnr"))
    temporal = standardised(column(realworld, "lt_regional"), sign=-1.0)
    return {"realism": {m: realism[m] for m in methods}, "temporal": {m: temporal[m] for m in methods}}


def _canonical(answers):
    """Map alias method names of a human answers file onto our labels."""
    table = answers.table.copy()
    if answers.kind == "ranking":
        table["ranking"] = table["ranking"].map(lambda r: ">".join(METHOD_ALIASES.get(m, m) for m in r.split(">")))
    else:
        for col in ("left", "right"):
            table[col] = table[col].map(lambda m: METHOD_ALIASES.get(m, m))
    answers.table = table
    return answers


def read_study_answers(path, kind: str, methods):
    """A human answers file with alias names mapped onto our labels; a method outside the plan's ``methods``
    is an error naming the file's line and the closest name (a typo is never fitted as an extra method)."""
    from userstudy.formats import check_methods, read_answers

    return check_methods(_canonical(read_answers(path, kind=kind)), methods)


def study_step(ctx: StepContext) -> dict:
    """Fit the ranking and pairwise studies from given answers, else simulate them from proxy utilities."""
    from userstudy.fitting import fit_answers, pairwise_percentages
    from userstudy.formats import comparisons_of, write_answers

    c = ctx.config
    out = ctx.fresh()
    synthetic = pd.read_csv(_stamp_info(ctx, "summary_synthetic")["summary"])
    realworld = pd.read_csv(_stamp_info(ctx, "summary_realworld")["summary"])
    info: dict = {}
    for kind, given, methods in (("ranking", c.get("rankings"), c["ranking_methods"]),
                                 ("pairwise", c.get("pairwise"), c["pairwise_methods"])):
        if given:
            answers = read_study_answers(given["path"], kind, methods)
            info[kind] = {"simulated": False, "source": given["path"], "sha256": given["sha256"],
                          **kit_coverage(ctx, answers)}
        else:
            utilities = proxy_utilities(synthetic, realworld, list(methods))
            if kind == "pairwise":
                utilities = {"realism": utilities["realism"]}  # the paper asks realism only
            answers = simulate_answers(kind, utilities, c["n_rankings" if kind == "ranking" else "n_pairwise"],
                                       c["seed"], c["raters"], c["tie_rate"])
            info[kind] = {"simulated": True, "utilities": utilities,
                          "n_per_question": c["n_rankings" if kind == "ranking" else "n_pairwise"],
                          "raters": c["raters"], "tie_rate": c["tie_rate"] if kind == "pairwise" else None,
                          "proxy": "realism = PSNR on the synthetic test split, temporal = -L_T2 (lt_regional, "
                                   "DIS flow, real-world-style set), each standardised over all methods scored "
                                   "on that set"}
        write_answers(answers, out / f"{kind}_answers.csv")
        fitted, draws = fit_answers(answers, seed=c["seed"], n_boot=c["n_boot"], with_draws=True)
        _write_csv(fitted, out / f"{kind}_scores.csv")
        _write_csv(draws, out / f"{kind}_draws.csv")  # rater-bootstrap scores: the claims' paired differences
        if kind == "pairwise":
            _write_csv(pairwise_percentages(comparisons_of(answers)), out / "pairwise_percentages.csv")
    write_json_atomic(out / "study.json", info)
    return info


def kit_coverage(ctx: StepContext, answers) -> dict:
    """How many trials of a human answers file are clips of this reproduction's study kit (reports.study_kit)."""
    record = ctx.inputs["study_kit"] / "kit.json" if "study_kit" in ctx.inputs else None
    if record is None or not record.is_file():
        return {}
    trials = set(answers.table["trial"].astype(str))
    return {"trials": len(trials), "trials_in_kit": len(trials & set(json.loads(record.read_text())["clips"]))}


def simulate_answers(kind: str, utilities: dict[str, dict[str, float]], n: int, seed: int, raters: int,
                     tie_rate: float):
    """Simulated answers of every question (``n`` per question) from userstudy.simulate; each row is
    labelled ``simulated=true`` with its utilities, so every fit and report built on it says so."""
    from userstudy.formats import validate_answers
    from userstudy.simulate import simulate_pairwise, simulate_rankings

    tables = []
    for k, (question, utils) in enumerate(sorted(utilities.items())):
        if kind == "ranking":
            tables.append(simulate_rankings(utils, n, raters, seed + k, question=question))
        else:
            tables.append(simulate_pairwise(utils, n, tie_rate, seed + k, raters, question=question))
    return validate_answers(pd.concat(tables, ignore_index=True), kind=kind, source=f"simulated {kind} study")


# ------------------------------------------------------------------ figure inputs
def samples_step(ctx: StepContext) -> dict:
    """Method outputs on a few clips of each dataset and D's maps, saved as .npz for the figures."""
    import torch

    from harmonizer.infer import discriminator_maps

    c = ctx.config
    out = ctx.fresh()
    written = []
    torch.manual_seed(c["seed"])
    methods = {m["label"]: build_method(ctx, m) for m in c["methods"]}
    for which in ("synthetic", "realworld"):
        dataset = open_scored_dataset(ctx, which, None)
        ids = dataset.clip_ids()
        # evenly spaced clips, so real-world-style samples cover different backgrounds and variants
        picks = [ids[round(k * (len(ids) - 1) / max(c["clips"] - 1, 1))] for k in range(min(c["clips"], len(ids)))]
        for clip_id in dict.fromkeys(picks):
            sample = dataset.load(clip_id)
            arrays = {"composite": _to_uint8(sample.composite), "mask": sample.mask[:, 0].numpy() > 0.5}
            if sample.gt is not None:
                arrays["gt"] = _to_uint8(sample.gt)
            for label, method in methods.items():
                arrays[f"out__{label}"] = _to_uint8(method.harmonize(sample.composite, sample.mask))
            with torch.no_grad():
                arrays["dmap"] = discriminator_maps(str(run_dir_of(ctx, "full")), sample.composite).numpy()
            path = out / f"{which}__{clip_id}.npz"
            with atomic_path(path) as tmp:
                np.savez_compressed(tmp, **arrays)
            written.append(path.name)
    return {"samples": written}


def _to_uint8(frames) -> np.ndarray:
    arr = frames.detach().float().clamp(0, 1).permute(0, 2, 3, 1).numpy()
    return np.round(arr * 255).astype(np.uint8)
