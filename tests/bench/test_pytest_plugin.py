"""The ``pytest --harmonization FILE.toml`` plugin, run through pytester on tiny Dancing data.

The methods are cut-and-paste and external-results folders written here with known errors: every pixel of
``near`` is the ground truth moved by 5/255 (towards the middle, so nothing clips), ``far`` by 10/255, and
``mixed`` by 5/255 on even clips and 20/255 on odd ones.  So on every frame PSNR(near) − PSNR(far) =
20·log10(2) = 6.0206 dB and MSE(near) = MSE(far) / 4 exactly, and PSNR(mixed) − PSNR(far) is +6.02 dB on half the
clips and −6.02 dB on the other half (mean 0): the verdicts follow from arithmetic, not from the code under test.
"""
from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np
import pytest

# pytester's in-process runs drop the modules they imported afterwards; importing torch (through the runner)
# a second time in one process crashes, so everything the plugin imports is imported here first
import baselines.registry  # noqa: F401, E402
import bench.paired  # noqa: F401, E402
import bench.runner  # noqa: F401, E402
import cv2  # noqa: E402

pytest_plugins = ["pytester"]

DELTAS = {"near": lambda i: 5, "far": lambda i: 10, "mixed": lambda i: 5 if i % 2 == 0 else 20}
PSNR_GAP = 20 * math.log10(2)  # PSNR(near) − PSNR(far), every frame


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory):
    """8 procedural clips of 32² (6 in the train split, which the expectation files score) + external results."""
    root = tmp_path_factory.mktemp("plugin")
    data = root / "dancing"
    from harmonizer.data.build import build_dataset
    from harmonizer.data.format import list_clips, read_clip

    build_dataset(data, clips=8, size=32, frames=2, seed=0, workers=1, progress=False)

    cut_psnr = []
    for i, (split, cid) in enumerate(c for c in list_clips(data) if c[0] == "train"):
        clip = read_clip(data, split, cid)
        gt = clip.gt.astype(np.int16)
        err = ((clip.composite / 255.0 - clip.gt / 255.0) ** 2).mean(axis=(1, 2, 3))
        cut_psnr.append(float(np.mean(10 * np.log10(1 / err))))
        for method, delta in DELTAS.items():
            out = np.where(gt < 128, gt + delta(i), gt - delta(i)).astype(np.uint8)
            folder = root / "outputs" / method / cid
            folder.mkdir(parents=True)
            for t, frame in enumerate(out):
                cv2.imwrite(str(folder / f"{t:03d}.png"), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    return {"data": data, "outputs": root / "outputs", "cut_and_paste_psnr": cut_psnr}


def write_toml(pytester, tiny_data, expectations: str, name="expect.toml", scoring='flow = "gt"') -> Path:
    text = f"""# expectations for the plugin test
[dataset]
path = "{tiny_data['data']}"
split = "train"

[scoring]
{scoring}

[methods]
cut_and_paste = "cut_and_paste"
near = {{ external = "{tiny_data['outputs'] / 'near'}" }}
far = {{ external = "{tiny_data['outputs'] / 'far'}" }}
mixed = {{ external = "{tiny_data['outputs'] / 'mixed'}" }}

[expectations]
{expectations}
"""
    path = pytester.path / name
    path.write_text(text)
    return path


def test_verdicts_follow_the_known_offsets(pytester, tiny_data):
    near_psnr = -20 * math.log10(5 / 255)
    assert max(tiny_data["cut_and_paste_psnr"]) < near_psnr - 1  # precondition, measured with NumPy above
    toml = write_toml(pytester, tiny_data, "\n".join([
        'holds = "near.psnr > far.psnr + 5"',
        'ratio_holds = "near.mse < 0.5 * far.mse"',
        'beats_cut = "near.psnr > cut_and_paste.psnr"',
        'contradicted = "near.psnr > far.psnr + 7"',
        'ratio_contradicted = "near.mse < 0.2 * far.mse"',
        'unresolved = "mixed.psnr > far.psnr"',
    ]))
    result = pytester.runpytest("--harmonization", str(toml), "-rA")
    result.assert_outcomes(passed=3, failed=3)
    out = result.stdout.str()
    for name in ("holds", "ratio_holds", "beats_cut"):
        assert f"PASSED {toml.name}::{name}" in out or f"::{name} PASSED" in out
    # contradicted: the message has the measured difference (6.0206 − 7 dB) and its interval
    result.stdout.fnmatch_lines([f"*contradicted: 'near.psnr > far.psnr + 7'*= {PSNR_GAP - 7:+.4g} (dB*"
                                 f"[[]{PSNR_GAP - 7:+.4g}, {PSNR_GAP - 7:+.4g}] over 6 clips*"])
    result.stdout.fnmatch_lines([f"*holds: 'near.psnr > far.psnr + 5'*= {PSNR_GAP - 5:+.4g} (dB*"])
    result.stdout.fnmatch_lines(["*contradicted: 'near.mse < 0.2 * far.mse'*"])
    result.stdout.fnmatch_lines(["*unresolved: 'mixed.psnr > far.psnr'*paired interval includes 0*"])
    assert "results in" in out and (pytester.path / "expect.results" / "results.csv").exists()


def test_results_are_cached_across_sessions(pytester, tiny_data):
    """Also: paths relative to the file, a named protocol, a metric subset."""
    toml = write_toml(pytester, tiny_data, 'holds = "near.psnr > far.psnr + 5"',
                      scoring='flow = "gt"\nprotocol = "paper"\nmetrics = ["psnr"]')
    text = toml.read_text()
    for folder in (tiny_data["data"], *(tiny_data["outputs"] / m for m in DELTAS)):
        text = text.replace(f'"{folder}"', f'"{os.path.relpath(folder, pytester.path)}"')
    assert str(tiny_data["data"]) not in text
    toml.write_text(text)
    pytester.runpytest("--harmonization", str(toml)).assert_outcomes(passed=1)
    manifest = pytester.path / "expect.results" / "manifest.json"
    assert json.loads(manifest.read_text())["scored_pairs"] == 4 * 6
    pytester.runpytest("--harmonization", str(toml)).assert_outcomes(passed=1)
    again = json.loads(manifest.read_text())
    assert again["scored_pairs"] == 0 and again["resumed_pairs"] == 4 * 6


def test_only_the_expectations_are_collected(pytester, tiny_data):
    pytester.makepyfile(test_other="def test_other():\n    assert False\n")
    toml = write_toml(pytester, tiny_data, 'holds = "near.psnr > far.psnr + 5"', scoring='flow = "gt"\nmetrics = ["psnr"]')
    pytester.runpytest("--harmonization", str(toml)).assert_outcomes(passed=1)
    pytester.runpytest("--harmonization", str(toml), "test_other.py").assert_outcomes(passed=1, failed=1)


@pytest.mark.parametrize("line, expected", [
    ('bad = "near.psnr > > far.psnr"', "line 17: expectations.bad: cannot read*"),
    ('bad = "near.psnr >> far.psnr"', "line 17: expectations.bad: *must be one comparison*"),
    ('bad = "near.psnr > far.ssim"', "line 17: expectations.bad: *compares psnr with ssim*"),
    ('bad = "gan.psnr > far.psnr"', "line 17: expectations.bad: method 'gan' is not in [[]methods]*"),
    ('bad = "near.psnr > far.psnr * far.psnr"', "line 17: expectations.bad: *not a linear comparison*"),
    ('bad = "near.psnr"', "line 17: expectations.bad: *must be one comparison*"),
    ('bad = 3', "line 17: expectations.bad: must be a string*"),
    ('bad = "near.psnr > far.psnr" oops', "*not valid TOML*line 17*"),
])
def test_malformed_file_is_a_usage_error_naming_the_line(pytester, tiny_data, line, expected):
    toml = write_toml(pytester, tiny_data, 'ok = "near.psnr > far.psnr"\n' + line)
    assert toml.read_text().splitlines()[16].startswith("bad")  # line 17 is the bad one
    result = pytester.runpytest("--harmonization", str(toml))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*{toml}*{expected}"])


@pytest.mark.parametrize("methods_line, scoring, expected", [
    ('typo = "cut_and_pste"', 'flow = "gt"', "line 15: methods.typo: unknown method 'cut_and_pste' (did you mean cut_and_paste*"),
    ('', 'flow = "gt"\nprotocol = "co2nett"', "line 8: scoring.protocol: unknown protocol 'co2nett'*"),
    ('', 'flow = "gt"\nmetrics = ["psnr", "psnrr"]', "line 8: scoring.metrics: unknown metric 'psnrr'*"),
])
def test_unknown_names_are_usage_errors(pytester, tiny_data, methods_line, scoring, expected):
    toml = write_toml(pytester, tiny_data, 'ok = "near.psnr > far.psnr"', scoring=scoring)
    toml.write_text(toml.read_text().replace("[expectations]", methods_line + "\n\n[expectations]"))
    result = pytester.runpytest("--harmonization", str(toml))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*{toml}, {expected}"])


def test_unknown_key_is_a_usage_error_naming_it(pytester, tiny_data):
    toml = write_toml(pytester, tiny_data, 'ok = "near.psnr > far.psnr"', scoring='flwo = "gt"')
    result = pytester.runpytest("--harmonization", str(toml))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*{toml}, line 7: scoring.flwo: unknown key*"])


@pytest.mark.parametrize("example", sorted((Path(__file__).resolve().parents[2] / "examples").glob("*.toml")),
                         ids=lambda p: p.name)
def test_example_files_are_valid(tmp_path, example):
    """Each example under examples/ reads without error once its folders exist (they are the user's data)."""
    import tomllib

    from bench.expectations import load_expectations

    copy = tmp_path / "examples" / example.name
    copy.parent.mkdir()
    copy.write_text(example.read_text())
    data = tomllib.loads(example.read_text())
    folders = [data["dataset"]["path"]] + [m["external"] for m in data["methods"].values() if isinstance(m, dict)]
    for folder in folders:
        (copy.parent / folder).mkdir(parents=True, exist_ok=True)
    spec = load_expectations(copy)
    assert len(spec.expectations) == len(data["expectations"]) >= 2


def test_a_run_folder_is_scored_as_its_registered_method(pytester, tiny_data):
    """``gan = "gan=RUN"`` (RUN relative to the file) is built from that run folder and scored on every clip."""
    from harmonizer.config import get_config
    from harmonizer.train import train

    run = pytester.path / "runs" / "tiny"
    train(get_config("tiny", schedule__max_steps=2), tiny_data["data"], run, progress=False, tensorboard=False)
    toml = write_toml(pytester, tiny_data, 'bigger_error = "far.mse > 3 * near.mse"',
                      scoring='flow = "gt"\nmetrics = ["mse", "psnr"]')
    toml.write_text(toml.read_text().replace("[expectations]", 'gan = "gan=runs/tiny"\n\n[expectations]'))
    result = pytester.runpytest("--harmonization", str(toml))
    result.assert_outcomes(passed=1)
    manifest = json.loads((pytester.path / "expect.results" / "manifest.json").read_text())
    assert manifest["config"]["method_specs"]["gan"] == {"name": "gan", "checkpoint": str(run.resolve())}
    import pandas as pd

    scored = pd.read_csv(pytester.path / "expect.results" / "results.csv")
    assert set(scored["method"]) == {"cut_and_paste", "near", "far", "mixed", "gan"}
    assert scored[scored["method"] == "gan"]["clip"].nunique() == 6


def test_a_results_folder_of_another_run_fails_in_one_line(pytester, tiny_data):
    write_toml(pytester, tiny_data, 'holds = "near.psnr > far.psnr + 5"', scoring='flow = "gt"\nmetrics = ["psnr"]')
    toml = pytester.path / "expect.toml"
    pytester.runpytest("--harmonization", str(toml)).assert_outcomes(passed=1)
    toml.write_text(toml.read_text().replace('metrics = ["psnr"]', 'metrics = ["psnr", "mse"]'))
    result = pytester.runpytest("--harmonization", str(toml))
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*expect.toml: scoring the methods failed: ValueError: *holds results of a different run*"])
    assert "Traceback" not in result.stdout.str()
