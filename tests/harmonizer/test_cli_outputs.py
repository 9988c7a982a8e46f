"""Issue 13, case 1 and the container suffix: ``harmonize --out`` and ``train --out`` never lose a user's file."""
from __future__ import annotations

import os

import cv2
import numpy as np
import pytest

from harmonizer.__main__ import main
from harmonizer.atomic import MARKER, OutputError
from harmonizer.config import get_config
from harmonizer.train import train
from tests.harmonizer.synthetic import make_dataset


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return make_dataset(tmp_path_factory.mktemp("hzo") / "data", train=4, val=2, seed=6)


@pytest.fixture(scope="module")
def run(data, tmp_path_factory):
    return train(get_config("tiny", schedule__max_steps=1), data, tmp_path_factory.mktemp("r") / "run",
                 progress=False, tensorboard=False)


@pytest.fixture
def frames_dir(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for t in range(3):
        cv2.imwrite(str(folder / f"{t:03d}.png"), rng.integers(0, 256, (32, 32, 3), dtype=np.uint8))
    return folder


def _harmonize(run, inp, out, *extra):
    return main(["harmonize", "--checkpoint", str(run), "--input", str(inp), "--mask-mode", "zeros",
                 "--out", str(out), *extra])


def test_out_folder_with_a_users_file_is_refused_and_kept(run, frames_dir, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "thesis.txt").write_text("years of work")
    with pytest.raises(OutputError, match="not written by this suite"):
        _harmonize(run, frames_dir, out)
    with pytest.raises(OutputError, match="not written by this suite"):
        _harmonize(run, frames_dir, out, "--overwrite")
    assert os.listdir(out) == ["thesis.txt"]


def test_out_equal_to_or_inside_the_input_is_refused(run, frames_dir):
    before = sorted(os.listdir(frames_dir))
    with pytest.raises(OutputError, match="is the input"):
        _harmonize(run, frames_dir, frames_dir, "--overwrite")
    with pytest.raises(OutputError, match="inside the input"):
        _harmonize(run, frames_dir, frames_dir / "sub")
    assert sorted(os.listdir(frames_dir)) == before


def test_overwrite_replaces_only_the_suites_frames(run, frames_dir, tmp_path):
    out = tmp_path / "out"
    _harmonize(run, frames_dir, out)
    assert (out / MARKER).is_file() and len(list(out.glob("*.png"))) == 3
    (out / "thesis.txt").write_text("mine")
    with pytest.raises(OutputError, match="pass --overwrite"):  # the earlier output (or its record file)
        _harmonize(run, frames_dir, out)
    _harmonize(run, frames_dir, out, "--overwrite")
    assert (out / "thesis.txt").read_text() == "mine" and len(list(out.glob("*.png"))) == 3


def test_video_file_out_is_not_overwritten_without_overwrite(run, frames_dir, tmp_path):
    video = tmp_path / "mine.mp4"
    video.write_bytes(b"a user's video")
    with pytest.raises(OutputError, match="mine.mp4 already exists and was not written by this suite.*--overwrite"):
        _harmonize(run, frames_dir, video)
    assert video.read_bytes() == b"a user's video"


@pytest.mark.parametrize("name", ["x.webm", "x.gif"])
def test_container_suffix_it_cannot_write_is_refused_not_a_folder(run, frames_dir, tmp_path, name):
    with pytest.raises(OutputError, match="not a video format harmonize writes"):
        _harmonize(run, frames_dir, tmp_path / name)
    assert not (tmp_path / name).exists()


def test_train_out_with_a_users_file_is_refused(data, tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(OutputError, match="not written by this suite"):
        main(["train", "--profile", "tiny", "--data", str(data), "--out", str(out), "--set", "schedule.max_steps=1",
              "--no-progress"])
    with pytest.raises(OutputError, match="contains the input"):
        main(["train", "--profile", "tiny", "--data", str(data), "--out", str(data.parent), "--no-progress"])
    assert os.listdir(out) == ["notes.txt"]


def test_a_truncated_video_input_is_an_error_naming_the_frame(run, tmp_path):
    """Issue 13, case 3, through harmonize: a lossless FFV1 .avi cut to 60 % of its bytes is never read as a
    shorter clip (the decoder is shared with bench.video_io)."""
    path = tmp_path / "in.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"FFV1"), 10, (32, 32))
    rng = np.random.default_rng(1)
    for _ in range(20):
        writer.write(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8))
    writer.release()
    path.write_bytes(path.read_bytes()[:int(path.stat().st_size * 0.6)])
    with pytest.raises(ValueError, match=r"in.avi: decoding stopped at frame 1[0-9] of the 20"):
        _harmonize(run, path, tmp_path / "out")
    assert not (tmp_path / "out").exists()
