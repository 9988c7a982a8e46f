"""Training: it learns, it resumes exactly, it is reproducible, each ablation switch does what it says."""
import json
import math

import pandas as pd
import pytest
import torch

import harmonizer.train as train_mod
from harmonizer.config import get_config
from harmonizer.data.format import DatasetFormatError
from harmonizer.infer import discriminator_maps, load_run
from harmonizer.runs import CheckpointError, load_checkpoint
from harmonizer.data.training import PairDataset, collate, open_split
from harmonizer.train import Models, NonFiniteLossError, train
from tests.harmonizer.synthetic import make_dataset


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return make_dataset(tmp_path_factory.mktemp("hz") / "data", train=32, val=6, seed=1)


@pytest.fixture(scope="module")
def small_data(tmp_path_factory):
    return make_dataset(tmp_path_factory.mktemp("hz_small") / "data", train=8, val=2, seed=2)


@pytest.fixture(scope="module")
def trained(data, tmp_path_factory):
    """The full model after 320 steps of the tiny profile (8 steps per epoch, 40 epochs)."""
    cfg = get_config("tiny", schedule__epochs=40)
    return train(cfg, data, tmp_path_factory.mktemp("runs") / "full", progress=False)


def _weights(run, which="last"):
    ckpt = load_checkpoint(run / "checkpoints" / f"{which}.pt")
    return ckpt["G"], ckpt["D"], ckpt


def _same(a, b):
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_a_few_hundred_steps_beat_cut_and_paste_and_d_finds_the_foreground(trained, data):
    summary = json.loads((trained / "summary.json").read_text())
    assert summary["steps"] == 320 and summary["finished"] and summary["diverged"] is None
    best = load_checkpoint(trained / "checkpoints" / "best.pt")
    metrics = pd.read_csv(trained / "metrics.csv")
    val = metrics[metrics.split == "val"].pivot(index="step", columns="metric", values="value")
    assert len(val) == 40  # validated after every epoch
    best_row = val.loc[best["step"]]
    assert best_row["psnr"] == pytest.approx(val["psnr"].max())  # best.pt is the best validation PSNR
    assert best_row["mse"] < 0.5 * best_row["input_mse"]  # G clearly beats the cut-and-paste input on unseen clips
    # independent check of the stored numbers: recompute the cut-and-paste MSE from the files
    val_set = open_split(data, "val")
    comp = torch.cat([val_set[i]["composite"] for i in range(len(val_set))])
    gt = torch.cat([val_set[i]["gt"] for i in range(len(val_set))])
    mask = torch.cat([val_set[i]["mask"] for i in range(len(val_set))])
    assert best_row["input_mse"] == pytest.approx(float(((comp - gt) ** 2).mean()), rel=1e-4)
    maps = discriminator_maps(trained, comp)
    fg, bg = maps[mask.bool()].mean(), maps[~mask.bool()].mean()
    assert fg > bg + 0.1, (fg, bg)


def test_paper_parameterisation_also_learns(data, tmp_path):
    """The paper's direct tanh output (no identity start) also beats cut-and-paste within 320 steps."""
    run = train(get_config("tiny", schedule__epochs=40, model__output="direct"), data, tmp_path / "direct",
                progress=False, tensorboard=False)
    metrics = pd.read_csv(run / "metrics.csv")
    val = metrics[metrics.split == "val"].pivot(index="step", columns="metric", values="value")
    assert val["mse"].iloc[0] > val["input_mse"].iloc[0]  # it starts worse than copying the input ...
    assert val["mse"].iloc[-1] < val["input_mse"].iloc[-1]  # ... and ends better
    assert json.loads((run / "summary.json").read_text())["diverged"] is None  # a slow start is not divergence


def test_run_folder_layout(trained):
    for name in ("config.json", "metrics.csv", "summary.json", "checkpoints/last.pt", "checkpoints/best.pt"):
        assert (trained / name).is_file(), name
    assert any((trained / "tb").glob("events.out.tfevents.*"))
    assert json.loads((trained / "config.json").read_text())["profile"] == "tiny"
    assert not list((trained / "checkpoints").glob(".tmp-*"))  # atomic writes leave no temporaries
    G, D, cfg = load_run(trained)
    assert D is not None and cfg.variant == "full"


