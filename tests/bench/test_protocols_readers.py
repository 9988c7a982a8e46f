"""Peer readers (bench.readers): each filter on a hand-computed case, the HYouTube / TL-task / iHarmony4 layouts,
and end-to-end protocol scores equal to a re-derivation of the peer's script on the same files."""
import math

import cv2
import numpy as np
import pytest
import torch
from PIL import Image
from skimage.metrics import mean_squared_error, peak_signal_noise_ratio

from bench.datasets import ClipError
from bench.metrics import evaluate_clip
from bench.protocols import co2net, dovenet, vtt
from bench.readers.hyoutube import HYouTubePeerReader, HYouTubeTLReader
from bench.readers.iharmony4 import IHarmony4Reader, mask_name, real_name
from bench.readers.peer_io import Reading, read_image, read_mask
from tests.bench.test_protocols_formulas import _ssim_map_reference


def _write_rgb(path, rgb):
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))


def test_cv2_linear_and_soft_red_mask_hand_computed(tmp_path):
    # [0, 255] columns upscaled ×2 by INTER_LINEAR (half-pixel centres): 0, 0.25, 0.75, 1 of the range
    rgb = np.zeros((2, 2, 3), np.uint8)
    rgb[:, 1] = (255, 255, 255)
    _write_rgb(tmp_path / "f.png", rgb)
    assert read_image(tmp_path / "f.png", "cv2_linear", (4, 4))[0, :, 0].tolist() == [0, 64, 191, 255]
    mask = np.zeros((2, 2, 3), np.uint8)
    mask[:, 1] = (255, 0, 0)                       # red only: a grey conversion would give 76
    _write_rgb(tmp_path / "m.png", mask)
    soft = read_mask(tmp_path / "m.png", "red_soft_linear", (4, 4))
    assert soft.dtype == np.float32 and soft[2].tolist() == [0.0, 0.25, 0.75, 1.0]


def test_pil1_nearest_dithers_then_picks_nearest(tmp_path):
    stripes = np.zeros((4, 4), np.uint8)
    stripes[:, 1::2] = 255                          # PIL nearest 4 → 2 samples columns 1 and 3
    Image.fromarray(stripes).save(tmp_path / "s.png")
    assert read_mask(tmp_path / "s.png", "pil1_nearest", (2, 2)).tolist() == [[1.0, 1.0], [1.0, 1.0]]
    Image.fromarray(np.full((8, 8), 128, np.uint8)).save(tmp_path / "g.png")
    grey = read_mask(tmp_path / "g.png", "pil1_nearest", None)
    assert set(np.unique(grey)) == {0.0, 1.0} and grey.mean() == pytest.approx(0.5, abs=0.1)   # dithered


def test_pil_filters_and_vtt_width_check(tmp_path):
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (30, 20, 3), dtype=np.uint8)        # 20 wide, 30 high
    Image.fromarray(rgb).save(tmp_path / "x.png")
    for method, filt in (("pil_bicubic", Image.BICUBIC), ("pil_bilinear", Image.BILINEAR)):
        ref = np.asarray(Image.fromarray(rgb).resize((16, 12), filt))
        np.testing.assert_array_equal(read_image(tmp_path / "x.png", method, (12, 16)), ref)
    Image.fromarray(rng.integers(0, 256, (300, 256, 3), dtype=np.uint8)).save(tmp_path / "w.png")
    kept = read_image(tmp_path / "w.png", "pil_bilinear", (256, 256), "width_differs")
    assert kept.shape == (300, 256, 3)                              # VTT's loader tests only the width
    assert read_image(tmp_path / "w.png", "pil_bilinear", (256, 256)).shape == (256, 256, 3)


