"""Temporal metrics on hand-computed clips and analytically moving videos."""
from __future__ import annotations

import math

import pytest
import torch

from bench.metrics import functional as F


def _zeros_flow(t: int, h: int, w: int) -> torch.Tensor:
    return torch.zeros(t - 1, 2, h, w, dtype=torch.float64)


def test_lt_regional_and_global_hand_computed():
    h = w = 4
    clip = torch.zeros(2, 3, h, w, dtype=torch.float64)
    clip[1, :, :2] = 0.3  # top half of frame 1 brightens by 0.3; bottom half unchanged
    mask = torch.zeros(2, 1, h, w, dtype=torch.float64)
    mask[1, :, 1:3] = 1  # fg rows 1..2 of frame 1: row 1 changed, row 2 not
    flow = _zeros_flow(2, h, w)
    assert F.lt_regional(clip, mask, flow).item() == pytest.approx(0.09 / 2, rel=1e-12)
    assert F.lt_global(clip, flow).item() == pytest.approx(0.09 / 2, rel=1e-12)
    # a stored validity mask removes the changed rows
    valid = torch.ones(1, 1, h, w, dtype=torch.float64)
    valid[..., :2, :] = 0
    assert F.lt_regional(clip, mask, flow, valid).item() == 0
    assert F.lt_global(clip, flow, valid).item() == 0


