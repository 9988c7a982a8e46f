"""User-study fitting (Plackett–Luce / Bradley–Terry with bootstrap refits) and study-kit build speed.

* ``test_fit_rankings`` — ``fit_rankings`` on the paper-sized simulated realism study (480 rankings of 4 methods,
  32 raters) with 200 bootstrap refits.  Check inside: the point scores equal a direct maximum-likelihood fit of
  the Plackett–Luce log-likelihood with ``scipy.optimize`` (centred, within 0.02; the LSR regulariser alpha = 0.01
  is negligible against 480 rankings), so a fast fit that is wrong fails.
* ``test_fit_pairwise`` — ``fit_pairwise`` on the simulated discriminator study (540 choices, 9 % ties, 36 raters);
  check: the score difference equals the closed-form Bradley–Terry MLE for two items, log(wins / losses) with a
  tie counted half to each side, within 0.02.
* ``test_build_kit`` — ``build_kit`` for 15 trials × 4 methods of 16-frame folders (VP8 WebM encoding); check:
  every video of the plan is in the kit.

    pytest benchmarks/test_bench_userstudy.py --benchmark-only
"""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy.optimize import minimize


def pl_mle(rankings: list[list[str]], methods: list[str]) -> np.ndarray:
    """Centred maximum-likelihood Plackett–Luce log-strengths of full or partial rankings (best first)."""
    pos = {m: i for i, m in enumerate(methods)}
    by_length: dict[int, list] = {}
    for r in rankings:
        by_length.setdefault(len(r), []).append([pos[m] for m in r])
    groups = [np.array(g) for g in by_length.values()]

    def nll(theta):
        total = 0.0
        for g in groups:
            t = theta[g]  # rankings × length
            tail = np.logaddexp.accumulate(t[:, ::-1], axis=1)[:, ::-1]  # log Σ_{j ≥ i} exp θ_j
            total -= (t[:, :-1] - tail[:, :-1]).sum()
        return total

    theta = minimize(nll, np.zeros(len(methods)), method="BFGS").x
    return theta - theta.mean()


@pytest.fixture(scope="module")
def realism_study():
    from userstudy.simulate import simulate_paper_study

    ranks = simulate_paper_study("realism", seed=0)
    return [r.split(">") for r in ranks["ranking"]], list(ranks["rater"])


@pytest.mark.benchmark(group="user-study fits")
def test_fit_rankings(benchmark, realism_study, scale):
    from userstudy.fitting import fit_rankings

    rankings, raters = realism_study
    n_boot = scale(200, 5)
    table = benchmark(fit_rankings, rankings, raters, n_boot=n_boot)
    methods = sorted({m for r in rankings for m in r})
    want = dict(zip(methods, pl_mle(rankings, methods)))
    for method, score in zip(table["method"], table["score"]):
        assert abs(score - want[method]) <= 0.02, (method, score, want[method])
    benchmark.extra_info.update(rankings=len(rankings), methods=len(want), n_boot=n_boot)


@pytest.mark.benchmark(group="user-study fits")
def test_fit_pairwise(benchmark, scale):
    from userstudy.fitting import fit_pairwise
    from userstudy.simulate import simulate_paper_study

    pairs = simulate_paper_study("discriminator", seed=0)
    comps = list(zip(pairs["left"], pairs["right"], pairs["choice"]))
    n_boot = scale(200, 5)
    table = benchmark(fit_pairwise, comps, list(pairs["rater"]), n_boot=n_boot)
    a, b = "gan", "gan_no_adv"
    winner = {"left": lambda left, right: left, "right": lambda left, right: right}
    wins = sum(0.5 if c == "tie" else float(winner[c](left, right) == a) for left, right, c in comps)
    diff = dict(zip(table["method"], table["score"]))
    assert abs((diff[a] - diff[b]) - math.log(wins / (len(comps) - wins))) <= 0.02, (diff, wins, len(comps))
    benchmark.extra_info.update(comparisons=len(comps), n_boot=n_boot)


@pytest.mark.benchmark(group="study kit")
def test_build_kit(benchmark, tmp_path, scale):
    import cv2

    from userstudy.kit import build_kit

    trials_n, size, frames = scale(15, 2), scale(128, 32), scale(16, 4)
    methods = ["gan", "cut_and_paste", "dih", "realism_cnn"]
    rng = np.random.default_rng(0)
    trials = []
    for t in range(trials_n):
        videos = {}
        for m in methods:
            folder = tmp_path / "videos" / f"clip{t:02d}" / m
            folder.mkdir(parents=True)
            for f in range(frames):
                cv2.imwrite(str(folder / f"{f:03d}.png"), rng.integers(0, 256, (size, size, 3), dtype=np.uint8))
            videos[m] = f"clip{t:02d}/{m}"
        trials.append({"id": f"clip{t:02d}", "videos": videos})
    plan = {"study": "bench", "kind": "ranking", "methods": methods, "trials": trials,
            "questions": [{"id": "realism", "text": "?"}, {"id": "temporal", "text": "?"}]}
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    kit = benchmark.pedantic(build_kit, args=(tmp_path / "videos", tmp_path / "plan.json", tmp_path / "kit"),
                             kwargs={"overwrite": True}, rounds=scale(2, 1), iterations=1)
    encoded = [p for p in kit.rglob("*") if p.suffix in (".webm", ".mp4")]
    assert len(encoded) >= trials_n * len(methods), f"{len(encoded)} videos in the kit, expected {trials_n * len(methods)}"
    benchmark.extra_info.update(trials=trials_n, methods=len(methods), frames=frames, size=size)
