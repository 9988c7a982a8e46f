"""Per-method summaries of a tidy ``results.csv`` with bootstrap confidence intervals over clips.

The mean of a (method, metric) is the mean of all its non-NaN frame values (what
``df.groupby(["method", "metric"]).value.mean()`` gives).  The 95% interval is a
percentile bootstrap that resamples *clips* with replacement (frames of a clip are
not independent), recomputing that pooled mean each time.  The resampled clip
indices come from ``numpy.random.default_rng(seed)`` and are the same for every
method, so intervals of methods scored on the same clips are paired draws.
Where the results' protocol (``manifest.json``, bench.protocols) forms a figure as the mean of per-clip means
(VideoTripletTransformer's (f)R-RTC, Lai et al.'s warping error), each clip counts once: its frames are averaged
first.  :func:`protocol_header` is the line ``bench summary`` prints above the table.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

RESULT_COLUMNS = ["method", "dataset", "clip", "frame", "metric", "value"]
SUMMARY_COLUMNS = ["method", "metric", "mean", "ci_low", "ci_high", "n_clips", "n_nan"]


@dataclass
class SummaryConfig:
    n_boot: int = 1000
    confidence: float = 0.95
    seed: int = 0


def read_results(results: str | os.PathLike) -> pd.DataFrame:
    """Load ``results.csv`` from a results folder (or the CSV path itself), checking its columns."""
    path = Path(results)
    if path.is_dir():
        path = path / "results.csv"
    if not path.exists():
        raise FileNotFoundError(f"no results file {path}; run `python -m bench run ... --out {path.parent}` first")
    df = pd.read_csv(path, dtype={"clip": str, "method": str, "metric": str, "dataset": str})
    missing = [c for c in RESULT_COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"{path} lacks the column(s) {', '.join(missing)}; expected {', '.join(RESULT_COLUMNS)}")
    return df


def bootstrap_pooled_mean(values: np.ndarray, clip_codes: np.ndarray, n_clips: int, rng_indices: np.ndarray,
                          confidence: float) -> tuple[float, float, float]:
    """Pooled mean of non-NaN ``values`` and its percentile bootstrap interval.

    ``rng_indices`` is ``n_boot×n_clips`` clip indices drawn with replacement; clip sums and counts are
    gathered per draw, so the cost is ``O(n_boot·n_clips)`` whatever the number of frames.
    """
    ok = ~np.isnan(values)
    sums = np.bincount(clip_codes[ok], weights=values[ok], minlength=n_clips)
    counts = np.bincount(clip_codes[ok], minlength=n_clips).astype(float)
    total = counts.sum()
    if total == 0:
        return float("nan"), float("nan"), float("nan")
    mean = float(sums.sum() / total)
    boot_counts = counts[rng_indices].sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        boot_means = sums[rng_indices].sum(axis=1) / boot_counts
    boot_means = boot_means[boot_counts > 0]  # a draw of only all-NaN clips has no mean
    alpha = (1.0 - confidence) / 2.0
    low, high = np.quantile(boot_means, [alpha, 1.0 - alpha])
    return mean, float(low), float(high)


def read_protocol(results: str | os.PathLike) -> dict:
    """The protocol a results folder was scored with, from its ``manifest.json``: ``name``, ``title``, per-metric
    ``aggregates`` (``"frames"`` / ``"clips"``), the flow ``estimator``, the ``frames`` it ran on and the peer's
    own estimator (``peer_flow``).  A folder without one (or older results) is the default, ``paper``."""
    path = Path(results)
    manifest = (path if path.is_dir() else path.parent) / "manifest.json"
    try:
        config = json.loads(manifest.read_text()).get("config", {})
    except (OSError, ValueError):
        config = {}
    steps = config.get("protocol_steps") or {}
    flow = config.get("flow") or {}
    metrics = steps.get("metrics") if isinstance(steps.get("metrics"), dict) else {}
    return {"name": config.get("protocol", "paper"), "title": steps.get("title", ""),
            "aggregates": {m: d.get("aggregate", "frames") for m, d in metrics.items()},
            "estimator": flow.get("estimator"), "frames": flow.get("frames"), "peer_flow": flow.get("peer_flow")}


def protocol_header(info: dict) -> str:
    """One line naming the protocol, its flow (beside the peer's) and which figures are means of clip means."""
    text = f"protocol: {info['name']}" + (f" ({info['title']})" if info.get("title") else "")
    if info.get("estimator"):
        text += f"; flow: {info['estimator']}" + (f", {info['frames']}" if info.get("frames") else "")
        if info.get("peer_flow"):
            text += f" (the peer's: {info['peer_flow']})"
    per_clip = sorted(m for m, a in info.get("aggregates", {}).items() if a == "clips")
    if per_clip:
        text += f"; mean of per-clip means: {', '.join(per_clip)}"
    return text


def _clip_means(values: np.ndarray, codes: np.ndarray, n: int) -> np.ndarray:
    """The mean of each clip's non-NaN values (NaN for a clip without any), for ``aggregate="clips"`` metrics."""
    ok = ~np.isnan(values)
    sums = np.bincount(codes[ok], weights=values[ok], minlength=n)
    counts = np.bincount(codes[ok], minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


def summarize(results_dir: str | os.PathLike | pd.DataFrame, config: SummaryConfig | None = None, *,
              aggregates: dict[str, str] | None = None) -> pd.DataFrame:
    """One row per (method, metric): ``mean, ci_low, ci_high, n_clips, n_nan`` (plus ``dataset`` first when the
    results hold more than one dataset).  A metric whose protocol forms its figure as the mean of per-clip means
    (``aggregates[metric] == "clips"``; read from the folder's manifest when not given) is reduced to one value
    per clip first; every other metric pools its frames."""
    config = config or SummaryConfig()
    df = results_dir if isinstance(results_dir, pd.DataFrame) else read_results(results_dir)
    if aggregates is None:
        aggregates = {} if isinstance(results_dir, pd.DataFrame) else read_protocol(results_dir)["aggregates"]
    by = ["method", "metric"]
    multi = df["dataset"].nunique() > 1
    if multi:
        by = ["dataset", *by]
    rows = []
    draws: dict[int, np.ndarray] = {}  # one draw matrix per clip count, shared by all methods (paired)
    for key, group in df.groupby(by, sort=True):
        codes, uniques = pd.factorize(group["clip"], sort=True)
        n = len(uniques)
        if n not in draws:
            draws[n] = np.random.default_rng(config.seed).integers(0, n, size=(config.n_boot, n))
        values = group["value"].to_numpy(dtype=float)
        n_nan = int(np.isnan(values).sum())
        if aggregates.get(key[-1]) == "clips":
            values, codes = _clip_means(values, codes, n), np.arange(n)
        mean, low, high = bootstrap_pooled_mean(values, codes, n, draws[n], config.confidence)
        rows.append((*key, mean, low, high, n, n_nan))
    columns = (["dataset"] if multi else []) + SUMMARY_COLUMNS
    return pd.DataFrame(rows, columns=columns)


def format_table(summary: pd.DataFrame, *, digits: int = 4, protocol: str = "paper") -> str:
    """Metrics as rows (with ↑/↓ from ``higher_is_better`` of ``protocol``'s metrics), methods as columns, cells
    ``mean [ci_low, ci_high]`` and a NaN count where non-zero."""
    def cell(r) -> str:
        text = f"{r['mean']:.{digits}g} [{r['ci_low']:.{digits}g}, {r['ci_high']:.{digits}g}]"
        return text + (f" ({int(r['n_nan'])} NaN)" if r["n_nan"] else "")

    from bench.metrics import metrics_for

    arrow = {n: (" ↑" if s.higher_is_better else " ↓") for n, s in metrics_for(protocol).items()}
    table = summary.assign(cell=summary.apply(cell, axis=1), metric=summary["metric"].map(lambda m: m + arrow.get(m, "")))
    index = ["dataset", "metric"] if "dataset" in summary.columns else ["metric"]
    return table.pivot_table(index=index, columns="method", values="cell", aggfunc="first").to_string()
