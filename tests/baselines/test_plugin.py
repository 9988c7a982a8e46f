"""A trainable generator is one file with one spec: a plugin written into tmp_path is trained through both
command lines, listed as a method and used as one — nothing else in the suite is edited."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import torch

PLUGIN = textwrap.dedent('''
    """A 1×1-convolution generator: the smallest network with the suite's generator interface."""
    import torch
    import torch.nn as nn

    from harmonizer.models import GeneratorSpec, register_generator, with_output


    class Pointwise(nn.Module):
        def __init__(self, direct: bool):
            super().__init__()
            self.direct, self.head = direct, nn.Conv2d(4, 3, 1)

        def forward(self, composite, mask):
            out = self.head(torch.cat([composite, 2 * mask - 1], 1))
            return torch.tanh(out) if self.direct else out


    def build(model_cfg):
        net = Pointwise(model_cfg.output == "direct")
        return with_output(net, model_cfg.output, net.head)


    register_generator(GeneratorSpec("pointwise_test", build, trainer={"loss.adversarial": False},
                                     description="test plugin"))
''')


def _cli(tmp_path, *args):
    env = {**os.environ, "HARMONIZER_PLUGINS": "pointwise_plugin", "OMP_NUM_THREADS": "1",
           "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=300, env=env,
                          cwd=os.getcwd())
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_a_plugin_generator_trains_through_both_clis_and_is_a_method(tiny_data, tmp_path):
    (tmp_path / "pointwise_plugin.py").write_text(PLUGIN)
    listed = _cli(tmp_path, "-m", "baselines", "list").split()
    assert "pointwise_test" in listed and "dih" in listed

    run = tmp_path / "run_b"
    _cli(tmp_path, "-m", "baselines", "train", "pointwise_test", "--profile", "tiny", "--data", str(tiny_data),
         "--out", str(run), "--set", "schedule.max_steps=3", "--set", "data.max_val_clips=1", "--no-progress")
    config = json.loads((run / "config.json").read_text())
    summary = json.loads((run / "summary.json").read_text())
    assert (config["variant"], config["model"]["arch"], config["loss"]["adversarial"]) == \
        ("pointwise_test", "pointwise_test", False)
    assert summary["steps"] == 3 and summary["params_G"] == 4 * 3 + 3 and summary["params_D"] == 0

    # harmonizer's own CLI knows the variant too (its --variant choices come from the registry)
    run_h = tmp_path / "run_h"
    _cli(tmp_path, "-m", "harmonizer", "train", "--profile", "tiny", "--variant", "pointwise_test", "--data",
         str(tiny_data), "--out", str(run_h), "--set", "schedule.max_steps=2", "--no-progress")
    assert json.loads((run_h / "summary.json").read_text())["steps"] == 2

    # used as a method: a fresh process loads the run and harmonizes a clip in [0, 1]
    code = ("import sys, torch; from baselines import get_method; m = get_method('pointwise_test', "
            "checkpoint=sys.argv[1]); f = torch.rand(2, 3, 32, 32); out = m.harmonize(f, torch.ones(2, 1, 32, 32)); "
            "print(m.name, tuple(out.shape), bool(out.min() >= 0 and out.max() <= 1))")
    assert _cli(tmp_path, "-c", code, str(run)).split() == ["pointwise_test", "(2,", "3,", "32,", "32)", "True"]
    ckpt = torch.load(run / "checkpoints" / "best.pt", map_location="cpu", weights_only=False)
    assert ckpt["arch_module"] == "pointwise_plugin"  # recorded, so a loader imports the plugin again
