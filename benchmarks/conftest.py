"""Shared set-up of the speed and memory benchmarks (pytest-benchmark suites; docs/benchmarks.md).

    pytest benchmarks/ --benchmark-only                          # full sizes, pytest-benchmark's rounds
    pytest benchmarks/ --benchmark-only --benchmark-autosave     # save a baseline under .benchmarks/
    pytest benchmarks/ --benchmark-only --benchmark-compare      # compare with the last saved one
    pytest benchmarks/ --benchmark-disable --bench-smoke         # one round of each at tiny sizes (the smoke test)

The benchmarks are collected only when asked for (``testpaths`` is ``tests``).  Every benchmark checks its own
result against an independent reference inside the benchmark, so a fast benchmark that computes wrong numbers
fails.  Fixtures here:

* ``scale`` — ``scale(full, smoke)`` picks a size: the full value, or the tiny one with ``--bench-smoke`` (or
  ``HARMONIZATION_BENCH_SMOKE=1``);
* ``raft_checkpoint`` — a local RAFT weights file (``--raft-checkpoint`` or ``RAFT_CHECKPOINT``), else the
  RAFT benchmark is skipped with the reason;
* every benchmark runs with ``--bench-threads`` torch/OpenCV threads (default 1: on a shared machine more threads
  slow small operations down); the machine info in the JSON records the threads
  (``machine_info.harmonization``) and the load average at the start and end (``load_average``);
* :func:`bf16_support` — whether this CPU computes bf16 natively (AVX512-BF16 or AMX-BF16) or torch emulates it
  (AVX2 only: ~10-30x slower than fp32); recorded as ``machine_info.harmonization.bf16``.  ``--bench-bf16``
  (``auto`` by default) decides which bf16 benchmarks run where it is emulated (``test_bench_train.py``).
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import pytest

SMOKE_ENV = "HARMONIZATION_BENCH_SMOKE"


def pytest_addoption(parser):
    group = parser.getgroup("harmonization benchmarks")
    group.addoption("--bench-smoke", action="store_true", default=False,
                    help=f"tiny sizes for a one-round smoke run (also: {SMOKE_ENV}=1)")
    group.addoption("--bench-threads", type=int, default=1, help="torch and OpenCV threads (default 1)")
    group.addoption("--raft-checkpoint", default=None,
                    help="local RAFT weights file for the RAFT flow benchmark (also: RAFT_CHECKPOINT)")
    group.addoption("--bench-bf16", choices=("auto", "always", "never"), default="auto",
                    help="bf16 training steps: auto = where bf16 is native, and on small profiles only where it is "
                         "emulated (the paper step then runs in fp32 only); always; never")


def smoke_mode(config) -> bool:
    return bool(config.getoption("--bench-smoke")) or os.environ.get(SMOKE_ENV, "") not in ("", "0")


def _cpuinfo_flags() -> set[str]:
    try:
        with open("/proc/cpuinfo") as f:
            return set(next((line.split(":", 1)[1].split() for line in f if line.startswith("flags")), []))
    except OSError:
        return set()


def bf16_support() -> dict:
    """Whether bf16 arithmetic is native on this CPU: AVX512-BF16 or AMX-BF16, as torch's CPU detection (CPUID)
    reports them, or the kernel's ``/proc/cpuinfo`` flags where torch does not say.  Without either, torch runs
    bf16 autocast by converting to fp32 and back (measured on an AVX2-only VM: a conv forward+backward 0.11 s fp32,
    3.6 s bf16)."""
    import torch

    caps = getattr(getattr(torch._C, "_cpu", None), "_get_cpu_capability", dict)()  # CPUID, via torch's cpuinfo
    flags = _cpuinfo_flags()
    found = {name: bool(caps[name]) if name in caps else name in flags for name in ("avx512_bf16", "amx_bf16")}
    native = any(found.values())
    capability = torch.backends.cpu.get_cpu_capability()
    reason = (f"native ({', '.join(k for k, v in found.items() if v)})" if native else
              f"emulated: torch CPU capability {capability}, no avx512_bf16 / amx_bf16")
    return {"native": native, "cpu_capability": capability, **found, "reason": reason}


@dataclass(frozen=True)
class Scale:
    """``scale(full, smoke)``: the benchmark's size at full scale, or its tiny smoke-run size."""

    smoke: bool

    def __call__(self, full, smoke):
        return smoke if self.smoke else full


@pytest.fixture(scope="session")
def scale(pytestconfig) -> Scale:
    return Scale(smoke_mode(pytestconfig))


@pytest.fixture(scope="session")
def raft_checkpoint(pytestconfig) -> str:
    path = pytestconfig.getoption("--raft-checkpoint") or os.environ.get("RAFT_CHECKPOINT")
    if not path:
        pytest.skip("RAFT needs a local weights file: give --raft-checkpoint FILE or RAFT_CHECKPOINT=FILE "
                    "(nothing is downloaded)")
    if not os.path.isfile(path):
        pytest.skip(f"RAFT weights file {path} does not exist")
    return path


@pytest.fixture(autouse=True)
def _bench_threads(pytestconfig):
    """Run every benchmark with ``--bench-threads`` torch and OpenCV threads, restored afterwards."""
    import cv2
    import torch

    threads = pytestconfig.getoption("--bench-threads")
    before_torch, before_cv = torch.get_num_threads(), cv2.getNumThreads()
    torch.set_num_threads(threads)
    cv2.setNumThreads(threads)
    yield
    torch.set_num_threads(before_torch)
    cv2.setNumThreads(before_cv)


def pytest_sessionstart(session):
    session.config._harmonization_load_start = list(os.getloadavg())


def pytest_benchmark_update_machine_info(config, machine_info):
    """Add what decides these figures on a CPU (threads, cores, torch, smoke sizes).  The load average is kept
    out of ``machine_info`` (it differs every run, and ``--benchmark-compare`` warns on any difference)."""
    import torch

    machine_info["harmonization"] = {"torch": torch.__version__, "torch_threads": config.getoption("--bench-threads"),
                                     "logical_cpus": os.cpu_count(), "smoke_sizes": smoke_mode(config),
                                     "bf16": bf16_support(), "bench_bf16": config.getoption("--bench-bf16")}


def pytest_benchmark_update_json(config, benchmarks, output_json):
    """The 1/5/15-minute load averages at the start and end of the session (a shared machine's figures need them)."""
    output_json["load_average"] = {"start": getattr(config, "_harmonization_load_start", None),
                                   "end": list(os.getloadavg())}


def pytest_terminal_summary(terminalreporter, config):
    """Say once when bf16 is emulated here, since it changes which training steps ran and what they mean."""
    bf16 = bf16_support()
    if not bf16["native"]:
        terminalreporter.write_line(
            f"harmonization benchmarks: bf16 is {bf16['reason']}; bf16 figures here measure the emulation, and with "
            f"--bench-bf16={config.getoption('--bench-bf16')} the paper profile's training step "
            + ("runs in fp32 only (--bench-bf16=always also times emulated bf16)"
               if config.getoption("--bench-bf16") == "auto" else "follows that setting"))
