"""bench.datasets: readers on tiny folders built here, and their errors on bad input.

``make_dancing`` is shared with the runner tests: frames whose content moves right by
one pixel per frame, so the backward flow is exactly (−1, 0) wherever x ≥ 1.
"""
import cv2
import numpy as np
import pytest
import torch

from bench import video_io
from bench.datasets import (ClipError, CompositeReader, DancingReader, ExternalMethod, HYouTubeReader,
                            external_methods, open_dataset)
from harmonizer.data.format import Clip, write_clip, write_manifest

H, W, T = 24, 24, 3


def shifted_clip(clip_id: str, seed: int, *, empty_mask: bool = False, split: str = "test") -> Clip:
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 256, size=(H, W + T, 3), dtype=np.uint8)
    fg = np.zeros((H, W + T), bool)
    if not empty_mask:
        fg[6:16, 4:14] = True
    recolour = (base * 0.6).astype(np.uint8)
    # frame t shows the scene shifted right by t pixels: pixel x of frame t is scene column x − t
    gt = np.stack([base[:, T - t:T - t + W] for t in range(T)])
    comp = np.stack([np.where(fg[..., None], recolour, base)[:, T - t:T - t + W] for t in range(T)])
    mask = np.stack([fg[:, T - t:T - t + W] for t in range(T)])
    flow_bw = np.zeros((T - 1, H, W, 2), np.float32)
    flow_bw[..., 0] = -1.0
    flow_fw = -flow_bw
    valid_bw = np.ones((T - 1, H, W), bool)
    valid_bw[:, :, 0] = False
    valid_fw = np.ones((T - 1, H, W), bool)
    valid_fw[:, :, -1] = False
    return Clip(clip_id, split, gt, comp, mask, flow_bw, flow_fw, valid_bw, valid_fw, {"seed": seed})


def make_dancing(root, ids=("c0", "c1"), *, empty=()):
    for i, cid in enumerate(ids):
        write_clip(root, shifted_clip(cid, i, empty_mask=cid in empty))
    write_manifest(root, [{"id": cid, "split": "test"} for cid in ids])
    return root


def test_dancing_reader_matches_written_clip(tmp_path):
    make_dancing(tmp_path)
    reader = DancingReader(tmp_path, "test")
    assert reader.clip_ids() == ["c0", "c1"] and len(reader) == 2
    clip = shifted_clip("c1", 1)
    s = reader.load("c1")
    assert s.composite.shape == (T, 3, H, W) and s.mask.shape == (T, 1, H, W)
    np.testing.assert_allclose(s.gt.permute(0, 2, 3, 1).numpy(), clip.gt / 255.0, atol=1e-7)
    np.testing.assert_array_equal(s.mask[:, 0].numpy() > 0.5, clip.mask)
    assert s.flow_bw.shape == (T - 1, 2, H, W) and float(s.flow_bw[:, 0].max()) == -1.0
    assert s.valid_bw.shape == (T - 1, 1, H, W) and s.valid_bw[:, 0, :, 0].sum() == 0
    assert s.available() == {"mask", "gt", "flow_bw", "flow_fw", "valid_bw", "valid_fw"}
    assert isinstance(open_dataset(tmp_path), DancingReader)


def test_dancing_missing_frame_and_mismatched_mask_name_the_clip(tmp_path):
    make_dancing(tmp_path)
    (tmp_path / "test" / "c0" / "composite" / "001.png").unlink()
    with pytest.raises(ClipError, match="clip c0.*composite/001.png"):
        DancingReader(tmp_path).load("c0")
    cv2.imwrite(str(tmp_path / "test" / "c1" / "mask" / "002.png"), np.zeros((8, 8), np.uint8))
    with pytest.raises(ClipError, match="clip c1.*mask/002.png is 8×8"):
        DancingReader(tmp_path).load("c1")


def write_hyoutube(root, *, n_frames=4, size=(20, 28)):
    rng = np.random.default_rng(3)
    h, w = size
    lines = []
    for vid, objects in (("aa11", {"object_0": range(0, n_frames), "object_1": range(1, n_frames)}),
                         ("bb22", {"object_0": range(0, n_frames)})):
        for f in range(n_frames):
            cv2.imwrite(str(_mk(root / "real_videos" / vid) / f"{5 * f:05d}.jpg"), rng.integers(0, 256, (h, w, 3), np.uint8))
        for obj, frames in objects.items():
            for f in frames:
                m = np.zeros((h, w), np.uint8)
                m[4:12, 5:15] = 255
                cv2.imwrite(str(_mk(root / "foreground_mask" / vid / obj) / f"{5 * f:05d}.png"), m)
                cv2.imwrite(str(_mk(root / "synthetic_composite_videos" / vid / obj) / f"{5 * f:05d}.jpg"),
                            rng.integers(0, 256, (h, w, 3), np.uint8))
            # the released lists use Windows separators on some lines
            lines.append(f"real_videos\\{vid} foreground_mask\\{vid}\\{obj} synthetic_composite_videos/{vid}/{obj}")
    (root / "test_list.txt").write_text("\n".join(lines) + "\n")
    return root


