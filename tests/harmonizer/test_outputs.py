"""harmonizer.outputs: the suite deletes or replaces only what it wrote."""
from __future__ import annotations

import os

import pytest

from harmonizer.atomic import MARKER, OutputError, write_text_atomic
from harmonizer.outputs import (check_output_file, check_separate, claim_dir, finish_dir, foreign_entries,
                                fresh_output_dir, output_dir, owned_entries, read_marker)


def test_new_folder_is_created_marked_and_lists_what_was_written(tmp_path):
    out = tmp_path / "results"
    with output_dir(out, kind="bench-results"):
        (out / "results.csv").write_text("a\n")
        (out / "parts").mkdir()
    marker = read_marker(out)
    assert marker["kind"] == "bench-results" and not marker["open"]
    assert sorted(marker["entries"]) == ["parts", "results.csv"]
    assert [p.name for p in owned_entries(out)] == ["parts", "results.csv"]


def test_non_empty_folder_without_marker_is_refused_and_untouched(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.txt").write_text("years of work")
    with pytest.raises(OutputError, match="not empty.*thesis.txt.*not written by this suite"):
        claim_dir(out, kind="bench-results")
    assert os.listdir(out) == ["thesis.txt"]


def test_empty_folder_is_accepted(tmp_path):
    (tmp_path / "empty").mkdir()
    claim_dir(tmp_path / "empty", kind="k")
    assert read_marker(tmp_path / "empty")["open"]


def test_other_kind_is_refused(tmp_path):
    with output_dir(tmp_path / "o", kind="dataset"):
        pass
    with pytest.raises(OutputError, match="holds a 'dataset' output, not a 'run' one"):
        claim_dir(tmp_path / "o", kind="run", resume=True)


def test_one_shot_output_needs_overwrite_and_overwrite_keeps_foreign_files(tmp_path):
    out = tmp_path / "o"
    with output_dir(out, kind="k"):
        (out / "a.png").write_text("1")
        (out / "sub").mkdir()
        (out / "sub" / "x").write_text("2")
    (out / "thesis.txt").write_text("mine")  # the user adds a file afterwards
    with pytest.raises(OutputError, match="earlier 'k' output; pass --overwrite"):
        claim_dir(out, kind="k")
    with output_dir(out, kind="k", overwrite=True):
        assert sorted(os.listdir(out)) == [MARKER, "thesis.txt"]  # only the suite's entries were removed
        (out / "b.png").write_text("3")
    assert sorted(os.listdir(out)) == [MARKER, "b.png", "thesis.txt"]
    assert [p.name for p in foreign_entries(out)] == ["thesis.txt"]


def test_a_suite_file_changed_since_it_was_written_counts_as_foreign(tmp_path):
    out = tmp_path / "o"
    with output_dir(out, kind="k"):
        (out / "README.md").write_text("generated")
    (out / "README.md").write_text("my edits, longer than before")
    assert [p.name for p in foreign_entries(out)] == ["README.md"]
    with output_dir(out, kind="k", overwrite=True):
        with pytest.raises(OutputError, match="README.md was not written by this suite"):
            write_text_atomic(out / "README.md", "regenerated")  # the atomic writer's guard
    assert (out / "README.md").read_text() == "my edits, longer than before"


def test_resume_keeps_everything_and_a_user_file_stays_foreign(tmp_path):
    out = tmp_path / "o"
    with output_dir(out, kind="k", resume=True):
        (out / "part1").write_text("1")
    (out / "notes.txt").write_text("mine")
    with output_dir(out, kind="k", resume=True):
        (out / "part2").write_text("2")
    assert sorted(read_marker(out)["entries"]) == ["part1", "part2"]


def test_interrupted_writer_still_records_what_it_wrote(tmp_path):
    out = tmp_path / "o"
    with pytest.raises(KeyboardInterrupt):
        with output_dir(out, kind="k", resume=True):
            (out / "half").write_text("1")
            raise KeyboardInterrupt
    assert list(read_marker(out)["entries"]) == ["half"]
    claim_dir(out, kind="k", resume=True)  # a hard kill leaves the marker open: what is there is the suite's
    (out / "more").write_text("2")
    assert [p.name for p in owned_entries(out)] == ["half", "more"]
    finish_dir(out)


def test_overwrite_recurses_into_marked_sub_folders(tmp_path):
    out = tmp_path / "o"
    with output_dir(out, kind="top"):
        with output_dir(out / "study", kind="step"):
            (out / "study" / "scores.csv").write_text("1")
        (out / "manifest.json").write_text("{}")
    (out / "study" / "mine.txt").write_text("mine")
    with output_dir(out, kind="top", overwrite=True):
        pass
    assert sorted(os.listdir(out)) == [MARKER, "study"]
    assert sorted(os.listdir(out / "study")) == [MARKER, "mine.txt"]


@pytest.mark.parametrize("relation", ["equal", "inside", "containing"])
def test_output_overlapping_an_input_is_refused(tmp_path, relation):
    data = tmp_path / "data"
    (data / "clips").mkdir(parents=True)
    out = {"equal": data, "inside": data / "clips" / "out", "containing": tmp_path}[relation]
    words = {"equal": "is the input", "inside": "lies inside the input", "containing": "contains the input"}
    with pytest.raises(OutputError, match=words[relation]):
        check_separate(out, [None, data])
    with pytest.raises(OutputError, match=words[relation]):
        claim_dir(out, kind="k", inputs=[data])


def test_separate_folders_with_a_common_prefix_are_fine(tmp_path):
    check_separate(tmp_path / "data2", [tmp_path / "data"])


def test_fresh_output_dir_replaces_the_whole_earlier_output(tmp_path):
    out = tmp_path / "frames"
    with fresh_output_dir(out, kind="harmonize") as tmp:
        for i in range(3):
            (tmp / f"{i}.png").write_text("old")
    with fresh_output_dir(out, kind="harmonize", overwrite=True) as tmp:
        (tmp / "0.png").write_text("new")
    assert sorted(os.listdir(out)) == [MARKER, "0.png"]
    assert (out / "0.png").read_text() == "new"
    assert sorted(os.listdir(tmp_path)) == ["frames"]  # no temporary left


def test_fresh_output_dir_keeps_foreign_files_and_leaves_the_folder_alone_on_failure(tmp_path):
    out = tmp_path / "frames"
    with fresh_output_dir(out, kind="harmonize") as tmp:
        (tmp / "0.png").write_text("old")
    (out / "thesis.txt").write_text("mine")
    with pytest.raises(RuntimeError):
        with fresh_output_dir(out, kind="harmonize", overwrite=True) as tmp:
            (tmp / "0.png").write_text("half")
            raise RuntimeError("died")
    assert (out / "0.png").read_text() == "old"
    with fresh_output_dir(out, kind="harmonize", overwrite=True) as tmp:
        (tmp / "0.png").write_text("new")
        (tmp / "1.png").write_text("new")
    assert sorted(os.listdir(out)) == [MARKER, "0.png", "1.png", "thesis.txt"]
    assert (out / "thesis.txt").read_text() == "mine"
    assert sorted(os.listdir(tmp_path)) == ["frames"]


def test_fresh_output_dir_refuses_a_foreign_folder(tmp_path):
    (tmp_path / "frames").mkdir()
    (tmp_path / "frames" / "thesis.txt").write_text("mine")
    with pytest.raises(OutputError, match="not written by this suite"):
        with fresh_output_dir(tmp_path / "frames", kind="harmonize", overwrite=True):
            pass
    assert os.listdir(tmp_path / "frames") == ["thesis.txt"]


def test_check_output_file(tmp_path):
    (tmp_path / "d").mkdir()
    with pytest.raises(OutputError, match="is a folder; give a file name"):
        check_output_file(tmp_path / "d")
    with pytest.raises(OutputError, match=r"suffix '\.webm'.*\.mp4"):
        check_output_file(tmp_path / "x.webm", suffixes=(".mp4",))
    (tmp_path / "a.csv").write_text("x")
    with pytest.raises(OutputError, match="already exists; pass --overwrite"):
        check_output_file(tmp_path / "a.csv", overwrite=False)
    with pytest.raises(OutputError, match="is the input"):
        check_output_file(tmp_path / "a.csv", inputs=[tmp_path / "a.csv"])
    assert check_output_file(tmp_path / "a.csv") == tmp_path / "a.csv"
