"""The paper's qualitative claims, each checked against our measurements.

A claim compares methods on one measurement (source, metric): "A is lower/higher than B, C"
or "A is the lowest/highest among a group".  The same check runs on the paper's own numbers
(:func:`paper_measurements`), so each row shows the evidence both ways.  The verdict uses the
means; a second column says whether the 95% intervals also separate.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from harmonizer.atomic import write_text_atomic
from reports.paper import PAIRWISE_WITH_D, TABLES
from reports.tables import COLUMNS, ReportContext, fmt, lookup

HOLDS, FAILS, UNMEASURED = "holds", "does not hold", "not measured"


@dataclass(frozen=True)
class Claim:
    text: str  # the claim as the paper makes it
    where: str  # section / table of the paper
    source: str  # measurement source (see reports.tables.COLUMNS; "pairwise" for the with/without-D study)
    metric: str
    subject: str  # the method the claim is about
    others: tuple[str, ...]  # the methods it is compared against
    relation: str  # "lower" / "higher": subject vs every other; "lowest" / "highest": subject among all

    def check(self, measurements: pd.DataFrame) -> tuple[str, str, str]:
        """(verdict, evidence, intervals) for this claim on ``measurements``."""
        methods = (self.subject,) + self.others
        values = {m: lookup(measurements, self.source, m, self.metric) for m in methods}
        missing = [m for m, v in values.items() if v is None or not math.isfinite(v[0])]
        if missing:
            return UNMEASURED, f"missing: {', '.join(missing)}", "—"
        metric = self.metric
        evidence = "; ".join(
            f"{m} {fmt(v[0], metric)}" + (f" [{fmt(v[1], metric)}, {fmt(v[2], metric)}]"
                                           if math.isfinite(v[1]) and math.isfinite(v[2]) else "")
            for m, v in values.items())
        lower = self.relation in ("lower", "lowest")
        mean_s, lo_s, hi_s = values[self.subject]
        holds = all((mean_s < values[o][0]) if lower else (mean_s > values[o][0]) for o in self.others)
        if not all(math.isfinite(x) for v in values.values() for x in v[1:]):
            separated = "—"
        elif lower:
            separated = "yes" if all(hi_s < values[o][1] for o in self.others) else "no"
        else:
            separated = "yes" if all(lo_s > values[o][2] for o in self.others) else "no"
        return (HOLDS if holds else FAILS), evidence, separated


def _t(table_id: str) -> tuple[str, ...]:
    return tuple(row.method for row in TABLES[table_id])


def _among(table_id: str, subject: str, drop: tuple[str, ...] = ()) -> tuple[str, ...]:
    return tuple(m for m in _t(table_id) if m != subject and m not in drop)


CLAIMS: list[Claim] = [
    Claim("Our method beats RealismCNN and DIH on PSNR", "Table I", "synthetic", "psnr",
          "full", ("realism_cnn", "dih"), "higher"),
    Claim("Our method beats RealismCNN and DIH on MSE", "Table I", "synthetic", "mse",
          "full", ("realism_cnn", "dih"), "lower"),
    Claim("Cut-and-paste is the most temporally consistent (lowest L_T1)",
          "Table I", "synthetic", "lt_regional", "cut_and_paste", _among("I", "cut_and_paste"), "lowest"),
    Claim("Our method beats RealismCNN and DIH on L_T2 (real-world-style composites)", "Table I",
          "realworld", "lt_regional", "full", ("realism_cnn", "dih"), "lower"),
    Claim("Our method gets the highest P-L realism score", "Table I (user study)", "study_realism", "pl_score",
          "full", _among("I", "full"), "highest"),
    Claim("Cut-and-paste gets the highest P-L temporal score", "Table I (user study)", "study_temporal",
          "pl_score", "cut_and_paste", _among("I", "cut_and_paste"), "highest"),
    Claim("The temporal loss lowers L_T1 (full vs w/o L_T)", "Table II", "synthetic", "lt_regional",
          "full", ("no_temporal",), "lower"),
    Claim("Training without L_T gives the best PSNR", "Table II", "synthetic", "psnr",
          "no_temporal", _among("II", "no_temporal"), "highest"),
    Claim("Dancing data beats static pairs (MSCOCO) and few scenes (DAVIS) on PSNR", "Table II", "synthetic",
          "psnr", "full", ("static_data", "few_scene_data"), "higher"),
    Claim("Few-scene (DAVIS) training gives the lowest L_T2", "Table II", "realworld", "lt_regional",
          "few_scene_data", _among("II", "few_scene_data"), "lowest"),
    Claim("The adversarial loss improves single-frame quality (full vs w/o adv, PSNR)", "Table II", "synthetic",
          "psnr", "full", ("no_adv",), "higher"),
    Claim("Without the adversarial loss L_T1 is slightly lower", "Table II", "synthetic", "lt_regional",
          "no_adv", ("full",), "lower"),
    Claim("UNet beats ResNet, DIH and VGG+colour adjust on PSNR", "Table III", "synthetic", "psnr",
          "no_adv", ("resnet", "dih", "realism_cnn"), "higher"),
    Claim("DIH gets the lowest L_T1 among the architectures", "Table III", "synthetic", "lt_regional",
          "dih", ("realism_cnn", "resnet", "no_adv"), "lowest"),
    Claim("Regional beats global temporal loss on L_T1", "Sec. IV-C.2", "synthetic", "lt_regional",
          "no_adv", ("global_temporal",), "lower"),
    Claim("Regional beats global temporal loss on L_T2", "Sec. IV-C.2", "realworld", "lt_regional",
          "no_adv", ("global_temporal",), "lower"),
    Claim("Raters prefer the model trained with D over the one without", "Sec. IV-C.3 (pairwise study)",
          "pairwise", "share", "full", ("no_adv",), "higher"),
    Claim("The all-one mask is the worst solution (lowest PSNR)", "Table IV", "synthetic", "psnr",
          "full_mask_ones", _among("IV", "full_mask_ones"), "lowest"),
    Claim("D's maps beat all-zero and all-one masks (PSNR)", "Table IV", "synthetic", "psnr",
          "full_mask_dmap", ("full_mask_zeros", "full_mask_ones"), "higher"),
    Claim("Finetuning with D's maps beats D's maps without finetuning (PSNR)", "Table IV", "synthetic", "psnr",
          "finetune_dmask_dmap", ("full_mask_dmap",), "higher"),
    Claim("The full model with the true mask is best (PSNR)", "Table IV", "synthetic", "psnr",
          "full", _among("IV", "full"), "highest"),
]


def paper_table_of(where: str) -> str:
    """Which of the paper's tables holds the numbers behind a claim located at ``where``."""
    hit = re.match(r"Table (IV|III|II|I)\b", where)
    if hit:
        return hit.group(1)
    return "III" if where.startswith("Sec. IV-C.2") else "I"  # IV-C.2 sits with Table III


