"""Training step (Algorithm 1: G on both frames, one D step, one G step) per profile in fp32 and bf16, the
machine's matmul peak, and ``harmonize`` throughput.

* ``test_matmul_peak`` — square ``torch.mm`` in fp32 / bf16; ``extra_info["gflops"]`` is the peak the training
  step is compared with.
* ``test_train_step`` — one ``harmonizer.train.train_step`` (G, D and their Adam from ``Models.build``) on
  synthetic tensors (speed does not depend on the content); ``extra_info``: FLOPs per step
  (``torch.utils.flop_counter``, counted on the fp32 step — in the untimed warm-up round; paper: in its one timed
  step — and reused for bf16), pairs/s and the fraction of the fp32
  matmul peak.  Checks inside: every loss finite, G's and D's weights moved,
  and the bf16 step's first losses within 5 % of the fp32 step's from the same initialisation.
* ``test_harmonize`` — ``GANHarmonizer.harmonize`` frame by frame (the CLI's ``chunk=1``) with an untrained G of
  the profile saved as a run folder; its output must equal G called directly and blended with the mask.

Full sizes: quick (64², 8 pairs) and paper (512², 1 pair; one timed, FLOP-counted step) profiles, harmonize at
256² and 512².
Smoke sizes (``--bench-smoke``): tiny and quick profiles at 32², harmonize at 32².

bf16 where the CPU has no native bf16 (no AVX512-BF16 / AMX-BF16, e.g. AVX2 only; ``conftest.bf16_support``):
torch emulates it, ~10-30× slower than fp32.  With ``--bench-bf16=auto`` (the default) the small profiles' bf16
steps still run (seconds; they show the emulation's cost), but the paper profile's step runs in fp32 only — its
emulated bf16 step would take tens of minutes.  Every step's ``extra_info`` records the precision it ran in,
whether bf16 is native and why (``bf16``), and, for a paper step without its bf16 twin, why that was not run.
``--bench-bf16=always`` times every bf16 step, ``never`` none.

    pytest benchmarks/test_bench_train.py --benchmark-only
"""
from __future__ import annotations

import dataclasses
import math

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from harmonizer.config import config_to_dict, get_config
from harmonizer.models import build_generator
from harmonizer.train import Models, train_step

FULL_PROFILES, SMOKE_PROFILES = ("quick", "paper"), ("tiny", "quick")
_first_losses: dict[str, dict] = {}  # profile → the fp32 step's first losses (for the bf16 check)
_peak: dict[str, float] = {}
_fp32_flops: dict[str, float] = {}  # profile → FLOPs of one step, counted in fp32 (the same for bf16)


def _profiles(config) -> tuple[str, ...]:
    from conftest import smoke_mode

    return SMOKE_PROFILES if smoke_mode(config) else FULL_PROFILES


# profiles whose bf16 step is timed even where bf16 is emulated (a few seconds a step; the paper's would take ~20 min)
EMULATED_BF16_PROFILES = ("tiny", "quick")


def step_precisions(profile: str, bf16_native: bool, mode: str = "auto") -> tuple[str, ...]:
    """The precisions ``test_train_step`` times for ``profile`` (``mode``: ``--bench-bf16``)."""
    if mode == "never":
        return ("fp32",)
    if mode == "always" or bf16_native or profile in EMULATED_BF16_PROFILES:
        return ("fp32", "bf16")
    return ("fp32",)


def pytest_generate_tests(metafunc):
    from conftest import bf16_support, smoke_mode

    if "precision" in metafunc.fixturenames:  # (profile, precision) pairs: the paper's bf16 only where it is native
        native, mode = bf16_support()["native"], metafunc.config.getoption("--bench-bf16")
        pairs = [(p, x) for p in _profiles(metafunc.config) for x in step_precisions(p, native, mode)]
        metafunc.parametrize("profile,precision", pairs, ids=[f"{p}-{x}" for p, x in pairs])
    elif "profile" in metafunc.fixturenames:
        metafunc.parametrize("profile", _profiles(metafunc.config))
    if "size_key" in metafunc.fixturenames:  # smoke: one (tiny) size
        metafunc.parametrize("size_key", ["256"] if smoke_mode(metafunc.config) else ["256", "512"])


