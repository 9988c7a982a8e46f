"""Issue 13, cases 2 and 5: the reproduction keeps a user's files and checks the method names of a study file."""
from __future__ import annotations

import os

import pandas as pd
import pytest

from harmonizer.atomic import MARKER, OutputError, write_text_atomic
from reports.pipeline import Pipeline, Step
from reports.reproduce import reproduce
from userstudy.formats import AnswersFormatError


def _writer(ctx):
    out = ctx.fresh()  # a step that cannot resume: starts from an empty folder
    write_text_atomic(out / "scores.csv", f"value\n{ctx.config['value']}\n")
    return {}


def _report(ctx):
    out = ctx.fresh()
    write_text_atomic(out / "README.md", f"# report {ctx.config['value']}\n")
    return {}


def _pipeline(root, value):
    return Pipeline(root, [Step("study", _writer, {"value": value}), Step("report", _report, {"value": value},
                                                                            ("study",))], progress=False)


def test_rerunning_a_step_keeps_a_users_file_in_its_folder(tmp_path):
    _pipeline(tmp_path, 1).run()
    (tmp_path / "study" / "mine.txt").write_text("my notes")
    _pipeline(tmp_path, 2).run()  # another config: the step is re-run from a fresh folder
    assert (tmp_path / "study" / "mine.txt").read_text() == "my notes"
    assert (tmp_path / "study" / "scores.csv").read_text() == "value\n2\n"
    _pipeline(tmp_path, 2).run(force=("study",))
    assert (tmp_path / "study" / "mine.txt").read_text() == "my notes"


def test_an_edited_report_readme_is_not_overwritten(tmp_path):
    _pipeline(tmp_path, 1).run()
    readme = tmp_path / "report" / "README.md"
    readme.write_text("# my own write-up of these results, much longer than the generated one\n")
    with pytest.raises(Exception, match=r"README.md was not written by this suite \(or was changed since\)"):
        _pipeline(tmp_path, 2).run()
    assert readme.read_text().startswith("# my own write-up")
    readme.rename(tmp_path / "mine.md")  # moved away, as the message says: the report is written again
    _pipeline(tmp_path, 2).run()
    assert readme.read_text() == "# report 2\n"


def test_step_folder_holding_a_users_files_before_the_step_ran_is_refused(tmp_path):
    _pipeline(tmp_path, 1).run()
    (tmp_path / "stamps" / "report.json").unlink()
    for entry in (tmp_path / "report").iterdir():  # as if the user had made report/ themselves
        entry.unlink()
    (tmp_path / "report" / "README.md").write_text("mine")
    with pytest.raises(Exception, match="not written by this suite"):
        _pipeline(tmp_path, 1).run()
    assert (tmp_path / "report" / "README.md").read_text() == "mine"


def test_reproduce_refuses_a_users_folder_before_any_step(tmp_path):
    (tmp_path / "thesis.txt").write_text("years of work")
    with pytest.raises(OutputError, match="not written by this suite"):
        reproduce("tiny", tmp_path, progress=False)
    assert os.listdir(tmp_path) == ["thesis.txt"]


def _rankings(tmp_path, ranking):
    rows = [dict(rater="r0", question="realism", trial=f"t{i}", ranking="gan>dih>realism_cnn>cut_and_paste")
            for i in range(3)] + [dict(rater="r1", question="realism", trial="t0", ranking=ranking)]
    path = tmp_path / "rankings.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_a_typo_in_a_rankings_method_is_refused_with_a_suggestion_before_any_step(tmp_path):
    path = _rankings(tmp_path, "dih>fulll")
    with pytest.raises(AnswersFormatError, match=r"rankings.csv line 5: method 'fulll' is not .* did you mean 'full'"):
        reproduce("tiny", tmp_path / "O", rankings=str(path), progress=False)
    assert not (tmp_path / "O" / "stamps").exists()  # refused before anything ran


def test_an_unknown_pairwise_method_is_refused(tmp_path):
    path = tmp_path / "pairs.csv"
    pd.DataFrame([dict(rater="r", question="realism", trial="t", left="gan", right="no_ad", choice="left")]
                 ).to_csv(path, index=False)
    with pytest.raises(AnswersFormatError, match=r"pairs.csv line 2: method 'no_ad' .* did you mean 'no_adv'"):
        reproduce("tiny", tmp_path / "O", pairwise=str(path), progress=False)

