"""Colour adjustments: identity settings are exact, closed forms hold, references agree (scikit-image)."""
from __future__ import annotations

import numpy as np
import pytest
from skimage import color as skcolor

from harmonizer.data import color
from harmonizer.data.color import apply_adjustment, random_adjustment


@pytest.fixture
def image():
    rng = np.random.default_rng(0)
    return rng.uniform(0.02, 0.98, (16, 16, 3)).astype(np.float32)


IDENTITY = [
    ("exposure", {"stops": 0.0}), ("hue", {"degrees": 0.0}), ("hue", {"degrees": 360.0}), ("hue", {"degrees": -720.0}),
    ("saturation", {"factor": 1.0}), ("temperature", {"shift": 0.0}), ("tint", {"shift": 0.0}),
    ("contrast", {"factor": 1.0}), ("tone_curve", {"a1": 0.0, "a2": 0.0}), ("lut", {"path": None}),
]


@pytest.mark.parametrize("name,params", IDENTITY)
def test_identity_parameters_return_input_exactly(image, name, params):
    np.testing.assert_array_equal(color.OPS[name](image, **params), image)


def test_reinhard_with_equal_stats_and_identity_lut_file_are_exact(image, tmp_path):
    stats = color.lab_stats(image)
    np.testing.assert_array_equal(color.reinhard(image, stats, dict(stats)), image)
    path = tmp_path / "identity.cube"
    color.write_cube(path, color.identity_lut(5))
    np.testing.assert_array_equal(color.lut(image, str(path)), image)


def test_hue_matches_scikit_image_hsv_rotation(image):
    hsv = skcolor.rgb2hsv(image.astype(np.float64))
    hsv[..., 0] = (hsv[..., 0] + 100 / 360) % 1.0
    np.testing.assert_allclose(color.hue(image, 100.0), skcolor.hsv2rgb(hsv), atol=1e-5)


def test_hue_rotations_compose_to_identity(image):
    np.testing.assert_allclose(color.hue(color.hue(image, 150.0), 210.0), image, atol=1e-5)


def test_closed_forms(image):
    np.testing.assert_allclose(color.exposure(image * 0.4, 1.0), image * 0.8, rtol=1e-6)
    grey = color.saturation(image, 0.0)  # factor 0 leaves Rec.601 luma in every channel
    luma = 0.299 * image[..., 0] + 0.587 * image[..., 1] + 0.114 * image[..., 2]
    np.testing.assert_allclose(grey, np.repeat(luma[..., None], 3, -1), atol=1e-6)
    np.testing.assert_allclose(color.contrast(image, 0.5, mean=0.5), 0.5 + 0.5 * (image - 0.5), atol=1e-6)
    warm = color.temperature(image * 0.5, 0.2)
    np.testing.assert_allclose(warm, image * 0.5 * np.float32([1.2, 1.0, 0.8]), atol=1e-6)
    x = np.linspace(0, 1, 101, dtype=np.float32)[:, None].repeat(3, 1)
    y = color.tone_curve(x, 0.3, -0.2)
    assert y[0, 0] == 0 and y[-1, 0] == 1 and np.all(np.diff(y[:, 0]) > 0)  # fixes ends, monotone
    np.testing.assert_allclose(y[50], 0.5 + 0.3 * 0.25, atol=1e-6)  # a2 term vanishes at x = ½


def test_tone_curve_rejects_non_monotone_parameters(image):
    with pytest.raises(ValueError, match="monotone"):
        color.tone_curve(image, 0.7, 0.5)


def test_reinhard_moves_foreground_statistics_to_the_reference(image):
    rng = np.random.default_rng(1)
    mask = np.zeros((16, 16), bool)
    mask[4:12, 3:13] = True
    reference = np.clip(rng.normal([0.7, 0.3, 0.2], 0.05, (16, 16, 3)), 0, 1).astype(np.float32)
    src_stats, ref_stats = color.lab_stats(image, mask), color.lab_stats(reference)
    out = color.reinhard(image, src_stats, ref_stats)
    lab = skcolor.rgb2lab(out.astype(np.float64))[mask]  # independent Lab conversion
    np.testing.assert_allclose(lab.mean(0), ref_stats["mean"], atol=1.5)
    np.testing.assert_allclose(lab.std(0), ref_stats["std"], rtol=0.15, atol=0.5)


