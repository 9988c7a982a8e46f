"""bench.video_io: lossless round trips, frame folders, and clear errors on broken input."""
import numpy as np
import pytest

from bench import video_io


@pytest.fixture
def frames():
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, size=(4, 24, 32, 3), dtype=np.uint8)


@pytest.mark.parametrize("suffix", [".mkv", ".avi"])
def test_lossless_video_round_trip_is_exact(tmp_path, frames, suffix):
    path = video_io.write_video_file(tmp_path / f"clip{suffix}", frames)
    back = video_io.read_frames(path)
    assert back.dtype == np.uint8 and back.shape == frames.shape
    np.testing.assert_array_equal(back, frames)


def test_mp4_round_trip_keeps_count_and_size(tmp_path):
    smooth = np.zeros((3, 32, 32, 3), np.uint8)
    smooth[:, :, :16] = (200, 50, 20)  # flat colours survive a lossy codec approximately
    back = video_io.read_frames(video_io.write_video_file(tmp_path / "clip.mp4", smooth))
    assert back.shape == smooth.shape
    assert np.abs(back[:, 4:28, 2:12].astype(int) - smooth[:, 4:28, 2:12]).mean() < 10


def test_frame_folder_round_trip_and_masks(tmp_path, frames):
    video_io.write_frame_folder(tmp_path / "rgb", frames)
    assert [p.name for p in video_io.list_frame_files(tmp_path / "rgb")] == ["000.png", "001.png", "002.png", "003.png"]
    np.testing.assert_array_equal(video_io.read_frames(tmp_path / "rgb"), frames)
    masks = frames[..., 0] > 127
    video_io.write_frames(tmp_path / "mask.mkv", masks)
    np.testing.assert_array_equal(video_io.read_masks(tmp_path / "mask.mkv"), masks)


def test_read_named_frames_by_stem(tmp_path, frames):
    video_io.write_frame_folder(tmp_path / "f", frames)
    picked = video_io.read_frame_folder(tmp_path / "f", names=["002", "000.jpg"])  # any suffix matches a stem
    np.testing.assert_array_equal(picked, frames[[2, 0]])
    with pytest.raises(video_io.VideoReadError, match="missing frame 007"):
        video_io.read_frame_folder(tmp_path / "f", names=["007"])


def test_corrupt_video_is_a_clear_error(tmp_path):
    bad = tmp_path / "broken.mkv"
    bad.write_bytes(b"\x1aE\xdf\xa3 this is not a video" * 20)
    with pytest.raises(video_io.VideoReadError, match="broken.mkv"):
        video_io.read_frames(bad)


def test_missing_and_unknown_paths(tmp_path):
    with pytest.raises(video_io.VideoReadError, match="does not exist"):
        video_io.read_frames(tmp_path / "nowhere.mkv")
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(video_io.VideoReadError, match="neither a frame folder nor a video"):
        video_io.read_frames(tmp_path / "notes.txt")
    (tmp_path / "empty").mkdir()
    with pytest.raises(video_io.VideoReadError, match="holds no images"):
        video_io.read_frames(tmp_path / "empty")


def test_frames_of_different_sizes_are_named(tmp_path, frames):
    video_io.write_frame_folder(tmp_path / "f", frames)
    import cv2

    cv2.imwrite(str(tmp_path / "f" / "002.png"), np.zeros((10, 10, 3), np.uint8))
    with pytest.raises(video_io.VideoReadError, match="002.png is 10×10"):
        video_io.read_frames(tmp_path / "f")


def test_unreadable_image_is_named(tmp_path, frames):
    video_io.write_frame_folder(tmp_path / "f", frames)
    (tmp_path / "f" / "001.png").write_bytes(b"garbage")
    with pytest.raises(video_io.VideoReadError, match="001.png"):
        video_io.read_frames(tmp_path / "f")


def test_write_rejects_unknown_container_and_dtype(tmp_path, frames):
    with pytest.raises(ValueError, match="use one of"):
        video_io.write_video_file(tmp_path / "x.gif", frames)
    with pytest.raises(TypeError, match="uint8"):
        video_io.write_video_file(tmp_path / "x.mkv", frames.astype(np.float32))
    assert not list(tmp_path.glob(".tmp-*"))


@pytest.mark.parametrize("suffix", [".avi", ".mkv"])
def test_truncated_lossless_video_names_the_file_and_the_frame_where_decoding_stopped(tmp_path, suffix):
    """Issue 13, case 3: a FFV1 video cut to 60 % of its bytes decodes to about half its frames; the container
    still declares 20, so reading it is an error, never a shorter clip."""
    rng = np.random.default_rng(1)
    whole = video_io.write_video_file(tmp_path / f"whole{suffix}", rng.integers(0, 256, (20, 32, 48, 3), np.uint8))
    data = whole.read_bytes()
    cut = tmp_path / f"cut{suffix}"
    cut.write_bytes(data[:int(len(data) * 0.6)])
    with pytest.raises(video_io.VideoReadError, match=rf"cut{suffix}: decoding stopped at frame 1[0-9] of the 20"):
        video_io.read_frames(cut)
    assert video_io.read_frames(cut, max_frames=5).shape[0] == 5  # the frames asked for are all there
    assert video_io.read_frames(whole).shape[0] == 20


def test_truncated_video_is_a_clip_error_of_the_composite_reader(tmp_path):
    from bench.datasets import ClipError, open_dataset

    rng = np.random.default_rng(2)
    clip = tmp_path / "set" / "c0"
    comp = video_io.write_video_file(clip / "composite.avi", rng.integers(0, 256, (20, 16, 16, 3), np.uint8))
    video_io.write_video_file(clip / "mask.avi", np.ones((20, 16, 16), bool))
    comp.write_bytes(comp.read_bytes()[:int(comp.stat().st_size * 0.6)])
    reader = open_dataset(tmp_path / "set", "composites")
    with pytest.raises(ClipError, match=r"clip c0: .*composite.avi: decoding stopped at frame"):
        reader.load("c0")
