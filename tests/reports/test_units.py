"""Unit tests of reports' pipeline, tables, claims and figures on hand-made inputs."""
from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import hsv_to_rgb

from reports import claims as claims_mod
from reports import figures, paper, tables
from reports.pipeline import Pipeline, Step, StepError

DIRECTIONS = {"psnr": True, "mse": False, "lt_regional": False, "pl_score": True}
CTX = tables.ReportContext(profile="tiny", data="hand-made test numbers", study="SIMULATED (test)",
                           simulated_sources=("study_realism", "study_temporal", "pairwise"))


# --------------------------------------------------------------------------- pipeline
def _counting_step(name, calls, config=None, deps=()):
    def fn(ctx):
        calls.append(name)
        (ctx.out_dir / "out.txt").write_text(json.dumps(ctx.config))
        for dep, folder in ctx.inputs.items():
            assert (folder / "out.txt").exists(), f"{name} sees {dep}'s output"
        return {"n": len(calls)}
    return Step(name, fn, config or {"v": 1}, tuple(deps))


def test_pipeline_caches_and_reruns_downstream_on_config_change(tmp_path):
    calls = []
    steps = [_counting_step("a", calls), _counting_step("b", calls, deps=["a"]), _counting_step("c", calls)]
    recs = Pipeline(tmp_path, steps, progress=False).run()
    assert [r.status for r in recs] == ["ran"] * 3 and calls == ["a", "b", "c"]
    recs = Pipeline(tmp_path, steps, progress=False).run()
    assert [r.status for r in recs] == ["cached"] * 3 and calls == ["a", "b", "c"]
    # a changed config of "a" reruns a and its dependant b, not the independent c
    steps[0] = _counting_step("a", calls, {"v": 2})
    recs = Pipeline(tmp_path, steps, progress=False).run()
    assert [r.status for r in recs] == ["ran", "ran", "cached"]
    assert json.loads((tmp_path / "stamps" / "a.json").read_text())["config"] == {"v": 2}


def test_pipeline_resumes_after_failure_and_names_the_step(tmp_path):
    calls, state = [], {"fail": True}

    def flaky(ctx):
        calls.append("flaky")
        assert ctx.interrupted == (len(calls) > 1)  # the second attempt sees the leftover folder
        (ctx.out_dir / "partial").write_text("x")
        if state["fail"]:
            raise RuntimeError("boom")

    steps = [_counting_step("a", calls), Step("flaky", flaky, {"k": 1}, ("a",))]
    with pytest.raises(StepError, match="flaky"):
        Pipeline(tmp_path, steps, progress=False).run()
    assert not (tmp_path / "stamps" / "flaky.json").exists()
    state["fail"] = False
    recs = Pipeline(tmp_path, steps, progress=False).run()
    assert [r.status for r in recs] == ["cached", "ran"] and calls == ["a", "flaky", "flaky"]


def test_pipeline_rejects_bad_order(tmp_path):
    with pytest.raises(ValueError, match="depends on"):
        Pipeline(tmp_path, [Step("b", lambda c: None, {}, ("a",)), Step("a", lambda c: None)])


# --------------------------------------------------------------------------- tables
def _measurements(values: dict[tuple[str, str, str], float], half=0.1) -> pd.DataFrame:
    return pd.DataFrame([dict(source=s, method=m, metric=k, mean=v, ci_low=v - half * abs(v), ci_high=v + half * abs(v))
                         for (s, m, k), v in values.items()])


def test_table_marks_best_by_direction_and_shows_paper_values(tmp_path):
    meas = _measurements({
        ("synthetic", "static_data", "psnr"): 20.0, ("synthetic", "few_scene_data", "psnr"): 18.0,
        ("synthetic", "no_temporal", "psnr"): 25.0, ("synthetic", "no_adv", "psnr"): 21.0,
        ("synthetic", "full", "psnr"): 22.0,
        ("synthetic", "static_data", "mse"): 0.02, ("synthetic", "few_scene_data", "mse"): 0.005,
        ("synthetic", "full", "mse"): 0.01,
    })
    cells = tables.build_table("II", meas, DIRECTIONS)
    best = cells[cells.best]
    assert set(zip(best.column, best.method)) == {("PSNR", "no_temporal"), ("MSE", "few_scene_data")}
    full_psnr = cells[(cells.method == "full") & (cells.column == "PSNR")].iloc[0]
    assert full_psnr.paper == 22.45 and full_psnr.ours == 22.0
    assert math.isclose(full_psnr.ci_high - full_psnr.ci_low, 4.4)
    md = tables.render_markdown("II", cells, CTX)
    assert "**25.00 ± 2.50**" in md and "22.45" in md and "not measured" in md  # L_T1 was not given
    assert "Profile: tiny" in md and "scaled down" in md and "dB" in md
    tex = tables.render_latex("II", cells, CTX)
    assert r"\textbf{25.00 $\pm$ 2.50}" in tex and r"\begin{tabular}" in tex