def _matmul(a, b):
    return torch.mm(a, b)


@pytest.mark.parametrize("dtype", ["fp32", "bf16"])
@pytest.mark.benchmark(group="matmul peak (1024², torch.mm)")
def test_matmul_peak(benchmark, dtype, scale):
    n = scale(1024, 128)
    torch.manual_seed(0)
    a = torch.randn(n, n, dtype=torch.float32)
    b = torch.randn(n, n, dtype=torch.float32)
    want = a.double() @ b.double()
    dt = {"fp32": torch.float32, "bf16": torch.bfloat16}[dtype]
    a, b = a.to(dt), b.to(dt)
    out = benchmark(_matmul, a, b).double()
    tol = 1e-4 if dtype == "fp32" else 0.05  # bf16 keeps 8 mantissa bits
    assert torch.allclose(out, want, rtol=tol, atol=tol * math.sqrt(n)), "matmul result wrong"
    if benchmark.stats:
        _peak[dtype] = 2 * n**3 / benchmark.stats.stats.min / 1e9
        benchmark.extra_info["gflops"] = _peak[dtype]
    benchmark.extra_info["n"] = n
    if dtype == "bf16":
        from conftest import bf16_support

        benchmark.extra_info.update(bf16_native=bf16_support()["native"], bf16=bf16_support()["reason"])


def synthetic_batch(b: int, size: int) -> dict:
    g = torch.Generator().manual_seed(0)
    mask = torch.zeros(b, 2, 1, size, size)
    mask[..., size // 4: 3 * size // 4, size // 4: 3 * size // 4] = 1
    return {"composite": torch.rand(b, 2, 3, size, size, generator=g), "gt": torch.rand(b, 2, 3, size, size, generator=g),
            "mask": mask, "flow_bw": torch.randn(b, 2, size, size, generator=g),
            "valid_bw": torch.ones(b, 1, size, size)}


def _profile_config(profile: str, bf16: bool, scale):
    cfg = get_config(profile, schedule__bf16=bf16)
    if scale.smoke:
        cfg = dataclasses.replace(cfg, data=dataclasses.replace(cfg.data, size=32, batch_size=2))
    return cfg


@pytest.mark.benchmark(group="training step")
def test_train_step(benchmark, profile, precision, scale, pytestconfig):
    from conftest import bf16_support

    bf16 = precision == "bf16"
    support = bf16_support()
    cfg = _profile_config(profile, bf16, scale)
    models = Models.build(cfg, torch.device("cpu"))
    nets = {"G": models.G_raw, "D": models.D_raw}
    before = {k: [p.detach().clone() for p in net.parameters()] for k, net in nets.items()}
    batch = synthetic_batch(cfg.data.batch_size, cfg.data.size)
    autocast = torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16)
    flops, losses = [], []

    def step():
        if not losses:  # the first call (the warm-up round, or the only one): keep its losses; FLOPs are counted
            # on the fp32 step only (they do not depend on the dtype) and reused for bf16
            if bf16:
                parts = train_step(models, batch, cfg, autocast)
                flops.append(_fp32_flops.get(profile, float("nan")))
            else:
                with FlopCounterMode(display=False) as fc:
                    parts = train_step(models, batch, cfg, autocast)
                flops.append(fc.get_total_flops())
                _fp32_flops[profile] = flops[0]
            losses.append(parts)
            return parts
        return train_step(models, batch, cfg, autocast)

    # the paper profile's ~40 s step is timed once, the FLOP-counted first step itself (its counting overhead is
    # small against 40 s); the others count in an untimed warm-up round and time 5 more
    once = profile == "paper" or scale.smoke
    parts = benchmark.pedantic(step, rounds=1 if once else 5, warmup_rounds=0 if once else 1, iterations=1)
    assert all(math.isfinite(v) for v in parts.values()), parts
    for k, net in nets.items():
        assert any(not torch.equal(a, b) for a, b in zip(before[k], net.parameters())), f"the step did not update {k}"
    first = losses[0]
    if bf16 and profile in _first_losses:  # same initialisation and batch: bf16 must compute the same losses
        ref = _first_losses[profile]
        for k in ("g_total", "d_loss"):
            assert abs(first[k] - ref[k]) <= 0.05 * abs(ref[k]) + 1e-3, (k, first[k], ref[k])
    elif not bf16:
        _first_losses[profile] = first
    info = {"profile": profile, "size": cfg.data.size, "batch": cfg.data.batch_size, "precision": precision,
            "bf16_native": support["native"], "bf16": support["reason"],
            "gflop_per_step": flops[0] / 1e9, "first_losses": first}
    if bf16 and not support["native"]:
        info["note"] = "bf16 emulated on this CPU: this times the emulation, not bf16 arithmetic"
    if not bf16 and "bf16" not in step_precisions(profile, support["native"], pytestconfig.getoption("--bench-bf16")):
        info["bf16_step"] = (f"not run: {support['reason']} (an emulated {profile} bf16 step would take ~30x the fp32 "
                             "one); --bench-bf16=always runs it" if pytestconfig.getoption("--bench-bf16") == "auto"
                             else "not run: --bench-bf16=never")
    if benchmark.stats:
        s = benchmark.stats.stats.mean
        info.update(pairs_per_s=cfg.data.batch_size / s, gflop_per_s=flops[0] / s / 1e9)
        if "fp32" in _peak:
            info["fraction_of_fp32_peak"] = info["gflop_per_s"] / _peak["fp32"]
    benchmark.extra_info.update(info)


