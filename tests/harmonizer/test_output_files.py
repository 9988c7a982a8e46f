"""harmonizer.output_files: the record beside a single-file output (docs/safety.md).

The generic API on tiny files, then its users: ``harmonize --out X.mp4`` (replaces its own unchanged video without
--overwrite, refuses anyone else's).  Sizes and digests are checked against ``len`` and ``hashlib`` on the bytes.
"""
from __future__ import annotations

import hashlib
import json

import pytest

from harmonizer.__main__ import main
from harmonizer.atomic import MARKER, OutputError, write_text_atomic
from harmonizer.cli import run_cli
from harmonizer.output_files import claim_files, read_record, record_path, write_files_record
from tests.harmonizer.test_cli_outputs import data, frames_dir, run  # noqa: F401 (fixtures)


def _entry(path) -> dict:
    data = path.read_bytes()
    return {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def _run(folder, texts: dict[str, str], *, overwrite=False, command="fit") -> dict:
    """One writer run: claim, write ``texts`` beside the first name, record; returns the record read back."""
    main_file = folder / next(iter(texts))
    paths = [folder / name for name in texts]
    earlier = claim_files(main_file, paths, tool="t", overwrite=overwrite, suffixes=(".csv",))
    for path, text in zip(paths, texts.values()):
        write_text_atomic(path, text)
    write_files_record(main_file, paths, earlier, tool="t", command=command, settings={"seed": 1},
                       inputs=[folder / "in.txt", None])
    return json.loads(record_path(main_file, "t").read_text())


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "in.txt").write_text("input")
    return tmp_path


def test_record_lists_each_file_with_its_size_and_sha256(folder):
    record = _run(folder, {"s.csv": "a,b\n1,2\n", "s_pairs.csv": "x\n"})
    assert record_path(folder / "s.csv", "t") == folder / "s.csv.t.json"
    assert record["files"] == {"s.csv": _entry(folder / "s.csv"), "s_pairs.csv": _entry(folder / "s_pairs.csv")}
    assert record["command"] == "fit" and record["settings"] == {"seed": 1}
    assert record["inputs"] == {str(folder / "in.txt"): hashlib.sha256(b"input").hexdigest()}
    assert read_record(folder / "s.csv.t.json") == record


def test_a_foreign_file_is_refused_and_kept_and_overwrite_replaces_it(folder):
    mine = folder / "s.csv"
    mine.write_text("my notes")
    with pytest.raises(OutputError, match=r"s\.csv already exists and was not written by this suite "
                                          r"\(no entry in s\.csv\.t\.json\); pass --overwrite") as err:
        _run(folder, {"s.csv": "ours\n"})
    assert str(mine) in str(err.value) and mine.read_text() == "my notes"
    assert not (folder / "s.csv.t.json").exists()
    _run(folder, {"s.csv": "ours\n"}, overwrite=True)
    assert mine.read_text() == "ours\n"


def test_own_unchanged_file_is_replaced_own_changed_file_is_refused(folder):
    out = folder / "s.csv"
    _run(folder, {"s.csv": "first\n"})
    record = _run(folder, {"s.csv": "second, longer\n"})  # ours, unchanged: no --overwrite needed
    assert out.read_text() == "second, longer\n" and record["files"]["s.csv"] == _entry(out)
    out.write_text("second, LONGER\n")  # same size, other bytes: the sha256 tells
    with pytest.raises(OutputError, match="changed since this suite wrote it"):
        _run(folder, {"s.csv": "third\n"})
    assert out.read_text() == "second, LONGER\n"


def test_a_foreign_file_where_the_record_goes_is_refused(folder):
    (folder / "s.csv.t.json").write_text('{"my": "data"}')
    with pytest.raises(OutputError, match=r"s\.csv\.t\.json exists and is not a record this suite wrote"):
        _run(folder, {"s.csv": "ours\n"})
    assert (folder / "s.csv.t.json").read_text() == '{"my": "data"}'


def test_a_stale_own_file_is_removed_but_never_a_foreign_one(folder):
    pairs = folder / "s_pairs.csv"
    _run(folder, {"s.csv": "1\n", "s_pairs.csv": "p\n"})
    record = _run(folder, {"s.csv": "2\n"})  # this run does not write the pairs table
    assert not pairs.exists() and set(record["files"]) == {"s.csv"}
    _run(folder, {"s.csv": "3\n", "s_pairs.csv": "p\n"})
    pairs.write_text("someone's table\n")  # the same name, now the user's
    _run(folder, {"s.csv": "4\n"})
    assert pairs.read_text() == "someone's table\n"
    _run(folder, {"s.csv": "5\n", "s_pairs.csv": "p\n"}, overwrite=True)
    pairs.write_text("edited\n")
    _run(folder, {"s.csv": "6\n"}, overwrite=True)  # --overwrite replaces what it writes, removes only ours
    assert pairs.read_text() == "edited\n"


