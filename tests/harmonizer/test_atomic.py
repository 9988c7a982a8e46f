"""harmonizer.atomic: the one write-to-a-temporary-then-rename of the suite."""
from __future__ import annotations

import json
import multiprocessing
import os
import pickle
import re

import cv2
import numpy as np
import pytest

from harmonizer.atomic import (atomic_directory, atomic_path, temp_sibling, write_json_atomic, write_jsonl_atomic,
                               write_text_atomic)


def test_success_renames_and_replaces(tmp_path):
    target = tmp_path / "sub" / "notes.txt"  # missing parent folder is created
    assert write_text_atomic(target, "first\n") == target
    write_text_atomic(target, "second é\n")
    assert target.read_bytes() == "second é\n".encode("utf-8")
    assert os.listdir(target.parent) == ["notes.txt"]


@pytest.mark.parametrize("error", [ValueError, KeyboardInterrupt])
def test_failure_keeps_previous_file_and_leaves_no_temporary(tmp_path, error):
    target = tmp_path / "table.csv"
    target.write_text("old\n")
    with pytest.raises(error):
        with atomic_path(target) as tmp:
            tmp.write_text("half of the new")
            raise error("writer died")
    assert target.read_text() == "old\n"
    assert os.listdir(tmp_path) == ["table.csv"]


def test_block_that_writes_nothing_is_an_error_naming_the_target(tmp_path):
    target = tmp_path / "video.mp4"
    target.write_bytes(b"old")
    with pytest.raises(FileNotFoundError, match="video.mp4"):
        with atomic_path(target):
            pass
    assert target.read_bytes() == b"old" and os.listdir(tmp_path) == ["video.mp4"]


