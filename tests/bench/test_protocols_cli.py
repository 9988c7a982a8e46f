"""``bench run --protocol`` / ``bench summary`` end to end on tiny HYouTube, TL-task and iHarmony4 layouts."""
import json

import cv2
import numpy as np
import pandas as pd
import pytest

from baselines.registry import get_method
from bench.__main__ import main
from bench.flow import get_estimator
from bench.datasets import open_dataset
from bench.protocols import co2net, lai
from bench.readers.hyoutube import HYouTubePeerReader
from bench.runner import run_benchmark
from tests.bench.test_protocols_readers import _co2net_reference, _hyoutube, _iharmony4, _write_rgb
from tests.bench.test_protocols_temporal import resample2d


def _results(out):
    return pd.read_csv(out / "results.csv", dtype={"clip": str})


def test_co2net_run_summary_and_refusal(tmp_path, capsys):
    _hyoutube(tmp_path / "hyt")
    out = tmp_path / "out"
    main(["run", "--methods", "cut_and_paste", "--data", str(tmp_path / "hyt"), "--protocol", "co2net",
          "--flow", "dis", "--out", str(out), "--quiet"])
    df = _results(out)
    assert sorted(df.metric.unique()) == ["fmse", "fssim", "mse", "psnr", "tl_co2net"]
    # cut-and-paste returns the composite: frame 0's numbers are evaluate_model.py's on the composite file
    comp = cv2.resize(cv2.imread(str(tmp_path / "hyt/synthetic_composite_videos/v1/object_0/00000.jpg")), (256, 256),
                      interpolation=cv2.INTER_LINEAR)[:, :, ::-1].astype(np.float32)
    ref = _co2net_reference(tmp_path / "hyt/real_videos/v1/00000.jpg",
                            tmp_path / "hyt/foreground_mask/v1/object_0/00000.png", comp)
    frame0 = df[df.frame == 0].set_index("metric").value
    for name, value in ref.items():
        assert frame0[name] == pytest.approx(value, rel=1e-6), name
    # TL with DIS flow on the ground truth (frame t → t−1), warped as Resample2d does
    sample = HYouTubePeerReader(tmp_path / "hyt", co2net.READING).load("v1/object_0")
    bw, _ = get_estimator("dis").clip_flows(sample.gt)
    o, x, m = (t.double().numpy() for t in (sample.composite, sample.gt, sample.mask))
    w = resample2d(m[0], bw[0].double().numpy()) * np.exp(-np.abs(resample2d(x[0], bw[0].double().numpy()) - x[1])
                                                            ).mean(axis=0, keepdims=True)
    tl = ((resample2d(o[0], bw[0].double().numpy()) * w - o[1] * w) ** 2).sum() * 255**2 / w.sum()
    assert df[(df.metric == "tl_co2net") & (df.frame == 1)].value.item() == pytest.approx(tl, rel=1e-6)
    config = json.loads((out / "manifest.json").read_text())["config"]
    assert config["protocol"] == "co2net" and config["protocol_steps"]["reading"]["mask"] == "red_soft_linear"
    assert config["flow"]["peer_flow"] == "FlowNet2"
    capsys.readouterr()
    main(["summary", str(out), "--n-boot", "50"])
    printed = capsys.readouterr().out
    assert "protocol: co2net" in printed and "flow: dis" in printed and "FlowNet2" in printed
    with pytest.raises(ValueError, match="protocol"):
        run_benchmark({"cut_and_paste": get_method("cut_and_paste")}, open_dataset(tmp_path / "hyt"), out, flow="dis",
                      protocol="paper", progress=False)