def test_resume_is_exact_and_same_seed_same_weights(small_data, tmp_path):
    cfg = get_config("tiny", schedule__epochs=3, schedule__max_steps=None)  # 2 steps per epoch → 6 steps
    whole = train(cfg, small_data, tmp_path / "whole", progress=False, tensorboard=False)
    again = train(cfg, small_data, tmp_path / "again", progress=False, tensorboard=False)
    cut = train(cfg, small_data, tmp_path / "cut", progress=False, tensorboard=False, stop_after_steps=3)
    assert _weights(cut)[2]["step"] == 3 and not json.loads((cut / "summary.json").read_text())["finished"]
    with pytest.raises(FileExistsError, match="resume"):
        train(cfg, small_data, tmp_path / "cut", progress=False, tensorboard=False)
    train(cfg, small_data, tmp_path / "cut", resume=True, progress=False, tensorboard=False)
    g_whole, d_whole, c_whole = _weights(whole)
    for other in (again, cut):
        g, d, c = _weights(other)
        assert _same(g, g_whole) and _same(d, d_whole)
        assert c["step"] == c_whole["step"] == 6
        assert c["opt_G"]["state"][0]["exp_avg"].equal(c_whole["opt_G"]["state"][0]["exp_avg"])
    m_whole, m_cut = (pd.read_csv(r / "metrics.csv") for r in (whole, cut))
    pd.testing.assert_frame_equal(m_whole[m_whole.split == "val"].reset_index(drop=True),
                                  m_cut[m_cut.split == "val"].reset_index(drop=True))
    other_seed = train(get_config("tiny", seed=1, schedule__max_steps=1), small_data, tmp_path / "s1",
                       progress=False, tensorboard=False)
    assert not _same(_weights(other_seed)[0], g_whole)
    with pytest.raises(CheckpointError, match="loss.temporal"):
        train(get_config("tiny", "no_temporal", schedule__epochs=3), small_data, tmp_path / "whole",
              resume=True, progress=False, tensorboard=False)


def _one_step(variant, data, init=None, **overrides):
    """Run train_step once on a real batch, recording what G received."""
    cfg = get_config("tiny", variant, **overrides)
    torch.manual_seed(0)
    G = train_mod.build_generator(cfg.model)
    D = train_mod.build_discriminator(cfg.model) if cfg.loss.adversarial else None
    if init is not None:
        G.load_state_dict(init["G"])
        D.load_state_dict(init["D"])
    seen = {}
    G.register_forward_hook(lambda m, args, out: seen.update(inputs=args))
    opt_G = torch.optim.Adam(G.parameters())
    opt_D = torch.optim.Adam(D.parameters()) if D is not None else None
    ds = PairDataset(open_split(data, "train"), pairs=cfg.data.temporal_pairs, cache=False)
    batch = collate([ds[0], ds[1]])
    parts = train_mod.train_step(Models(G, D, opt_G, opt_D, torch.device("cpu")), batch, cfg,
                                 torch.autocast("cpu", enabled=False))
    return parts, seen["inputs"], batch, D


def test_ablation_switches_change_what_they_should(small_data):
    parts, (frames, masks), batch, _ = _one_step("full", small_data)
    assert {"d_loss", "g_rec", "g_temporal", "g_adv"} <= set(parts) and frames.shape[0] == 4  # both frames of 2 pairs
    parts, (frames, _), _, D = _one_step("no_adv", small_data)
    assert D is None and "d_loss" not in parts and "g_adv" not in parts
    parts, (frames, _), _, _ = _one_step("no_temporal", small_data)
    assert "g_temporal" not in parts and frames.shape[0] == 2  # O_{t-1} is not even computed
    parts, (frames, _), batch, _ = _one_step("static_data", small_data)
    assert "g_temporal" not in parts and batch["gt"].shape[1] == 1  # single frames
    parts, (frames, masks), _, _ = _one_step("no_mask_scratch", small_data)
    assert frames.shape[1] == 3  # the generator still receives masks but has no input channel for them
    # global vs regional: same batch, same weights, different temporal numbers
    # (direct output: a residual G starts as the identity, whose warped outputs agree exactly)
    g = _one_step("global_temporal", small_data, loss__adversarial=True, model__output="direct")[0]["g_temporal"]
    r = _one_step("full", small_data, model__output="direct")[0]["g_temporal"]
    assert g != r and g > 0 and r > 0


