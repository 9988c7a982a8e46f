"""Tables I–IV from tidy results beside the paper's numbers, as Markdown, CSV and LaTeX.

Each table is one :class:`reports.specs.TableSpec`.  Inputs are *measurements*: one row per
(source, method, metric) with ``mean``, ``ci_low``, ``ci_high`` — the summaries bench wrote
(``bench.summary.summarize``) and the user-study scores userstudy wrote.  Nothing here computes a
metric.  Each cell shows ours ± half the width of the 95% interval beside the paper's value; the best
of ours per column is marked, with the direction taken from each metric's ``higher_is_better`` in
bench's ``METRICS``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from harmonizer.atomic import write_text_atomic
from reports.specs import TABLES, TableSpec


# User-study scores are not bench metrics; a higher Plackett-Luce / Bradley-Terry score means preferred.
STUDY_DIRECTIONS = {"pl_score": True, "bt_score": True}


@dataclass(frozen=True)
class ReportContext:
    """What every rendered report states about where its numbers come from."""

    profile: str
    data: str  # one line naming the data that produced the numbers
    study: str = ""  # e.g. "SIMULATED from ..." or "fitted from rankings.csv"
    simulated_sources: tuple[str, ...] = ()  # measurement sources that come from a SIMULATED study
    scaled_down: bool = True  # quick/tiny: small images, short training

    @property
    def simulated_study(self) -> bool:
        return bool(self.simulated_sources)

    @property
    def scale_note(self) -> str:
        """The one sentence every table, claim list and report index gives a scaled-down profile ("" for paper)."""
        if not self.scaled_down:
            return ""
        return (f"The {self.profile} profile is scaled down from the paper (small images, short training, synthetic "
                "training data — procedural or photo scenes, not COCO people): absolute numbers differ from the "
                "paper's; compare directions.")


def metric_directions(metrics: list[str]) -> dict[str, bool]:
    """``higher_is_better`` of each bench metric, read from bench's METRICS registry."""
    from bench.metrics.registry import METRICS
    out = {}
    for name in metrics:
        if name in STUDY_DIRECTIONS:
            out[name] = STUDY_DIRECTIONS[name]
            continue
        if name not in METRICS:
            raise KeyError(f"metric '{name}' is not in bench's METRICS registry ({sorted(METRICS)})")
        out[name] = bool(METRICS[name].higher_is_better)
    return out


def collect_measurements(summaries: dict[str, pd.DataFrame], studies: dict[str, pd.DataFrame] | None = None
                         ) -> pd.DataFrame:
    """One frame ``source, method, metric, mean, ci_low, ci_high`` from bench summaries
    (``method, metric, mean, ci_low, ci_high``) and study fits (``method, score, ci_low, ci_high``)."""
    parts = []
    for source, df in summaries.items():
        missing = {"method", "metric", "mean", "ci_low", "ci_high"} - set(df.columns)
        if missing:
            raise ValueError(f"summary for '{source}' lacks columns {sorted(missing)}")
        parts.append(df[["method", "metric", "mean", "ci_low", "ci_high"]].assign(source=source))
    for source, df in (studies or {}).items():
        missing = {"method", "score", "ci_low", "ci_high"} - set(df.columns)
        if missing:
            raise ValueError(f"study scores for '{source}' lack columns {sorted(missing)}")
        parts.append(df[["method", "score", "ci_low", "ci_high"]].rename(columns={"score": "mean"})
                     .assign(source=source, metric="pl_score"))
    if not parts:
        return pd.DataFrame(columns=["source", "method", "metric", "mean", "ci_low", "ci_high"])
    return pd.concat(parts, ignore_index=True)[["source", "method", "metric", "mean", "ci_low", "ci_high"]]


def lookup(measurements: pd.DataFrame, source: str, method: str, metric: str) -> tuple[float, float, float] | None:
    """(mean, ci_low, ci_high) of one measurement, or None when it was not measured."""
    hit = measurements[(measurements.source == source) & (measurements.method == method)
                       & (measurements.metric == metric)]
    if hit.empty:
        return None
    row = hit.iloc[0]
    return float(row["mean"]), float(row["ci_low"]), float(row["ci_high"])


def _spec(table: str | TableSpec) -> TableSpec:
    return table if isinstance(table, TableSpec) else TABLES[table]


def build_table(table: str | TableSpec, measurements: pd.DataFrame, directions: dict[str, bool]) -> pd.DataFrame:
    """Tidy cells of one table: ``row, paper_label, method, column, ours, ci_low, ci_high, paper, best, scale``."""
    spec = _spec(table)
    cells = []
    for col in spec.columns:
        higher = directions[col.metric]
        col_cells = []
        for i, row in enumerate(spec.rows):
            hit = lookup(measurements, col.source, row.method, col.metric)
            mean, lo, hi = hit if hit is not None else (math.nan, math.nan, math.nan)
            col_cells.append(dict(table=spec.id, row=i, paper_label=row.paper_label, method=row.method,
                                  column=col.header, metric=col.metric, source=col.source,
                                  ours=mean, ci_low=lo, ci_high=hi, paper=row.values.get(col.key),
                                  higher_is_better=higher, scale=col.scale, best=False))
        measured = [c["ours"] for c in col_cells if not math.isnan(c["ours"])]  # PSNR may be ∞ (output = gt)
        if measured:
            best = max(measured) if higher else min(measured)
            for c in col_cells:
                c["best"] = bool(not math.isnan(c["ours"]) and c["ours"] == best)
        cells.extend(col_cells)
    return pd.DataFrame(cells)