def test_lai_flow_on_the_composite_and_vtt_clip_means(tmp_path, capsys):
    root = tmp_path / "hyt"
    _hyoutube(root, frames=3)
    rng = np.random.default_rng(9)
    for i in range(5):                                      # a second object with 5 frames
        name = "%05d" % (5 * i)
        if not (root / "real_videos/v1" / f"{name}.jpg").exists():
            _write_rgb(root / "real_videos/v1" / f"{name}.jpg", rng.integers(0, 256, (20, 30, 3), dtype=np.uint8))
        _write_rgb(root / "synthetic_composite_videos/v1/object_1" / f"{name}.jpg",
                   rng.integers(0, 256, (20, 30, 3), dtype=np.uint8))
        mask = np.zeros((20, 30, 3), np.uint8)
        mask[5:15, 10:25] = 255
        _write_rgb(root / "foreground_mask/v1/object_1" / f"{name}.png", mask)
    with open(root / "test_list.txt", "a") as fh:
        fh.write("real_videos/v1 foreground_mask/v1/object_1 synthetic_composite_videos/v1/object_1\n")
    out = tmp_path / "lai"
    main(["run", "--methods", "cut_and_paste", "--data", str(root), "--protocol", "lai", "--out", str(out), "--quiet"])
    df = _results(out)
    assert df.metric.unique().tolist() == ["warp_error"]
    s = open_dataset(root).load("v1/object_0")
    bw, fw = get_estimator("dis").clip_flows(s.composite)                    # the input video, not the gt
    expected = lai.lai_warp_error(s.composite, bw, fw).numpy()
    got = df[df["clip"] == "v1/object_0"].sort_values("frame").value.to_numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    out = tmp_path / "vtt"
    main(["run", "--methods", "cut_and_paste", "--data", str(root), "--protocol", "vtt", "--out", str(out), "--quiet"])
    df = _results(out)
    capsys.readouterr()
    table = main(["summary", str(out), "--n-boot", "20"])
    assert "mean of per-clip means: fr_rtc, r_rtc" in capsys.readouterr().out
    rtc = df[df.metric == "r_rtc"]
    clip_means = rtc.groupby("clip").value.mean()
    assert len(rtc) == 2 + 4 and clip_means.mean() != pytest.approx(rtc.value.mean())
    row = table[table.metric == "r_rtc"].iloc[0]
    assert row["mean"] == pytest.approx(clip_means.mean(), rel=1e-12)
    ssim = df[df.metric == "ssim"]
    assert table[table.metric == "ssim"].iloc[0]["mean"] == pytest.approx(ssim.value.mean(), rel=1e-12)  # pooled


def test_tl_task_and_iharmony4_runs(tmp_path):
    _hyoutube(tmp_path / "hyt")
    nxt = tmp_path / "tl"
    rng = np.random.default_rng(5)
    _write_rgb(nxt / "real_videos/v1/00006.jpg", rng.integers(0, 256, (20, 30, 3), dtype=np.uint8))
    _write_rgb(nxt / "synthetic_composite_videos/v1/object_0/00006.jpg",
               rng.integers(0, 256, (20, 30, 3), dtype=np.uint8))
    _write_rgb(nxt / "foreground_mask/v1/object_0/00006.png", np.full((20, 30, 3), 255, np.uint8))
    (nxt / "tl_task.txt").write_text("real_videos/v1/00005.jpg foreground_mask/v1/object_0/00005.png "
                                     "synthetic_composite_videos/v1/object_0/00005.jpg\n")
    out = tmp_path / "tl_out"
    main(["run", "--methods", "cut_and_paste", "--data", str(tmp_path / "hyt"), "--protocol", "co2net",
          "--tl-next", str(nxt), "--out", str(out), "--quiet"])
    df = _results(out)
    assert df.metric.unique().tolist() == ["tl_co2net"] and df["clip"].tolist() == ["v1/object_0/00005"]
    _iharmony4(tmp_path / "ih")
    out = tmp_path / "ih_out"
    main(["run", "--methods", "cut_and_paste", "--data", str(tmp_path / "ih"), "--protocol", "dovenet",
          "--flow", "none", "--out", str(out), "--quiet"])
    assert sorted(_results(out).metric) == ["fmse", "mse", "psnr"]
