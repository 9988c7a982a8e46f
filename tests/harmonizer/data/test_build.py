"""Dataset builder: determinism, shards, resume, refusal, splits, datasets and CLI."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from harmonizer.data import __main__ as cli
from harmonizer.data.build import build_dataset, split_counts
from harmonizer.data.datasets import DancingDataset, OnTheFlyDataset
from harmonizer.data.format import DatasetFormatError, read_clip, read_manifest


def tree(root: Path) -> dict:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_paper_split_and_tiny_builds():
    assert split_counts(33338) == {"train": 29818, "val": 1000, "test": 2520}
    assert split_counts(12) == {"train": 10, "val": 1, "test": 1}
    assert split_counts(3) == {"train": 1, "val": 1, "test": 1}
    assert split_counts(100, {"train": 0.8, "val": 0.1, "test": 0.1}) == {"train": 80, "val": 10, "test": 10}
    with pytest.raises(ValueError, match="at least 3 clips"):
        split_counts(2)


def test_tiny_fixture_layout(tiny_dancing):
    records = read_manifest(tiny_dancing)
    assert [r["index"] for r in records] == list(range(12))
    assert [r["split"] for r in records].count("test") == 1
    info = json.loads((tiny_dancing / "dataset.json").read_text())
    assert info["size"] == 32 and info["frames"] == 2 and info["source"] == "procedural"
    d = tiny_dancing / "train" / "000000"
    names = sorted(str(p.relative_to(d)) for p in d.rglob("*") if p.is_file())
    assert names == ["composite/000.png", "composite/001.png", "flow/000_to_001.npy", "flow/001_to_000.npy",
                     "gt/000.png", "gt/001.png", "mask/000.png", "mask/001.png", "meta.json",
                     "valid/000_to_001.png", "valid/001_to_000.png"]
    assert records[0]["adjustment"]["ops"] and "foreground_motion" in records[0]
    assert records[0] == json.loads((d / "meta.json").read_text())


def test_streamed_manifest_matches_the_format_writer(tiny_dancing, tmp_path):
    from harmonizer.data.format import write_manifest

    write_manifest(tmp_path, read_manifest(tiny_dancing))
    assert (tmp_path / "manifest.jsonl").read_bytes() == (tiny_dancing / "manifest.jsonl").read_bytes()


def test_same_seed_is_byte_identical_with_and_without_pool(tmp_path):
    a = build_dataset(tmp_path / "a", clips=6, size=32, seed=5, workers=1, progress=False)
    b = build_dataset(tmp_path / "b", clips=6, size=32, seed=5, workers=2, progress=False)
    c = build_dataset(tmp_path / "c", clips=6, size=32, seed=6, workers=1, progress=False)
    assert tree(a) == tree(b)
    assert tree(a) != tree(c)


def test_shards_together_equal_the_unsharded_build(tmp_path):
    full = build_dataset(tmp_path / "full", clips=7, size=32, frames=3, seed=2, workers=1, progress=False)
    for k in (1, 0):
        sharded = build_dataset(tmp_path / "sh", clips=7, size=32, frames=3, seed=2, workers=1, shard=f"{k}/2",
                                progress=False)
    assert tree(full) == tree(sharded)
    with pytest.raises(ValueError, match="k/n"):
        build_dataset(tmp_path / "sh", clips=7, size=32, frames=3, seed=2, shard="2/x", progress=False)


def test_resume_rebuilds_only_missing_clips_and_leaves_no_temporaries(tmp_path):
    out = build_dataset(tmp_path / "d", clips=5, size=32, seed=1, workers=1, progress=False)
    before = tree(out)
    kept = out / "train" / "000000" / "gt" / "000.png"
    stamp = kept.stat().st_mtime_ns
    import shutil

    shutil.rmtree(out / "train" / "000001")
    (out / "train" / ".tmp-000001-deadbeef" / "gt").mkdir(parents=True)  # an interrupted write
    build_dataset(out, clips=5, size=32, seed=1, workers=1, progress=False)
    assert tree(out) == before
    assert kept.stat().st_mtime_ns == stamp
    assert not list(out.rglob(".tmp-*"))


def test_refuses_a_folder_holding_another_dataset(tmp_path):
    out = build_dataset(tmp_path / "d", clips=3, size=32, seed=0, workers=1, progress=False)
    with pytest.raises(DatasetFormatError, match=r"dataset\.json.*differs in: .*seed"):
        build_dataset(out, clips=3, size=32, seed=1, workers=1, progress=False)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(DatasetFormatError, match="not empty"):
        build_dataset(tmp_path / "other", clips=3, size=32, workers=1, progress=False)


def test_dancing_dataset_items(tiny_dancing):
    ds = DancingDataset(tiny_dancing, "train")
    assert len(ds) == 10 and len(DancingDataset(tiny_dancing, "val")) == 1
    item = ds[0]
    assert item["clip_id"] == "000000"
    assert item["gt"].shape == item["composite"].shape == (2, 3, 32, 32) and item["gt"].dtype == torch.float32
    assert item["mask"].shape == (2, 1, 32, 32) and set(item["mask"].unique().tolist()) == {0.0, 1.0}
    assert item["flow_bw"].shape == (1, 2, 32, 32) and item["valid_bw"].shape == (1, 1, 32, 32)
    assert 0 <= item["gt"].min() and item["gt"].max() <= 1
    clip = read_clip(tiny_dancing, "train", "000000")
    np.testing.assert_array_equal(item["flow_bw"][0, 0].numpy(), clip.flow_bw[0, ..., 0])  # channel 0 = dx
    with pytest.raises(ValueError, match="unknown split"):
        DancingDataset(tiny_dancing, "holdout")


def test_on_the_fly_equals_the_disk_build(tiny_dancing):
    for split in ("train", "test"):
        disk, fly = DancingDataset(tiny_dancing, split), OnTheFlyDataset(clips=12, size=32, seed=0, split=split)
        assert len(disk) == len(fly)
        a, b = disk[len(disk) - 1], fly[len(fly) - 1]
        assert a["clip_id"] == b["clip_id"]
        for key in ("gt", "composite", "mask", "flow_bw", "valid_bw"):
            assert torch.equal(a[key], b[key]), key


def test_cli_build_and_show(tmp_path):
    out = cli.main(["build", "--out", str(tmp_path / "d"), "--clips", "3", "--size", "32", "--frames", "3",
                    "--style", "few_scene", "--scenes", "2", "--workers", "1", "--no-progress"])
    assert len(read_manifest(out)) == 3 and read_manifest(out)[2]["source_index"] == 0
    sheet = cli.main(["show", str(out), "--clips", "2"])
    import cv2

    img = cv2.imread(str(sheet))
    assert img is not None and img.shape[0] > 2 * 128 and img.shape[1] >= 3 * 3 * 128
    with pytest.raises(SystemExit):
        cli.main(["build", "--source", "folder", "--out", str(tmp_path / "f"), "--clips", "3"])


def test_corrupt_dataset_json_is_named(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "dataset.json").write_text("{oops")
    with pytest.raises(DatasetFormatError, match=r"dataset\.json is not valid JSON"):
        build_dataset(tmp_path / "d", clips=3, size=32, workers=1, progress=False)


def test_a_shard_removes_only_its_own_temporaries(tmp_path):
    """Concurrent shards share the folder: shard 0/2 must not delete shard 1/2's clip being written."""
    out = build_dataset(tmp_path / "d", clips=4, size=32, workers=1, shard="0/2", progress=False)
    mine, theirs = out / "train" / ".tmp-000000-aaaa", out / "train" / ".tmp-000001-bbbb"
    mine.mkdir()
    theirs.mkdir()
    build_dataset(out, clips=4, size=32, workers=1, shard="0/2", progress=False)
    assert not mine.exists() and theirs.exists()
    assert [r["index"] for r in read_manifest(out)] == [0, 2]
