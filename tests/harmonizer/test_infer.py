"""Inference: mask modes, the method interface, discriminator maps, the CLI, DDP through torchrun."""
import json
import os
import subprocess
import sys

import cv2
import numpy as np
import pytest
import torch

from harmonizer.__main__ import main
from harmonizer.config import get_config
from harmonizer.infer import GANHarmonizer, check_clip, discriminator_maps
from harmonizer.runs import CheckpointError
from harmonizer.data.training import open_split
from harmonizer.train import train
from tests.harmonizer.synthetic import make_dataset


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return make_dataset(tmp_path_factory.mktemp("hzi") / "data", train=4, val=2, seed=5)


@pytest.fixture(scope="module")
def run(data, tmp_path_factory):
    return train(get_config("tiny", schedule__max_steps=3, model__output="direct"), data, tmp_path_factory.mktemp("r") / "full",
                 progress=False, tensorboard=False)


@pytest.fixture(scope="module")
def clip(data):
    item = open_split(data, "val")[0]
    frames = torch.cat([item["composite"], item["composite"].flip(-1)])  # 4 frames
    masks = torch.cat([item["mask"], item["mask"].flip(-1)])
    return frames, masks


def test_mask_modes_equal_their_explicit_masks(run, clip):
    """G's mask input in each mode (the raw output: the blend with the background is test_blend's)."""
    frames, masks = clip
    given = GANHarmonizer(run, mask_mode="given", blend="none")
    out = given.harmonize(frames, masks)
    assert out.shape == frames.shape and 0 <= out.min() and out.max() <= 1
    assert not torch.allclose(out, given.harmonize(frames, 1 - masks))  # the mask matters
    zeros, ones = torch.zeros_like(masks), torch.ones_like(masks)
    assert torch.equal(GANHarmonizer(run, mask_mode="zeros", blend="none").harmonize(frames), given.harmonize(frames, zeros))
    assert torch.equal(GANHarmonizer(run, mask_mode="ones", blend="none").harmonize(frames), given.harmonize(frames, ones))
    dmaps = discriminator_maps(run, frames)
    assert dmaps.shape == masks.shape and 0 <= dmaps.min() and dmaps.max() <= 1
    assert torch.allclose(GANHarmonizer(run, mask_mode="discriminator", blend="none").harmonize(frames),
                          given.harmonize(frames, dmaps), atol=1e-6)


def test_harmonize_is_stateless_and_frame_by_frame(run, clip):
    frames, masks = clip
    model = GANHarmonizer(run, chunk=3)
    whole = model.harmonize(frames, masks)
    single = model.harmonize(frames[2:3], masks[2:3])
    assert torch.allclose(whole[2:3], single, atol=1e-6)
    assert torch.equal(model.harmonize(frames, masks), whole)
    odd = model.harmonize(frames[:, :, :30, :27], masks[:, :, :30, :27])  # not a multiple of 2**depth
    assert odd.shape == (4, 3, 30, 27)


def test_bad_inputs_are_clear_errors(run, clip, data, tmp_path):
    frames, masks = clip
    model = GANHarmonizer(run)
    with pytest.raises(ValueError, match="differ in frame count or size"):
        model.harmonize(frames, masks[:2])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        model.harmonize(frames * 2, masks)
    with pytest.raises(ValueError, match="needs masks"):
        model.harmonize(frames)
    with pytest.raises(ValueError, match="T×3×H×W"):
        check_clip(frames[:, :2], where="x")
    with pytest.raises(ValueError, match="unknown mask_mode"):
        GANHarmonizer(run, mask_mode="auto")
    no_adv = train(get_config("tiny", "no_adv", schedule__max_steps=1), data, tmp_path / "noadv",
                   progress=False, tensorboard=False)
    with pytest.raises(CheckpointError, match="no discriminator"):
        GANHarmonizer(no_adv, mask_mode="discriminator")


