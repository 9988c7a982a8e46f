"""``python -m baselines``: list, train (through main(argv) directly), and refusals."""
from __future__ import annotations

import json

import pytest

from baselines.__main__ import main
from baselines.train import train_baseline


def test_list_returns_the_registry(capsys):
    names = main(["list"])
    assert names == sorted(names) and "realism_cnn" in names and "gan" in names
    assert capsys.readouterr().out.split() == names


def test_train_realism_via_cli(tiny_data, tmp_path):
    run = main(["train", "realism_cnn", "--profile", "tiny", "--data", str(tiny_data), "--out", str(tmp_path / "r"),
                "--set", "steps=3", "--set", "val_every=2", "--set", "adjust.steps=2", "--no-progress"])
    summary = json.loads((run / "summary.json").read_text())
    config = json.loads((run / "config.json").read_text())
    assert summary["steps"] == 3 and config["adjust"]["steps"] == 2 and config["profile"] == "tiny"
    assert (run / "checkpoints" / "best.pt").is_file()


def test_weights_only_for_realism(tiny_data, tmp_path):
    with pytest.raises(SystemExit):
        main(["train", "dih", "--data", str(tiny_data), "--out", str(tmp_path / "r"), "--weights", "w.pth"])


def test_untrainable_names_are_refused(tiny_data, tmp_path):
    for name, pattern in (("gan", "harmonizer"), ("cut_and_paste", "nothing to train"), ("vgg", "unknown")):
        with pytest.raises((ValueError, KeyError), match=pattern):
            train_baseline(name, "tiny", tiny_data, tmp_path / name)


def test_train_dih_via_cli_goes_through_harmonizer(tiny_data, tmp_path):
    run = main(["train", "dih", "--profile", "tiny", "--data", str(tiny_data), "--out", str(tmp_path / "d"),
                "--set", "schedule.max_steps=2", "--set", "data.max_val_clips=1", "--no-progress"])
    config = json.loads((run / "config.json").read_text())
    assert config["variant"] == "dih" and config["schedule"]["max_steps"] == 2
    assert json.loads((run / "summary.json").read_text())["steps"] == 2
    assert json.loads((run / "params.json").read_text())["matched"] is True
    assert (run / "checkpoints" / "best.pt").is_file()


def test_bench_run_raw_output_scores_every_method_without_the_blend(dih_run, tiny_data, tmp_path):
    """``python -m bench run --raw-output`` hands blend='none' to every --methods method; the manifest says so."""
    import pandas as pd

    from bench.__main__ import main as bench_main

    results = {}
    for flag in ([], ["--raw-output"]):
        out = bench_main(["run", "--methods", f"cut_and_paste,dih={dih_run}", "--data", str(tiny_data), "--flow", "gt",
                          "--metrics", "mse", "--out", str(tmp_path / f"res{len(flag)}"), "--quiet", *flag])
        config = json.loads((out / "manifest.json").read_text())["config"]
        blend = "none" if flag else "mask"
        assert {label: s["blend"] for label, s in config["method_settings"].items()} == {"cut_and_paste": blend,
                                                                                         "dih": blend}
        assert config["method_specs"]["dih"].get("blend", "mask") == blend
        df = pd.read_csv(out / "results.csv")
        results[blend] = df.groupby("method").value.mean()
    # the raw output adds the network's background error to the same foreground: a larger whole-frame MSE
    assert results["none"]["dih"] > results["mask"]["dih"]
    assert results["none"]["cut_and_paste"] == results["mask"]["cut_and_paste"]