def _mk(p):
    p.mkdir(parents=True, exist_ok=True)
    return p


def test_hyoutube_reader_pairs_frames_by_mask_names(tmp_path):
    write_hyoutube(tmp_path)
    reader = open_dataset(tmp_path)
    assert isinstance(reader, HYouTubeReader)
    assert reader.clip_ids() == ["aa11/object_0", "aa11/object_1", "bb22/object_0"]
    s = reader.load("aa11/object_1")
    assert s.meta["frames"] == ["00005", "00010", "00015"]  # object_1 appears from the second frame
    gt_expected = cv2.cvtColor(cv2.imread(str(tmp_path / "real_videos/aa11/00010.jpg")), cv2.COLOR_BGR2RGB)
    np.testing.assert_allclose(s.gt[1].permute(1, 2, 0).numpy(), gt_expected / 255.0, atol=1e-7)
    assert s.flow_bw is None and s.available() == {"mask", "gt"}
    assert float(s.mask.sum()) == 3 * 8 * 10


def test_hyoutube_resize_and_errors(tmp_path):
    write_hyoutube(tmp_path)
    s = HYouTubeReader(tmp_path, size=16).load("bb22/object_0")
    assert s.composite.shape == (4, 3, 16, 16) and set(s.mask.unique().tolist()) <= {0.0, 1.0}
    (tmp_path / "synthetic_composite_videos/bb22/object_0/00010.jpg").unlink()
    with pytest.raises(ClipError, match="clip bb22/object_0.*missing frame 00010"):
        HYouTubeReader(tmp_path).load("bb22/object_0")
    with pytest.raises(ClipError, match="list file .*train_list.txt is missing"):
        HYouTubeReader(tmp_path, split="train")


def write_composites(root, n=2, t=3, size=(16, 20), video=False):
    rng = np.random.default_rng(5)
    for i in range(n):
        d = root / f"clip{i}"
        comp = rng.integers(0, 256, (t, *size, 3), np.uint8)
        mask = np.zeros((t, *size), bool)
        mask[:, 3:9, 4:12] = True
        if video:
            video_io.write_video_file(d / "composite.mkv", comp)
            video_io.write_video_file(d / "mask.mkv", mask)
        else:
            video_io.write_frame_folder(d / "composite", comp)
            video_io.write_frame_folder(d / "mask", mask)
    return root


@pytest.mark.parametrize("video", [False, True])
def test_composite_reader_without_gt(tmp_path, video):
    write_composites(tmp_path, video=video)
    reader = open_dataset(tmp_path)
    assert isinstance(reader, CompositeReader) and reader.clip_ids() == ["clip0", "clip1"]
    s = reader.load("clip1")
    assert s.gt is None and s.available() == {"mask"}
    assert s.composite.shape == (3, 3, 16, 20) and float(s.mask.sum()) == 3 * 6 * 8


def test_composite_reader_errors_name_the_clip(tmp_path):
    write_composites(tmp_path)
    video_io.write_frame_folder(tmp_path / "clip0" / "mask", np.zeros((2, 16, 20), bool))
    with pytest.raises(ClipError, match="clip clip0: 3 composite frames but 2 masks"):
        CompositeReader(tmp_path).load("clip0")
    video_io.write_frame_folder(tmp_path / "clip1" / "mask", np.zeros((3, 8, 8), bool))
    with pytest.raises(ClipError, match="clip clip1: mask frames are 8×8"):
        CompositeReader(tmp_path).load("clip1")
    (tmp_path / "clip2").mkdir()
    (tmp_path / "clip2" / "composite.mkv").write_bytes(b"not a video at all" * 10)
    (tmp_path / "clip2" / "mask").mkdir()
    with pytest.raises(ClipError, match="clip clip2.*composite.mkv"):
        CompositeReader(tmp_path).load("clip2")


def test_external_results_pair_with_dataset_clips(tmp_path):
    make_dancing(tmp_path / "data")
    reader = DancingReader(tmp_path / "data")
    sample = reader.load("c0")
    frames = (sample.composite.permute(0, 2, 3, 1).numpy() * 255).round().astype(np.uint8)
    video_io.write_frame_folder(tmp_path / "out" / "theirs" / "c0", frames)
    methods = external_methods(tmp_path / "out")
    assert list(methods) == ["theirs"]
    got = methods["theirs"].outputs_for(sample)
    assert torch.equal(got, sample.composite)
    with pytest.raises(ClipError, match="'theirs': clip c1: no folder"):
        methods["theirs"].outputs_for(reader.load("c1"))
    video_io.write_frame_folder(tmp_path / "out" / "theirs" / "c1", frames[:2])
    with pytest.raises(ClipError, match="clip c1: 2 frames, the dataset clip has 3"):
        methods["theirs"].outputs_for(reader.load("c1"))
    with pytest.raises(ClipError, match="does not exist"):
        ExternalMethod(tmp_path / "out", "nobody")
    # a video file per clip works too (lossless container: bit-exact)
    video_io.write_video_file(tmp_path / "out" / "as_video" / "c0.mkv", frames)
    assert torch.equal(ExternalMethod(tmp_path / "out", "as_video").outputs_for(sample), sample.composite)
