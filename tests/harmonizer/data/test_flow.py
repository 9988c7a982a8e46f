"""The stored flow is exact: warping frame t−1 by it reproduces frame t on valid pixels.

Independent reference for the warp: ``scipy.ndimage.map_coordinates`` (order 1), plus the
suite's own ``harmonizer.warp.backward_warp`` to pin the shared convention.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.ndimage import map_coordinates

from harmonizer.data.clips import ClipConfig, make_clip
from harmonizer.data.sources import get_source
from harmonizer.warp import backward_warp

QUANT = 1.0 / 255.0  # frame t rounds by ≤ 0.5/255; bilinear mixing of frame t−1's rounded values adds ≤ 0.5/255


def scipy_warp(image_u8: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """Sample frame t−1 (H×W×3 uint8) at (x + dx, y + dy), bilinear, in [0, 1]."""
    h, w = flow.shape[:2]
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float64)
    coords = [ys + flow[..., 1], xs + flow[..., 0]]
    return np.stack([map_coordinates(image_u8[..., c] / 255.0, coords, order=1, mode="nearest") for c in range(3)], -1)


def torch_warp(image_u8: np.ndarray, flow: np.ndarray) -> np.ndarray:
    img = torch.from_numpy(image_u8).permute(2, 0, 1)[None].double() / 255.0
    fl = torch.from_numpy(flow).permute(2, 0, 1)[None].double()
    return backward_warp(img, fl)[0].permute(1, 2, 0).numpy()


@pytest.fixture(scope="module")
def clips():
    src = get_source("procedural", seed=3)
    return [make_clip(src, i, seed=3, config=ClipConfig(size=48, frames=3)) for i in range(4)]


def test_frame0_to_frame1_is_exact_up_to_quantisation(clips):
    """Frame 0 is rendered with identity maps, i.e. it *is* the two layers' samples.  Frame 1 pixel p is the
    same layer bilinearly sampled at the stored correspondence q = p + flow, so warping frame 0 differs
    from frame 1 only by 8-bit rounding: |error| ≤ 1/255 (+1e-5 for float32 coordinates)."""
    for c in clips:
        for frames in (c.gt, c.composite):
            for warp in (scipy_warp, torch_warp):
                err = np.abs(warp(frames[0], c.flow_bw[0]) - frames[1] / 255.0).max(-1)
                v = c.valid_bw[0]
                for region in (v & c.mask[1], v & ~c.mask[1]):  # foreground and background
                    assert region.sum() > 30
                    assert err[region].max() <= QUANT + 1e-5


def test_later_frames_within_bilinear_interpolation_error(clips):
    """From frame 1 on, frame t−1 is itself resampled, so warping it adds interpolation error.  Bilinear
    interpolation at q of a function whose slopes are ≤ Lx, Ly errs by ≤ Σ_k w_k(Lx|kx−qx| + Ly|ky−qy|)
    ≤ (Lx + Ly)/2, since Σ w_k|kx−qx| = 2f(1−f) ≤ 1/2.  We bound the slopes by the largest neighbour
    differences of frame t−1 in the 4×4 window around q, so per pixel
    |error| ≤ 1/255 + (Dx + Dy)/2; on smooth texture this stays within a few grey levels."""
    for c in clips:
        for frames in (c.gt, c.composite):
            prev = frames[1].astype(np.float64) / 255.0
            err = np.abs(scipy_warp(frames[1], c.flow_bw[1]) - frames[2] / 255.0).max(-1)
            dx = np.pad(np.abs(np.diff(prev, axis=1)).max(-1), ((0, 0), (0, 1)))
            dy = np.pad(np.abs(np.diff(prev, axis=0)).max(-1), ((0, 1), (0, 0)))
            h, w = dx.shape
            ys, xs = np.mgrid[0:h, 0:w]
            qx = np.floor(xs + c.flow_bw[1][..., 0]).astype(int)
            qy = np.floor(ys + c.flow_bw[1][..., 1]).astype(int)
            bound_x, bound_y = np.zeros((h, w)), np.zeros((h, w))
            for oy in range(-1, 3):
                for ox in range(-1, 3):
                    yy, xx = np.clip(qy + oy, 0, h - 1), np.clip(qx + ox, 0, w - 1)
                    bound_x, bound_y = np.maximum(bound_x, dx[yy, xx]), np.maximum(bound_y, dy[yy, xx])
            v = c.valid_bw[1]
            assert v.mean() > 0.5
            assert np.all(err[v] <= QUANT + 0.5 * (bound_x + bound_y)[v] + 1e-5)
            assert err[v].mean() < 3 * QUANT


def test_invalid_pixels_are_real_occlusions_or_exits(clips):
    """Invalid means: leaves the frame, or lands where the other layer is (or next to it)."""
    c = clips[0]
    h, w = c.mask.shape[1:]
    ys, xs = np.mgrid[0:h, 0:w]
    qx, qy = xs + c.flow_bw[0][..., 0], ys + c.flow_bw[0][..., 1]
    inside = (qx >= 0) & (qx <= w - 1) & (qy >= 0) & (qy <= h - 1)
    nearest = c.mask[0][np.clip(np.round(qy), 0, h - 1).astype(int), np.clip(np.round(qx), 0, w - 1).astype(int)]
    assert not c.valid_bw[0][~inside].any()
    assert not c.valid_bw[0][inside & (nearest != c.mask[1])].any()  # disocclusions and covered pixels
    assert c.valid_bw[0].sum() > 0.5 * h * w


def test_background_flow_is_the_recorded_crop_map(clips):
    """Background pixels move by the crop of frame 1 (p ↦ s·p + (x0, y0) in background coordinates)."""
    c = clips[1]
    cam = c.meta["camera_motion"][0]
    h, w = c.mask.shape[1:]
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float64)
    expected = np.stack([cam["scale"] * xs + cam["x0"] - xs, cam["scale"] * ys + cam["y0"] - ys], -1)
    bg = ~c.mask[1]
    np.testing.assert_allclose(c.flow_bw[0][bg], expected[bg], atol=1e-4)


def test_forward_and_backward_flows_are_inverse(clips):
    """fw(t−1→t) at p + bw(p) equals −bw(p) for valid pixels (both layers are affine maps)."""
    c = clips[2]
    bw, fw = c.flow_bw[0].astype(np.float64), c.flow_fw[0].astype(np.float64)
    h, w = bw.shape[:2]
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float64)
    coords = [ys + bw[..., 1], xs + bw[..., 0]]
    fw_at_q = np.stack([map_coordinates(fw[..., k], coords, order=1) for k in range(2)], -1)
    v = c.valid_bw[0]
    np.testing.assert_allclose(fw_at_q[v], -bw[v], atol=1e-3)


def test_composite_differs_from_gt_only_inside_mask(clips):
    for c in clips:
        outside = ~c.mask
        np.testing.assert_array_equal(c.composite[outside], c.gt[outside])
        assert np.abs(c.composite[c.mask].astype(int) - c.gt[c.mask]).mean() > 1.0  # visibly disharmonious


def test_static_style_has_zero_flow_and_identical_frames():
    c = make_clip(get_source("procedural", seed=1), 0, seed=1, config=ClipConfig(size=32, frames=3, style="static"))
    assert np.all(c.flow_bw == 0) and np.all(c.flow_fw == 0) and c.valid_bw.all()
    for t in range(1, 3):
        np.testing.assert_array_equal(c.gt[t], c.gt[0])
        np.testing.assert_array_equal(c.composite[t], c.composite[0])


def test_few_scene_reuses_base_scenes_with_new_colours_and_motion():
    cfg = ClipConfig(size=32, frames=2, style="few_scene", scenes=2)
    src = get_source("procedural", seed=4)
    a, b, other = (make_clip(src, i, seed=4, config=cfg) for i in (0, 2, 1))
    np.testing.assert_array_equal(a.gt[0], b.gt[0])  # same base scene, frame 0 unmoved
    assert not np.array_equal(a.gt[0], other.gt[0])
    assert a.meta["adjustment"] != b.meta["adjustment"]
    assert not np.array_equal(a.flow_bw, b.flow_bw)


def test_foreground_flow_follows_the_recorded_affines():
    """Rebuild the foreground motion from the manifest's parameters alone (closed form) and compare."""
    c = make_clip(get_source("procedural", seed=5), 0, seed=5, config=ClipConfig(size=40, frames=3))

    def increment(p):
        a, s, sh = np.deg2rad(p["rotation"]), p["scale"], p["shear"]
        lin = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]]) @ np.array([[s, sh * s], [0, s]])
        ctr = np.array([p["centre_x"], p["centre_y"]])
        return lin, ctr + [p["shift_x"], p["shift_y"]] - lin @ ctr

    h, w = c.mask.shape[1:]
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float64)
    for t, p in enumerate(c.meta["foreground_motion"]):  # increment t+1 maps frame t to frame t+1
        lin, off = increment(p)
        pts = np.stack([xs, ys], -1)
        expected_fw = pts @ lin.T + off - pts
        fg = c.mask[t]
        np.testing.assert_allclose(c.flow_fw[t][fg], expected_fw[fg], atol=1e-3)


