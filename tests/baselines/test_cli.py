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
