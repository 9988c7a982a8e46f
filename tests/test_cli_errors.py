"""Errors for people: every command line prints one line naming the item and what to do; exit 2 for usage errors,
1 for failed runs; ``--debug`` or ``VHS_DEBUG=1`` shows the traceback (harmonizer.cli.run_cli)."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from harmonizer.atomic import OutputError
from harmonizer.cli import UsageError, run_cli


def _cli(*args, env=None, cwd=None):
    full_env = {k: v for k, v in os.environ.items() if k != "VHS_DEBUG"}
    full_env.update({"OMP_NUM_THREADS": "1", **(env or {})})
    return subprocess.run([sys.executable, "-m", *map(str, args)], capture_output=True, text=True, env=full_env,
                          cwd=cwd, timeout=300)


def _one_line(result, code, *words):
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == code, result.stderr
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in result.stderr, result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def users_folder(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "thesis.txt").write_text("years of work")
    return folder


def test_run_cli_classifies_and_prints_one_line(capsys):
    def raises(exc):
        def main(argv):
            raise exc
        return main

    assert run_cli(raises(UsageError("--methods: 'gan' needs a run folder")), []) == 2
    assert run_cli(raises(OutputError("out is not empty")), []) == 2
    assert run_cli(raises(FileNotFoundError("clip c1: frame 3 is missing")), []) == 1
    assert run_cli(raises(KeyError("unknown metric 'psnrr'")), []) == 1
    assert run_cli(raises(TypeError("a bug")), []) == 1
    assert run_cli(raises(SystemExit("give --methods")), []) == 2
    assert run_cli(lambda argv: None, []) == 0
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "error: --methods: 'gan' needs a run folder"
    assert err[2].startswith("error: clip c1: frame 3 is missing  [--debug or VHS_DEBUG=1")
    assert err[3].startswith("error: unknown metric 'psnrr'")  # a KeyError's message without its quotes
    assert err[4].startswith("error: TypeError: a bug")  # not a user-facing type: named, it may be a bug
    assert len(err) == 6


def test_debug_flag_is_removed_from_argv_and_shows_the_traceback(capsys):
    seen = []

    def main(argv):
        seen.append(argv)
        raise ValueError("bad clip")

    assert run_cli(main, ["run", "--debug", "--out", "x"]) == 1
    assert seen == [["run", "--out", "x"]]
    assert "Traceback" in capsys.readouterr().err


def test_harmonize_container_suffix_is_a_usage_error(tmp_path):
    _one_line(_cli("harmonizer", "harmonize", "--checkpoint", tmp_path / "run", "--input", tmp_path / "in",
                   "--mask-mode", "zeros", "--out", tmp_path / "x.webm"), 2, "x.webm", "not a video format")
    assert not (tmp_path / "x.webm").exists()


def test_harmonize_missing_checkpoint_is_a_failed_run_and_debug_shows_the_traceback(tmp_path):
    args = ("harmonizer", "harmonize", "--checkpoint", tmp_path / "nowhere", "--input", tmp_path / "in",
            "--mask-mode", "zeros", "--out", tmp_path / "out")
    _one_line(_cli(*args), 1, "nowhere")
    assert "Traceback" in _cli(*args, "--debug").stderr


def test_environment_variable_shows_the_traceback(monkeypatch, capsys):
    def main(argv):
        raise ValueError("bad clip")

    monkeypatch.setenv("VHS_DEBUG", "1")
    assert run_cli(main, []) == 1
    assert "Traceback" in capsys.readouterr().err


def test_data_build_into_a_users_folder(users_folder):
    _one_line(_cli("harmonizer.data", "build", "--out", users_folder, "--clips", "2", "--size", "16",
                   "--no-progress"), 2, str(users_folder), "not written by this suite")
    assert os.listdir(users_folder) == ["thesis.txt"]


def test_baselines_train_into_a_users_folder(users_folder, tmp_path):
    _one_line(_cli("baselines", "train", "dih", "--profile", "tiny", "--data", tmp_path / "data", "--out",
                   users_folder, "--no-progress"), 2, "not written by this suite")


def test_bench_gan_without_a_run_folder(tmp_path):
    _one_line(_cli("bench", "run", "--methods", "gan", "--data", tmp_path, "--out", tmp_path / "R", "--quiet"),
              2, "'gan' needs a run folder: --methods gan=RUN_DIR")


def test_reports_reproduce_into_a_users_folder(users_folder):
    _one_line(_cli("reports", "reproduce", "--profile", "tiny", "--out", users_folder, "--quiet"), 2,
              "not written by this suite")
    assert os.listdir(users_folder) == ["thesis.txt"]


def test_userstudy_fit_of_a_missing_file(tmp_path):
    _one_line(_cli("userstudy", "fit", tmp_path / "answers.csv", "--out", tmp_path / "s.csv"), 1, "answers.csv")
