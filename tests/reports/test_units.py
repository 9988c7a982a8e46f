"""Unit tests of reports' pipeline, tables, claims and figures on hand-made inputs."""
from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import hsv_to_rgb

from reports import claims as claims_mod
from reports import figures, paper, specs, tables
from reports.pipeline import Pipeline, Step, StepError

DIRECTIONS = {"psnr": True, "fpsnr": True, "mse": False, "lt_regional": False, "pl_score": True}
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
        assert ctx.interrupted == (calls.count("flaky") > 1)  # the second attempt sees the leftover files
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
    assert set(written) == {"I", "R", "II", "III", "IV"}  # R: the ground-truth real set, beside Table I
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
def _tidy(values: dict[str, list[float]], metric="psnr", source_frames=2) -> pd.DataFrame:
    """Tidy results: method -> one value per clip (repeated on every frame)."""
    return pd.DataFrame([dict(method=m, dataset="d", clip=f"c{c:02d}", frame=f, metric=metric, value=v)
                         for m, vs in values.items() for c, v in enumerate(vs) for f in range(source_frames)])


def test_every_claim_points_the_claimed_way_on_the_papers_own_numbers():
    result = claims_mod.evaluate_claims({}, {})
    assert (result.verdict == "not measured").all() and (result.claim_verdict == "not measured").all()
    assert (result.paper_agrees == "yes").all(), result[result.paper_agrees != "yes"][["claim", "b"]]
    assert result.groupby("claim").size().sum() == len(result) and result.claim.nunique() == len(specs.CLAIMS)


def test_claim_verdicts_are_paired_and_an_and_claim_needs_every_comparison():
    rng = np.random.default_rng(0)
    level = rng.normal(20, 4, 30)  # heavy clip-to-clip spread shared by every method
    results = {"synthetic": _tidy({"full_mask_dmap": level + 0.1, "full_mask_ones": level - 0.3,
                                   "full_mask_zeros": level + 0.1 + rng.normal(0, 0.5, 30),
                                   "finetune_dmask_dmap": level + 0.2})}
    out = claims_mod.evaluate_claims(results, {}).set_index(["claim", "b"])
    maps = next(c.id for c in specs.CLAIMS if c.subject == "full_mask_dmap")
    assert out.loc[(maps, "full_mask_ones"), "verdict"] == "holds"  # +0.4 dB on every clip
    assert out.loc[(maps, "full_mask_zeros"), "verdict"] == "not resolved"  # 0 ± noise
    assert out.loc[(maps, "full_mask_ones"), "claim_verdict"] == "not resolved"
    assert out.loc[(maps, "full_mask_ones"), "diff_mean"] == pytest.approx(0.4)
    assert out.loc[(maps, "full_mask_ones"), "n_clips"] == 30
    finetune = next(c.id for c in specs.CLAIMS if c.subject == "finetune_dmask_dmap")
    assert out.loc[(finetune, "full_mask_dmap"), "claim_verdict"] == "holds"
    worst = next(c.id for c in specs.CLAIMS if c.subject == "full_mask_ones")
    assert out.loc[worst, "verdict"].tolist().count("holds") == 3  # the rows that were measured
    assert out.loc[worst, "claim_verdict"].iloc[0] == "not measured"  # the table's other rows were not


def test_study_claims_use_the_rater_bootstrap_and_simulated_ones_are_not_counted(tmp_path):
    draws = pd.DataFrame({"full": np.linspace(0.4, 0.6, 2000), "cut_and_paste": np.zeros(2000),
                          "dih": np.zeros(2000), "realism_cnn": np.linspace(-0.1, 0.1, 2000)[::-1] * 0 + 0.5})
    study = claims_mod.StudyScores({"full": 0.5, "cut_and_paste": 0.0, "dih": 0.0, "realism_cnn": 0.5}, draws, 8)
    d = claims_mod.study_difference(study, "pl_score", "full", "cut_and_paste")
    # differences 0.4 ... 0.6 evenly spaced: the 2.5 % and 97.5 % points of that grid
    assert (d.diff_mean, d.n_clips) == (0.5, 8)
    assert d.ci_low == pytest.approx(0.4 + 0.2 * 0.025, abs=1e-4) and d.ci_high == pytest.approx(0.6 - 0.005, abs=1e-4)
    table = claims_mod.evaluate_claims({}, {"study_realism": study}, simulated_sources=("study_realism",))
    realism = table[table.source == "study_realism"]
    assert set(realism.verdict) == {"holds", "not resolved"} and realism.simulated.all()
    assert realism.n_raters.eq(8).all() and realism.n_clips.isna().all()
    md = claims_mod.write_claims(tmp_path, table, CTX)["md"].read_text()
    first = md.splitlines()[2]
    n_measured = table[~table.simulated].claim.nunique()
    assert first.startswith(f"**Measured claims ({n_measured}): 0 holds") and "SIMULATED user-study claims (1" in md
    row = next(line for line in md.splitlines() if "highest P-L realism" in line)
    assert "SIMULATED" in row and "**not resolved**" in row
    csv = pd.read_csv(tmp_path / "claims.csv")
    assert {"claim", "table", "metric", "a", "b", "diff_mean", "diff_ci_low", "diff_ci_high", "n_clips",
            "verdict"} <= set(csv.columns) and len(csv) == len(table)


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
def test_plan_derives_methods_and_metrics_from_the_specs():
    from reports.plan import get_plan

    plan = get_plan("quick")
    labels = {m.label for m in plan.methods}
    runs = {t.name for t in plan.trainings}
    assert all(m.run in runs for m in plan.methods if m.run)
    scoring = {s.set.name: s for s in plan.scoring}
    for table in specs.TABLES.values():
        for col in table.columns:
            if col.source in scoring:
                assert set(table.methods()) <= set(scoring[col.source].methods) <= labels
                assert col.metric in scoring[col.source].metrics
    assert scoring["synthetic"].metrics == ("psnr", "mse", "lt_regional", "lt_global")
    assert scoring["realworld"].metrics == ("lt_regional", "lt_global")
    assert "full_mask_ones" in scoring["synthetic"].methods and "full_mask_ones" not in scoring["realworld"].methods
    longer = get_plan("quick", train_steps=300)
    steps = {t.name: t.overrides.get("schedule.max_steps") for t in longer.trainings}
    assert steps["full"] == 300 and steps["realism_cnn"] is None and "300" in longer.description
    with pytest.raises(ValueError, match="profile"):
        get_plan("huge")


