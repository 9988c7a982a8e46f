"""The background left untouched: ``M·G(I, M) + (1 − M)·I`` by default, the raw generator output on request.

References are independent of ``GANHarmonizer.harmonize``: the input pixels themselves (outside the mask),
and G / D applied by hand to the loaded weights (the raw output, D's map).
"""
import json

import cv2
import numpy as np
import pytest
import torch

from harmonizer.__main__ import main
from harmonizer.config import get_config
from harmonizer.infer import GANHarmonizer, load_run
from harmonizer.train import train
from tests.harmonizer.synthetic import make_dataset


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    data = make_dataset(tmp_path_factory.mktemp("blend") / "data", train=4, val=2, seed=11)
    # the paper's direct output: after 3 steps G is far from the identity, so a raw output changes the background
    return train(get_config("tiny", schedule__max_steps=3, model__output="direct"), data,
                 tmp_path_factory.mktemp("blend_run") / "full", progress=False, tensorboard=False)


@pytest.fixture(scope="module")
def clip():
    rng = np.random.default_rng(3)
    frames = torch.from_numpy(rng.integers(0, 256, (3, 3, 32, 40)).astype(np.float32) / 255)
    masks = torch.zeros(3, 1, 32, 40)
    masks[:, :, 8:24, 10:30] = 1.0
    masks[1, :, 8:24, 6:10] = 0.5  # a soft edge
    return frames, masks


def _by_hand(run, frames, masks):
    """G (and D) applied directly to the loaded weights: the raw output and D's clamped map."""
    G, D, _ = load_run(run)
    with torch.no_grad():
        inp = frames * 2 - 1
        raw = None if masks is None else ((G(inp, masks).float() + 1) / 2).clamp(0, 1)
        dmap = D(inp).float().clamp(0, 1)
        raw_d = ((G(inp, dmap).float() + 1) / 2).clamp(0, 1)
    return raw, dmap, raw_d


def test_default_keeps_the_input_outside_the_mask_bit_exact(run, clip):
    frames, masks = clip
    model = GANHarmonizer(run)
    out = model.harmonize(frames, masks)
    raw, _, _ = _by_hand(run, frames, masks)
    outside, inside = (masks == 0).expand_as(frames), (masks == 1).expand_as(frames)
    assert not torch.equal(raw[outside], frames[outside])  # the generator alone does change the background
    assert torch.equal(out[outside], frames[outside])
    assert torch.allclose(out[inside], raw[inside], atol=1e-6)
    soft = (masks == 0.5).expand_as(frames)
    assert torch.allclose(out[soft], 0.5 * raw[soft] + 0.5 * frames[soft], atol=1e-6)
    assert model.keeps_background and model.settings == {"mask_mode": "given", "blend": "mask",
                                                         "blend_region": "given mask"}


def test_raw_output_is_the_generator_output(run, clip):
    frames, masks = clip
    model = GANHarmonizer(run, blend="none")
    raw, _, _ = _by_hand(run, frames, masks)
    assert torch.allclose(model.harmonize(frames, masks), raw, atol=1e-6)
    assert not model.keeps_background and model.settings["blend"] == "none"
    with pytest.raises(ValueError, match="unknown blend"):
        GANHarmonizer(run, blend="paste")


def test_mask_free_mode_blends_with_the_discriminator_map(run, clip):
    frames, _ = clip
    model = GANHarmonizer(run, mask_mode="discriminator")
    _, dmap, raw_d = _by_hand(run, frames, None)
    expected = dmap * raw_d + (1 - dmap) * frames
    assert torch.allclose(model.harmonize(frames), expected, atol=1e-6)
    assert model.settings["blend_region"] == "discriminator map" and not model.keeps_background
    raw_model = GANHarmonizer(run, mask_mode="discriminator", blend="none")
    assert torch.allclose(raw_model.harmonize(frames), raw_d, atol=1e-6)


def _write_dir(folder, names, arrays):
    folder.mkdir()
    for name, a in zip(names, arrays):
        cv2.imwrite(str(folder / name), a if a.ndim == 2 else cv2.cvtColor(a, cv2.COLOR_RGB2BGR))


def _read(path):
    return cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)


def test_cli_keeps_frame_names_and_background_and_records_the_blend(run, clip, tmp_path):
    frames, masks = clip
    names = ["shot_b_0009.png", "shot_b_0010.png", "shot_b_0102.png"]  # not 00000.png …: the names must survive
    rgb = (frames.permute(0, 2, 3, 1).numpy() * 255).round().astype(np.uint8)
    gray = (masks[:, 0].numpy() * 255).round().astype(np.uint8)
    _write_dir(tmp_path / "in", names, rgb)
    _write_dir(tmp_path / "mask", [f"m{t}.png" for t in range(3)], gray)
    common = ["harmonize", "--checkpoint", str(run), "--input", str(tmp_path / "in"), "--mask", str(tmp_path / "mask")]
    res = main(common + ["--out", str(tmp_path / "out")])
    # the frames keep their names (hidden files are harmonizer.outputs' folder marker)
    assert sorted(p.name for p in (tmp_path / "out").iterdir() if not p.name.startswith(".")) == names
    record = json.loads((tmp_path / "out.harmonize.json").read_text())
    assert record["blend"] == res["blend"] == "mask" and record["blend_region"] == "given mask"
    assert record["mask_mode"] == "given" and record["frames"] == 3
    raw, _, _ = _by_hand(run, frames, torch.from_numpy(gray)[:, None].float() / 255)
    raw_u8 = (raw.permute(0, 2, 3, 1).numpy() * 255 + 0.5).astype(np.uint8)
    for t, name in enumerate(names):
        got = _read(tmp_path / "out" / name)
        outside = gray[t] == 0
        np.testing.assert_array_equal(got[outside], rgb[t][outside])  # bit-exact against the input file's pixels
        inside = gray[t] == 255
        assert np.abs(got[inside].astype(int) - raw_u8[t][inside].astype(int)).max() <= 1
    main(common + ["--out", str(tmp_path / "raw"), "--raw-output"])
    assert json.loads((tmp_path / "raw.harmonize.json").read_text())["blend"] == "none"
    for t, name in enumerate(names):
        assert np.abs(_read(tmp_path / "raw" / name).astype(int) - raw_u8[t].astype(int)).max() <= 1
