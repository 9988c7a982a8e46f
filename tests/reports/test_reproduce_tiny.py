"""End to end: ``python -m reports reproduce --profile tiny`` on procedural data, then again (all cached),
and with two jobs, interrupted and resumed, to the same bytes."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from reports.__main__ import main
from reports.plan import get_plan
from reports.reproduce import build_steps

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("reproduce-tiny")
    first = main(["reproduce", "--profile", "tiny", "--out", str(out), "--quiet", "--jobs", "1"])
    return out, first


def test_tiny_profile_writes_tables_claims_figures_manifest(tiny_run):
    out, first = tiny_run
    assert {status for _, status, _ in first["steps"]} == {"ran"}
    report = out / "report"
    for table_id in ("I", "II", "III", "IV"):
        for ext in ("md", "csv", "tex"):
            assert (report / "tables" / f"table_{table_id}.{ext}").stat().st_size > 0
        cells = pd.read_csv(report / "tables" / f"table_{table_id}.csv")
        assert cells.ours.notna().all(), f"table {table_id} has unmeasured cells: {cells[cells.ours.isna()]}"
    # Table IV's numbers are bench's: compare one cell with the summary bench wrote
    summary = pd.read_csv(out / "summary_synthetic" / "summary.csv").set_index(["method", "metric"])
    t4 = pd.read_csv(report / "tables" / "table_IV.csv").set_index(["method", "column"])
    assert t4.loc[("full_mask_ones", "PSNR"), "ours"] == pytest.approx(summary.loc[("full_mask_ones", "psnr"), "mean"])
    claims = (report / "claims.md").read_text()
    assert "Profile: tiny" in claims and claims.count("| **") >= 20
    assert claims.splitlines()[2].startswith("**Measured claims (")
    comparisons = pd.read_csv(report / "claims.csv")
    assert set(comparisons.verdict) <= {"holds", "contradicted", "not resolved", "not measured"}
    assert comparisons[comparisons.source == "synthetic"].n_clips.eq(4).all()  # the tiny profile's 4 test clips
    figures = {p.name for p in (report / "figures").glob("*.png")}
    assert "fig7_disharmony_maps.png" in figures and "training_curves.png" in figures
    assert any(n.startswith("fig5_visual_") for n in figures) and any(n.startswith("fig4_hsv_") for n in figures)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["profile"] == "tiny" and manifest["versions"]["torch"] and "revision" in manifest["git"]
    names = [s["name"] for s in manifest["steps"]]
    assert names == [s.name for s in build_steps(get_plan("tiny"))]
    assert all(s["wall_s"] > 0 and s["config"] is not None for s in manifest["steps"])
    md = (report / "tables" / "table_I.md").read_text()
    assert "SIMULATED" in md and "scaled down" in md


def test_second_run_reuses_every_step_and_a_rankings_file_reruns_only_the_study(tiny_run, tmp_path):
    out, first = tiny_run
    stamps = {p.name: p.read_text() for p in (out / "stamps").glob("*.json")}
    second = main(["reproduce", "--profile", "tiny", "--out", str(out), "--quiet", "--jobs", "1"])
    assert {status for _, status, _ in second["steps"]} == {"cached"}
    assert {p.name: p.read_text() for p in (out / "stamps").glob("*.json")} == stamps  # nothing rewritten
    rows = [dict(rater=f"r{i % 3}", question=q, trial=f"t{i}", ranking="gan>dih>realism_cnn>cut_and_paste")
            for q in ("realism", "temporal") for i in range(6)]
    rows.append(dict(rater="r0", question="realism", trial="x", ranking="cut_and_paste>gan>dih>realism_cnn"))
    rows.append(dict(rater="r0", question="temporal", trial="x", ranking="cut_and_paste>gan>dih>realism_cnn"))
    csv = tmp_path / "rankings.csv"
    pd.DataFrame(rows).to_csv(csv, index=False)
    third = main(["reproduce", "--profile", "tiny", "--out", str(out), "--quiet", "--jobs", "1",
                  "--rankings", str(csv)])
    ran = {name for name, status, _ in third["steps"] if status == "ran"}
    assert ran == {"study", "report"}
    assert "fitted from" in (out / "report" / "tables" / "table_I.md").read_text()


def _result_csvs(root: Path) -> dict[str, bytes]:
    paths = [*root.glob("score_*/results/results.csv"), *root.glob("summary_*/*.csv")]
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(paths)}


def test_two_jobs_interrupted_then_resumed_give_the_same_bytes_as_one_job(tiny_run, tmp_path):
    out, _ = tiny_run
    reference = _result_csvs(out)  # before the rankings test re-ran the study, the results are unchanged
    par = tmp_path / "parallel"
    cmd = [sys.executable, "-m", "reports", "reproduce", "--profile", "tiny", "--out", str(par), "--quiet",
           "--jobs", "2"]
    proc = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 600
    try:
        while len(list((par / "stamps").glob("train_*.json"))) < 3 and proc.poll() is None:
            assert time.monotonic() < deadline, "the parallel run made no progress"
            time.sleep(0.2)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)  # the runner and its workers, mid-run
        proc.wait()
    done_before = {p.stem for p in (par / "stamps").glob("*.json")}
    assert done_before and "report" not in done_before
    resumed = main(["reproduce", "--profile", "tiny", "--out", str(par), "--quiet", "--jobs", "2"])
    status = dict((name, st) for name, st, _ in resumed["steps"])
    assert all(status[name] == "cached" for name in done_before)
    assert {status[n] for n in status if n not in done_before} == {"ran"}
    assert _result_csvs(par) == reference
    assert (par / "logs" / "report.log").exists()
    manifest = json.loads((par / "manifest.json").read_text())
    assert manifest["jobs"] == 2 and manifest["seeds"]["trainings_per_model"] == 1