def test_a_record_in_the_format_userstudy_wrote_before_stays_valid(folder):
    """A ``<out>.userstudy.json`` as userstudy wrote it before this module existed (keys and layout by hand)."""
    out = folder / "scores.csv"
    out.write_text("method,score\na,0.5\n")
    (folder / "scores.csv.userstudy.json").write_text(json.dumps({
        "suite": "video-harmonization-suite", "command": "fit", "written": "2026-12-01T10:00:00+00:00",
        "files": {"scores.csv": _entry(out)}, "settings": {"seed": 0}, "inputs": {}}, indent=1, sort_keys=True))
    assert claim_files(out, [out], tool="userstudy")["command"] == "fit"  # ours, unchanged: accepted
    out.write_text("method,score\na,0.6\n")
    with pytest.raises(OutputError, match="changed since"):
        claim_files(out, [out], tool="userstudy")


def test_misuse_is_an_error(folder):
    with pytest.raises(ValueError, match="not beside"):
        claim_files(folder / "s.csv", [folder / "sub" / "x.csv"], tool="t")
    with pytest.raises(ValueError, match="record's own entries"):
        write_files_record(folder / "s.csv", [], None, tool="t", command="c", settings={}, fields={"files": 1})
    with pytest.raises(OutputError, match="is the input"):
        claim_files(folder / "in.txt", [folder / "in.txt"], tool="t", inputs=[folder / "in.txt"])


# ------------------------------------------------------------------ harmonize --out X.mp4
# the tiny run, the 3-frame input folder and the command of tests/harmonizer/test_cli_outputs.py


def _argv(run, inp, out, *extra):
    return ["harmonize", "--checkpoint", str(run), "--input", str(inp), "--mask-mode", "zeros", "--out", str(out),
            *extra]


def test_harmonize_replaces_its_own_video_without_overwrite(run, frames_dir, tmp_path):
    video = tmp_path / "out.mp4"
    main(_argv(run, frames_dir, video))
    video.write_bytes(video.read_bytes())  # a new modification time, same bytes: still the suite's
    main(_argv(run, frames_dir, video, "--fps", "10"))  # no --overwrite: the record says the suite wrote it
    record = json.loads((tmp_path / "out.mp4.harmonize.json").read_text())
    assert record["files"] == {"out.mp4": _entry(video)} and record["out_kind"] == "video file"
    assert record["settings"]["fps"] == 10 and record["blend"] == "mask" and record["frames"] == 3
    assert len(record["inputs"]) == 2  # the frame folder (named, not hashed) and the checkpoint file
    checkpoint = str(run / "checkpoints" / "best.pt")
    assert record["inputs"][checkpoint] == hashlib.sha256((run / "checkpoints" / "best.pt").read_bytes()).hexdigest()


def test_harmonize_refuses_a_foreign_or_changed_video_in_one_line(run, frames_dir, tmp_path, capsys):
    video = tmp_path / "mine.mp4"
    video.write_bytes(b"a user's video")
    capsys.readouterr()
    assert run_cli(main, _argv(run, frames_dir, video)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(video) in err and "not written by this suite" in err
    assert video.read_bytes() == b"a user's video" and not (tmp_path / "mine.mp4.harmonize.json").exists()
    main(_argv(run, frames_dir, video, "--overwrite"))
    with video.open("ab") as f:
        f.write(b"appended")  # the suite's video, changed since
    with pytest.raises(OutputError, match="mine.mp4 already exists and was changed since this suite wrote it"):
        main(_argv(run, frames_dir, video))


def test_harmonize_frame_folder_is_owned_by_its_marker_and_refused_before_any_work(run, frames_dir, tmp_path,
                                                                                   monkeypatch):
    out = tmp_path / "out"
    main(_argv(run, frames_dir, out))
    record = json.loads((tmp_path / "out.harmonize.json").read_text())
    assert record["files"] == {} and record["out_kind"] == "frame folder"
    assert record["out_marker"] == str(out / MARKER) and (out / MARKER).is_file()

    def no_work(*args, **kwargs):
        raise AssertionError("the model was loaded although the output is refused")

    monkeypatch.setattr("harmonizer.infer.GANHarmonizer", no_work)
    with pytest.raises(OutputError, match="holds an earlier 'harmonize' output; pass --overwrite"):
        main(_argv(run, frames_dir, out))