def test_lut_adjusted_composite_is_the_lut_applied_to_the_ground_truth(tmp_path):
    """With a red↔blue swapping .cube LUT, frame 0's composite foreground is the gt foreground, channels swapped."""
    from harmonizer.data.color import identity_lut, write_cube

    cube = tmp_path / "swap.cube"
    write_cube(cube, identity_lut(3)[..., ::-1])
    cfg = ClipConfig(size=32, frames=2, p_transfer=0.0, luts=(str(cube),))
    src = get_source("procedural", seed=7)
    made = [make_clip(src, i, seed=7, config=cfg) for i in range(12)]
    with_lut = [c for c in made if c.meta["adjustment"]["ops"][0]["name"] == "lut"]
    assert with_lut, "a third of clips should draw the LUT"
    for c in with_lut:
        m = c.mask[0]
        diff = np.abs(c.composite[0][m].astype(int) - c.gt[0][m][:, ::-1])
        assert diff.max() <= 1


def test_inpainting_fills_the_foreground_with_the_surrounding_background():
    from harmonizer.data.clips import inpaint_background

    image = np.full((32, 32, 3), [0.2, 0.6, 0.4], np.float32)
    mask = np.zeros((32, 32), bool)
    mask[8:20, 10:22] = True
    image[mask] = [1.0, 0.0, 1.0]  # a magenta "person" on a flat green wall
    filled = inpaint_background(image, mask)
    # Telea inpaints in 8 bits with rounded weighted averages: a few grey levels off a flat wall, no magenta left
    np.testing.assert_allclose(filled, np.full_like(image, [0.2, 0.6, 0.4]), atol=4 / 255)
    far = np.ones((32, 32), bool)
    far[5:23, 7:25] = False  # beyond the 2-pixel dilation the original pixels are kept exactly
    np.testing.assert_array_equal(filled[far], image[far])


@pytest.mark.parametrize("kwargs,match", [({"style": "davis"}, "unknown style"), ({"frames": 1}, "at least 2 frames"),
                                          ({"size": 4}, "at least 8")])
def test_clip_config_rejects_bad_settings(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ClipConfig(**kwargs)