def test_finetune_dmask_feeds_d_maps_and_needs_init(trained, small_data, tmp_path):
    init = load_checkpoint(trained / "checkpoints" / "best.pt")
    _, (frames, masks), batch, D = _one_step("finetune_dmask", small_data, init=init)
    D0 = train_mod.build_discriminator(get_config("tiny").model)
    D0.load_state_dict(init["D"])
    with torch.no_grad():
        expected = D0(frames).clamp(0, 1)
    assert torch.allclose(masks, expected, atol=1e-5)  # D's map (before its own step) is G's mask
    assert not torch.equal(masks, batch["mask"].flatten(0, 1))
    with pytest.raises(ValueError, match="init_from"):
        train(get_config("tiny", "finetune_dmask"), small_data, tmp_path / "ft", progress=False)
    run = train(get_config("tiny", "finetune_dmask", schedule__max_steps=2), small_data, tmp_path / "ft2",
                init_from=trained, progress=False, tensorboard=False)
    assert json.loads((run / "summary.json").read_text())["init_from"] == str(trained)
    with pytest.raises(CheckpointError, match="model config"):
        train(get_config("tiny", "finetune_dmask", model__base_channels=4), small_data, tmp_path / "ft3",
              init_from=trained, progress=False, tensorboard=False)


def test_no_adv_builds_no_discriminator(small_data, tmp_path):
    run = train(get_config("tiny", "no_adv", schedule__max_steps=2), small_data, tmp_path / "noadv",
                progress=False, tensorboard=False)
    G, D, _ = load_run(run)
    assert D is None and json.loads((run / "summary.json").read_text())["params_D"] == 0


def test_nan_loss_stops_with_clear_error_and_keeps_last_good_checkpoint(small_data, tmp_path, monkeypatch):
    real = train_mod.generator_loss
    calls = {"n": 0}

    def flaky(*args, **kwargs):
        calls["n"] += 1
        total, parts = real(*args, **kwargs)
        if calls["n"] == 3:
            total = total * float("nan")
            parts["g_total"] = math.nan
        return total, parts

    monkeypatch.setattr(train_mod, "generator_loss", flaky)
    cfg = get_config("tiny", schedule__checkpoint_every=1)
    with pytest.raises(NonFiniteLossError, match=r"g_total=nan\) at step 3.*last.pt"):
        train(cfg, small_data, tmp_path / "nan", progress=False, tensorboard=False)
    ckpt = load_checkpoint(tmp_path / "nan" / "checkpoints" / "last.pt")
    assert ckpt["step"] == 2 and all(torch.isfinite(v).all() for v in ckpt["G"].values())


def test_bad_data_folder_and_wrong_checkpoint_are_clear_errors(trained, tmp_path):
    (tmp_path / "notdata").mkdir()
    with pytest.raises(DatasetFormatError, match="not a Dancing dataset"):
        train(get_config("tiny"), tmp_path / "notdata", tmp_path / "r", progress=False)
    with pytest.raises(CheckpointError, match="arch 'unet'.*'dih'"):
        load_run(trained, arch="dih")
    with pytest.raises(CheckpointError, match="profile 'tiny'.*'quick'"):
        load_run(trained, profile="quick")
    with pytest.raises(CheckpointError, match="no checkpoint"):
        load_run(tmp_path)