def test_cube_lut_orientation_and_trilinear_interpolation(tmp_path, image):
    """A LUT that swaps red and blue is linear, so trilinear interpolation reproduces it everywhere."""
    table = color.identity_lut(3)[..., ::-1]
    path = tmp_path / "swap.cube"
    color.write_cube(path, table)
    np.testing.assert_allclose(color.lut(image, str(path)), image[..., ::-1], atol=1e-5)
    lines = path.read_text().splitlines()
    assert lines[3] == "0.000000 0.000000 0.500000"  # 2nd entry: r index 1 (red fastest) → swapped to blue


def test_bad_cube_files_name_the_file(tmp_path, image):
    bad = tmp_path / "short.cube"
    bad.write_text("LUT_3D_SIZE 2\n0 0 0\n1 1 1\n")
    with pytest.raises(ValueError, match="short.cube"):
        color.lut(image, str(bad))
    with pytest.raises(ValueError, match="missing.cube"):
        color.lut(image, str(tmp_path / "missing.cube"))


def test_random_adjustment_is_seeded_recorded_and_replayable(image, tmp_path):
    cube = tmp_path / "swap.cube"
    color.write_cube(cube, color.identity_lut(3)[..., ::-1])
    names = set()
    for seed in range(40):
        p1, fn = random_adjustment(np.random.default_rng(seed), luts=[str(cube)])
        p2, _ = random_adjustment(np.random.default_rng(seed), luts=[str(cube)])
        assert p1 == p2
        np.testing.assert_array_equal(fn(image), apply_adjustment(image, p1))
        for op in p1["ops"]:
            names.add(op["name"])
            for key, (lo, hi) in color.RANGES.get(op["name"], {}).items():
                assert lo <= op[key] <= hi
    assert {"exposure", "hue", "saturation", "lut"} <= names


def test_unknown_op_is_a_clear_error(image):
    with pytest.raises(ValueError, match="unknown colour adjustment 'sepia'"):
        apply_adjustment(image, {"ops": [{"name": "sepia"}]})


def test_scale_op_closed_forms():
    """Strength s moves each parameter s× as far from identity (log space for factors), within safe bounds."""
    assert color.scale_op({"name": "exposure", "stops": 1.5}, 0.5) == {"name": "exposure", "stops": 0.75}
    assert color.scale_op({"name": "hue", "degrees": -120.0}, 0.25) == {"name": "hue", "degrees": -30.0}
    assert color.scale_op({"name": "saturation", "factor": 2.25}, 0.5)["factor"] == pytest.approx(1.5)
    assert color.scale_op({"name": "contrast", "factor": 0.25, "mean": 0.5}, 0.5) == {
        "name": "contrast", "factor": pytest.approx(0.5), "mean": 0.5}
    assert color.scale_op({"name": "temperature", "shift": 0.4}, 3.0)["shift"] == 0.95  # gains stay positive
    curve = color.scale_op({"name": "tone_curve", "a1": 0.4, "a2": -0.4}, 2.0)
    assert curve["a1"] == pytest.approx(0.475) and curve["a2"] == pytest.approx(-0.475)  # 0.8+0.8 → shrunk to 0.95
    src, ref = {"mean": [50.0, 0.0, 10.0], "std": [10.0, 4.0, 4.0]}, {"mean": [70.0, 20.0, -10.0], "std": [20.0, 8.0, 2.0]}
    half = color.scale_op({"name": "reinhard", "source": src, "reference": ref}, 0.5)
    assert half["reference"] == {"mean": [60.0, 10.0, 0.0], "std": [15.0, 6.0, 3.0]}


def test_strength_zero_is_identity_and_half_is_milder(image):
    for seed in range(20):
        zero, fn = random_adjustment(np.random.default_rng(seed), strength=0.0)
        np.testing.assert_array_equal(fn(image), image)
    full = [apply_adjustment(image, random_adjustment(np.random.default_rng(s))[0]) for s in range(20)]
    half = [apply_adjustment(image, random_adjustment(np.random.default_rng(s), strength=0.5)[0]) for s in range(20)]
    mse_full = np.mean([(f - image) ** 2 for f in full])
    mse_half = np.mean([(h - image) ** 2 for h in half])
    assert 0 < mse_half < 0.6 * mse_full
    with pytest.raises(ValueError, match="strength"):
        random_adjustment(np.random.default_rng(0), strength=-1.0)
