"""The trainable baselines learn on tiny data: validation MSE below cut-and-paste, computed here from the
files (not from the trainer's own validation), and the matched parameter counts recorded in the run."""
from __future__ import annotations

import json

import pytest
import torch

from baselines import get_method
from harmonizer.data.format import list_clips, read_clip
from harmonizer.models import list_generators

GENERATORS = list_generators(trainable_only=True)


def _val_mse(method, data_dir):
    """Mean over val frames of the per-frame MSE on [0, 1] images (docs/design.md, `mse`)."""
    per_frame = []
    for split, cid in list_clips(data_dir, "val"):
        clip = read_clip(data_dir, split, cid)
        comp = torch.from_numpy(clip.composite).permute(0, 3, 1, 2).float() / 255
        gt = torch.from_numpy(clip.gt).permute(0, 3, 1, 2).float() / 255
        mask = torch.from_numpy(clip.mask).float().unsqueeze(1)
        out = method.harmonize(comp, mask)
        per_frame += ((out - gt) ** 2).flatten(1).mean(1).tolist()
    return sum(per_frame) / len(per_frame)


@pytest.mark.parametrize("name", GENERATORS)
def test_trained_baseline_beats_cut_and_paste(name, generator_runs, tiny_data):
    run = generator_runs(name)
    baseline = _val_mse(get_method("cut_and_paste"), tiny_data)
    learned = _val_mse(get_method(name, checkpoint=run), tiny_data)
    assert learned < baseline, (name, learned, baseline)


@pytest.mark.parametrize("name", GENERATORS)
def test_run_records_matched_parameter_counts(name, generator_runs):
    run = generator_runs(name)
    params = json.loads((run / "params.json").read_text())
    counts = params["parameters"]
    assert params["arch"] == name and params["matched"]
    summary = json.loads((run / "summary.json").read_text())
    assert summary["params_G"] == counts[name]  # the trained network is the counted one
    for arch in GENERATORS:
        assert abs(counts[arch] - counts["unet"]) <= 0.10 * counts["unet"]
    config = json.loads((run / "config.json").read_text())
    assert config["model"]["arch"] == name and config["loss"]["adversarial"] is False


def test_harmonizer_reloads_a_baseline_run_without_importing_baselines_first(dih_run):
    """The checkpoint records the module that registered "dih", so a fresh process that only imports
    harmonizer can still load the run (harmonizer never imports baselines statically)."""
    import subprocess
    import sys

    code = ("import sys; from harmonizer.infer import load_run; G, D, cfg = load_run(sys.argv[1]); "
            "assert 'baselines' in sys.modules; print(cfg.model.arch, cfg.model.output, type(G).__name__, "
            "type(G.net).__name__, D)")
    done = subprocess.run([sys.executable, "-c", code, str(dih_run)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    # the tiny profile's residual output wraps the DIH net, as it does for every architecture
    assert done.stdout.split() == ["dih", "residual", "ResidualOutput", "DIHNet", "None"]


def test_a_run_with_bare_direct_weights_is_a_clear_error(dih_run, tmp_path):
    """A dih run saved before dih honoured model.output (config 'residual', weights of a bare direct DIHNet)
    is refused with an explanation instead of being loaded into the residual wrapper."""
    import shutil

    from harmonizer.infer import load_run
    from harmonizer.runs import CheckpointError

    old = tmp_path / "old_dih"
    shutil.copytree(dih_run, old)
    path = old / "checkpoints" / "best.pt"
    ckpt = torch.load(path, map_location="cpu", weights_only=False)
    ckpt["G"] = {k.removeprefix("net."): v for k, v in ckpt["G"].items()}  # the pre-wrapper layout
    torch.save(ckpt, path)
    with pytest.raises(CheckpointError, match="direct-output DIHNet.*model.output='direct'"):
        load_run(old)
