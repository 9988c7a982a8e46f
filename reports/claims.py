"""The paper's claims (:data:`reports.specs.CLAIMS`), each checked with paired differences.

A claim "A is higher/lower than B, C, …" is one comparison per other method.  On a bench source each
comparison is :func:`bench.paired.paired_difference` of the two methods' per-clip means on the same clips
(hierarchical over seeds when the results have a ``seed`` column); on a user study it is the difference
of the two fitted scores, with the interval from the rater bootstrap of the fit (both scores from the same
resample, so paired).  The verdict of each comparison is :func:`bench.paired.verdict`; a claim holds only
if every comparison holds (:func:`bench.paired.combine`).  Claims on a SIMULATED study are labelled and
counted apart from the measured ones.  The paper's own numbers are shown beside ours with whether their
means point the claimed way (the paper gives no intervals).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from bench.paired import NOT_MEASURED, VERDICTS, PairedDifference, combine, paired_difference, verdict
from harmonizer.atomic import write_text_atomic
from reports.specs import CLAIMS, COLUMNS, STUDY_METRICS, ClaimSpec, paper_value
from reports.tables import ReportContext, fmt

COMPARISON_COLUMNS = ["claim", "text", "where", "table", "source", "metric", "a", "b", "direction", "diff_mean",
                      "diff_ci_low", "diff_ci_high", "n_clips", "n_seeds", "n_raters", "n_boot", "confidence",
                      "verdict", "claim_verdict", "simulated", "paper_a", "paper_b", "paper_agrees"]


@dataclass(frozen=True)
class StudyScores:
    """One study question's fitted scores and its rater-bootstrap draws (rows: resamples, columns: methods)."""
    scores: dict[str, float]
    draws: pd.DataFrame
    n_raters: int


def study_difference(study: StudyScores, metric: str, a: str, b: str, confidence: float = 0.95
                     ) -> PairedDifference | None:
    """score_a − score_b of the full fit, with the percentile interval of the same difference over the
    bootstrap resamples (resamples where either method is missing are dropped)."""
    if a not in study.scores or b not in study.scores or a not in study.draws or b not in study.draws:
        return None
    diffs = (study.draws[a] - study.draws[b]).dropna().to_numpy(dtype=float)
    if not len(diffs):
        return None
    alpha = (1.0 - confidence) / 2.0
    low, high = np.quantile(diffs, [alpha, 1.0 - alpha])
    return PairedDifference(metric, a, b, float(study.scores[a] - study.scores[b]), float(low), float(high),
                            study.n_raters, 1, len(diffs), confidence)


def _paper_agrees(claim: ClaimSpec, b: str) -> str:
    pa, pb = paper_value(claim.table, claim.subject, claim.column), paper_value(claim.table, b, claim.column)
    if pa is None or pb is None:
        return "—"
    return "yes" if (pa > pb if claim.direction == "higher" else pa < pb) else "no"


def compare(claim: ClaimSpec, b: str, results: dict[str, pd.DataFrame], studies: dict[str, StudyScores],
            *, n_boot: int, seed: int) -> PairedDifference | None:
    """The paired difference behind one comparison of ``claim`` (None: nothing measured)."""
    column = COLUMNS[claim.column]
    if column.source in STUDY_METRICS:
        study = studies.get(column.source)
        return None if study is None else study_difference(study, column.metric, claim.subject, b)
    frame = results.get(column.source)
    if frame is None:
        return None
    return paired_difference(frame, column.metric, claim.subject, b, n_boot=n_boot, seed=seed)


def evaluate_claims(results: dict[str, pd.DataFrame], studies: dict[str, StudyScores] | None = None,
                    claims: tuple[ClaimSpec, ...] | None = None, *, simulated_sources: tuple[str, ...] = (),
                    n_boot: int = 2000, seed: int = 0, tables: dict | None = None) -> pd.DataFrame:
    """One row per comparison (``COMPARISON_COLUMNS``): ``results`` are tidy results frames by source,
    ``studies`` the fitted study questions by source."""
    rows = []
    for claim in CLAIMS if claims is None else claims:
        column = COLUMNS[claim.column]
        part = []
        for b in claim.compared_with(tables):
            diff = compare(claim, b, results, studies or {}, n_boot=n_boot, seed=seed)
            study = column.source in STUDY_METRICS
            part.append(dict(
                claim=claim.id, text=claim.text, where=claim.where, table=claim.table, source=column.source,
                metric=column.metric, a=claim.subject, b=b, direction=claim.direction,
                diff_mean=diff.diff_mean if diff else math.nan, diff_ci_low=diff.ci_low if diff else math.nan,
                diff_ci_high=diff.ci_high if diff else math.nan,
                n_clips=(diff.n_clips if diff and not study else None),
                n_seeds=(diff.n_seeds if diff and not study else None),
                n_raters=(diff.n_clips if diff and study else None),
                n_boot=diff.n_boot if diff else None, confidence=diff.confidence if diff else None,
                verdict=verdict(diff, claim.direction), simulated=column.source in simulated_sources,
                paper_a=paper_value(claim.table, claim.subject, claim.column),
                paper_b=paper_value(claim.table, b, claim.column), paper_agrees=_paper_agrees(claim, b)))
        overall = combine(r["verdict"] for r in part)
        rows += [{**r, "claim_verdict": overall} for r in part]
    table = pd.DataFrame(rows, columns=COMPARISON_COLUMNS)
    for col in ("n_clips", "n_seeds", "n_raters", "n_boot"):
        table[col] = table[col].astype("Int64")
    return table


