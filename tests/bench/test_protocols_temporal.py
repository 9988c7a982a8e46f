"""Temporal metrics of the peer protocols (co2net TL, lai warping error, vtt (f)R-RTC) against NumPy
re-derivations of the peers' code and hand-computed cases."""
import math

import numpy as np
import pytest
import torch

from bench.protocols import co2net, lai, vtt


def resample2d(img: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """flownet2's ``Resample2d`` kernel written out: C×H×W image, 2×H×W flow; bilinear with clamped indices and
    the weights of the unclamped position."""
    c, h, w = img.shape
    out = np.zeros_like(img, dtype=np.float64)
    for y in range(h):
        for x in range(w):
            xf, yf = x + flow[0, y, x], y + flow[1, y, x]
            alpha, beta = xf - math.floor(xf), yf - math.floor(yf)
            xl, xr = min(max(math.floor(xf), 0), w - 1), min(max(math.floor(xf) + 1, 0), w - 1)
            yt, yb = min(max(math.floor(yf), 0), h - 1), min(max(math.floor(yf) + 1, 0), h - 1)
            out[:, y, x] = ((1 - alpha) * (1 - beta) * img[:, yt, xl] + alpha * (1 - beta) * img[:, yt, xr]
                            + (1 - alpha) * beta * img[:, yb, xl] + alpha * beta * img[:, yb, xr])
    return out


def _smooth_flow(h, w, seed, amp=2.5):
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    fx = amp * np.sin(xx / 5.0 + rng.uniform(0, 6)) * np.cos(yy / 7.0)
    fy = amp * np.cos(xx / 6.0) * np.sin(yy / 4.0 + rng.uniform(0, 6))
    return np.stack([fx, fy])


@pytest.fixture
def clip():
    g = torch.Generator().manual_seed(1)
    pred = torch.rand(3, 3, 13, 17, generator=g)     # non-square
    gt = torch.rand(3, 3, 13, 17, generator=g)
    mask = torch.rand(3, 1, 13, 17, generator=g)     # soft
    mask[:, :, 0, :] = 1.0                           # touching the border
    return pred, gt, mask


def test_co2net_tl_equals_evaluate_flow_rederivation(clip):
    pred, gt, mask = clip
    flows = np.stack([_smooth_flow(13, 17, s) for s in (0, 1)])      # frame t → t−1: net(next, cur)
    got = co2net.co2net_tl(pred, gt, mask, torch.from_numpy(flows))
    for t in (1, 2):
        flow = flows[t - 1]
        cur_pic, next_pic = pred[t - 1].double().numpy(), pred[t].double().numpy()
        cur_gt, next_gt = gt[t - 1].double().numpy(), gt[t].double().numpy()
        warp_cur = resample2d(cur_pic, flow)
        ori_warp = resample2d(cur_gt, flow)
        warp_mask = resample2d(mask[t - 1].double().numpy(), flow)
        dif = np.exp(-np.abs(ori_warp - next_gt)).sum(axis=0, keepdims=True) / 3
        final = warp_mask * dif
        ref = ((warp_cur * final - next_pic * final) ** 2).sum() * 255 * 255 / final.sum()
        assert got[t - 1].item() == pytest.approx(ref, rel=1e-9)


def test_co2net_tl_integer_shift_hand_computed():
    # a prediction that moves exactly with the flow has zero TL; one that also brightens by δ everywhere
    # has TL = 3·δ²·255²·Σw²/Σw with w = mask (the ground truth follows the flow, so exp(0) = 1)
    h, w = 6, 9
    base = torch.rand(1, 3, h, w + 1, generator=torch.Generator().manual_seed(2))
    frame0, frame1 = base[..., :w], base[..., 1:]            # frame 1 = frame 0 shifted left by one pixel
    flow = torch.zeros(1, 2, h, w)
    flow[:, 0] = 1.0                                         # pixel x of frame 1 is at x + 1 in frame 0
    mask = torch.zeros(2, 1, h, w)
    mask[0, :, 1:4, 2:6] = 0.5
    mask[0, :, 2:3, 3:5] = 1.0
    gt = torch.cat((frame0, frame1))
    w_mask = torch.zeros(h, w)
    w_mask[:, :-1] = mask[0, 0, :, 1:]                        # the mask warped by the shift (interior columns)
    w_mask[:, -1] = mask[0, 0, :, -1]
    gt[1:, :, :, -1] = frame0[..., -1]                         # make the clamped last column consistent too
    assert co2net.co2net_tl(gt, gt, mask, flow).item() == pytest.approx(0.0, abs=1e-12)
    delta = 0.04
    pred = gt.clone()
    pred[1] = (pred[1] + delta).clamp(max=1.0)
    bright = pred[1] - gt[1]
    num = (w_mask.double() ** 2 * (bright.double() ** 2).sum(dim=0)).sum() * 255**2
    assert co2net.co2net_tl(pred, gt, mask, flow).item() == pytest.approx((num / w_mask.sum()).item(), rel=1e-9)


def detect_occlusion_reference(fw_flow: np.ndarray, bw_flow: np.ndarray) -> np.ndarray:
    """``utils.detect_occlusion(fw_flow, bw_flow)`` written out on 2×H×W flows (parameter names as in the peer)."""
    fw_flow_w = resample2d(fw_flow, bw_flow)
    mag = lambda v: v[0] ** 2 + v[1] ** 2  # noqa: E731
    mask1 = mag(fw_flow_w + bw_flow) > 0.01 * (mag(fw_flow_w) + mag(bw_flow)) + 0.5
    fx, fy = bw_flow
    h, w = fx.shape
    du = lambda a: np.concatenate([a[:, :-1] - a[:, 1:], np.zeros((h, 1))], axis=1)  # noqa: E731
    dv = lambda a: np.concatenate([a[:-1, :] - a[1:, :], np.zeros((1, w))], axis=0)  # noqa: E731
    mask2 = (du(fx) ** 2 + dv(fx) ** 2) + (du(fy) ** 2 + dv(fy) ** 2) > 0.01 * mag(bw_flow) + 0.002
    return np.logical_or(mask1, mask2).astype(np.float64)


def test_lai_warp_error_equals_evaluate_warperror_rederivation():
    h, w = 14, 18
    rng = np.random.default_rng(4)
    frames = torch.from_numpy(rng.random((3, 3, h, w)))
    fws = np.stack([_smooth_flow(h, w, 10 + t, amp=3.0) for t in range(2)])   # frame t−1 → t
    bws = np.stack([-_smooth_flow(h, w, 10 + t, amp=2.0) for t in range(2)])  # frame t → t−1 (inconsistent in places)
    got = lai.lai_warp_error(frames, torch.from_numpy(bws), torch.from_numpy(fws))
    occ_all = lai.lai_occlusion(torch.from_numpy(fws), torch.from_numpy(bws))
    assert 0 < occ_all.mean() < 1                                            # both kinds of pixel occur
    for t in (1, 2):
        fw, bw = fws[t - 1], bws[t - 1]
        occ = detect_occlusion_reference(bw, fw)     # compute_flow_occlusion.py: detect_occlusion(bw_flow, fw_flow)
        np.testing.assert_array_equal(occ_all[t - 1, 0].numpy(), occ)
        img1, img2 = frames[t - 1].numpy(), frames[t].numpy()
        noc = np.repeat((1 - occ)[None], 3, axis=0)
        diff = (resample2d(img2, fw) - img1) * noc
        n = noc.sum() or diff.size
        assert got[t - 1].item() == pytest.approx((diff**2).sum() / n, rel=1e-9)


def test_lai_hand_cases():
    h, w = 5, 8
    frames = torch.rand(2, 3, h, w, generator=torch.Generator().manual_seed(6)).double()
    zero = torch.zeros(1, 2, h, w)
    # still flow: nothing occluded, the error is the plain mean square difference
    assert lai.lai_warp_error(frames, zero, zero).item() == pytest.approx(
        (frames[1] - frames[0]).square().mean().item(), rel=1e-12)
    # a consistent one-pixel shift: no occlusion, even where x + 1 leaves the frame (clamped, not excluded)
    fw, bw = zero.clone(), zero.clone()
    fw[:, 0], bw[:, 0] = 1.0, -1.0
    assert lai.lai_occlusion(fw, bw).sum().item() == 0
    shifted = torch.cat((frames[1][..., 1:], frames[1][..., -1:]), dim=-1)
    assert lai.lai_warp_error(frames, bw, fw).item() == pytest.approx(
        (shifted - frames[0]).square().mean().item(), rel=1e-12)
    # a step in fw between columns 3 and 4: column 3 is a motion boundary (forward difference), and inconsistent
    # flows everywhere → every pixel occluded → N = 3·H·W and the error is 0
    step = zero.clone()
    step[:, 0, :, 4:] = 2.0
    occ = lai.lai_occlusion(step, zero)
    assert occ[0, 0, :, 3].tolist() == [1.0] * h and occ[0, 0, :, :3].sum() == 0
    assert lai.lai_warp_error(frames, zero + 5.0, zero + 5.0).item() == 0.0     # |fw + b|² = 100 > 1


def test_vtt_rtc_hand_computed():
    # three frames of uniform colour; HSV value = max over RGB; foreground = left half, background differs
    h, w = 4, 6
    def clip(values_fg, values_bg):
        x = torch.zeros(3, 3, h, w)
        for t, (vf, vb) in enumerate(zip(values_fg, values_bg)):
            x[t, 1, :, :3] = vf / 255
            x[t, 0, :, :3] = 0.1 * vf / 255
            x[t, 2, :, 3:] = vb / 255
        return x
    mask = torch.zeros(3, 1, h, w)
    mask[..., :3] = 1
    harm, real = clip([100, 110, 105], [50, 50, 80]), clip([100, 104, 104], [50, 60, 60])
    d = np.abs(np.array([10 - 4, -5 - 0]))                   # |Δb(harm) − Δb(real)| per frame t = 1, 2
    mu = d.mean()
    expected = d**2 + np.maximum(d - mu, 0) ** 2
    np.testing.assert_allclose(vtt.vtt_fr_rtc(harm, real, mask).numpy(), expected, rtol=1e-6)
    # R-RTC: the whole image's mean value changes by half the fg change plus half the bg change
    g_h = np.array([(10 + 0) / 2, (-5 + 30) / 2])
    g_r = np.array([(4 + 10) / 2, (0 + 0) / 2])
    d = np.abs(g_h - g_r)
    np.testing.assert_allclose(vtt.vtt_r_rtc(harm, real).numpy(), d**2 + np.maximum(d - d.mean(), 0) ** 2, rtol=1e-6)
    assert vtt.STEPS.aggregate("fr_rtc") == "clips" and vtt.STEPS.aggregate("ssim") == "frames"