def _hyoutube(root, frames=3, size=(20, 30)):
    """One video, one object, ``frames`` annotated frames 5 apart; non-square; the soft mask touches the border."""
    rng = np.random.default_rng(1)
    h, w = size
    vid, obj = "v1", "object_0"
    for i in range(frames):
        name = "%05d" % (5 * i)
        gt = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        comp = np.clip(gt.astype(int) + rng.integers(-40, 40, (h, w, 3)), 0, 255).astype(np.uint8)
        _write_rgb(root / "real_videos" / vid / f"{name}.jpg", gt)
        _write_rgb(root / "synthetic_composite_videos" / vid / obj / f"{name}.jpg", comp)
        m = np.zeros((h, w, 3), np.uint8)
        m[: h // 2, : w // 2] = 255
        m[h // 2, : w // 2] = 128                  # a soft edge row
        _write_rgb(root / "foreground_mask" / vid / obj / f"{name}.png", m)
    (root / "test_list.txt").write_text(f"real_videos/{vid} foreground_mask/{vid}/{obj} "
                                        f"synthetic_composite_videos/{vid}/{obj}\n")
    return f"{vid}/{obj}"


def _co2net_reference(gt_file, mask_file, pred255):
    """evaluate_model.py's per-frame numbers for a prediction ``pred255`` (H×W×3 float32, 0–255), re-derived."""
    aug = lambda img: cv2.resize(img, (256, 256), interpolation=cv2.INTER_LINEAR)  # noqa: E731
    target = aug(cv2.imread(str(gt_file)))[:, :, ::-1].astype(np.float32)
    mask = cv2.cvtColor(cv2.imread(str(mask_file)), cv2.COLOR_BGR2RGB)[:, :, 0].astype(np.float32) / 255.0
    mask = aug(mask)
    fore = mask.astype(np.uint8).sum()
    mse = mean_squared_error(pred255, target)
    psnr = peak_signal_noise_ratio(target, pred255, data_range=pred255.max() - pred255.min())
    maps = [_ssim_map_reference(pred255[..., c].astype(np.float64), target[..., c].astype(np.float64))
            for c in range(3)]
    fssim = np.mean([(mp * mask).sum() / mask.sum() for mp in maps])
    return {"mse": mse, "psnr": psnr, "fmse": mse * 256 * 256 / fore, "fssim": fssim}


def test_co2net_end_to_end_equals_evaluate_model_rederivation(tmp_path):
    clip_id = _hyoutube(tmp_path)
    reader = HYouTubePeerReader(tmp_path, co2net.READING)
    sample = reader.load(clip_id)
    assert sample.composite.shape == (3, 3, 256, 256) and sample.mask.shape == (3, 1, 256, 256)
    assert ((sample.mask > 0) & (sample.mask < 1)).any()            # soft values kept
    pred = (sample.composite * 0.7 + 0.1).clamp(0, 1)              # a method's float output, narrower range
    values = evaluate_clip(pred, protocol="co2net", gt=sample.gt, mask=sample.mask)   # every metric but the TL
    assert sorted(values) == ["fmse", "fssim", "mse", "psnr"]
    for t, stem in enumerate(["00000", "00005", "00010"]):
        pred255 = np.clip(pred[t].permute(1, 2, 0).numpy().astype(np.float32) * np.float32(255), 0, 255)
        ref = _co2net_reference(tmp_path / "real_videos/v1" / f"{stem}.jpg",
                                tmp_path / "foreground_mask/v1/object_0" / f"{stem}.png", pred255)
        for name, expected in ref.items():
            assert values[name][t].item() == pytest.approx(expected, rel=1e-6), name


def test_tl_task_reader(tmp_path):
    _hyoutube(tmp_path / "hyt")
    nxt = tmp_path / "tl"
    rng = np.random.default_rng(2)
    for name in ("00001", "00006"):
        _write_rgb(nxt / "real_videos/v1" / f"{name}.jpg", rng.integers(0, 256, (20, 30, 3), dtype=np.uint8))
        _write_rgb(nxt / "synthetic_composite_videos/v1/object_0" / f"{name}.jpg",
                   rng.integers(0, 256, (20, 30, 3), dtype=np.uint8))
        _write_rgb(nxt / "foreground_mask/v1/object_0" / f"{name}.png", np.full((20, 30, 3), 255, np.uint8))
    line = lambda n: f"real_videos/v1/{n}.jpg foreground_mask/v1/object_0/{n}.png synthetic_composite_videos/v1/object_0/{n}.jpg"  # noqa: E501,E731
    (nxt / "tl_task.txt").write_text("\n".join([line("00000"), line("00005"), line("00000"), line("00010")]) + "\n")
    reader = HYouTubeTLReader(tmp_path / "hyt", nxt, co2net.READING)
    assert reader.clip_ids() == ["v1/object_0/00000", "v1/object_0/00005", "v1/object_0/00010"]  # repeat once
    s = reader.load("v1/object_0/00005")
    assert s.num_frames == 2 and s.meta["frames"] == ["00005", "00006"] and s.gt.shape[-2:] == (256, 256)
    expected = cv2.resize(cv2.imread(str(nxt / "real_videos/v1/00006.jpg")), (256, 256),
                          interpolation=cv2.INTER_LINEAR)[:, :, ::-1]
    np.testing.assert_array_equal((s.gt[1] * 255).round().byte().permute(1, 2, 0).numpy(), expected)
    with pytest.raises(ClipError, match="00011"):
        reader.load("v1/object_0/00010")                           # its next frame is not in the TL set
    with pytest.raises(ClipError, match="tl_task"):
        HYouTubeTLReader(tmp_path / "hyt", tmp_path / "hyt", co2net.READING)


def _iharmony4(root):
    rng = np.random.default_rng(3)
    sub = root / "HFlickr"
    real = rng.integers(0, 256, (40, 52, 3), dtype=np.uint8)     # non-square
    comp = np.clip(real.astype(int) + rng.integers(-60, 60, real.shape), 0, 255).astype(np.uint8)
    mask = np.zeros((40, 52), np.uint8)
    mask[0:20, 10:40] = 255                                        # touches the top border
    mask[20, 10:40] = 128                                          # a soft row: dithered by convert('1')
    (sub / "real_images").mkdir(parents=True)
    (sub / "composite_images").mkdir()
    (sub / "masks").mkdir()
    Image.fromarray(real).save(sub / "real_images/f100_x.jpg", quality=95)
    Image.fromarray(comp).save(sub / "composite_images/f100_x_2_1.jpg", quality=95)
    Image.fromarray(mask).save(sub / "masks/f100_x_2.png")
    (sub / "HFlickr_test.txt").write_text("f100_x_2_1.jpg\n")
    (root / "IHD_test.txt").write_text("HFlickr/composite_images/f100_x_2_1.jpg\n")
    return sub


def test_iharmony4_names_and_layouts(tmp_path):
    assert real_name("a0002_1_4.jpg") == "a0002.jpg" and mask_name("a0002_1_4.jpg") == "a0002_1.png"
    assert real_name("f100_x_2_1.jpg") == "f100_x.jpg"              # evaluation.py drops only _fg_k
    sub = _iharmony4(tmp_path)
    assert IHarmony4Reader(sub, dovenet.READING).clip_ids() == ["f100_x_2_1"]
    assert IHarmony4Reader(tmp_path, dovenet.READING).clip_ids() == ["HFlickr/f100_x_2_1"]
    (sub / "masks/f100_x_2.png").unlink()
    with pytest.raises(ClipError, match="masks/f100_x_2.png"):
        IHarmony4Reader(sub, dovenet.READING).load("f100_x_2_1")


def test_dovenet_end_to_end_equals_evaluation_py_rederivation(tmp_path):
    sub = _iharmony4(tmp_path)
    s = IHarmony4Reader(sub, dovenet.READING).load("f100_x_2_1")
    # the model's input is bilinear (DoveNet's loader), the ground truth bicubic (evaluation.py)
    comp_in = np.asarray(Image.open(sub / "composite_images/f100_x_2_1.jpg").convert("RGB").resize((256, 256), Image.BILINEAR))
    np.testing.assert_array_equal((s.composite[0] * 255).round().byte().permute(1, 2, 0).numpy(), comp_in)
    harmonized = (s.composite * 0.8 + 0.15).clamp(0, 1)           # a method's output, saved as evaluation.py reads it
    out = tmp_path / "out_2_1.png"
    Image.fromarray((harmonized[0].permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)).save(out)
    pred = torch.from_numpy(np.asarray(Image.open(out), dtype=np.float32) / 255).permute(2, 0, 1)[None]
    values = {n: v.item() for n, v in evaluate_clip(pred, protocol="dovenet", gt=s.gt, mask=s.mask).items()}
    comp = np.array(Image.open(out).resize((256, 256), Image.BICUBIC), dtype=np.float32)
    real = np.array(Image.open(sub / "real_images/f100_x.jpg").resize((256, 256), Image.BICUBIC), dtype=np.float32)
    mask = np.array(Image.open(sub / "masks/f100_x_2.png").convert("1").resize((256, 256), Image.BICUBIC),
                    dtype=np.uint8)
    fore = np.sum(np.sum(mask, axis=0), axis=0)
    mask = mask[..., np.newaxis]
    assert values["mse"] == pytest.approx(mean_squared_error(comp, real), rel=1e-6)
    assert values["psnr"] == pytest.approx(
        peak_signal_noise_ratio(real, comp, data_range=comp.max() - comp.min()), rel=1e-6)
    assert values["fmse"] == pytest.approx(mean_squared_error(comp * mask, real * mask) * 256 * 256 / fore,
                                                   rel=1e-6)


def test_vtt_reading_binary_mask_and_fpsnr(tmp_path):
    clip_id = _hyoutube(tmp_path, size=(24, 32))
    s = HYouTubePeerReader(tmp_path, vtt.READING).load(clip_id)
    assert set(torch.unique(s.mask).tolist()) <= {0.0, 1.0}
    pred = (s.composite * 0.9).clamp(0, 1)
    fmse = vtt.vtt_fmse(pred, s.gt, s.mask)
    np.testing.assert_allclose(vtt.vtt_fpsnr(pred, s.gt, s.mask).numpy(), 10 * np.log10(255**2 / fmse.numpy()))
    assert not math.isnan(vtt.vtt_fr_rtc(pred, s.gt, s.mask).mean().item())