def test_suffix_preserved_so_writers_pick_the_format(tmp_path):
    with atomic_path(tmp_path / "sheet.png") as tmp:
        assert tmp.parent == tmp_path and tmp.suffix == ".png" and tmp.name.startswith(".tmp-sheet-")
        assert cv2.imwrite(str(tmp), np.full((4, 5, 3), 7, np.uint8))  # cv2 refuses names without a known suffix
    assert (tmp_path / "sheet.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with atomic_path(tmp_path / "flow.npy") as tmp:
        np.save(tmp, np.arange(3, dtype=np.float32))  # np.save appends ".npy" unless the name already ends in it
    assert set(os.listdir(tmp_path)) == {"flow.npy", "sheet.png"}
    assert np.load(tmp_path / "flow.npy").tolist() == [0.0, 1.0, 2.0]


def test_temporary_names_are_unique_hidden_and_keep_dotted_folder_names(tmp_path):
    names = {temp_sibling(tmp_path / "a.json").name for _ in range(200)}
    assert len(names) == 200
    assert all(n.startswith(f".tmp-a-{os.getpid()}-") and n.endswith(".json") for n in names)
    folder = temp_sibling(tmp_path / "run.v2", suffix="")
    assert re.fullmatch(rf"\.tmp-run\.v2-{os.getpid()}-[0-9a-f]{{8}}", folder.name)


def test_directory_success_replaces_existing_folder(tmp_path):
    target = tmp_path / "clip"
    target.mkdir()
    (target / "stale.png").write_text("x")
    with atomic_directory(target) as tmp:
        assert tmp.is_dir() and not any(tmp.iterdir())
        (tmp / "gt").mkdir()
        (tmp / "gt" / "000.png").write_text("new")
    assert sorted(p.relative_to(target).as_posix() for p in target.rglob("*")) == ["gt", "gt/000.png"]
    assert os.listdir(tmp_path) == ["clip"]


def test_directory_replaces_a_file_and_creates_parents(tmp_path):
    (tmp_path / "out").write_text("a file where the folder goes")
    with atomic_directory(tmp_path / "out") as tmp:
        (tmp / "a.txt").write_text("a")
    assert (tmp_path / "out" / "a.txt").read_text() == "a"
    with atomic_directory(tmp_path / "deep" / "er") as tmp:
        (tmp / "b.txt").write_text("b")
    assert (tmp_path / "deep" / "er" / "b.txt").read_text() == "b"


def test_directory_failure_keeps_previous_folder_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "kit"
    target.mkdir()
    (target / "index.html").write_text("old page")
    with pytest.raises(RuntimeError, match="boom"):
        with atomic_directory(target) as tmp:
            (tmp / "index.html").write_text("new page")
            raise RuntimeError("boom")
    assert os.listdir(tmp_path) == ["kit"] and (target / "index.html").read_text() == "old page"
    assert os.listdir(target) == ["index.html"]


def test_json_and_jsonl_bytes(tmp_path):
    obj = {"b": [1, 2.5], "a": "é"}
    write_json_atomic(tmp_path / "x.json", obj, indent=2, sort_keys=True)
    assert (tmp_path / "x.json").read_text(encoding="utf-8") == '{\n  "a": "\\u00e9",\n  "b": [\n    1,\n    2.5\n  ]\n}'
    write_jsonl_atomic(tmp_path / "m.jsonl", ({"id": i, "k": "v"} for i in range(3)), sort_keys=True)
    assert (tmp_path / "m.jsonl").read_text() == '{"id": 0, "k": "v"}\n{"id": 1, "k": "v"}\n{"id": 2, "k": "v"}\n'


def test_temporary_names_follow_the_dataset_shard_cleanup_convention(tmp_path):
    # a killed shard leaves ".tmp-<clip index>-..." folders; shard k of n removes only the indices it owns
    from harmonizer.data.build import remove_stale_temporaries

    left = [temp_sibling(tmp_path / "train" / f"{i:06d}", suffix="") for i in (2, 3)]
    for d in left:
        (d / "gt").mkdir(parents=True)
    remove_stale_temporaries(tmp_path, 1, 2)
    assert [d.exists() for d in left] == [True, False]


_CHUNK = 1 << 16


def _hammer(target: str, letter: str, folder: str, rounds: int) -> None:
    for _ in range(rounds):
        write_text_atomic(target, letter * _CHUNK)
        with atomic_directory(folder) as tmp:
            for i in range(3):
                (tmp / f"{i}.txt").write_text(letter)


def test_two_processes_writing_the_same_targets_never_collide_or_tear(tmp_path):
    target, folder = tmp_path / "shared.txt", tmp_path / "shared_dir"
    ctx = multiprocessing.get_context("fork")
    writers = [ctx.Process(target=_hammer, args=(str(target), letter, str(folder), 40)) for letter in "ab"]
    for w in writers:
        w.start()
    reads = 0
    while any(w.is_alive() for w in writers) or not reads:  # a reader never sees a torn or mixed file
        if os.path.exists(target):
            text = target.read_text()
            assert len(text) == _CHUNK and len(set(text)) == 1, "a reader saw a half-written file"
            reads += 1
    for w in writers:
        w.join(timeout=60)
        assert w.exitcode == 0, "a writer failed (temporary name clash or lost rename)"
    assert set(target.read_text()) in ({"a"}, {"b"}) and len(target.read_text()) == _CHUNK
    contents = {p.read_text() for p in folder.iterdir()}
    assert sorted(os.listdir(folder)) == ["0.txt", "1.txt", "2.txt"] and contents in ({"a"}, {"b"})
    assert sorted(os.listdir(tmp_path)) == ["shared.txt", "shared_dir"]  # no temporaries behind


def test_checkpoint_writer_uses_it_a_failed_save_keeps_the_last_good_checkpoint(tmp_path):
    import torch

    from harmonizer.runs import save_checkpoint

    path = tmp_path / "checkpoints" / "last.pt"
    save_checkpoint(path, {"step": 1})
    with pytest.raises((pickle.PicklingError, AttributeError)):  # which one depends on where the lambda lives
        save_checkpoint(path, {"step": 2, "unpicklable": lambda: None})
    assert torch.load(path)["step"] == 1 and os.listdir(path.parent) == ["last.pt"]