def _pattern(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """A smooth RGB texture defined everywhere (so moved frames can be sampled exactly)."""
    return torch.stack((
        0.5 + 0.4 * torch.sin(x / 5.0) * torch.cos(y / 7.0),
        0.5 + 0.4 * torch.cos((x + y) / 9.0),
        0.5 + 0.3 * torch.sin(y / 6.0 + 1.0),
    ))


def _field(x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """A smooth motion field (≤ 2 px) defined everywhere."""
    return 1.5 + 0.5 * torch.sin(y / 10.0), -1.0 + 0.3 * torch.cos(x / 8.0)


def _moving_clip(frames: int = 3, size: int = 48):
    """Frame t satisfies X_t(p) = X_{t−1}(p + u(p)) exactly: X_t = P∘φ_t with φ_t(p) = φ_{t−1}(p + u(p)),
    so the backward flow of every frame is the known field u, sampled analytically (no warping involved)."""
    ys, xs = torch.meshgrid(torch.arange(size, dtype=torch.float64), torch.arange(size, dtype=torch.float64),
                            indexing="ij")
    clip = []
    for t in range(frames):
        x, y = xs, ys
        for _ in range(t):
            ux, uy = _field(x, y)
            x, y = x + ux, y + uy
        clip.append(_pattern(x, y))
    flow = torch.stack(_field(xs, ys)).expand(frames - 1, 2, size, size)
    mask = torch.zeros(frames, 1, size, size, dtype=torch.float64)
    mask[:, :, 8:40, 8:40] = 1
    return torch.stack(clip), mask, flow


def test_lt_regional_near_zero_for_perfectly_moving_video_but_not_for_recoloured():
    clip, mask, flow = _moving_clip()
    assert clip.shape[0] == 3 and flow.shape[0] == 2
    consistent = F.lt_regional(clip, mask, flow)
    # only bilinear interpolation error of a smooth texture remains
    assert torch.all(consistent < 1e-5), consistent
    recoloured = clip.clone()
    recoloured[1] = (recoloured[1] * torch.tensor([1.2, 0.9, 1.0], dtype=torch.float64).view(3, 1, 1)).clamp(0, 1)
    flicker = F.lt_regional(recoloured, mask, flow)
    assert torch.all(flicker > 100 * consistent.max()), flicker


def test_out_of_bounds_correspondences_are_excluded():
    # frame 1 = frame 0 moved left by 2 px: its last 2 columns come from outside frame 0
    g = torch.Generator().manual_seed(0)
    frame0 = torch.rand(1, 3, 8, 8, generator=g, dtype=torch.float64)
    frame1 = torch.rand(1, 3, 8, 8, generator=g, dtype=torch.float64)
    frame1[..., :6] = frame0[..., 2:]
    clip = torch.cat((frame0, frame1))
    flow = torch.zeros(1, 2, 8, 8, dtype=torch.float64)
    flow[:, 0] = 2.0
    assert F.lt_global(clip, flow).item() == pytest.approx(0.0, abs=1e-12)


def test_tl_co2net_hand_computed():
    h = w = 4
    d = 0.2
    pred = torch.full((2, 3, h, w), 0.4, dtype=torch.float64)
    pred[1] += d
    gt = torch.full((2, 3, h, w), 0.3, dtype=torch.float64)
    gt[1, 0] += 0.5  # ground truth changes in channel 0 only: weight = (exp(−0.5) + 2) / 3
    mask = torch.zeros(2, 1, h, w, dtype=torch.float64)
    mask[0, :, :2] = 1  # M_{t−1} = frame 0's mask: 8 pixels
    w0 = (math.exp(-0.5) + 2) / 3
    expected = (3 * 8 * (w0 * d) ** 2) * 255**2 / (8 * w0)
    assert F.tl_co2net(pred, gt, mask, _zeros_flow(2, h, w)).item() == pytest.approx(expected, rel=1e-12)


def test_warp_error_without_occlusion_is_plain_mean():
    g = torch.Generator().manual_seed(3)
    clip = torch.rand(3, 3, 6, 6, generator=g, dtype=torch.float64)
    flow = _zeros_flow(3, 6, 6)
    expected = (clip[1:] - clip[:-1]).square().mean(dim=(1, 2, 3))
    assert torch.allclose(F.warp_error(clip, flow, flow), expected, atol=1e-15)


def test_lai_occlusion_forward_backward_and_motion_boundary():
    h, w = 6, 8
    bw = torch.zeros(1, 2, h, w, dtype=torch.float64)
    fw = torch.zeros(1, 2, h, w, dtype=torch.float64)
    fw[:, 0, 1:3, 1:3] = 3.0  # forward flow disagrees with the (zero) backward flow in a 2×2 block
    occ = F.lai_occlusion(bw, fw)
    expected = torch.zeros(1, 1, h, w, dtype=torch.float64)
    expected[..., 1:3, 1:3] = 1
    assert torch.equal(occ, expected)
    # a 0.5 px step in the backward flow between columns 3 and 4 is a motion boundary at column 3;
    # |bw + warp(fw)|² = 0.25 stays below the 0.5 threshold, so only the boundary is marked
    bw2 = torch.zeros(1, 2, h, w, dtype=torch.float64)
    bw2[:, 0, :, 4:] = 0.5
    occ2 = F.lai_occlusion(bw2, torch.zeros_like(bw2))
    expected2 = torch.zeros(1, 1, h, w, dtype=torch.float64)
    expected2[..., 3] = 1
    expected2[..., 7] = 1  # x = 7 + 0.5 falls outside the previous frame
    assert torch.equal(occ2, expected2)


def test_warp_error_ignores_occluded_pixels_and_is_nan_when_all_occluded():
    h, w = 6, 8
    clip = torch.zeros(2, 3, h, w, dtype=torch.float64)
    clip[1, :, 1:3, 1:3] = 1.0  # change only inside the occluded block
    clip[1, :, 5, 7] = 0.5  # and one visible pixel
    bw = torch.zeros(1, 2, h, w, dtype=torch.float64)
    fw = torch.zeros(1, 2, h, w, dtype=torch.float64)
    fw[:, 0, 1:3, 1:3] = 3.0
    assert F.warp_error(clip, bw, fw).item() == pytest.approx(0.25 / (h * w - 4), rel=1e-12)
    fw_all = torch.full_like(fw, 3.0)
    assert torch.isnan(F.warp_error(clip, bw, fw_all)).all()


def _grey_clip(levels: list[float], size: int = 4):
    clip = torch.zeros(len(levels), 3, size, size, dtype=torch.float64)
    for t, v in enumerate(levels):
        clip[t, :, :2] = v / 255.0  # foreground rows
        clip[t, :, 2:] = 0.9  # background (bright, must not count)
    mask = torch.zeros(len(levels), 1, size, size, dtype=torch.float64)
    mask[:, :, :2] = 1
    return clip, mask


def test_fr_rtc_hand_computed():
    target, mask = _grey_clip([100, 100, 100])
    pred, _ = _grey_clip([100, 104, 114])  # Δ = 4, 10 against 0, 0; μ = 7
    assert F.fr_rtc(pred, target, mask).tolist() == pytest.approx([16.0, 100.0 + 9.0], rel=1e-9)
    pred2, _ = _grey_clip([100, 110, 100])  # d = 10, 10; μ = 10: no excess term
    assert F.fr_rtc(pred2, target, mask).tolist() == pytest.approx([100.0, 100.0], rel=1e-9)
    assert torch.all(F.fr_rtc(target, target, mask) == 0)


def test_empty_foreground_gives_nan_for_affected_frames_only():
    clip, mask, flow = _moving_clip(frames=3, size=24)
    mask = mask.clone()
    mask[2] = 0
    lt = F.lt_regional(clip, mask, flow)
    assert not torch.isnan(lt[0]) and torch.isnan(lt[1])
    tl = F.tl_co2net(clip, clip, torch.cat((mask[:1], torch.zeros_like(mask[:1]), mask[2:])), flow)
    assert not torch.isnan(tl[0]) and torch.isnan(tl[1])  # frame 2 weighs by frame 1's (empty) mask
    rtc = F.fr_rtc(clip, clip, mask)
    assert rtc[0] == 0 and torch.isnan(rtc[1])


def test_temporal_shape_errors_name_the_argument():
    clip, mask, flow = _moving_clip(frames=3, size=16)
    with pytest.raises(ValueError, match="flow_bw"):
        F.lt_global(clip, flow[:1])
    with pytest.raises(ValueError, match="at least 2 frames"):
        F.lt_global(clip[:1], flow[:0])
    with pytest.raises(ValueError, match="flow_fw"):
        F.warp_error(clip, flow, flow[..., :-1])


def test_dancing_ground_truth_warped_by_its_stored_flow_is_consistent(tiny_dancing):
    """On every clip of a built Dancing dataset: the ground truth against its stored backward flow and validity
    gives lt_regional at the 8-bit quantisation level, a frame-wise recoloured foreground does not."""
    from harmonizer.data import format as fmt

    clips = fmt.list_clips(tiny_dancing)
    assert clips
    for split, clip_id in clips:
        clip = fmt.read_clip(tiny_dancing, split, clip_id)
        gt = torch.from_numpy(clip.gt).permute(0, 3, 1, 2).double() / 255
        mask = torch.from_numpy(clip.mask)[:, None].double()
        flow = torch.from_numpy(clip.flow_bw).permute(0, 3, 1, 2)
        valid = torch.from_numpy(clip.valid_bw)[:, None].double()
        consistent = F.lt_regional(gt, mask, flow, valid)
        assert torch.all(consistent < 1e-5), (clip_id, consistent)
        gain = torch.tensor([1.15, 0.9, 1.0], dtype=torch.float64).view(3, 1, 1)
        recoloured = gt.clone()
        recoloured[1:] = gt[1:] * (1 - mask[1:]) + (gt[1:] * gain).clamp(0, 1) * mask[1:]
        assert torch.all(F.lt_regional(recoloured, mask, flow, valid) > 100 * consistent), clip_id


def test_warp_error_excludes_correspondences_outside_the_previous_frame():
    # Content moving exactly along a uniform 1 px shift: frame t = frame t-1 shifted right by one
    # pixel, so column 0 of frame t has no source in frame t-1 and must not count.
    rng = torch.Generator().manual_seed(0)
    first = torch.rand(1, 3, 8, 8, generator=rng, dtype=torch.float64)
    second = torch.empty_like(first)
    second[..., 1:] = first[..., :-1]
    second[..., 0] = 1.0 - first[..., 0]  # new content entering from the left
    video = torch.cat([first, second])
    bw = torch.zeros(1, 2, 8, 8, dtype=torch.float64)
    bw[:, 0] = -1.0
    fw = -bw
    assert float(F.warp_error(video, bw, fw)[0]) < 1e-12
