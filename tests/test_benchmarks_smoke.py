"""Smoke run of every speed/memory benchmark in benchmarks/ (one round each at tiny sizes), so none of them rots.

It runs ``pytest benchmarks/ --benchmark-only`` with ``--bench-smoke`` and pytest-benchmark's minimum of rounds,
writing ``--benchmark-json``: the benchmarks' own checks against their references run, and the JSON must hold the
machine info and every benchmark (only RAFT may be skipped, for want of a local weights file).  The figures of a
smoke run mean nothing; docs/benchmarks.md says how the real ones are produced.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


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
    names = {b["name"].split("[")[0] for b in report["benchmarks"]}
    for path in (ROOT / "benchmarks").glob("test_*.py"):  # every benchmark function of every file has a result
        for line in path.read_text().splitlines():
            if line.startswith("def test_") and line.split("(")[0][4:] != "test_raft_flow":
                assert line.split("(")[0][4:] in names, f"{path.name}: {line} has no result in the JSON"
    assert all(b["stats"]["rounds"] >= 1 for b in report["benchmarks"])