def test_trains_on_the_shared_tiny_dancing_dataset(tiny_dancing, tmp_path):
    run = train(get_config("tiny", schedule__max_steps=3, data__size=64), tiny_dancing, tmp_path / "r",
                progress=False, tensorboard=False)  # 32² data resized to 64²: flow rescaled too
    summary = json.loads((run / "summary.json").read_text())
    assert summary["steps"] == 3 and math.isfinite(summary["best_val_psnr"])


def test_longer_clips_give_every_consecutive_pair_and_odd_clips_are_named(tmp_path):
    import numpy as np

    from harmonizer.data.format import read_manifest, write_clip, write_manifest
    from tests.harmonizer.synthetic import make_clip

    root = make_dataset(tmp_path / "t3", train=2, val=1, frames=3)
    pairs = PairDataset(open_split(root, "train"), pairs=True, cache=False)
    assert pairs.index == [(0, 1), (0, 2), (1, 1), (1, 2)]
    item = pairs[1]
    assert item["gt"].shape[0] == 2 and item["flow_bw"].shape == (2, 32, 32)
    write_clip(root, make_clip(np.random.default_rng(0), "odd", "train", frames=2))
    write_manifest(root, read_manifest(root) + [{"id": "odd", "split": "train"}])
    with pytest.raises(DatasetFormatError, match="clip 'odd' has 2 frames"):
        train(get_config("tiny", schedule__epochs=1), root, tmp_path / "r", progress=False, tensorboard=False)


def test_a_val_clip_missing_a_frame_is_named_like_a_train_clip(tmp_path):
    """Issue 13, case 7: a val clip with a frame missing used to be validated on fewer frames without a word."""
    from harmonizer.data.format import clip_dir, list_clips

    root = make_dataset(tmp_path / "t3", train=2, val=2, frames=3)
    _, cid = list_clips(root, "val")[1]
    (clip_dir(root, "val", cid) / "gt" / "002.png").unlink()
    with pytest.raises(DatasetFormatError, match=f"val clip '{cid}' has 2 frames, the dataset 3"):
        train(get_config("tiny", schedule__max_steps=1), root, tmp_path / "r", progress=False, tensorboard=False)


def test_resume_on_another_dataset_is_refused_naming_both(small_data, data, tmp_path):
    """Issue 13, case 6: resuming with another --data used to continue and rewrite summary.json."""
    run = tmp_path / "r"
    cfg = get_config("tiny", schedule__max_steps=4)
    train(cfg, small_data, run, progress=False, tensorboard=False, stop_after_steps=1)
    with pytest.raises(CheckpointError, match=f"trained on the dataset {small_data}, not {data}"):
        train(cfg, data, run, resume=True, progress=False, tensorboard=False)
    assert json.loads((run / "summary.json").read_text())["data_dir"] == str(small_data)  # untouched
    train(cfg, small_data, run, resume=True, progress=False, tensorboard=False)  # the same dataset resumes
    assert json.loads((run / "summary.json").read_text())["steps"] == 4


def test_a_diverging_run_stops_with_a_clear_error_and_a_short_one_warns(small_data, tmp_path, capsys):
    """Issue 13, case 8: lr 1e30 saturates G's output (~6 dB against an input of ~15 dB); it used to finish
    with exit 0 and no word.  Three evaluations that far below stop the run; fewer warn and are recorded."""
    from harmonizer.train import DIVERGED_PSNR, DivergenceError

    cfg = get_config("tiny", "no_adv", optim__lr=1e30, schedule__epochs=5)  # 2 steps per epoch
    with pytest.raises(DivergenceError, match="diverged.*lower optim.lr"):
        train(cfg, small_data, tmp_path / "long", progress=False, tensorboard=False)
    summary = json.loads((tmp_path / "long" / "summary.json").read_text())
    assert summary["epochs_completed"] == 3 and not summary["finished"] and "diverged" in summary["diverged"]
    assert summary["last_val"]["psnr"] < DIVERGED_PSNR < summary["last_val"]["input_psnr"]
    assert load_checkpoint(tmp_path / "long" / "checkpoints" / "last.pt")["step"] == 6
    capsys.readouterr()
    train(get_config("tiny", "no_adv", optim__lr=1e30), small_data, tmp_path / "short", progress=False,
          tensorboard=False)  # 2 epochs: too few evaluations to stop it
    assert "warning:" in capsys.readouterr().err
    assert "diverged" in json.loads((tmp_path / "short" / "summary.json").read_text())["diverged"]


