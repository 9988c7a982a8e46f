"""The report step: read what bench, userstudy and the runs wrote; render tables, claims, figures.

Nothing here computes a metric: numbers come from ``summary_*/summary.csv`` (bench's
summaries) and ``study/*_scores.csv`` (userstudy's fits); figures draw the saved samples.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from bench.summary import read_results
from harmonizer.atomic import write_text_atomic
from reports import figures
from reports.claims import StudyScores, evaluate_claims, verdict_counts, write_claims
from reports.paper import PAIRWISE_WITH_D
from reports.pipeline import StepContext
from reports.plan import SCORING_SETS
from reports.steps import QUESTION_SOURCES, run_dir_of
from reports.specs import TABLES
from reports.study_kit import kit_description
from reports.tables import ReportContext, collect_measurements, write_tables

FIGURE_METHODS = ("realism_cnn", "dih", "full", "no_adv")  # Fig. 4/5 columns after the input; no_adv: Fig. 6 (without D)


def load_measurements(root: Path, sources: list[str]) -> tuple[pd.DataFrame, dict]:
    """Measurements of every source from the step folders under ``root``, and the study info."""
    summaries = {src: pd.read_csv(root / f"summary_{src}" / "summary.csv") for src in sources}
    studies: dict[str, pd.DataFrame] = {}
    ranking = pd.read_csv(root / "study" / "ranking_scores.csv")
    for question, part in ranking.groupby("question"):
        source = QUESTION_SOURCES.get(str(question))
        if source is not None:
            studies[source] = part
    info = json.loads((root / "study" / "study.json").read_text())
    return collect_measurements(summaries, studies), info


def _study_scores(scores: pd.DataFrame, draws: pd.DataFrame) -> StudyScores:
    wide = draws.pivot(index="resample", columns="method", values="score")
    return StudyScores(dict(zip(scores["method"], scores["score"].astype(float))), wide,
                       int(scores["n_units"].iloc[0]))


def load_study_scores(root: Path) -> dict[str, StudyScores]:
    """Each study source's fitted scores and rater-bootstrap draws (``study/*_scores.csv``, ``*_draws.csv``).
    The pairwise source is the pairwise study's realism question (or its only question)."""
    out: dict[str, StudyScores] = {}
    scores = pd.read_csv(root / "study" / "ranking_scores.csv")
    draws = pd.read_csv(root / "study" / "ranking_draws.csv")
    for question, part in scores.groupby("question"):
        source = QUESTION_SOURCES.get(str(question))
        if source is not None:
            out[source] = _study_scores(part, draws[draws.question == question])
    scores = pd.read_csv(root / "study" / "pairwise_scores.csv")
    draws = pd.read_csv(root / "study" / "pairwise_draws.csv")
    questions = sorted(scores.question.astype(str).unique())
    question = "realism" if "realism" in questions else questions[0]
    out["pairwise"] = _study_scores(scores[scores.question.astype(str) == question],
                                    draws[draws.question.astype(str) == question])
    return out


STUDY_SOURCES = {"ranking": ("study_realism", "study_temporal"), "pairwise": ("pairwise",)}


def study_description(info: dict) -> tuple[str, tuple[str, ...]]:
    """One line describing both studies, and the measurement sources that are simulated."""
    parts, simulated = [], ()
    for kind, label in (("ranking", "ranking study (P-L)"), ("pairwise", "with/without-D pairwise study")):
        entry = info.get(kind, {})
        if entry.get("simulated"):
            simulated += STUDY_SOURCES[kind]
            utils = "; ".join(f"{q}: " + ", ".join(f"{m}={u:+.2f}" for m, u in us.items())
                              for q, us in entry["utilities"].items())
            parts.append(f"{label} SIMULATED by userstudy.simulate from proxy utilities ({entry['proxy']}): {utils}")
        elif entry:
            coverage = (f" ({entry['trials_in_kit']} of its {entry['trials']} trials are clips of this reproduction's "
                        "study kit)") if "trials" in entry else ""
            parts.append(f"{label} fitted from {entry['source']}{coverage}")
    return " | ".join(parts), simulated


