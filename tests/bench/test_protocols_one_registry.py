"""One registry for "an evaluation protocol": the metric layer, the runner and ``bench run --protocol`` all read
bench.protocols.registry, so a protocol declared there is usable everywhere and a name not declared there is one
error (listing the known ones) everywhere."""
import json
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest
import torch

import bench.metrics.registry as metric_registry
from bench.__main__ import build_parser
from bench.metrics import METRICS, evaluate_clip, get_metric, list_metrics, metrics_for, register_metric
from bench.metrics.conventions import protocols_table
from bench.protocols import BUILTIN, Protocol, get_protocol, list_protocols, register_protocol
from bench.protocols.datasets import open_for_protocol
from bench.protocols.registry import unregister_protocol
from bench.runner import run_benchmark
from tests.bench.test_datasets import make_dancing

ROOT = Path(__file__).resolve().parents[2]
KNOWN = "known: paper, co2net, dovenet, vtt, lai"


def _message(ask) -> str:
    with pytest.raises(KeyError) as exc:
        ask()
    return exc.value.args[0]


def _clip(t=2, h=12, w=14):
    g = torch.Generator().manual_seed(1)
    gt = torch.rand(t, 3, h, w, generator=g)
    return (gt + 0.1 * torch.rand(gt.shape, generator=g)).clamp(0, 1), gt


def test_the_metric_layer_keeps_no_protocol_list_of_its_own():
    assert list_protocols() == list(BUILTIN)
    for name in list_protocols():
        entry = get_protocol(name)
        assert entry.name == name and entry.metrics, name
        assert metrics_for(name) == entry.metrics and list_metrics(name) == list(entry.metrics)
        assert all(spec.protocol == name for spec in entry.metrics.values()), name
        assert entry.describe()["metrics"].keys() == entry.metrics.keys()  # the manifest lists the same metrics
    # every mapping the metric registry module holds is a view of a registry entry, never a list of protocols
    mappings = {k for k, v in vars(metric_registry).items() if isinstance(v, Mapping) and not k.startswith("__")}
    assert mappings == {"METRICS"} and dict(METRICS) == get_protocol("paper").metrics


def test_a_protocol_declared_once_reaches_metrics_runner_and_cli(tmp_path):
    pred, gt = _clip()
    declared = register_protocol(Protocol("test_once", title="declared once", peer="this test", files=("test.py",),
                                          peer_flow="none", pairs="none", peer_names={"abs_err": "L1"}))
    try:
        @register_metric(protocol="test_once", name="abs_err", higher_is_better=False, scale="[0,1] images",
                         needs=("gt",), temporal=False)
        def abs_err(clip):
            """Mean absolute error."""
            return (clip.pred - clip.gt).abs().mean(dim=(1, 2, 3))

        assert declared.metrics["abs_err"] is get_metric("abs_err", "test_once")
        values = evaluate_clip(pred, protocol="test_once", gt=gt)
        assert list(values) == ["abs_err"]
        torch.testing.assert_close(values["abs_err"], (pred.double() - gt.double()).abs().mean(dim=(1, 2, 3)))
        assert "test_once" in list_protocols() and "test_once" not in BUILTIN
        args = build_parser().parse_args(["run", "--data", "d", "--out", "o", "--protocol", "test_once"])
        assert args.protocol == "test_once"  # the CLI's choices are the registry's names

        class Copy:
            def harmonize(self, frames, masks):
                return frames

        data = make_dancing(tmp_path / "data", ids=("c0",))
        out = run_benchmark({"copy": Copy()}, open_for_protocol(data, "test_once"), tmp_path / "out", flow=None,
                            protocol="test_once", progress=False)
        config = json.loads((out / "manifest.json").read_text())["config"]
        assert config["protocol"] == "test_once"
        assert config["protocol_steps"] == json.loads(json.dumps(declared.describe()))
        assert set(config["metrics"]) == {"abs_err"}
        row = "| `test_once` | declared once: this test; `test.py` | the dataset reader's own |"
        assert row in protocols_table() and "`abs_err` (L1)" in protocols_table()  # docs' table, generated
    finally:
        unregister_protocol("test_once")
    for ask in (lambda: metrics_for("test_once"), lambda: evaluate_clip(pred, protocol="test_once", gt=gt)):
        assert _message(ask) == f"unknown protocol 'test_once'; {KNOWN}"
    with pytest.raises(SystemExit):
        build_parser().parse_args(["run", "--data", "d", "--out", "o", "--protocol", "test_once"])
    assert "test_once" not in protocols_table()
    with pytest.raises(ValueError, match="built in"):
        unregister_protocol("co2net")
    with pytest.raises(ValueError, match="already registered"):
        register_protocol(Protocol("vtt", title="again", peer="-", files=(), peer_flow="-", pairs="-"))