def test_write_tables_writes_all_formats_and_labels_simulated_study(tmp_path):
    meas = _measurements({("study_realism", "full", "pl_score"): 0.5, ("study_realism", "dih", "pl_score"): -0.5})
    written = tables.write_tables(tmp_path, meas, CTX, directions=DIRECTIONS)
    assert set(written) == {"I", "II", "III", "IV"}
    for paths in written.values():
        assert all(p.exists() and p.stat().st_size > 0 for p in paths.values())
    md = written["I"]["md"].read_text()
    assert "P-L realism (SIMULATED) ours" in md and "SIMULATED (test)" in md
    csv = pd.read_csv(written["I"]["csv"])
    assert (csv.profile == "tiny").all() and csv[csv.best].method.tolist() == ["full"]


def test_collect_measurements_names_missing_columns():
    with pytest.raises(ValueError, match="realworld"):
        tables.collect_measurements({"realworld": pd.DataFrame({"method": [], "metric": []})})
    df = tables.collect_measurements({"synthetic": pd.DataFrame(dict(method=["a"], metric=["psnr"], mean=[1.0],
                                                                     ci_low=[0.5], ci_high=[1.5], n_clips=[3]))},
                                     {"study_realism": pd.DataFrame(dict(method=["a"], score=[0.2], ci_low=[0.1],
                                                                         ci_high=[0.3]))})
    assert tables.lookup(df, "study_realism", "a", "pl_score") == (0.2, 0.1, 0.3)
    assert tables.lookup(df, "synthetic", "a", "psnr") == (1.0, 0.5, 1.5)


# --------------------------------------------------------------------------- claims
def test_every_claim_holds_on_the_papers_own_numbers():
    result = claims_mod.evaluate_claims(claims_mod.paper_measurements("I").iloc[0:0])
    assert (result.verdict == claims_mod.UNMEASURED).all()
    assert (result.paper_verdict == claims_mod.HOLDS).all(), result[result.paper_verdict != "holds"].claim.tolist()


def test_claim_verdicts_and_interval_separation():
    claim = claims_mod.Claim("x beats y", "Table IV", "synthetic", "psnr", "x", ("y",), "higher")
    sep = _measurements({("synthetic", "x", "psnr"): 20.0, ("synthetic", "y", "psnr"): 10.0}, half=0.01)
    assert claim.check(sep)[0] == "holds" and claim.check(sep)[2] == "yes"
    overlap = _measurements({("synthetic", "x", "psnr"): 10.5, ("synthetic", "y", "psnr"): 10.0}, half=0.1)
    assert claim.check(overlap)[0] == "holds" and claim.check(overlap)[2] == "no"
    worse = _measurements({("synthetic", "x", "psnr"): 9.0, ("synthetic", "y", "psnr"): 10.0})
    assert claim.check(worse)[0] == "does not hold"
    lowest = claims_mod.Claim("x lowest", "Table IV", "synthetic", "mse", "x", ("y", "z"), "lowest")
    m = _measurements({("synthetic", "x", "mse"): 0.02, ("synthetic", "y", "mse"): 0.03,
                       ("synthetic", "z", "mse"): 0.01})
    assert lowest.check(m)[0] == "does not hold"


def test_write_claims_labels_simulated_rows(tmp_path):
    meas = _measurements({("study_realism", m, "pl_score"): v for m, v in
                          [("full", 1.0), ("cut_and_paste", 0.0), ("dih", -0.5), ("realism_cnn", -0.5)]})
    paths = claims_mod.write_claims(tmp_path, meas, CTX)
    md = paths["md"].read_text()
    row = next(line for line in md.splitlines() if "highest P-L realism" in line)
    assert "SIMULATED" in row and "**holds**" in row
    assert "Profile: tiny" in md


