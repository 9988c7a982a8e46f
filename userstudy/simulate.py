"""Simulated user-study answers, drawn from known scores with a recorded seed.

Used by the tests (parameter recovery) and by the reproduction when no human
answers are supplied.  Every simulated table carries ``simulated = true`` and the
``utilities`` it was drawn from on every row, so a fitted table or a report
built from it can always say so.

- Rankings follow the Plackett–Luce model exactly: adding independent Gumbel
  noise to the log-strengths and sorting gives a Plackett–Luce ranking.
- Pairwise choices: with probability ``tie_rate`` the rater answers "tie",
  independently of the methods; otherwise the left video wins with the
  Bradley–Terry probability sigmoid(u_left - u_right).  Under this model ties
  carry no strength information, so ``fit_pairwise(..., ties="drop")`` is its
  maximum-likelihood fit (the default ``ties="half"`` shrinks gaps; see
  :mod:`userstudy.fitting`).
"""
from __future__ import annotations

import itertools
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from userstudy.formats import check_method_name, format_utilities

# The paper's studies (Table I; Section IV-C).  Zhu [1] is RealismCNN and Tsai [2] is DIH.
# The pairwise utilities are the Bradley–Terry gap of the reported 53% vs 38% decisive
# choices, log(53/38) = 0.333, split symmetrically; 9% ties.
PAPER_STUDIES: dict[str, dict] = {
    "realism": {"kind": "ranking", "n": 480, "raters": 32,
                "utilities": {"cut_and_paste": -0.004, "realism_cnn": -0.330, "dih": -0.179, "gan": 0.551}},
    "temporal": {"kind": "ranking", "n": 480, "raters": 32,
                 "utilities": {"cut_and_paste": 2.176, "realism_cnn": -2.064, "dih": -1.291, "gan": 1.179}},
    "discriminator": {"kind": "pairwise", "n": 540, "raters": 36, "tie_rate": 0.09,
                      "utilities": {"gan": 0.1664, "gan_no_adv": -0.1664}},
}


def _check(utilities: Mapping[str, float], n: int, n_raters: int) -> tuple[list[str], np.ndarray]:
    names = [check_method_name(m, "utilities") for m in utilities]
    values = np.array([float(v) for v in utilities.values()])
    if len(names) < 2:
        raise ValueError(f"need utilities for at least two methods, got {names}")
    if not np.all(np.isfinite(values)):
        raise ValueError(f"utilities must be finite numbers, got {dict(utilities)}")
    if n < 1 or n_raters < 1:
        raise ValueError(f"need n >= 1 answers and n_raters >= 1, got n={n}, n_raters={n_raters}")
    return names, values


def _labels(utilities: Mapping[str, float], n_raters: int, n: int) -> tuple[list[str], str]:
    width = len(str(n_raters - 1))
    # Round-robin keeps every rater's share equal, like the paper's fixed number of trials per rater.
    return [f"sim{i % n_raters:0{width}d}" for i in range(n)], format_utilities(utilities)


def simulate_rankings(
    utilities: Mapping[str, float],
    n_rankings: int,
    n_raters: int,
    seed: int,
    subset_size: int | None = None,
    question: str = "simulated",
) -> pd.DataFrame:
    """``n_rankings`` Plackett–Luce rankings (rows of the ranking format, labelled simulated).

    ``subset_size`` k: each ranking covers k methods drawn uniformly (raters who saw only some).
    """
    names, values = _check(utilities, n_rankings, n_raters)
    if subset_size is not None and not 2 <= subset_size <= len(names):
        raise ValueError(f"subset_size must be between 2 and {len(names)}, got {subset_size}")
    rng = np.random.default_rng(seed)
    rankings = []
    for _ in range(n_rankings):
        shown = np.arange(len(names))
        if subset_size is not None:
            shown = rng.choice(len(names), size=subset_size, replace=False)
        noisy = values[shown] + rng.gumbel(size=len(shown))
        rankings.append(">".join(names[k] for k in shown[np.argsort(-noisy)]))
    raters, label = _labels(utilities, n_raters, n_rankings)
    return pd.DataFrame({
        "rater": raters, "question": question, "trial": [f"t{i:04d}" for i in range(n_rankings)],
        "ranking": rankings, "simulated": "true", "utilities": label,
    })


def simulate_pairwise(
    utilities: Mapping[str, float],
    n: int,
    tie_rate: float,
    seed: int,
    n_raters: int = 36,
    pairs: Sequence[tuple[str, str]] | None = None,
    question: str = "simulated",
) -> pd.DataFrame:
    """``n`` Bradley–Terry choices with ties at ``tie_rate`` (rows of the pairwise format, labelled simulated).

    Each choice compares a pair drawn uniformly from ``pairs`` (default: all pairs), shown in random order.
    """
    names, values = _check(utilities, n, n_raters)
    if not 0 <= tie_rate < 1:
        raise ValueError(f"tie_rate must lie in [0, 1), got {tie_rate}")
    pairs = list(pairs) if pairs is not None else list(itertools.combinations(names, 2))
    for a, b in pairs:
        if a not in utilities or b not in utilities or a == b:
            raise ValueError(f"pair ({a}, {b}) must name two different methods of {names}")
    score = dict(zip(names, values))
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(n):
        a, b = pairs[rng.integers(len(pairs))]
        left, right = (a, b) if rng.random() < 0.5 else (b, a)
        if rng.random() < tie_rate:
            choice = "tie"
        else:
            p_left = 1 / (1 + np.exp(-(score[left] - score[right])))
            choice = "left" if rng.random() < p_left else "right"
        rows.append((left, right, choice))
    raters, label = _labels(utilities, n_raters, n)
    left, right, choice = zip(*rows)
    return pd.DataFrame({
        "rater": raters, "question": question, "trial": [f"t{i:04d}" for i in range(n)],
        "left": left, "right": right, "choice": choice, "simulated": "true", "utilities": label,
    })


def simulate_paper_study(name: str, seed: int = 0) -> pd.DataFrame:
    """One of :data:`PAPER_STUDIES` simulated at the paper's size, question named after it."""
    if name not in PAPER_STUDIES:
        raise KeyError(f"unknown paper study {name!r}; known: {', '.join(PAPER_STUDIES)}")
    spec = PAPER_STUDIES[name]
    if spec["kind"] == "ranking":
        return simulate_rankings(spec["utilities"], spec["n"], spec["raters"], seed, question=name)
    return simulate_pairwise(spec["utilities"], spec["n"], spec["tie_rate"], seed, spec["raters"], question=name)
