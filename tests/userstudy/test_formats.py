"""Answer formats: round trip, kind detection, and validation errors that name the row."""
import pandas as pd
import pytest

from userstudy.formats import (
    AnswersFormatError, parse_ranking, parse_utilities, read_answers, validate_answers, write_answers,
)

RANKINGS = "rater,question,trial,ranking\nr1,realism,c1,gan>dih>cut_and_paste\nr2,realism,c1,dih>gan\n"
PAIRWISE = "rater,question,trial,left,right,choice\nr1,realism,c1,gan,gan_no_adv,left\nr1,realism,c2,gan_no_adv,gan,tie\n"


def _write(tmp_path, text, name="answers.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_read_detects_kind_and_round_trips(tmp_path):
    ranks = read_answers(_write(tmp_path, RANKINGS, "r.csv"))
    assert ranks.kind == "ranking"
    assert list(ranks.table["ranking"]) == ["gan>dih>cut_and_paste", "dih>gan"]
    pairs = read_answers(_write(tmp_path, PAIRWISE, "p.csv"))
    assert pairs.kind == "pairwise" and list(pairs.table["choice"]) == ["left", "tie"]
    out = write_answers(pairs, tmp_path / "sub" / "copy.csv")
    assert out.read_text() == PAIRWISE
    assert not list((tmp_path / "sub").glob(".*tmp"))  # no temporary left behind


@pytest.mark.parametrize("row, message", [
    ("r3,realism,c2,gan>gan>dih", "line 4.*'gan' appears twice"),
    ("r3,realism,c2,", "line 4.*empty ranking"),
    ("r3,realism,c2,gan>>dih", "line 4.*empty method name"),
    ("r3,realism,c2,gan", "line 4.*fewer than two"),
    ("r3,realism,c2,gan>zhu", "line 4.*'zhu' is not in the study's plan"),
    ("r3,,c2,gan>dih", "line 4.*empty 'question'"),
    ("r1,realism,c1,dih>gan", "line 4.*repeats the answer of .*line 2"),
    ("r3,realism,c2,gan dih>cut_and_paste", "line 4.*method name"),
])
def test_ranking_validation_names_the_row(tmp_path, row, message):
    path = _write(tmp_path, RANKINGS + row + "\n")
    with pytest.raises(AnswersFormatError, match=message) as err:
        read_answers(path, methods=["gan", "dih", "cut_and_paste", "realism_cnn"])
    assert str(path) in str(err.value)


@pytest.mark.parametrize("row, message", [
    ("r2,realism,c1,gan,gan_no_adv,both", "line 4.*choice 'both' is not one of left, right, tie"),
    ("r2,realism,c1,gan,gan,left", "line 4.*same method"),
    ("r2,realism,c1,gan,zhu,left", "line 4.*'zhu' is not in the study's plan"),
    ("r1,realism,c1,gan_no_adv,gan,right", "line 4.*repeats the answer of .*line 2"),
])
def test_pairwise_validation_names_the_row(tmp_path, row, message):
    with pytest.raises(AnswersFormatError, match=message):
        read_answers(_write(tmp_path, PAIRWISE + row + "\n"), methods=["gan", "gan_no_adv"])


def test_header_errors(tmp_path):
    with pytest.raises(AnswersFormatError, match="neither a ranking file"):
        read_answers(_write(tmp_path, "rater,question,trial,rank\nr,q,t,a>b\n"))
    with pytest.raises(AnswersFormatError, match=r"unexpected column\(s\) \['notes'\]"):
        read_answers(_write(tmp_path, "rater,question,trial,ranking,notes\nr,q,t,a>b,x\n"))
    with pytest.raises(AnswersFormatError, match="no answers"):
        read_answers(_write(tmp_path, "rater,question,trial,ranking\n"))
    with pytest.raises(AnswersFormatError, match="no such answers file"):
        read_answers(tmp_path / "missing.csv")


def test_in_memory_rows_and_labels():
    table = pd.DataFrame({"rater": ["a"], "question": ["q"], "trial": ["t"], "ranking": ["x>y"],
                          "simulated": ["true"], "utilities": ["x=1;y=-1"]})
    answers = validate_answers(table)
    assert answers.simulated and answers.utilities == {"x": 1.0, "y": -1.0}
    table.loc[0, "simulated"] = "yes"
    with pytest.raises(AnswersFormatError, match="row 0.*simulated must be"):
        validate_answers(table)


def test_parse_helpers():
    assert parse_ranking(" a > b>c ") == ["a", "b", "c"]
    with pytest.raises(AnswersFormatError, match="cannot read 'b'"):
        parse_utilities("a=1;b")
