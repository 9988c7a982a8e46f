"""Fit user-study answers: Plackett–Luce for rankings, Bradley–Terry for pairwise choices (choix).

Scores are log-strengths centred to mean 0 over the fitted methods, as the paper's
Table I reports them (its realism and temporal columns each sum to ~0).

Estimator: choix's iterative Luce Spectral Ranking (``ilsr_rankings`` /
``ilsr_pairwise``), the maximum-likelihood algorithm the paper cites [58].  It is
~50x faster than choix's scipy optimiser on 480 rankings, which makes a
bootstrap of hundreds of refits cheap.

Regularisation: ``alpha = 0.01`` (``DEFAULT_ALPHA``) is added to every transition
rate of the LSR Markov chain.  A comparison adds 1/(sum of the strengths involved)
to a rate, 0.25-0.5 for similar methods, so alpha is worth 1/50-1/25 of one virtual
comparison each way per pair — negligible against real data (it moves the scores
of paper-sized studies, 480 rankings, by 1e-4 to 1e-3), but it keeps the fit finite when the maximum-likelihood
estimate does not exist: a method ranked first every time gets a large finite
score (~7 with 480 rankings) instead of infinity.  Such methods are flagged in
the ``unbounded`` column: their score reflects the regulariser, not a measured
strength (the comparison graph is not strongly connected).

Ties (pairwise only), ``ties=`` argument:
- ``"half"`` (default): a tie counts as half a win for each side.  Implemented by
  giving choix every decisive choice twice and a tie once in each direction
  (alpha doubled to keep the same regularisation).  Ties pull the two scores
  together, so with tie rate t the fitted gap shrinks (two methods:
  gap = log((W + T/2) / (L + T/2))).
- ``"drop"``: strengths from decisive choices only (gap = log(W / L)); ties are
  reported in ``tie_pct`` but carry no information about which method is better.
  This is the exact model of :func:`userstudy.simulate.simulate_pairwise`.

Intervals: percentile bootstrap resampling raters with replacement (answers of a
rater stay together, since a rater's answers are correlated), ``n_boot`` refits,
seeded.  With a single rater there is nothing to resample between raters, so the
bootstrap resamples individual answers instead (``resample_unit`` says which).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from typing import Sequence

import choix
import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components
from tqdm import tqdm

from userstudy.formats import CHOICES, Answers, comparisons_of, rankings_of

DEFAULT_ALPHA = 0.01
TIE_RULES = ("half", "drop")


class FitError(ValueError):
    """The answers cannot be fitted (e.g. methods never compared with each other)."""


@dataclass(frozen=True)
class FitConfig:
    alpha: float = DEFAULT_ALPHA  # LSR transition-rate regularisation, see module docstring
    n_boot: int = 200  # bootstrap refits for the interval
    seed: int = 0  # seeds the bootstrap
    ci: float = 0.95  # interval coverage
    ties: str = "half"  # pairwise tie rule: "half" or "drop"


# ---------------------------------------------------------------- helpers
def _index(items: Sequence[Sequence[str]], methods: Sequence[str] | None) -> list[str]:
    seen = sorted({m for item in items for m in item})
    if methods is None:
        return seen
    methods = list(methods)
    absent = [m for m in methods if m not in seen]
    if absent:
        raise FitError(f"method(s) {absent} have no answers, so they cannot be scored")
    unknown = [m for m in seen if m not in methods]
    if unknown:
        raise FitError(f"answers mention method(s) {unknown} that are not in methods={methods}")
    return methods


def _graph_flags(n: int, edges: Sequence[tuple[int, int]], names: Sequence[str]) -> np.ndarray:
    """Which methods have no finite maximum-likelihood score (edges: loser -> winner).

    A finite estimate exists iff the "beaten by" graph is strongly connected.  When it is not,
    its strongly connected components form a DAG: a component that never beats a method outside it
    (no edge into it from outside) is pushed to −∞ against the rest, one that never loses to a method
    outside it (no edge out of it) to +∞.  Those methods are flagged; a component with edges both in
    and out (beaten by some, beating others) keeps a score set by its comparisons.  If the graph is
    not even weakly connected the groups were never compared and scores mean nothing (an error).
    """
    if not edges:
        raise FitError("no comparisons to fit")
    rows, cols = zip(*edges)
    graph = csr_matrix((np.ones(len(edges)), (rows, cols)), shape=(n, n))
    n_weak, weak = connected_components(graph, directed=True, connection="weak")
    if n_weak > 1:
        groups = [[names[i] for i in range(n) if weak[i] == g] for g in range(n_weak)]
        raise FitError(f"methods fall into groups never compared with each other: {groups}")
    n_strong, strong = connected_components(graph, directed=True, connection="strong")
    if n_strong == 1:
        return np.zeros(n, bool)
    gets_in = np.zeros(n_strong, bool)  # some method outside the component loses to it
    goes_out = np.zeros(n_strong, bool)  # it loses to some method outside the component
    for loser, winner in edges:
        if strong[loser] != strong[winner]:
            goes_out[strong[loser]] = True
            gets_in[strong[winner]] = True
    return ~(gets_in & goes_out)[strong]


def _centred(params: np.ndarray) -> np.ndarray:
    return params - params.mean()


def _groups(raters: Sequence[str] | None, n: int) -> tuple[list[np.ndarray], str]:
    if raters is None:
        return [np.array([i]) for i in range(n)], "answer"
    if len(raters) != n:
        raise FitError(f"{len(raters)} raters given for {n} answers")
    by_rater: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(raters):
        by_rater[str(r)].append(i)
    if len(by_rater) < 2:
        return [np.array([i]) for i in range(n)], "answer"
    return [np.array(v) for v in by_rater.values()], "rater"


def _bootstrap(fit_one, n_items: int, n_answers: int, raters, config: FitConfig, label: str):
    """Percentile interval of centred scores; ``fit_one(indices) -> (scores, present mask)``."""
    groups, unit = _groups(raters, n_answers)
    rng = np.random.default_rng(config.seed)
    draws = np.full((config.n_boot, n_items), np.nan)  # centred scores per resample (NaN: absent/failed)
    for b in tqdm(range(config.n_boot), desc=f"bootstrap {label}", leave=False, disable=None):
        pick = rng.integers(0, len(groups), size=len(groups))
        idx = np.concatenate([groups[g] for g in pick])
        try:
            scores, present = fit_one(idx)
        except (RuntimeError, FloatingPointError):
            continue  # a resample where LSR did not converge counts as missing
        draws[b, present] = scores
    tail = (1 - config.ci) / 2 * 100
    with np.errstate(all="ignore"):
        low = np.nanpercentile(draws, tail, axis=0) if config.n_boot else np.full(n_items, np.nan)
        high = np.nanpercentile(draws, 100 - tail, axis=0) if config.n_boot else np.full(n_items, np.nan)
    return low, high, unit, len(groups), draws


def _fit_present(ilsr, present: np.ndarray, data, remap_item, alpha: float, warm) -> tuple[np.ndarray, np.ndarray]:
    """Fit only the methods ``present`` in a resample (choix wants indices 0..k-1), each answer of ``data``
    renumbered by ``remap_item(remap, answer)``.  A resample starts from the full-data estimate ``warm``: same
    fixed point, fewer LSR iterations.  Returns centred scores of the present methods and ``present``."""
    sub = np.flatnonzero(present)
    remap = {int(k): j for j, k in enumerate(sub)}
    start = warm[sub] if warm is not None else None
    params = ilsr(len(sub), [remap_item(remap, item) for item in data], alpha=alpha, initial_params=start)
    return _centred(params), present


def _full_fit(fit_one, n_answers: int) -> np.ndarray:
    try:
        return fit_one(np.arange(n_answers))[0]
    except RuntimeError as err:  # choix: "Did not converge after 100 iterations"
        raise FitError(f"the spectral ranking fit did not converge ({err}); try a larger alpha") from err


def _table(names, scores, low, high, extra: dict, meta: dict) -> pd.DataFrame:
    df = pd.DataFrame({"method": names, "score": scores, "ci_low": low, "ci_high": high, **extra})
    df.insert(4, "rank", df["score"].rank(ascending=False, method="min").astype(int))
    for key, value in meta.items():
        df[key] = value
    return df.sort_values("rank", kind="stable").reset_index(drop=True)


def _result(names, scores, low, high, extra, meta, draws, with_draws: bool):
    """The fitted table; with ``with_draws`` also the bootstrap's centred scores, one row per resample and
    one column per method (the same resamples for every method, so differences of columns are paired)."""
    table = _table(names, scores, low, high, extra, meta)
    return (table, pd.DataFrame(draws, columns=list(names))) if with_draws else table


def _check_config(config: FitConfig) -> None:
    if config.alpha < 0 or not np.isfinite(config.alpha):
        raise FitError(f"alpha must be a finite number >= 0, got {config.alpha}")
    if config.n_boot < 0:
        raise FitError(f"n_boot must be >= 0 (0 skips the intervals, leaving them NaN), got {config.n_boot}")
    if not 0 < config.ci < 1:
        raise FitError(f"ci must lie in (0, 1), got {config.ci}")
    if config.ties not in TIE_RULES:
        raise FitError(f"ties must be one of {TIE_RULES}, got {config.ties!r}")


# ---------------------------------------------------------------- rankings
def fit_rankings(
    rankings: Sequence[Sequence[str]],
    raters: Sequence[str] | None = None,
    *,
    methods: Sequence[str] | None = None,
    config: FitConfig | None = None,
    with_draws: bool = False,
    **overrides,
) -> pd.DataFrame:
    """Plackett–Luce scores of ``rankings`` (each a list of methods, best first; subsets allowed).

    Returns one row per method: ``method, score, ci_low, ci_high, rank, n_answers, first_pct,
    unbounded, model, alpha, n_boot, ci, seed, resample_unit, n_units``.  ``raters[i]`` is the rater
    of ``rankings[i]``; without it each ranking is its own resampling unit.
    """
    config = replace(config or FitConfig(), **overrides)
    _check_config(config)
    rankings = [list(r) for r in rankings]
    for i, r in enumerate(rankings):
        if len(r) < 2 or len(set(r)) != len(r):
            raise FitError(f"ranking {i} {r!r} must order at least two distinct methods")
    names = _index(rankings, methods)
    pos = {m: k for k, m in enumerate(names)}
    coded = [tuple(pos[m] for m in r) for r in rankings]
    n = len(names)
    edges = [(r[j], r[i]) for r in coded for i in range(len(r)) for j in range(i + 1, len(r))]
    unbounded = _graph_flags(n, edges, names)

    def fit_one(idx):
        data = [coded[i] for i in idx]
        present = np.zeros(n, bool)
        for r in data:
            present[list(r)] = True
        return _fit_present(choix.ilsr_rankings, present, data, lambda remap, r: tuple(remap[k] for k in r),
                            config.alpha, warm)

    warm = None
    scores = _full_fit(fit_one, len(coded))
    warm = scores
    low, high, unit, n_units, draws = _bootstrap(fit_one, n, len(coded), raters, config, "Plackett-Luce")
    appear = np.zeros(n)
    first = np.zeros(n)
    for r in coded:
        appear[list(r)] += 1
        first[r[0]] += 1
    extra = {"n_answers": appear.astype(int), "first_pct": 100 * first / appear, "unbounded": unbounded}
    meta = {"model": "plackett_luce", "alpha": config.alpha, "n_boot": config.n_boot, "ci": config.ci,
            "seed": config.seed, "resample_unit": unit, "n_units": n_units}
    return _result(names, scores, low, high, extra, meta, draws, with_draws)


# ---------------------------------------------------------------- pairwise
def _check_comparisons(comparisons) -> list[tuple[str, str, str]]:
    out = []
    for i, item in enumerate(comparisons):
        try:
            left, right, choice = item
        except (TypeError, ValueError):
            raise FitError(f"comparison {i} {item!r} is not (left, right, choice)") from None
        if left == right:
            raise FitError(f"comparison {i} {item!r} compares a method with itself")
        if choice not in CHOICES:
            raise FitError(f"comparison {i} {item!r}: choice must be one of {CHOICES}")
        out.append((str(left), str(right), choice))
    return out


def fit_pairwise(
    comparisons: Sequence[tuple[str, str, str]],
    raters: Sequence[str] | None = None,
    *,
    methods: Sequence[str] | None = None,
    config: FitConfig | None = None,
    with_draws: bool = False,
    **overrides,
) -> pd.DataFrame:
    """Bradley–Terry scores of ``(left, right, choice)`` triples, choice in {left, right, tie}.

    Returns one row per method: ``method, score, ci_low, ci_high, rank, n_answers, win_pct,
    loss_pct, tie_pct, unbounded, model, ties, alpha, n_boot, ci, seed, resample_unit, n_units``.
    Ties follow ``config.ties`` (see the module docstring).
    """
    config = replace(config or FitConfig(), **overrides)
    _check_config(config)
    comps = _check_comparisons(comparisons)
    names = _index([(a, b) for a, b, _ in comps], methods)
    pos = {m: k for k, m in enumerate(names)}
    n = len(names)
    # (winner, loser) pairs as handed to choix, per comparison
    coded: list[list[tuple[int, int]]] = []
    for left, right, choice in comps:
        a, b = pos[left], pos[right]
        if choice == "tie":
            coded.append([(a, b), (b, a)] if config.ties == "half" else [])
        else:
            win, lose = (a, b) if choice == "left" else (b, a)
            coded.append([(win, lose), (win, lose)] if config.ties == "half" else [(win, lose)])
    if not any(coded):
        raise FitError("every choice is a tie, so ties='drop' leaves nothing to fit; use ties='half'")
    alpha = config.alpha * (2 if config.ties == "half" else 1)  # data counted twice -> same prior weight
    unbounded = _graph_flags(n, [(lose, win) for c in coded for win, lose in c], names)

    def fit_one(idx):
        data = [pair for i in idx for pair in coded[i]]
        present = np.zeros(n, bool)
        for i in idx:
            present[[pos[comps[i][0]], pos[comps[i][1]]]] = True
        if not data or present.sum() < 2:
            raise RuntimeError("nothing to fit in this resample")
        return _fit_present(choix.ilsr_pairwise, present, data, lambda remap, p: (remap[p[0]], remap[p[1]]),
                            alpha, warm)

    warm = None
    scores = _full_fit(fit_one, len(comps))
    warm = scores
    low, high, unit, n_units, draws = _bootstrap(fit_one, n, len(comps), raters, config, "Bradley-Terry")
    wins, losses, ties = np.zeros(n), np.zeros(n), np.zeros(n)
    for left, right, choice in comps:
        a, b = pos[left], pos[right]
        if choice == "tie":
            ties[[a, b]] += 1
        else:
            win, lose = (a, b) if choice == "left" else (b, a)
            wins[win] += 1
            losses[lose] += 1
    total = wins + losses + ties
    extra = {"n_answers": total.astype(int), "win_pct": 100 * wins / total, "loss_pct": 100 * losses / total,
             "tie_pct": 100 * ties / total, "unbounded": unbounded}
    meta = {"model": "bradley_terry", "ties": config.ties, "alpha": config.alpha, "n_boot": config.n_boot,
            "ci": config.ci, "seed": config.seed, "resample_unit": unit, "n_units": n_units}
    return _result(names, scores, low, high, extra, meta, draws, with_draws)


def pairwise_percentages(comparisons: Sequence[tuple[str, str, str]]) -> pd.DataFrame:
    """Per pair of methods (alphabetical ``method_a`` < ``method_b``): n and % a wins / b wins / ties.

    The paper's "53% / 38% / 9%" is this table's single row for its two models.
    """
    counts: dict[tuple[str, str], np.ndarray] = defaultdict(lambda: np.zeros(3))
    for left, right, choice in _check_comparisons(comparisons):
        a, b = sorted((left, right))
        winner = {"left": left, "right": right}.get(choice)
        counts[(a, b)][0 if winner == a else 1 if winner == b else 2] += 1
    rows = []
    for (a, b), c in sorted(counts.items()):
        n = c.sum()
        rows.append({"method_a": a, "method_b": b, "n": int(n), "a_wins_pct": 100 * c[0] / n,
                     "b_wins_pct": 100 * c[1] / n, "tie_pct": 100 * c[2] / n})
    return pd.DataFrame(rows, columns=["method_a", "method_b", "n", "a_wins_pct", "b_wins_pct", "tie_pct"])


# ---------------------------------------------------------------- whole files
def fit_answers(answers: Answers, config: FitConfig | None = None, *, with_draws: bool = False, **overrides):
    """Fit each question of a validated answers file separately (the paper fits realism and
    temporal consistency separately).  Adds ``question``, ``simulated`` and — for simulated
    answers — ``true_score`` (the generating utilities, centred over the fitted methods).

    With ``with_draws`` also returns the rater bootstrap's scores as a tidy frame
    ``question, resample, method, score`` (paired across methods within a resample)."""
    config = replace(config or FitConfig(), **overrides)
    tables, draws = [], []
    for question, part in answers.table.groupby("question", sort=True):
        sub = Answers(kind=answers.kind, table=part.reset_index(drop=True), source=answers.source)
        try:
            if answers.kind == "ranking":
                fitted, boot = fit_rankings(rankings_of(sub), list(part["rater"]), config=config, with_draws=True)
            else:
                fitted, boot = fit_pairwise(comparisons_of(sub), list(part["rater"]), config=config, with_draws=True)
        except FitError as err:
            raise FitError(f"{answers.source}, question {question!r}: {err}") from err
        fitted.insert(0, "question", question)
        fitted["simulated"] = sub.simulated
        utilities = sub.utilities
        if utilities is not None:
            true = pd.Series(utilities).reindex(fitted["method"]).to_numpy(float)
            fitted["true_score"] = true - np.nanmean(true)
        tables.append(fitted)
        long = boot.rename_axis("resample").reset_index().melt(id_vars="resample", var_name="method",
                                                               value_name="score")
        draws.append(long.assign(question=question)[["question", "resample", "method", "score"]])
    table = pd.concat(tables, ignore_index=True)
    return (table, pd.concat(draws, ignore_index=True)) if with_draws else table