def fmt(value: float | None, metric: str) -> str:
    if value is None or not math.isfinite(value):
        return "—"
    if metric in ("psnr", "fpsnr"):
        return f"{value:.2f}"
    if metric == "pl_score":
        return f"{value:.3f}"
    if value != 0 and abs(value) < 1e-3:
        return f"{value:.2e}"
    return f"{value:.4f}"


def _ours_text(cell: dict) -> str:
    if cell["ours"] == math.inf and cell["metric"] in ("psnr", "fpsnr"):
        return "∞ (output = ground truth on at least one clip)"  # e.g. cut-and-paste on the untouched real set
    if not math.isfinite(cell["ours"]):
        return "not measured"
    text = fmt(cell["ours"], cell["metric"])
    if math.isfinite(cell["ci_low"]) and math.isfinite(cell["ci_high"]):
        text += f" ± {fmt((cell['ci_high'] - cell['ci_low']) / 2, cell['metric'])}"
    return text


def _preamble(spec: TableSpec, ctx: ReportContext) -> list[str]:
    lines = [f"Profile: {ctx.profile}. Data: {ctx.data}."] + ([spec.notes] if spec.notes else [])
    if ctx.scale_note:
        lines.append(ctx.scale_note)
    lines.append("Cells: ours ± half-width of the 95% interval, then the paper's value. Best of ours per column "
                 "in bold (direction from bench's METRICS higher_is_better; P-L scores: higher is better).")
    scales = "; ".join(f"{c.header}: {c.scale}" for c in spec.columns)
    lines.append(f"Scales — {scales}.")
    if any(c.metric in STUDY_DIRECTIONS for c in spec.columns) and ctx.study:
        lines.append(f"User study: {ctx.study}.")
    return lines


def _headers(spec: TableSpec, ctx: ReportContext) -> list[str]:
    out = []
    for c in spec.columns:
        head = c.header + (" (SIMULATED)" if c.source in ctx.simulated_sources else "")
        out += [f"{head} ours", f"{head} paper"]
    return out


def _grid(cells: pd.DataFrame) -> list[tuple[str, list[dict]]]:
    """Rows of the table in paper order, each with its cells in column order."""
    out = []
    for _, group in cells.groupby("row", sort=True):
        out.append((group.iloc[0]["paper_label"], group.to_dict("records")))
    return out


def render_markdown(table: str | TableSpec, cells: pd.DataFrame, ctx: ReportContext) -> str:
    spec = _spec(table)
    lines = [f"## {spec.title}", ""] + [f"{x}  " for x in _preamble(spec, ctx)] + [""]
    headers = ["Method (paper label)", "ours label"] + _headers(spec, ctx)
    lines.append("| " + " | ".join(headers) + " |")
    lines.append("|" + "---|" * len(headers))
    for label, row_cells in _grid(cells):
        parts = [label, f"`{row_cells[0]['method']}`"]
        for c in row_cells:
            ours = _ours_text(c)
            parts += [f"**{ours}**" if c["best"] else ours, fmt(c["paper"], c["metric"])]
        lines.append("| " + " | ".join(parts) + " |")
    return "\n".join(lines) + "\n"


def _tex_escape(text: str) -> str:
    for a, b in [("\\", r"\textbackslash{}"), ("&", r"\&"), ("%", r"\%"), ("_", r"\_"), ("#", r"\#"),
                 ("±", r"$\pm$"), ("—", "--")]:
        text = text.replace(a, b)
    return text


def render_latex(table: str | TableSpec, cells: pd.DataFrame, ctx: ReportContext) -> str:
    spec = _spec(table)
    headers = ["Method"] + _headers(spec, ctx)
    lines = ["% " + line for line in _preamble(spec, ctx)]
    lines += [r"\begin{table}[t]", r"\centering", rf"\caption{{{_tex_escape(spec.title)} "
              rf"(profile {_tex_escape(ctx.profile)})}}", r"\begin{tabular}{l" + "rr" * (len(headers) // 2) + "}",
              r"\hline", " & ".join(_tex_escape(h) for h in headers) + r" \\", r"\hline"]
    for label, row_cells in _grid(cells):
        parts = [_tex_escape(label)]
        for c in row_cells:
            ours = _tex_escape(_ours_text(c))
            parts += [rf"\textbf{{{ours}}}" if c["best"] else ours, _tex_escape(fmt(c["paper"], c["metric"]))]
        lines.append(" & ".join(parts) + r" \\")
    lines += [r"\hline", r"\end{tabular}", r"\end{table}"]
    return "\n".join(lines) + "\n"


def write_tables(out_dir: Path | str, measurements: pd.DataFrame, ctx: ReportContext,
                 directions: dict[str, bool] | None = None, tables: dict[str, TableSpec] | None = None
                 ) -> dict[str, dict[str, Path]]:
    """Write ``table_<id>.{md,csv,tex}`` for every table spec; return their paths by table and format."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    tables = TABLES if tables is None else tables
    metrics = sorted({c.metric for t in tables.values() for c in t.columns})
    directions = directions if directions is not None else metric_directions(metrics)
    written: dict[str, dict[str, Path]] = {}
    for table_id, spec in tables.items():
        cells = build_table(spec, measurements, directions)
        paths = {fmt_: out_dir / f"table_{table_id}.{fmt_}" for fmt_ in ("md", "csv", "tex")}
        write_text_atomic(paths["md"], render_markdown(spec, cells, ctx))
        write_text_atomic(paths["tex"], render_latex(spec, cells, ctx))
        write_text_atomic(paths["csv"], cells.assign(profile=ctx.profile, data=ctx.data,
                                                 simulated=cells.source.isin(ctx.simulated_sources)).to_csv(index=False))
        written[table_id] = paths
    return written