# --------------------------------------------------------------------------- figures
def test_foreground_hsv_matches_a_hand_built_clip():
    # frame 0: foreground pure hue 0.25, s 0.5, v 0.8; frame 1 has hue 0.6
    hsv = np.zeros((2, 8, 8, 3), np.float32)
    hsv[..., 1], hsv[..., 2] = 0.5, 0.8
    hsv[0, ..., 0], hsv[1, ..., 0] = 0.25, 0.6
    frames = hsv_to_rgb(hsv)
    frames[:, :4] = 0.0  # background rows: black, masked out
    masks = np.zeros((2, 8, 8), bool)
    masks[:, 4:] = True
    means, hues = figures.foreground_hsv(frames, masks)
    np.testing.assert_allclose(means, [[0.25, 0.5, 0.8], [0.6, 0.5, 0.8]], atol=1e-5)
    assert len(hues[0]) == 32
    empty_means, _ = figures.foreground_hsv(frames, np.zeros_like(masks))
    assert np.isnan(empty_means).all()


def test_figures_write_pngs(tmp_path):
    rng = np.random.default_rng(0)
    clip = rng.integers(0, 256, (2, 16, 16, 3), dtype=np.uint8)
    masks = np.zeros((2, 16, 16), bool)
    masks[:, 4:12, 4:12] = True
    outs = {"full": clip, "dih": rng.random((2, 16, 16, 3)).astype(np.float32)}
    paths = [figures.visual_comparison(clip, outs, clip, tmp_path / "fig5.png", title="t"),
             figures.hsv_comparison(clip, outs, masks, tmp_path / "fig4.png"),
             figures.disharmony_maps(clip, masks, rng.random((2, 1, 16, 16)), tmp_path / "fig7.png")]
    run = tmp_path / "run"
    run.mkdir()
    pd.DataFrame({"step": [1, 2, 3], "loss_g": [3.0, 2.0, 1.0], "val_psnr": [np.nan, 20.0, 21.0]}).to_csv(
        run / "metrics.csv", index=False)
    tidy = tmp_path / "tidy"
    tidy.mkdir()
    pd.DataFrame({"step": [1, 1, 2, 2], "epoch": [0, 0, 0, 0], "split": ["train", "val", "train", "val"],
                  "metric": ["loss_g", "psnr", "loss_g", "psnr"], "value": [2.0, 18.0, 1.0, 19.0]}).to_csv(
        tidy / "metrics.csv", index=False)
    step, wide = figures.read_metrics_csv(tidy / "metrics.csv")
    assert step == "step" and wide["val/psnr"].tolist() == [18.0, 19.0] and wide["train/loss_g"].tolist() == [2.0, 1.0]
    paths.append(figures.training_curves({"full": run, "tidy": tidy, "missing": tmp_path / "nope"},
                                         tmp_path / "curves.png"))
    for p in paths:
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list(tmp_path.glob(".*tmp*"))


# --------------------------------------------------------------------------- plan
def test_plans_cover_every_table_row_and_train_steps_override():
    from reports.plan import get_plan

    plan = get_plan("quick")
    labels = {m.label for m in plan.synthetic_methods}
    runs = {t.name for t in plan.trainings}
    for rows in paper.TABLES.values():
        assert {r.method for r in rows} <= labels  # every table row is scored
    assert all(m.run in runs for m in plan.synthetic_methods if m.run)
    assert set(plan.realworld_methods) <= labels
    longer = get_plan("quick", train_steps=300)
    steps = {t.name: t.overrides.get("schedule.max_steps") for t in longer.trainings}
    assert steps["full"] == 300 and steps["realism_cnn"] is None and "300" in longer.description
    with pytest.raises(ValueError, match="profile"):
        get_plan("huge")


def test_grad_enabled_wrapper_turns_autograd_on_under_no_grad():
    import torch

    from reports.steps import GradEnabled

    class NeedsGrad:
        name, keeps_background = "needs_grad", True

        def harmonize(self, frames, masks):
            assert torch.is_grad_enabled(), "called without autograd"
            return frames

    wrapped = GradEnabled(NeedsGrad())
    with torch.no_grad():
        out = wrapped.harmonize(torch.zeros(1, 3, 2, 2), torch.zeros(1, 1, 2, 2))
    assert out.shape == (1, 3, 2, 2) and wrapped.name == "needs_grad" and wrapped.keeps_background