def test_mask_free_generator_ignores_masks(data, clip, tmp_path):
    frames, masks = clip
    r = train(get_config("tiny", "no_mask_scratch", schedule__max_steps=1), data, tmp_path / "nomask",
              progress=False, tensorboard=False)
    model = GANHarmonizer(r, blend="none")  # G's input only; given masks still decide the default blend
    assert not model.needs_mask
    assert torch.equal(model.harmonize(frames), model.harmonize(frames, 1 - masks))


def _write_dir(folder, arrays):
    folder.mkdir()
    for t, a in enumerate(arrays):
        cv2.imwrite(str(folder / f"{t:03d}.png"), a if a.ndim == 2 else cv2.cvtColor(a, cv2.COLOR_RGB2BGR))


def test_cli_harmonize_folders_and_mismatch(run, clip, tmp_path):
    frames, masks = clip
    rgb = (frames.permute(0, 2, 3, 1).numpy() * 255).round().astype(np.uint8)
    gray = (masks[:, 0].numpy() * 255).astype(np.uint8)
    _write_dir(tmp_path / "in", rgb)
    _write_dir(tmp_path / "mask", gray)
    _write_dir(tmp_path / "mask3", gray[:3])
    res = main(["harmonize", "--checkpoint", str(run), "--input", str(tmp_path / "in"),
                "--mask", str(tmp_path / "mask"), "--out", str(tmp_path / "out")])
    written = sorted((tmp_path / "out").glob("*.png"))
    assert res["frames"] == 4 and len(written) == 4 and res["mask_mode"] == "given"
    expected = GANHarmonizer(run).harmonize(torch.from_numpy(rgb).permute(0, 3, 1, 2).float() / 255,
                                            torch.from_numpy(gray)[:, None].float() / 255)
    got = cv2.cvtColor(cv2.imread(str(written[1])), cv2.COLOR_BGR2RGB)
    assert np.abs(got.astype(float) - expected[1].permute(1, 2, 0).numpy() * 255).max() <= 1.0
    with pytest.raises(ValueError, match=r"4 frames.*mask3.*has 3"):
        main(["harmonize", "--checkpoint", str(run), "--input", str(tmp_path / "in"),
              "--mask", str(tmp_path / "mask3"), "--out", str(tmp_path / "bad")])
    res = main(["harmonize", "--checkpoint", str(run), "--input", str(tmp_path / "in"), "--out",
                str(tmp_path / "out.avi")])
    assert res["mask_mode"] == "discriminator" and (tmp_path / "out.avi").stat().st_size > 0
    res = main(["harmonize", "--checkpoint", str(run), "--input", str(tmp_path / "out.avi"),  # a video as input
                "--mask-mode", "zeros", "--out", str(tmp_path / "from_video")])
    assert res["frames"] == 4 and len(list((tmp_path / "from_video").glob("*.png"))) == 4


def test_cli_train(data, tmp_path):
    out = main(["train", "--profile", "tiny", "--variant", "no_temporal", "--data", str(data), "--out",
                str(tmp_path / "cli"), "--set", "schedule.max_steps=2", "--set", "schedule.bf16=true", "--no-progress"])
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["variant"] == "no_temporal" and cfg["schedule"]["max_steps"] == 2 and cfg["schedule"]["bf16"]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["steps"] == 2 and summary["best_val_psnr"] > 0  # bf16 autocast runs and stays finite


def test_torchrun_ddp_two_processes(data, tmp_path):
    """The same CLI under torchrun: two CPU processes (gloo) train one model; rank 0 writes the run."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           "-m", "harmonizer", "train", "--profile", "tiny", "--data", str(data), "--out", str(tmp_path / "ddp"),
           "--set", "schedule.max_steps=2", "--no-progress"]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads((tmp_path / "ddp" / "summary.json").read_text())
    assert summary["world_size"] == 2 and summary["steps"] == 2