def test_an_unknown_protocol_is_one_error_listing_the_known_ones(tmp_path, capsys):
    pred, gt = _clip()
    message = f"unknown protocol 'co2nett' (did you mean 'co2net'?); {KNOWN}"
    asks = [lambda: get_protocol("co2nett"), lambda: metrics_for("co2nett"), lambda: get_metric("psnr", "co2nett"),
            lambda: evaluate_clip(pred, protocol="co2nett", gt=gt), lambda: open_for_protocol(tmp_path, "co2nett"),
            lambda: run_benchmark({"copy": object()}, make_dancing(tmp_path / "data", ids=("c0",)), tmp_path / "out",
                                  flow=None, protocol="co2nett", progress=False),
            lambda: register_metric(protocol="co2nett", higher_is_better=True, scale="-", temporal=False)(
                lambda clip: clip.pred)]
    for ask in asks:
        assert _message(ask) == message
    with pytest.raises(SystemExit):
        build_parser().parse_args(["run", "--data", "d", "--out", "o", "--protocol", "co2nett"])
    assert not (tmp_path / "out").exists()  # refused before anything is written
    err = capsys.readouterr().err
    assert "invalid choice: 'co2nett'" in err and all(f"'{n}'" in err or n in err for n in BUILTIN)


def test_importing_the_metrics_alone_is_enough_and_no_import_order_cycles():
    """In fresh interpreters: the metric layer finds every protocol without anyone importing bench.protocols, and
    importing a peer's declaration first (bench.protocols.lai → bench.metrics → the registry) works too."""
    code = {
        "metrics first": "from bench.metrics import metrics_for\n"
                         "print(sorted(metrics_for('vtt')), metrics_for('lai')['warp_error'].protocol)",
        "a peer first": "import bench.protocols.lai\nfrom bench.protocols import list_protocols\n"
                        "from bench.metrics import list_metrics\nprint(list_protocols(), list_metrics('co2net'))",
    }
    out = {k: subprocess.run([sys.executable, "-c", c], cwd=ROOT, capture_output=True, text=True, timeout=300)
           for k, c in code.items()}
    for k, r in out.items():
        assert r.returncode == 0, (k, r.stderr[-2000:])
    assert out["metrics first"].stdout.split() == ["['fmse',", "'fpsnr',", "'fr_rtc',", "'fssim',", "'mse',",
                                                   "'psnr',", "'r_rtc',", "'ssim']", "lai"]
    assert out["a peer first"].stdout.strip() == (
        "['paper', 'co2net', 'dovenet', 'vtt', 'lai'] ['mse', 'fmse', 'psnr', 'fssim', 'tl_co2net']")


def test_a_declaration_that_fails_half_way_leaves_no_protocol(monkeypatch):
    import bench.protocols.registry as registry

    def broken_module(name):  # declares its protocol, then fails before its metrics (e.g. a missing library)
        register_protocol(Protocol("broken", title="-", peer="-", files=(), peer_flow="-", pairs="-"))
        raise ImportError(f"{name}: no module named 'peer_library'")

    monkeypatch.setattr(registry, "BUILTIN", registry.BUILTIN + ("broken",))
    monkeypatch.setattr(registry.importlib, "import_module", broken_module)
    for _ in range(2):  # the second lookup tries again rather than finding a protocol without metrics
        with pytest.raises(ImportError, match="peer_library"):
            get_protocol("broken")
    assert "broken" not in registry._PROTOCOLS
