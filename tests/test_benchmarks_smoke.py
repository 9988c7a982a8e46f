"""Smoke run of every speed/memory benchmark in benchmarks/ (one round each at tiny sizes), so none of them rots.

It runs ``pytest benchmarks/ --benchmark-only`` with ``--bench-smoke`` and pytest-benchmark's minimum of rounds,
writing ``--benchmark-json``: the benchmarks' own checks against their references run, and the JSON must hold the
machine info and every benchmark (only RAFT may be skipped, for want of a local weights file).  The figures of a
smoke run mean nothing; docs/benchmarks.md says how the real ones are produced.

Whether this CPU has native bf16 is checked against ``lscpu``'s flags (avx512_bf16 / amx_bf16): the JSON must record
the same, and without it the paper profile's training step must be collected in fp32 only (its emulated bf16 step
would stall a full run for tens of minutes).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def lscpu_bf16_native() -> bool:
    """Native bf16 according to ``lscpu`` (the kernel's CPU flags), independent of torch's CPUID detection."""
    if shutil.which("lscpu") is None:
        pytest.skip("lscpu is not installed")
    out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True,
                         env={**os.environ, "LC_ALL": "C"}).stdout
    flags = next((line.split(":", 1)[1].split() for line in out.splitlines() if line.startswith("Flags:")), None)
    if flags is None:
        pytest.skip("lscpu lists no CPU flags here")
    return "avx512_bf16" in flags or "amx_bf16" in flags


def test_paper_training_step_precisions_follow_native_bf16():
    native = lscpu_bf16_native()
    cmd = [sys.executable, "-m", "pytest", "benchmarks/test_bench_train.py", "--collect-only", "-q",
           "-p", "no:cacheprovider", "-k", "train_step"]
    env = {k: v for k, v in os.environ.items() if k != "HARMONIZATION_BENCH_SMOKE"}  # full sizes: the paper profile
    out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    items = {line.split("::")[1] for line in out.stdout.splitlines() if "::test_train_step[" in line}
    want_paper = {"test_train_step[paper-fp32]"} | ({"test_train_step[paper-bf16]"} if native else set())
    assert {i for i in items if "[paper-" in i} == want_paper, items
    assert {"test_train_step[quick-fp32]", "test_train_step[quick-bf16]"} <= items  # small: bf16 even if emulated
    if not native:
        assert "paper profile's training step runs in fp32 only" in out.stdout


@pytest.mark.slow
def test_every_benchmark_runs_at_tiny_sizes(tmp_path):
    out, junit = tmp_path / "bench.json", tmp_path / "junit.xml"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    env.pop("RAFT_CHECKPOINT", None)
    cmd = [sys.executable, "-m", "pytest", "benchmarks/", "--bench-smoke", "--benchmark-only",
           "--benchmark-min-rounds=1", "--benchmark-max-time=0", "--benchmark-warmup=off",
           f"--benchmark-json={out}", f"--junitxml={junit}", "-q", "-p", "no:cacheprovider"]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
    cases = ET.parse(junit).getroot().iter("testcase")
    skipped = [c.get("name") for c in cases if c.find("skipped") is not None]
    assert skipped == ["test_raft_flow"], f"benchmarks skipped in the smoke run: {skipped}"
    report = json.loads(out.read_text())
    assert report["machine_info"]["harmonization"]["smoke_sizes"] is True
    assert "cpu" in report["machine_info"] and len(report["load_average"]["end"]) == 3
    native = lscpu_bf16_native()
    assert report["machine_info"]["harmonization"]["bf16"]["native"] is native
    steps = [b for b in report["benchmarks"] if b["name"].startswith("test_train_step[")]
    assert steps and all(b["extra_info"]["bf16_native"] is native for b in steps)
    assert all(b["extra_info"]["precision"] == b["name"].split("-")[-1].rstrip("]") for b in steps)
    names = {b["name"].split("[")[0] for b in report["benchmarks"]}
    for path in (ROOT / "benchmarks").glob("test_*.py"):  # every benchmark function of every file has a result
        for line in path.read_text().splitlines():
            if line.startswith("def test_") and line.split("(")[0][4:] != "test_raft_flow":
                assert line.split("(")[0][4:] in names, f"{path.name}: {line} has no result in the JSON"
    assert all(b["stats"]["rounds"] >= 1 for b in report["benchmarks"])