def paper_measurements(table_id: str) -> pd.DataFrame:
    """The paper's numbers of one table in the measurements layout (no intervals), plus the pairwise
    study.  Per table because the paper prints different values for the same method in different
    tables (e.g. DIH's L_T1 is 0.2325 in Table I and 0.014 in Table III)."""
    rows = []
    for table in [TABLES[table_id]]:
        for prow in table:
            for key, value in prow.values.items():
                if value is None:
                    continue
                col = COLUMNS[key]
                rows.append(dict(source=col.source, method=prow.method, metric=col.metric,
                                 mean=value, ci_low=math.nan, ci_high=math.nan))
    rows.append(dict(source="pairwise", method="full", metric="share", mean=PAIRWISE_WITH_D["prefer_with_d"],
                     ci_low=math.nan, ci_high=math.nan))
    rows.append(dict(source="pairwise", method="no_adv", metric="share",
                     mean=PAIRWISE_WITH_D["prefer_without_d"], ci_low=math.nan, ci_high=math.nan))
    return pd.DataFrame(rows)


def evaluate_claims(measurements: pd.DataFrame, claims: list[Claim] | None = None) -> pd.DataFrame:
    """One row per claim: claim, where, ours evidence, verdict, intervals separate, paper evidence/verdict."""
    rows = []
    for i, claim in enumerate(claims if claims is not None else CLAIMS, start=1):
        verdict, evidence, separated = claim.check(measurements)
        p_verdict, p_evidence, _ = claim.check(paper_measurements(paper_table_of(claim.where)))
        rows.append(dict(id=i, claim=claim.text, where=claim.where, source=claim.source, metric=claim.metric,
                         evidence=evidence, verdict=verdict, intervals_separate=separated,
                         paper_evidence=p_evidence, paper_verdict=p_verdict))
    return pd.DataFrame(rows)


def render_claims_markdown(table: pd.DataFrame, ctx: ReportContext) -> str:
    counts = table.verdict.value_counts()
    lines = ["# The paper's claims, checked", "",
             f"Profile: {ctx.profile}. Data: {ctx.data}.  "]
    if ctx.scaled_down:
        lines.append(f"The {ctx.profile} profile is scaled down from the paper (small images, short training, "
                     "procedural data): verdicts compare directions of means, not absolute values.  ")
    if ctx.study:
        lines.append(f"User studies: {ctx.study}.  ")
    lines += ["Verdict uses the means; 'intervals separate' says whether the 95% intervals do not overlap.  ",
              f"Summary: {counts.get(HOLDS, 0)} hold, {counts.get(FAILS, 0)} do not hold, "
              f"{counts.get(UNMEASURED, 0)} not measured, of {len(table)}.", "",
              "| # | claim | where | ours (mean [95% interval]) | verdict | intervals separate | paper | paper verdict |",
              "|---|---|---|---|---|---|---|---|"]
    for r in table.to_dict("records"):
        claim = r["claim"]
        if r["source"] in ctx.simulated_sources:
            claim += " — **SIMULATED study** (utilities derived from our own metrics)"
        lines.append(f"| {r['id']} | {claim} | {r['where']} | {r['evidence']} | **{r['verdict']}** | "
                     f"{r['intervals_separate']} | {r['paper_evidence']} | {r['paper_verdict']} |")
    return "\n".join(lines) + "\n"


def write_claims(out_dir: Path | str, measurements: pd.DataFrame, ctx: ReportContext) -> dict[str, Path]:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    table = evaluate_claims(measurements)
    paths = {"md": out_dir / "claims.md", "csv": out_dir / "claims.csv"}
    for key, text in (("md", render_claims_markdown(table, ctx)),
                      ("csv", table.assign(profile=ctx.profile, data=ctx.data).to_csv(index=False))):
        write_text_atomic(paths[key], text)
    return paths
