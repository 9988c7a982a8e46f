"""``python -m bench run`` / ``summary`` end to end: registry methods, external results, estimated flow."""
import json

import numpy as np
import pandas as pd
import pytest

from bench import video_io
from bench.__main__ import build_parser, main, parse_methods
from bench.datasets import DancingReader
from tests.bench.test_datasets import T, make_dancing


def test_parse_methods_labels_and_checkpoints():
    assert parse_methods("cut_and_paste, ours:gan=runs/a,dih=runs/d") == {
        "cut_and_paste": ("cut_and_paste", {}),
        "ours": ("gan", {"checkpoint": "runs/a"}),
        "dih": ("dih", {"checkpoint": "runs/d"}),
    }
    with pytest.raises(ValueError, match="given twice"):
        parse_methods("cut_and_paste,cut_and_paste")
    assert build_parser().parse_args(["summary", "R"]).n_boot == 1000


def test_external_results_score_like_the_method_that_made_them(tmp_path):
    data = make_dancing(tmp_path / "data", ids=("c0", "c1"))
    reader = DancingReader(data)
    for cid in reader.clip_ids():  # "outputs made elsewhere": the composites themselves, as PNGs
        frames = (reader.load(cid).composite.permute(0, 2, 3, 1).numpy() * 255).round().astype(np.uint8)
        video_io.write_frame_folder(tmp_path / "ext" / "copied" / cid, frames)
    out = main(["run", "--methods", "cut_and_paste", "--external", str(tmp_path / "ext"), "--data", str(data),
                "--flow", "gt", "--metrics", "mse,fmse,lt_regional", "--out", str(tmp_path / "res"), "--quiet"])
    df = pd.read_csv(out / "results.csv", dtype={"clip": str})
    assert set(df.method) == {"cut_and_paste", "copied"}
    a = df[df.method == "cut_and_paste"].drop(columns="method").reset_index(drop=True)
    b = df[df.method == "copied"].drop(columns="method").reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["config"]["method_specs"]["copied"] == {"external": str(tmp_path / "ext" / "copied")}

    table = main(["summary", str(out), "--csv", str(tmp_path / "summary.csv")])
    assert list(table.columns) == ["method", "metric", "mean", "ci_low", "ci_high", "n_clips", "n_nan"]
    mse = table.query("method == 'cut_and_paste' and metric == 'mse'").iloc[0]
    assert mse["mean"] == pytest.approx(df.query("method == 'cut_and_paste' and metric == 'mse'").value.mean())
    assert mse["n_clips"] == 2 and (tmp_path / "summary.csv").exists()


def test_real_composites_with_estimated_flow(tmp_path):
    """The real-world-style set has no ground truth: only temporal metrics run, on DIS flow."""
    pytest.importorskip("bench.flow")
    rw = main(["build-realworld", "--out", str(tmp_path / "rw"), "--procedural-foregrounds", "1",
               "--procedural-backgrounds", "1", "--variants", "1", "--size", "32", "--frames", "3"])
    out = main(["run", "--methods", "cut_and_paste", "--data", str(rw), "--flow", "dis", "--out",
                str(tmp_path / "res"), "--quiet"])
    df = pd.read_csv(out / "results.csv")
    from bench.metrics import METRICS

    runnable = {n for n, s in METRICS.items() if "gt" not in s.needs}
    assert set(df.metric) == runnable and set(df.frame) == {1, 2}
    manifest = json.loads((out / "manifest.json").read_text())
    skipped = manifest["skipped_metrics"]
    assert set(skipped) == set(METRICS) - runnable
    assert all(v["unmet_needs"] == ["gt"] and v["clips"] == 2 for v in skipped.values())
    assert manifest["config"]["flow"]["settings"]["name"] == "dis"
    # the composite's background is the procedural camera motion: cut-and-paste stays consistent with it
    assert df[df.metric == "lt_global"].value.max() < 0.05


def test_flicker_raises_l_t2_over_cut_and_paste(tmp_path):
    """L_T2 (regional temporal loss on estimated flow) must see a foreground whose brightness flickers."""
    pytest.importorskip("bench.flow")
    import torch

    from baselines.registry import get_method
    from bench.realworld import build_procedural
    from bench.runner import run_benchmark

    class Flicker:
        name = "flicker"

        def harmonize(self, frames, masks):
            gain = torch.tensor([1.0, 0.8, 1.0]).view(-1, 1, 1, 1)  # darken the middle frame's foreground
            return frames * (1 - masks) + frames * masks * gain

    rw = build_procedural(tmp_path / "rw", foregrounds=2, backgrounds=1, frames=3, size=(48, 48), variants=0)
    out = run_benchmark({"cut_and_paste": get_method("cut_and_paste"), "flicker": Flicker()}, rw, tmp_path / "res",
                        flow="dis", metrics=["lt_regional"], progress=False)
    means = pd.read_csv(out / "results.csv").groupby("method").value.mean()
    assert means["flicker"] > 1.5 * means["cut_and_paste"]


def test_hyoutube_clip_ids_with_slashes_and_external_outputs(tmp_path):
    """HYouTube ids are ``<vid>/object_<k>``: part files must encode them and external outputs nest by them."""
    from bench.datasets import HYouTubeReader
    from tests.bench.test_datasets import write_hyoutube

    root = write_hyoutube(tmp_path / "hy")
    reader = HYouTubeReader(root)
    for cid in reader.clip_ids():
        frames = (reader.load(cid).composite.permute(0, 2, 3, 1).numpy() * 255).round().astype(np.uint8)
        video_io.write_frame_folder(tmp_path / "ext" / "theirs" / cid, frames)
    out = main(["run", "--methods", "cut_and_paste", "--external", str(tmp_path / "ext"), "--data", str(root),
                "--flow", "dis", "--metrics", "fmse255,tl_co2net", "--out", str(tmp_path / "res"), "--quiet"])
    df = pd.read_csv(out / "results.csv", dtype={"clip": str})
    assert set(df["clip"]) == {"aa11/object_0", "aa11/object_1", "bb22/object_0"}
    assert len(list((out / "parts" / "theirs").glob("*.csv"))) == 3
    mine, theirs = (df[df.method == m].drop(columns="method").reset_index(drop=True) for m in ("cut_and_paste", "theirs"))
    pd.testing.assert_frame_equal(mine, theirs)
    # object_1 has 3 annotated frames: fMSE on frames 0..2, TL on 1..2
    obj1 = df[(df["clip"] == "aa11/object_1") & (df.method == "theirs")]
    assert sorted(obj1[obj1.metric == "fmse255"].frame) == [0, 1, 2]
    assert sorted(obj1[obj1.metric == "tl_co2net"].frame) == [1, 2]
    with pytest.raises(ValueError, match="Dancing dataset: option\\(s\\) size"):
        main(["run", "--methods", "cut_and_paste", "--data", str(make_dancing(tmp_path / "d")), "--size", "16",
              "--out", str(tmp_path / "r2")])
