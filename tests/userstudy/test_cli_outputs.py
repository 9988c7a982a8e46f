"""`python -m userstudy fit|simulate --out X.csv` never replace a CSV the suite did not write (docs/safety.md):
a user's file, or one of ours changed since, is refused in one line (exit 2) unless --overwrite; the suite's own
unchanged output is replaced; every write is atomic."""
from __future__ import annotations

import hashlib
import json

import pandas as pd
import pytest

from harmonizer.atomic import OutputError
from harmonizer.cli import run_cli
from userstudy.__main__ import main

SIM = ["simulate", "--utilities", "a=1,b=0,c=-1", "--n", "12", "--raters", "3"]


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _one_error_line(argv, capsys) -> str:
    """Run the command as the shell would (harmonizer.cli.run_cli): exit 2 and exactly one line on stderr."""
    capsys.readouterr()
    assert run_cli(main, argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ")
    return err


@pytest.fixture
def answers(tmp_path):
    path = tmp_path / "answers.csv"
    main([*SIM, "--seed", "0", "--out", str(path)])
    return path


def test_simulate_refuses_a_users_csv_and_overwrite_replaces_it(tmp_path, capsys):
    mine = tmp_path / "answers.csv"
    mine.write_text("rater,question,trial,ranking\nme,realism,t1,a>b\n")  # real answers someone collected
    before = mine.read_bytes()
    err = _one_error_line([*SIM, "--out", str(mine)], capsys)
    assert str(mine) in err and "not written by this suite" in err and "--overwrite" in err
    assert mine.read_bytes() == before and not (tmp_path / "answers.csv.userstudy.json").exists()
    main([*SIM, "--out", str(mine), "--overwrite"])
    assert pd.read_csv(mine)["simulated"].all() and len(pd.read_csv(mine)) == 12


def test_fit_refuses_a_users_scores_file(answers, tmp_path, capsys):
    scores = tmp_path / "scores.csv"
    scores.write_text("my own notes, not scores\n")
    err = _one_error_line(["fit", str(answers), "--out", str(scores), "--n-boot", "5"], capsys)
    assert str(scores) in err and "not written by this suite" in err
    assert scores.read_text() == "my own notes, not scores\n"
    main(["fit", str(answers), "--out", str(scores), "--n-boot", "5", "--overwrite"])
    assert set(pd.read_csv(scores)["method"]) == {"a", "b", "c"}


def test_the_suites_own_unchanged_output_is_replaced(tmp_path):
    out = tmp_path / "answers.csv"
    main([*SIM, "--seed", "0", "--out", str(out)])
    first = out.read_bytes()
    main([*SIM, "--seed", "1", "--out", str(out)])  # no --overwrite needed: the suite wrote it
    assert out.read_bytes() != first
    record = json.loads((tmp_path / "answers.csv.userstudy.json").read_text())
    assert record["files"]["answers.csv"] == {"size": out.stat().st_size, "sha256": _sha(out)}
    assert record["command"] == "simulate" and record["settings"]["seed"] == 1


def test_an_edited_output_is_refused_then_replaced_with_overwrite(answers, tmp_path, capsys):
    scores = tmp_path / "scores.csv"
    main(["fit", str(answers), "--out", str(scores), "--n-boot", "5"])
    main(["fit", str(answers), "--out", str(scores), "--n-boot", "6"])  # ours, unchanged: replaced
    assert pd.read_csv(scores)["n_boot"].eq(6).all()
    with scores.open("a") as f:
        f.write("# my comment\n")
    edited = scores.read_bytes()
    err = _one_error_line(["fit", str(answers), "--out", str(scores), "--n-boot", "5"], capsys)
    assert str(scores) in err and "changed since this suite wrote it" in err
    assert scores.read_bytes() == edited
    main(["fit", str(answers), "--out", str(scores), "--n-boot", "5", "--overwrite"])
    assert pd.read_csv(scores)["n_boot"].eq(5).all()


def test_a_users_pairs_file_is_refused_and_a_stale_one_of_ours_removed(tmp_path, capsys):
    pairs_answers = tmp_path / "p.csv"
    main(["simulate", "--kind", "pairwise", "--utilities", "x=0.5,y=-0.5", "--n", "20", "--raters", "4",
          "--out", str(pairs_answers)])
    scores, pairs = tmp_path / "s.csv", tmp_path / "s_pairs.csv"
    pairs.write_text("someone's table\n")
    err = _one_error_line(["fit", str(pairs_answers), "--out", str(scores), "--n-boot", "5"], capsys)
    assert str(pairs) in err and not scores.exists() and pairs.read_text() == "someone's table\n"
    pairs.unlink()
    main(["fit", str(pairs_answers), "--out", str(scores), "--n-boot", "5"])
    assert list(pd.read_csv(pairs)["n"]) == [20]
    ranking = tmp_path / "r.csv"
    main([*SIM, "--out", str(ranking)])
    main(["fit", str(ranking), "--out", str(scores), "--n-boot", "5"])  # now a ranking fit: no pairs table
    assert not pairs.exists()  # the earlier pairwise fit's table was ours and unchanged: not left behind stale
    assert set(json.loads((tmp_path / "s.csv.userstudy.json").read_text())["files"]) == {"s.csv"}


def test_a_foreign_file_where_the_record_goes_is_refused(answers, tmp_path, capsys):
    record = tmp_path / "scores.csv.userstudy.json"
    record.write_text("{}")
    err = _one_error_line(["fit", str(answers), "--out", str(tmp_path / "scores.csv"), "--n-boot", "5"], capsys)
    assert str(record) in err and record.read_text() == "{}"


def test_a_failed_write_leaves_the_earlier_output_whole(answers, tmp_path, monkeypatch):
    scores = tmp_path / "scores.csv"
    main(["fit", str(answers), "--out", str(scores), "--n-boot", "5"])
    before = scores.read_bytes()
    real = pd.DataFrame.to_csv

    def half_then_fail(self, path, *args, **kwargs):
        real(self.head(1), path, *args, **kwargs)  # a partial file at the path it was given...
        raise OSError("disk full")  # ...then the write fails

    monkeypatch.setattr(pd.DataFrame, "to_csv", half_then_fail)
    with pytest.raises(OSError, match="disk full"):
        main(["fit", str(answers), "--out", str(scores), "--n-boot", "5"])
    assert scores.read_bytes() == before  # the temporary took the partial write, not scores.csv
    assert sorted(p.name for p in tmp_path.iterdir()) == ["answers.csv", "answers.csv.userstudy.json", "scores.csv",
                                                          "scores.csv.userstudy.json"]  # no temporary left


def test_refusals_happen_before_any_work(tmp_path, monkeypatch):
    import userstudy.__main__ as cli

    def no_work(*args, **kwargs):
        raise AssertionError("simulated although the output is refused")

    monkeypatch.setattr(cli, "simulate_paper_study", no_work)
    mine = tmp_path / "a.csv"
    mine.write_text("keep me\n")
    with pytest.raises(OutputError, match="not written by this suite"):
        main(["simulate", "--paper", "realism", "--out", str(mine)])
    assert mine.read_text() == "keep me\n"