def render_figures(root: Path, out: Path, ctx: StepContext) -> list[str]:
    written = []
    samples = sorted((root / "samples").glob("*.npz"))
    dmap_inputs = []
    for path in samples:
        which, clip_id = path.stem.split("__", 1)
        with np.load(path) as z:
            arrays = {k: z[k] for k in z.files}
        outputs = {m: arrays[f"out__{m}"] for m in FIGURE_METHODS if f"out__{m}" in arrays}
        title = f"{which} clip {clip_id} (profile {ctx.config['profile']})"
        if which == "synthetic":
            written.append(figures.visual_comparison(arrays["composite"], outputs, arrays.get("gt"),
                                                     out / f"fig5_visual_{clip_id}.png", title=title))
        else:
            written.append(figures.hsv_comparison(arrays["composite"], outputs, arrays["mask"],
                                                  out / f"fig4_hsv_{clip_id}.png", title=title))
        dmap_inputs.append((f"{which}:{clip_id}", arrays["composite"][0], arrays["mask"][0], arrays["dmap"][0]))
    if dmap_inputs:
        labels, comps, masks, dmaps = zip(*dmap_inputs)
        written.append(figures.disharmony_maps(np.stack(comps), np.stack(masks), np.stack(dmaps),
                                               out / "fig7_disharmony_maps.png", labels=list(labels),
                                               title="D's disharmony maps (full model) beside the true masks"))
    runs = {name: run_dir_of(ctx, name) for name in ctx.config["trainings"]}
    written.append(figures.training_curves(runs, out / "training_curves.png",
                                           title=f"training curves (profile {ctx.config['profile']})"))
    return [str(Path(p).relative_to(out.parent)) for p in written]


def pairwise_section(root: Path, simulated: bool) -> str:
    """The with/without-D study as the paper reports it (shares of choices), beside the paper's."""
    shares = pd.read_csv(root / "study" / "pairwise_percentages.csv")
    lines = ["## Pairwise study: with vs without the discriminator" + (" (SIMULATED)" if simulated else ""), "",
             "| pair | choices | prefer first | prefer second | ties |", "|---|---|---|---|---|"]
    for r in shares.to_dict("records"):
        lines.append(f"| {r['method_a']} vs {r['method_b']} | {r['n']} | {r['a_wins_pct']:.0f}% | "
                     f"{r['b_wins_pct']:.0f}% | {r['tie_pct']:.0f}% |")
    p = PAIRWISE_WITH_D
    lines.append(f"| paper: with D vs without D | {p['choices']} | {100 * p['prefer_with_d']:.0f}% | "
                 f"{100 * p['prefer_without_d']:.0f}% | {100 * p['tie']:.0f}% |")
    return "\n".join(lines) + "\n"


def report_step(ctx: StepContext) -> dict:
    out = ctx.fresh()
    sources = sorted(dep[len("summary_"):] for dep in ctx.inputs if dep.startswith("summary_"))
    measurements, info = load_measurements(ctx.root, sources)
    study, simulated = study_description(info)
    kit = kit_description(ctx.root, simulated) if "study_kit" in ctx.inputs else ""  # reports.study_kit
    study = f"{study} | {kit}" if kit else study
    rctx = ReportContext(profile=ctx.config["profile"], data=ctx.config["data"], study=study,
                         simulated_sources=simulated, scaled_down=ctx.config["profile"] != "paper")
    # the plan's tables (tiny has no real set, so no table on it); without that list, every table but those on an
    # optional scoring set (reports.plan ScoringSet.needs) that was not scored
    ids = ctx.config.get("tables")
    if ids is None:
        optional = {s.name for s in SCORING_SETS.values() if s.needs} - set(sources)
        ids = [k for k, t in TABLES.items() if not any(c.source in optional for c in t.columns)]
    tables = write_tables(out / "tables", measurements, rctx, tables={k: TABLES[k] for k in ids})
    results = {src: read_results(ctx.root / f"summary_{src}" / "results.csv") for src in sources}
    comparisons = evaluate_claims(results, load_study_scores(ctx.root), simulated_sources=simulated,
                                  seed=int(ctx.config.get("seed", 0)))
    claims = write_claims(out, comparisons, rctx)
    figs = render_figures(ctx.root, out / "figures", ctx)
    index = [f"# Reproduction report — profile {rctx.profile}", "", f"Data: {rctx.data}.", ""]
    if rctx.scale_note:
        index.append(rctx.scale_note + "\n")
    index.append(f"User studies: {study}.\n")
    for table_id, paths in tables.items():
        index.append(paths["md"].read_text())
    index.append(pairwise_section(ctx.root, "pairwise" in simulated))
    if kit:
        index.append("## User-study kit\n\n[../study_kit/index.html](../study_kit/index.html): " + kit + ".\n")
    per_claim = comparisons.groupby("claim").first()
    measured = per_claim[~per_claim.simulated.astype(bool)]
    index.append(f"Claims on our measurements ({len(measured)}): {verdict_counts(measured.claim_verdict)} — "
                 "paired 95% intervals; see [claims.md](claims.md) and claims.csv for every comparison.\n")
    index.append("## Figures\n")
    index += [f"- [{p}]({p})" for p in figs]
    text = "\n".join(index) + "\n"
    write_text_atomic(out / "README.md", text)
    return {"tables": {k: {f: str(p) for f, p in v.items()} for k, v in tables.items()},
            "claims": str(claims["md"]), "figures": figs, "simulated_study": simulated,
            "claim_verdicts": {v: int((measured.claim_verdict == v).sum()) for v in sorted(set(measured.claim_verdict))}}