def test_a_run_killed_while_saving_its_best_checkpoint_resumes_to_a_best_pt(small_data, tmp_path, monkeypatch):
    """A kill between the end-of-run checkpoint writes (seen in CI: a killed parallel reproduction, resumed, had a
    last.pt recording a best state but no best.pt): whichever file was written first, a resume ends with a
    loadable best.pt equal to an uninterrupted run's."""
    cfg = get_config("tiny", schedule__max_steps=2)
    whole = train(cfg, small_data, tmp_path / "whole", progress=False, tensorboard=False)
    real = train_mod.save_checkpoint
    written = []

    def killed_after_first_write(path, payload):
        if written:  # the first file of the final pair is on disk; the process dies before the second
            raise KeyboardInterrupt("killed")
        real(path, payload)
        written.append(path.name)

    monkeypatch.setattr(train_mod, "save_checkpoint", killed_after_first_write)
    with pytest.raises(KeyboardInterrupt):
        train(cfg, small_data, tmp_path / "cut", progress=False, tensorboard=False)
    monkeypatch.setattr(train_mod, "save_checkpoint", real)
    assert written == ["best.pt"]  # best first: no last.pt yet claims a best that is missing
    run = tmp_path / "cut"
    if (run / "checkpoints" / "last.pt").exists():  # as reports.steps.train_step: resume from last.pt if there is one
        resumed = train(cfg, small_data, run, resume=True, progress=False, tensorboard=False)
    else:  # else start the run afresh
        import shutil

        shutil.rmtree(run)
        resumed = train(cfg, small_data, run, progress=False, tensorboard=False)
    assert _same(_weights(resumed, "best")[0], _weights(whole, "best")[0])


def test_blended_training_scores_g_only_inside_the_mask(small_data):
    """loss.blend = "mask": the losses see M·O + (1 − M)·I.  With an all-zero mask that is the input itself, so
    the reconstruction term is the input's own MSE against the truth (computed here by hand) and the regional
    temporal term is 0, whatever G outputs; without the blend G's raw output makes them differ."""
    ds = PairDataset(open_split(small_data, "train"), pairs=True, cache=False)
    batch = collate([ds[0], ds[1]])
    batch["mask"] = torch.zeros_like(batch["mask"])
    comp, gt = batch["composite"][:, -1] * 2 - 1, batch["gt"][:, -1] * 2 - 1  # the loss's [-1, 1] scale
    input_mse = float(((comp - gt) ** 2).flatten(1).sum(1).div(gt.shape[-1] * gt.shape[-2]).mean())
    parts = {}
    for blend in ("mask", "none"):
        cfg = get_config("tiny", loss__blend=blend, loss__reconstruction="l2", model__output="direct")
        torch.manual_seed(0)
        G, D = train_mod.build_generator(cfg.model), train_mod.build_discriminator(cfg.model)
        models = Models(G, D, torch.optim.Adam(G.parameters()), torch.optim.Adam(D.parameters()), torch.device("cpu"))
        parts[blend] = train_mod.train_step(models, batch, cfg, torch.autocast("cpu", enabled=False))
    assert parts["mask"]["g_rec"] == pytest.approx(input_mse, rel=1e-5)
    assert parts["mask"]["g_temporal"] == 0.0
    assert abs(parts["none"]["g_rec"] - input_mse) > 1e-3


def test_an_unknown_loss_blend_is_refused_naming_the_choices():
    with pytest.raises(ValueError, match="loss.blend 'soft'.*mask"):
        get_config("tiny", loss__blend="soft")
