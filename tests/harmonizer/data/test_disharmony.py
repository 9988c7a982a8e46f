"""The default procedural Dancing data is about as disharmonious as the paper's (Table I, cut-and-paste row).

Targets (paper: COCO people covering ≥ 10 % of the image, cut-and-paste PSNR 18.19 dB / MSE 0.030):
foreground area typically 15–45 % (never < 10 %, mean ≈ 25–30 %) and cut-and-paste whole-frame MSE in
0.015–0.035 (PSNR ≈ 16–20 dB).  MSE and PSNR come from scikit-image, read from the files on disk.
The previous defaults (thin figures of ≈ 13 % area, mild colour ranges: MSE ≈ 0.004, 27 dB) fail here.
"""
from __future__ import annotations

import numpy as np
import pytest
from skimage.metrics import mean_squared_error, peak_signal_noise_ratio

from harmonizer.data.build import build_dataset
from harmonizer.data.clips import ClipConfig, make_clip
from harmonizer.data.format import list_clips, read_clip
from harmonizer.data.sources import get_source

CLIPS, SIZE, SEED = 60, 64, 3


def _frame_stats(clips) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per frame: foreground fraction, cut-and-paste MSE and PSNR on [0, 1] images (composite vs ground truth)."""
    area, mse, psnr = [], [], []
    for clip in clips:
        for gt, composite, mask in zip(clip.gt / 255.0, clip.composite / 255.0, clip.mask):
            area.append(mask.mean())
            mse.append(mean_squared_error(gt, composite))
            psnr.append(peak_signal_noise_ratio(gt, composite, data_range=1.0))
    return np.array(area), np.array(mse), np.array(psnr)


def _assert_paper_like(area, mse, psnr, what):
    assert area.min() >= 0.10, f"{what}: a foreground covers only {area.min():.1%} (< 10 %)"
    assert 0.22 <= area.mean() <= 0.33, f"{what}: mean foreground area {area.mean():.1%} not ≈ 25–30 %"
    lo, hi = np.percentile(area, [10, 90])
    assert lo >= 0.15 and hi <= 0.45, f"{what}: foreground areas typically {lo:.1%}–{hi:.1%}, want 15–45 %"
    assert 0.015 <= mse.mean() <= 0.035, f"{what}: cut-and-paste MSE {mse.mean():.4f} outside 0.015–0.035"
    assert 16.0 <= psnr.mean() <= 20.0, f"{what}: cut-and-paste PSNR {psnr.mean():.2f} dB outside 16–20 dB"


def test_default_dancing_build_matches_the_papers_disharmony(tmp_path):
    root = build_dataset(tmp_path / "d", clips=CLIPS, size=SIZE, seed=SEED, workers=1, progress=False)
    clips = [read_clip(root, split, clip_id) for split, clip_id in list_clips(root)]
    assert len(clips) == CLIPS
    _assert_paper_like(*_frame_stats(clips), "dancing build")


@pytest.mark.parametrize("style", ["static", "few_scene"])
def test_other_styles_match_the_papers_disharmony(style):
    source, config = get_source("procedural", seed=SEED), ClipConfig(size=SIZE, style=style)
    clips = [make_clip(source, i, seed=SEED, config=config) for i in range(CLIPS)]
    _assert_paper_like(*_frame_stats(clips), style)


def test_figure_area_follows_its_recorded_target():
    """The figure's thickness is fitted to a drawn target area; the target is recorded with the scene."""
    source = get_source("procedural", seed=SEED)
    errors = []
    for i in range(20):
        sample = source.sample(i, SIZE)
        target = sample.meta["scene"]["target_area"]
        assert 0.15 <= target <= 0.45
        errors.append(abs(sample.mask.mean() - target) / target)
    assert np.median(errors) <= 0.1


def test_cli_strength_zero_builds_harmonious_composites(tmp_path):
    """--strength 0: composites equal the ground truth pixel for pixel (every op at identity); recorded in dataset.json."""
    from harmonizer.data import __main__ as cli

    out = cli.main(["build", "--out", str(tmp_path / "d"), "--clips", "4", "--size", "24", "--strength", "0",
                    "--seed", "1", "--no-progress"])
    for split, clip_id in list_clips(out):
        clip = read_clip(out, split, clip_id)
        np.testing.assert_array_equal(clip.composite, clip.gt)
    assert '"strength": 0.0' in (out / "dataset.json").read_text()
    with pytest.raises(ValueError, match="strength"):
        ClipConfig(strength=-0.5)


def test_strength_range_draws_and_records_a_strength_per_clip(tmp_path):
    """--strength-range LO HI: each clip's strength is drawn in [LO, HI] and recorded in its meta; a range of
    (0, 0) gives harmonious composites; without the option dataset.json has no strength_range key."""
    from harmonizer.data import __main__ as cli

    out = cli.main(["build", "--out", str(tmp_path / "r"), "--clips", "12", "--size", "24", "--strength-range",
                    "0.2", "0.6", "--seed", "1", "--no-progress"])
    drawn = [(s, c) for s, c in list_clips(out) if s != "test"]
    strengths = [read_clip(out, s, c).meta["strength"] for s, c in drawn]
    assert all(0.2 <= v <= 0.6 for v in strengths) and len(set(strengths)) == len(strengths) >= 9
    assert '"strength_range"' in (out / "dataset.json").read_text()
    zero = build_dataset(tmp_path / "z", clips=12, size=24, seed=1, strength_range=(0.0, 0.0), workers=1,
                         progress=False)
    for split, clip_id in list_clips(zero):
        clip = read_clip(zero, split, clip_id)
        if split != "test":
            np.testing.assert_array_equal(clip.composite, clip.gt)
    plain = build_dataset(tmp_path / "p", clips=12, size=24, seed=1, workers=1, progress=False)
    assert "strength_range" not in (plain / "dataset.json").read_text()
    # the test split is not part of the recipe: its clips are the plain (strength 1) build's, bit for bit
    tests = [c for s, c in list_clips(out) if s == "test"]
    assert tests
    for clip_id in tests:
        ranged, reference = read_clip(out, "test", clip_id), read_clip(plain, "test", clip_id)
        assert "strength" not in ranged.meta
        np.testing.assert_array_equal(ranged.composite, reference.composite)
        assert not np.array_equal(reference.composite, reference.gt)
    with pytest.raises(ValueError, match="strength_range"):
        ClipConfig(strength_range=(0.6, 0.2))
