"""`python -m userstudy simulate|fit` round trips and errors."""
import json
import os
import subprocess
import sys

import pandas as pd
import pytest

from userstudy.__main__ import main
from harmonizer.atomic import OutputError
from userstudy.formats import AnswersFormatError


def test_simulate_then_fit_paper_ranking(tmp_path, capsys):
    answers = tmp_path / "realism.csv"
    table = main(["simulate", "--paper", "realism", "--seed", "3", "--out", str(answers)])
    assert len(table) == 480 and table["rater"].nunique() == 32
    scores = main(["fit", str(answers), "--out", str(tmp_path / "scores.csv"), "--n-boot", "30"])
    out = capsys.readouterr().out
    assert "SIMULATED" in out
    written = pd.read_csv(tmp_path / "scores.csv")
    assert list(written.columns[:6]) == ["question", "method", "score", "ci_low", "ci_high", "rank"]
    assert written["simulated"].all() and written["question"].eq("realism").all()
    assert (written["score"] - written["true_score"]).abs().max() < 0.3
    assert written.loc[written["score"].idxmax(), "method"] == "gan"
    assert len(scores) == 4


def test_simulate_pairwise_and_fit_two_files(tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    main(["simulate", "--kind", "pairwise", "--utilities", "x=0.4,y=-0.4", "--n", "60", "--raters", "6",
          "--tie-rate", "0.1", "--seed", "1", "--question", "q1", "--out", str(a)])
    main(["simulate", "--kind", "pairwise", "--utilities", "x=0.4,y=-0.4", "--n", "60", "--raters", "6",
          "--tie-rate", "0.1", "--seed", "2", "--question", "q2", "--out", str(b)])
    scores = main(["fit", str(a), str(b), "--out", str(tmp_path / "s.csv"), "--n-boot", "10", "--ties", "drop"])
    assert set(scores["question"]) == {"q1", "q2"} and scores["ties"].eq("drop").all()
    pairs = pd.read_csv(tmp_path / "s_pairs.csv")
    assert list(pairs["n"]) == [60, 60]
    assert (pairs[["a_wins_pct", "b_wins_pct", "tie_pct"]].sum(axis=1) - 100).abs().max() < 1e-9


def test_fit_errors(tmp_path):
    ranks = tmp_path / "r.csv"
    main(["simulate", "--utilities", "a=1,b=0", "--n", "10", "--raters", "2", "--out", str(ranks)])
    pairs = tmp_path / "p.csv"
    main(["simulate", "--kind", "pairwise", "--utilities", "a=1,b=0", "--n", "10", "--out", str(pairs)])
    with pytest.raises(AnswersFormatError, match="cannot fit ranking and pairwise files together"):
        main(["fit", str(ranks), str(pairs), "--out", str(tmp_path / "s.csv")])
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"study": "s", "kind": "ranking", "methods": ["a", "c"],
                                "questions": [{"id": "q", "text": "?"}],
                                "trials": [{"id": "t", "videos": {"a": "a.mp4", "c": "c.mp4"}}]}))
    with pytest.raises(AnswersFormatError, match=r"r.csv line 2: method 'b' is not in the study's plan"):
        main(["fit", str(ranks), "--plan", str(plan), "--out", str(tmp_path / "s.csv")])


def test_module_entry_point_reports_errors(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("rater,question,trial,ranking\nr,q,t,a>a\n")
    run = subprocess.run([sys.executable, "-m", "userstudy", "fit", str(bad), "--out", str(tmp_path / "s.csv")],
                         capture_output=True, text=True)
    assert run.returncode != 0 and "line 2" in run.stderr and "appears twice" in run.stderr


def test_kit_command(pairwise_study, tmp_path, capsys):
    videos, plan_path, _ = pairwise_study
    out = main(["kit", "--videos", str(videos), "--plan", str(plan_path), "--out", str(tmp_path / "kit")])
    assert (out / "index.html").is_file() and "index.html" in capsys.readouterr().out
    with pytest.raises(OutputError, match="--overwrite"):
        main(["kit", "--videos", str(videos), "--plan", str(plan_path), "--out", str(out)])
    (out / "notes.txt").write_text("the experimenter's notes")
    assert main(["kit", "--videos", str(videos), "--plan", str(plan_path), "--out", str(out), "--overwrite"]) == out
    assert main(["kit", "--videos", str(videos), "--plan", str(plan_path), "--out", str(out), "--force"]) == out
    assert (out / "notes.txt").read_text() == "the experimenter's notes"  # --overwrite replaces only the kit
    assert (out / "index.html").is_file()


def test_kit_refuses_a_users_folder_and_an_out_inside_the_videos(pairwise_study, tmp_path):
    videos, plan_path, _ = pairwise_study
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.txt").write_text("years of work")
    for out, words in ((mine, "not written by this suite"), (videos / "kit", "lies inside the input")):
        with pytest.raises(OutputError, match=words):
            main(["kit", "--videos", str(videos), "--plan", str(plan_path), "--out", str(out), "--overwrite"])
    assert os.listdir(mine) == ["thesis.txt"] and not (videos / "kit").exists()


def test_fit_out_a_folder_is_one_clear_line(tmp_path):
    ranks = tmp_path / "r.csv"
    main(["simulate", "--utilities", "a=1,b=0", "--n", "10", "--raters", "2", "--out", str(ranks)])
    with pytest.raises(OutputError, match="is a folder; give a file name"):
        main(["fit", str(ranks), "--out", str(tmp_path)])
    with pytest.raises(OutputError, match="is the input"):
        main(["fit", str(ranks), "--out", str(ranks)])
    run = subprocess.run([sys.executable, "-m", "userstudy", "fit", str(ranks), "--out", str(tmp_path)],
                         capture_output=True, text=True)
    assert run.returncode == 2
    assert run.stderr.strip().count("\n") == 0 and "is a folder; give a file name" in run.stderr