@pytest.fixture(scope="module")
def untrained_run(tmp_path_factory):
    """profile → a run folder holding an untrained G of that profile (speed does not depend on the weights)."""
    from harmonizer.runs import save_checkpoint

    runs = {}

    def make(profile: str):
        if profile not in runs:
            cfg = get_config(profile)
            torch.manual_seed(0)
            G = build_generator(cfg.model)
            run = tmp_path_factory.mktemp(f"run-{profile}")
            save_checkpoint(run / "checkpoints" / "best.pt",
                            {"config": config_to_dict(cfg), "G": G.state_dict(), "D": None, "step": 0})
            runs[profile] = run
        return runs[profile]

    return make


@pytest.mark.benchmark(group="harmonize (frame by frame)")
def test_harmonize(benchmark, profile, size_key, scale, untrained_run):
    from harmonizer.infer import GANHarmonizer

    size, frames = scale(int(size_key), 32), scale(3 if size_key == "512" else 5, 2)
    model = GANHarmonizer(untrained_run(profile), mask_mode="given", chunk=1)
    g = torch.Generator().manual_seed(0)
    x = torch.rand(frames, 3, size, size, generator=g)
    m = torch.zeros(frames, 1, size, size)
    m[..., size // 4: 3 * size // 4, size // 3: 2 * size // 3] = 1
    model.harmonize(x[:1], m[:1])  # warm-up
    out = benchmark(model.harmonize, x, m)
    with torch.no_grad():
        raw = torch.cat([((model.G(x[t:t + 1] * 2 - 1, m[t:t + 1]).float() + 1) / 2).clamp(0, 1) for t in range(frames)])
    want = m * raw + (1 - m) * x if getattr(model, "blend", "none") == "mask" else raw
    torch.testing.assert_close(out, want, rtol=1e-5, atol=1e-6)
    benchmark.extra_info.update(profile=profile, size=size, frames=frames)
    if benchmark.stats:
        benchmark.extra_info["fps"] = frames / benchmark.stats.stats.mean