def verdict_counts(verdicts) -> str:
    counts = pd.Series(list(verdicts), dtype=object).value_counts()
    return ", ".join(f"{counts.get(v, 0)} {v}" for v in VERDICTS)


def _diff_text(r: dict) -> str:
    if r["verdict"] == NOT_MEASURED:
        return f"{r['a']} − {r['b']}: not measured"
    f = (lambda v: fmt(v, r["metric"]))
    signed = (lambda v: ("+" if v > 0 else "") + f(v))
    return (f"{r['a']} − {r['b']}: {signed(r['diff_mean'])} [{signed(r['diff_ci_low'])}, "
            f"{signed(r['diff_ci_high'])}] {r['verdict']}")


def _units(r: dict) -> str:
    if pd.notna(r["n_raters"]):
        return f"{r['n_raters']} raters"
    if pd.notna(r["n_clips"]):
        seeds = f" × {r['n_seeds']} seeds" if pd.notna(r["n_seeds"]) and r["n_seeds"] > 1 else ""
        return f"{r['n_clips']} clips{seeds}"
    return "—"


def render_claims_markdown(table: pd.DataFrame, ctx: ReportContext) -> str:
    per_claim = table.groupby("claim", sort=True).first()
    measured = per_claim[~per_claim.simulated.astype(bool)]
    simulated = per_claim[per_claim.simulated.astype(bool)]
    lines = ["# The paper's claims, checked", "",
             f"**Measured claims ({len(measured)}): {verdict_counts(measured.claim_verdict)}.**  ",
             f"Their comparisons ({int((~table.simulated.astype(bool)).sum())}): "
             f"{verdict_counts(table[~table.simulated.astype(bool)].verdict)}.  "]
    if len(simulated):
        lines.append(f"SIMULATED user-study claims ({len(simulated)}, not counted above): "
                     f"{verdict_counts(simulated.claim_verdict)}.  ")
    lines += ["", f"Profile: {ctx.profile}. Data: {ctx.data}.  "]
    if ctx.scale_note:
        lines.append(ctx.scale_note + "  Verdicts are about directions on this data.  ")
    if ctx.study:
        lines.append(f"User studies: {ctx.study}.  ")
    lines += ["Each comparison is the paired difference a − b over the clips both methods were scored on "
              "(bench.paired: seeded percentile bootstrap over clips, over seeds then clips when models were "
              "trained several times), or for a user study the score difference with its rater-bootstrap "
              "interval.  A comparison **holds** when its 95% interval excludes 0 in the claimed direction, is "
              "**contradicted** when it excludes 0 the other way, and is **not resolved** when it contains 0; a "
              "claim holds only if every comparison holds (docs/reproduce.md, \"Verdicts\").  ", "",
              "| # | claim | where | comparisons: a − b, mean [95% interval], verdict | units | verdict | paper | "
              "paper's means agree |", "|---|---|---|---|---|---|---|---|"]
    for claim_id, part in table.groupby("claim", sort=True):
        records = part.to_dict("records")
        first = records[0]
        text = first["text"]
        if first["simulated"]:
            text += " — **SIMULATED study** (utilities derived from our own metrics; not counted)"
        comps = "; ".join(_diff_text(r) for r in records)
        paper = "; ".join(f"{r['b']} {fmt(r['paper_b'], r['metric'])}" for r in records)
        paper = f"{first['a']} {fmt(first['paper_a'], first['metric'])} vs {paper}"
        agrees = "yes" if all(r["paper_agrees"] == "yes" for r in records) else (
            "—" if all(r["paper_agrees"] == "—" for r in records) else "no")
        lines.append(f"| {claim_id} | {text} | {first['where']} | {comps} | {_units(first)} | "
                     f"**{first['claim_verdict']}** | {paper} | {agrees} |")
    return "\n".join(lines) + "\n"


def write_claims(out_dir: Path | str, comparisons: pd.DataFrame, ctx: ReportContext) -> dict[str, Path]:
    """``claims.csv`` (one row per comparison) and ``claims.md`` (one row per claim)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"md": out_dir / "claims.md", "csv": out_dir / "claims.csv"}
    write_text_atomic(paths["md"], render_claims_markdown(comparisons, ctx))
    write_text_atomic(paths["csv"], comparisons.assign(profile=ctx.profile, data=ctx.data).to_csv(index=False))
    return paths
