"""Paired comparisons of two methods scored on the same clips, and the verdicts claims are built from.

Every method of a reproduction is scored on the same clips, so a comparison "A vs B" is made on the
per-clip differences, not on two independent intervals: the clip-to-clip spread that both methods share
cancels, and small but consistent effects become visible (docs/reproduce.md, "Verdicts").

* The unit is the clip (frames of a clip are not independent).  Each method's value on a clip is the mean
  of its non-NaN frames; a clip counts only if both methods have it (with every seed).
* The difference on a clip is ``mean_a − (b_scale · mean_b + b_offset)``; ``b_scale``/``b_offset`` turn the
  comparison into "A beats B by a factor/margin" (e.g. ``b_scale=0.9``: A is below 90 % of B).
* The interval is a percentile bootstrap with ``numpy.random.default_rng(seed)``.  Without a ``seed`` column
  it resamples clips.  With one (each model trained several times), it is hierarchical: every resample
  first draws each method's seeds with replacement (independently per method: different trainings are
  not paired), then the clips (shared by both methods: the same clips are paired).  A method without
  seeds (rows whose seed is missing, e.g. cut-and-paste) counts as one seed.
* Verdicts: ``holds`` when the interval excludes 0 in the claimed direction, ``contradicted`` when it
  excludes 0 the other way, ``not resolved`` when it contains 0 (or rests on fewer than two clips),
  ``not measured`` when a number is missing.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable

import numpy as np
import pandas as pd

HOLDS, CONTRADICTED, NOT_RESOLVED, NOT_MEASURED = "holds", "contradicted", "not resolved", "not measured"
VERDICTS = (HOLDS, CONTRADICTED, NOT_RESOLVED, NOT_MEASURED)
DIRECTIONS = ("higher", "lower")
MIN_BOOT = 2000


@dataclass(frozen=True)
class PairedDifference:
    """A − (b_scale·B + b_offset) over the clips both methods have, with its bootstrap interval."""
    metric: str
    a: str
    b: str
    diff_mean: float  # mean over clips of (clip mean of a) − (b_scale·(clip mean of b) + b_offset)
    ci_low: float
    ci_high: float
    n_clips: int
    n_seeds: int  # the larger of the two methods' seed counts (1 without a seed column)
    n_boot: int
    confidence: float
    b_scale: float = 1.0
    b_offset: float = 0.0


def _clip_means(rows: pd.DataFrame, has_seed: bool) -> pd.DataFrame:
    """Seeds × clips table of one method's per-clip means of its non-NaN frames (clips keyed by dataset)."""
    rows = rows[rows["value"].notna()]
    seed = rows["seed"].fillna(-1) if has_seed else pd.Series(0, index=rows.index)
    key = rows["dataset"].astype(str) + "/" + rows["clip"].astype(str)
    means = rows["value"].astype(float).groupby([seed.rename("seed"), key.rename("clip")]).mean()
    return means.unstack("clip")


def paired_difference(results: pd.DataFrame, metric: str, a: str, b: str, *, b_scale: float = 1.0,
                      b_offset: float = 0.0, n_boot: int = MIN_BOOT, confidence: float = 0.95, seed: int = 0,
                      dataset: str | None = None) -> PairedDifference:
    """The paired difference of methods ``a`` and ``b`` on ``metric`` in a tidy results frame.

    ``results`` has the columns of ``results.csv`` (method, dataset, clip, frame, metric, value) and optionally
    ``seed``; ``dataset`` restricts it to one dataset.  With no clip in common the difference is NaN and its
    verdict ``not measured``.
    """
    if n_boot < MIN_BOOT:
        raise ValueError(f"n_boot={n_boot}: a paired interval needs at least {MIN_BOOT} resamples")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence={confidence} must lie strictly between 0 and 1")
    has_seed = "seed" in results.columns
    picked = results[results["metric"] == metric]
    if dataset is not None:
        picked = picked[picked["dataset"] == dataset]
    table_a = _clip_means(picked[picked["method"] == a], has_seed)
    table_b = _clip_means(picked[picked["method"] == b], has_seed)
    # a clip counts when every seed of both methods has a number for it
    common = sorted(set(table_a.columns[table_a.notna().all(axis=0)])
                    & set(table_b.columns[table_b.notna().all(axis=0)]))
    n_seeds = max(len(table_a.index), len(table_b.index), 1)
    if not common:
        nan = float("nan")
        return PairedDifference(metric, a, b, nan, nan, nan, 0, n_seeds, n_boot, confidence, b_scale, b_offset)
    va = table_a[common].to_numpy(dtype=float)  # seeds_a × clips
    vb = table_b[common].to_numpy(dtype=float)  # seeds_b × clips
    diff = va.mean(axis=0) - (b_scale * vb.mean(axis=0) + b_offset)
    diff_mean = float(diff.mean())

    rng = np.random.default_rng(seed)
    n_clips = len(common)

    def seed_averaged(values: np.ndarray) -> np.ndarray:
        """n_boot × clips: the clip means averaged over each resample's draw of this method's seeds."""
        k = values.shape[0]
        if k == 1:
            return np.broadcast_to(values, (n_boot, n_clips))
        draws = rng.integers(0, k, size=(n_boot, k))
        weights = np.stack([np.bincount(row, minlength=k) for row in draws]) / k
        return weights @ values

    boot_a = seed_averaged(va)
    boot_b = seed_averaged(vb)
    clips = rng.integers(0, n_clips, size=(n_boot, n_clips))
    per_clip = boot_a - (b_scale * boot_b + b_offset)
    boot = np.take_along_axis(per_clip, clips, axis=1).mean(axis=1)
    alpha = (1.0 - confidence) / 2.0
    low, high = np.quantile(boot, [alpha, 1.0 - alpha])
    return PairedDifference(metric, a, b, diff_mean, float(low), float(high), n_clips, n_seeds, n_boot,
                            confidence, b_scale, b_offset)


def verdict(diff: PairedDifference | None, direction: str) -> str:
    """``holds`` / ``contradicted`` / ``not resolved`` / ``not measured`` for the claim "a is ``direction``
    than b" (``direction`` is ``"higher"`` or ``"lower"``)."""
    if direction not in DIRECTIONS:
        raise ValueError(f"direction {direction!r} must be one of {', '.join(DIRECTIONS)}")
    if diff is None or diff.n_clips == 0 or not all(
            math.isfinite(x) for x in (diff.diff_mean, diff.ci_low, diff.ci_high)):
        return NOT_MEASURED
    if diff.n_clips < 2 and diff.n_seeds < 2:
        return NOT_RESOLVED  # one clip of one training: the interval has no spread to speak of
    if diff.ci_low > 0.0:
        return HOLDS if direction == "higher" else CONTRADICTED
    if diff.ci_high < 0.0:
        return HOLDS if direction == "lower" else CONTRADICTED
    return NOT_RESOLVED


def combine(verdicts: Iterable[str]) -> str:
    """The verdict of an AND-claim ("A beats B and C"): contradicted if any comparison is, else not measured
    if any is missing, holds if every one holds, else not resolved.  No comparison at all → not measured."""
    verdicts = list(verdicts)
    unknown = [v for v in verdicts if v not in VERDICTS]
    if unknown:
        raise ValueError(f"unknown verdict(s) {unknown}; expected {', '.join(VERDICTS)}")
    if not verdicts:
        return NOT_MEASURED
    if CONTRADICTED in verdicts:
        return CONTRADICTED
    if NOT_MEASURED in verdicts:
        return NOT_MEASURED
    if all(v == HOLDS for v in verdicts):
        return HOLDS
    return NOT_RESOLVED