def test_a_column_or_claim_whose_metric_is_not_scored_is_a_plan_time_error():
    from reports.plan import SpecError, get_plan

    bad_column = specs.ColumnSpec("psnr_rw", "PSNR (real)", "realworld", "psnr", "dB")
    table = specs.TableSpec("X", "a table", tuple(paper.TABLE_I), (bad_column,))
    with pytest.raises(SpecError, match=r"table X, column PSNR \(real\).*'psnr' is not scored on 'realworld'"):
        get_plan("tiny", tables={**specs.TABLES, "X": table})
    unknown = specs.TableSpec("Y", "t", tuple(paper.TABLE_I), (specs.ColumnSpec("k", "K", "synthetic", "nope", ""),))
    with pytest.raises(SpecError, match="table Y, column K.*'nope' is not scored"):
        get_plan("tiny", tables={"Y": unknown})
    claim = specs.ClaimSpec(99, "made up", "Table I", "I", "no_such_column", "higher", "full", ("dih",))
    with pytest.raises(SpecError, match="claim 99.*unknown column"):
        get_plan("tiny", claims=(*specs.CLAIMS, claim))
    study = specs.ClaimSpec(98, "wrong method", "Table I", "I", "psnr", "higher", "full", ("nobody",))
    with pytest.raises(SpecError, match=r"claim 98.*\['nobody'\]"):
        get_plan("tiny", claims=(study,))


def test_seeds_train_every_model_that_many_times():
    from reports.plan import get_plan
    from reports.reproduce import build_steps

    one = {s.name: s for s in build_steps(get_plan("tiny"))}
    two = {s.name: s for s in build_steps(get_plan("tiny", seeds=2))}
    assert set(one) < set(two)
    assert one["train_full"].config == two["train_full"].config  # the first seed keeps its name and config
    assert two["train_full__seed1"].config["seed"] == one["train_full"].config["seed"] + 1
    assert two["train_finetune_dmask__seed1"].deps == ("data_dancing", "train_full__seed1")
    assert two["score_synthetic__full_mask_ones__seed1"].config["method"]["run"] == "full__seed1"
    assert two["score_synthetic__full__seed1"].config["seed_index"] == 1
    assert "score_synthetic__cut_and_paste__seed1" not in two  # nothing to train: scored once
    assert two["score_synthetic__cut_and_paste"].config["seed_index"] is None
    assert "seed_index" not in one["score_synthetic__full"].config


def test_summary_of_several_trainings_has_a_seed_column_the_claims_resample(tmp_path):
    from bench.paired import paired_difference
    from reports import steps as steps_mod

    rng = np.random.default_rng(0)
    level = rng.normal(20, 3, 6)

    def score(label, seed_index, shift):
        def fn(ctx):
            folder = ctx.out_dir / "results"
            folder.mkdir()
            _tidy({label: list(level + shift)}).to_csv(folder / "results.csv", index=False)
            return {"results_dir": str(folder)}
        name = f"score_synthetic__{label}" + (f"__seed{seed_index}" if seed_index else "")
        return Step(name, fn, {"seed_index": seed_index})

    runs = [score("cut_and_paste", None, 0.0), score("full", 0, 1.0), score("full", 1, 3.0)]
    runs.append(Step("summary_synthetic", steps_mod.summarize_step, {"dataset": "synthetic"},
                     tuple(s.name for s in runs)))
    Pipeline(tmp_path, runs, progress=False).run()
    results = pd.read_csv(tmp_path / "summary_synthetic" / "results.csv", dtype={"clip": str})
    assert results.groupby("method").seed.apply(lambda s: sorted(s.dropna().unique().tolist())).to_dict() == {
        "cut_and_paste": [], "full": [0, 1]}
    d = paired_difference(results, "psnr", "full", "cut_and_paste")
    assert (d.n_seeds, d.n_clips) == (2, 6) and d.diff_mean == pytest.approx(2.0)
    # the two trainings give +1 and +3 on every clip: seed draws {0,0}, {0,1}, {1,1} → 1, 2, 3
    assert (d.ci_low, d.ci_high) == (pytest.approx(1.0), pytest.approx(3.0))
