"""reports.pipeline with several jobs, --only, step locks shared with another runner, and option checks.

Step functions live at module level: worker processes (spawn) import them by name."""
from __future__ import annotations

import json
import threading
import time

import pytest

from reports.locks import StepLock
from reports.pipeline import Pipeline, Step, StepError, config_key

WAIT_S = 120  # generous: the suite shares two cores


def _write(ctx):
    (ctx.out_dir / "out.txt").write_text(json.dumps(ctx.config, sort_keys=True))
    for dep, folder in ctx.inputs.items():
        assert (folder / "out.txt").exists(), f"{ctx.name} sees {dep}'s output"
    print(f"hello from {ctx.name}")
    return {"name": ctx.name}


def _rendezvous(ctx):
    """Succeeds only while its partner runs at the same time: each waits for the other's start file."""
    (ctx.root / f"started_{ctx.name}").write_text("x")
    partner = ctx.root / f"started_{ctx.config['partner']}"
    deadline = time.monotonic() + WAIT_S
    while not partner.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{ctx.name}: {ctx.config['partner']} never started alongside")
        time.sleep(0.05)
    return _write(ctx)


def _fail_once(ctx):
    marker = ctx.root / "failed_once"
    if not marker.exists():
        marker.write_text("x")
        raise RuntimeError("boom")
    return _write(ctx)


def _diamond(fn_b=_rendezvous, fn_c=_rendezvous):
    return [Step("a", _write, {"v": 1}), Step("b", fn_b, {"partner": "c"}, ("a",)),
            Step("c", fn_c, {"partner": "b"}, ("a",)), Step("d", _write, {"v": 2}, ("b", "c"))]


def test_two_jobs_run_independent_steps_at_the_same_time_with_logs_and_stamps(tmp_path):
    records = Pipeline(tmp_path, _diamond(), progress=False).run(jobs=2)
    assert [(r.name, r.status) for r in records] == [("a", "ran"), ("b", "ran"), ("c", "ran"), ("d", "ran")]
    for name in "abcd":
        stamp = json.loads((tmp_path / "stamps" / f"{name}.json").read_text())
        assert stamp["info"] == {"name": name} and stamp["wall_s"] > 0
        assert f"hello from {name}" in (tmp_path / "logs" / f"{name}.log").read_text()
    again = Pipeline(tmp_path, _diamond(), progress=False).run(jobs=2)
    assert {r.status for r in again} == {"cached"}


def test_an_interrupted_parallel_run_resumes(tmp_path):
    steps = _diamond(fn_b=_fail_once, fn_c=_write)
    with pytest.raises(StepError, match="'b' failed"):
        Pipeline(tmp_path, steps, progress=False).run(jobs=2)
    assert (tmp_path / "stamps" / "a.json").exists() and not (tmp_path / "stamps" / "b.json").exists()
    assert not (tmp_path / "stamps" / "d.json").exists()
    records = Pipeline(tmp_path, steps, progress=False).run(jobs=2)
    status = {r.name: r.status for r in records}
    assert status["a"] == "cached" and status["b"] == "ran" and status["d"] == "ran"


def test_only_runs_chosen_steps_and_needs_their_inputs(tmp_path):
    steps = _diamond(fn_b=_write, fn_c=_write)
    with pytest.raises(StepError, match="'b' needs 'a'"):
        Pipeline(tmp_path, steps, progress=False).run(only=("b",))
    records = Pipeline(tmp_path, steps, progress=False).run(only=("a", "c"))
    assert {r.name: r.status for r in records} == {"a": "ran", "b": "not run", "c": "ran", "d": "not run"}
    assert not (tmp_path / "b").exists()


def test_a_step_held_by_another_runner_is_waited_for_not_run_twice(tmp_path):
    calls = []

    def a_here(ctx):  # the in-process runner must never run "a": the other runner does
        calls.append("a")
        return {}

    steps = [Step("a", a_here, {"v": 1}), Step("b", _write, {"v": 1}, ("a",))]
    key = config_key({"v": 1}, {})
    held = threading.Event()

    def other_runner():
        with StepLock(tmp_path, "a") as lock:
            assert lock.acquired
            held.set()
            time.sleep(1.5)
            (tmp_path / "a").mkdir()
            (tmp_path / "a" / "out.txt").write_text("by the other runner")
            (tmp_path / "stamps").mkdir(exist_ok=True)
            (tmp_path / "stamps" / "a.json").write_text(json.dumps({"key": key, "wall_s": 1.5, "info": {}}))

    thread = threading.Thread(target=other_runner)
    thread.start()
    held.wait(10)
    assert StepLock.held_elsewhere(tmp_path, "a")
    records = Pipeline(tmp_path, steps, progress=False).run()
    thread.join()
    assert calls == [] and [(r.name, r.status) for r in records] == [("a", "cached"), ("b", "ran")]
    assert not StepLock.held_elsewhere(tmp_path, "a")  # released when its holder closed it


def test_unknown_step_names_suggest_the_closest():
    from reports.reproduce import OptionError, check_step_names

    known = ["data_dancing", "train_full", "train_no_adv", "report"]
    assert check_step_names(["train_full"], known, "--only") == ("train_full",)
    with pytest.raises(OptionError, match=r"--only: unknown step 'trian_full'; did you mean 'train_full'"):
        check_step_names(["trian_full"], known, "--only")
    with pytest.raises(OptionError, match=r"--force: unknown step 'zzz' \(steps: data_dancing"):
        check_step_names(["zzz"], known, "--force")


def test_cli_rejects_unknown_only_and_force_steps_in_one_line(tmp_path, capsys):
    from reports.__main__ import main

    for flag, value in (("--only", "report,trian_full"), ("--force", "summary_synthetc")):
        with pytest.raises(SystemExit):
            main(["reproduce", "--profile", "tiny", "--out", str(tmp_path / "o"), flag, value])
        err = capsys.readouterr().err
        assert "did you mean" in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()  # rejected before anything ran
    with pytest.raises(SystemExit):
        main(["reproduce", "--profile", "tiny", "--out", str(tmp_path / "o"), "--jobs", "0"])
    assert "--jobs must be >= 1" in capsys.readouterr().err
