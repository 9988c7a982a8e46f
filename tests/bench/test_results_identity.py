"""Issue 13, case 4 and bench's smaller cases: results keyed by what produced them, output folders, one-line errors."""
from __future__ import annotations

import json
import os

import cv2
import numpy as np
import pandas as pd
import pytest

from bench import video_io
from bench.__main__ import main
from bench.datasets import DancingReader
from harmonizer.atomic import OutputError
from harmonizer.cli import UsageError
from tests.bench.test_datasets import make_dancing

METRICS = "mse,psnr"


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return make_dancing(tmp_path_factory.mktemp("bench-id") / "data", ids=("c0", "c1"))


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    from harmonizer.config import get_config
    from harmonizer.train import train
    from tests.harmonizer.synthetic import make_dataset

    root = tmp_path_factory.mktemp("bench-runs")
    train_data = make_dataset(root / "train", train=4, val=2, seed=3)
    return [train(get_config("tiny", seed=seed, schedule__max_steps=1), train_data, root / f"run{seed}",
                  progress=False, tensorboard=False) for seed in (0, 1)]


def _values(out):
    df = pd.read_csv(out / "results.csv", dtype={"clip": str})
    return df.sort_values(["method", "clip", "frame", "metric"]).reset_index(drop=True)


def _run(data, out, *args):
    return main(["run", "--data", str(data), "--flow", "gt", "--metrics", METRICS, "--out", str(out), "--quiet",
                 *args])


def test_a_changed_checkpoint_is_rescored(data, runs, tmp_path, capsys):
    run_a, run_b = runs
    _run(data, tmp_path / "R", "--methods", f"gan={run_a}")
    first = _values(tmp_path / "R")
    _run(data, tmp_path / "R", "--methods", f"gan={run_b}")
    assert "rescoring" in capsys.readouterr().err
    fresh = _values(_run(data, tmp_path / "fresh", "--methods", f"gan={run_b}"))
    assert not np.allclose(first.value, fresh.value)  # the two runs' outputs differ, so the test can fail
    pd.testing.assert_frame_equal(_values(tmp_path / "R"), fresh)
    manifest = json.loads((tmp_path / "R" / "manifest.json").read_text())
    assert len(manifest["config"]["method_identity"]["gan"]["weights_sha256"]) == 64


def test_same_checkpoint_resumes_without_rescoring(data, runs, tmp_path):
    _run(data, tmp_path / "R", "--methods", f"gan={runs[0]}")
    part = next((tmp_path / "R" / "parts" / "gan").glob("*.csv"))
    stamp = part.stat().st_mtime_ns
    _run(data, tmp_path / "R", "--methods", f"gan={runs[0]}")
    assert part.stat().st_mtime_ns == stamp
    assert json.loads((tmp_path / "R" / "manifest.json").read_text())["resumed_pairs"] == 2


def test_changed_external_results_are_rescored(data, tmp_path):
    reader = DancingReader(data)
    for cid in reader.clip_ids():
        frames = (reader.load(cid).composite.permute(0, 2, 3, 1).numpy() * 255).round().astype(np.uint8)
        video_io.write_frame_folder(tmp_path / "ext" / "mine" / cid, frames)
    _run(data, tmp_path / "R", "--external", str(tmp_path / "ext"))
    first = _values(tmp_path / "R")
    frame = tmp_path / "ext" / "mine" / "c0" / "000.png"
    cv2.imwrite(str(frame), 255 - cv2.imread(str(frame)))  # the results were remade
    _run(data, tmp_path / "R", "--external", str(tmp_path / "ext"))
    fresh = _values(_run(data, tmp_path / "fresh", "--external", str(tmp_path / "ext")))
    assert not np.allclose(first.value, fresh.value)
    pd.testing.assert_frame_equal(_values(tmp_path / "R"), fresh)


def test_out_folder_of_a_user_or_inside_the_data_is_refused(data, tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.txt").write_text("years of work")
    with pytest.raises(OutputError, match="not written by this suite"):
        _run(data, mine, "--methods", "cut_and_paste")
    with pytest.raises(OutputError, match="lies inside the input"):
        _run(data, data / "results", "--methods", "cut_and_paste")
    assert os.listdir(mine) == ["thesis.txt"] and not (data / "results").exists()



def test_out_inside_a_run_folder_is_refused(data, runs):
    with pytest.raises(OutputError, match="lies inside the input"):
        _run(data, runs[0] / "results", "--methods", f"gan={runs[0]}")
    assert not (runs[0] / "results").exists()


def test_overwrite_starts_afresh_and_keeps_a_users_file(data, tmp_path):
    _run(data, tmp_path / "R", "--methods", "cut_and_paste")
    (tmp_path / "R" / "notes.txt").write_text("mine")
    _run(data, tmp_path / "R", "--methods", "cut_and_paste", "--overwrite")
    assert json.loads((tmp_path / "R" / "manifest.json").read_text())["scored_pairs"] == 2
    assert (tmp_path / "R" / "notes.txt").read_text() == "mine"


def test_a_learned_method_without_a_run_folder_is_one_clear_usage_error(data, tmp_path):
    with pytest.raises(UsageError, match=r"'gan' needs a run folder: --methods gan=RUN_DIR"):
        _run(data, tmp_path / "R", "--methods", "gan")
    with pytest.raises(UsageError, match=r"(?i)unknown method 'dhi'.*did you mean.*dih"):
        _run(data, tmp_path / "R", "--methods", "dhi=runs/x")


def test_summary_shows_clips_skipped_with_on_error_skip(data, tmp_path, capsys):
    broken = make_dancing(tmp_path / "data", ids=("c0", "c1"))
    (broken / "test" / "c1" / "composite" / "001.png").unlink()
    out = main(["run", "--methods", "cut_and_paste", "--data", str(broken), "--flow", "gt", "--metrics", METRICS,
                "--out", str(tmp_path / "R"), "--quiet", "--on-error", "skip"])
    capsys.readouterr()
    main(["summary", str(out), "--n-boot", "10"])
    printed = capsys.readouterr().out
    assert "1 clip skipped (--on-error skip)" in printed and "c1" in printed and "001.png" in printed
