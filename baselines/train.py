"""Training entry for the trainable baselines: ``train_baseline(name, profile, data_dir, out_dir, **overrides)``.

* every trainable generator of harmonizer's registry (``dih``, ``resnet``, …) goes through
  ``harmonizer.train.train`` — the same loop, configs, profiles, run folders and checkpoints as
  the UNet, with its spec's trainer overrides (the baselines: reconstruction loss, no
  discriminator, Table III); its name is its harmonizer variant.  ``params.json`` in
  the run folder records the parameter counts of UNet, ResNet and DIH for the run's model
  config and whether they match within 10%.
* ``realism_cnn`` trains its VGG-16 classifier (:mod:`baselines.realism_train`);
  ``pretrained_weights=PATH`` starts it from a local ImageNet file.

Overrides use each config's own field names (``schedule.epochs``, ``data.batch_size``, …
for dih/resnet; ``steps``, ``net.width_scale``, … for realism_cnn); ``section__field``
works as a keyword.
"""
from __future__ import annotations

import os
from pathlib import Path

from baselines.architectures import parameter_report
from baselines.realism_config import get_realism_config
from baselines.realism_train import train_realism
from baselines.registry import trainable_generators
from harmonizer.config import get_config
from harmonizer.runs import write_json
from harmonizer.train import train



def trainable_baselines() -> list[str]:
    """What ``train_baseline`` trains: the registry's trainable generators and RealismCNN's classifier."""
    return [*trainable_generators(), "realism_cnn"]


def train_baseline(name: str, profile: str, data_dir: str | os.PathLike, out_dir: str | os.PathLike,
                   *, progress: bool = True, tensorboard: bool = True, **overrides) -> Path:
    """Train baseline ``name`` on the Dancing dataset ``data_dir`` into the run folder ``out_dir``."""
    if name in trainable_generators():
        config = get_config(profile, variant=name, **overrides)
        run = train(config, data_dir, out_dir, progress=progress, tensorboard=tensorboard)
        write_json(Path(run) / "params.json", {"profile": profile, "arch": name, **parameter_report(config.model)})
        return Path(run)
    if name == "realism_cnn":
        return train_realism(get_realism_config(profile, **overrides), data_dir, out_dir, progress=progress)
    if name == "gan":
        raise ValueError("the GAN is trained by harmonizer: python -m harmonizer train --variant full ...")
    if name == "cut_and_paste":
        raise ValueError("cut_and_paste has nothing to train")
    raise KeyError(f"unknown trainable baseline '{name}'; trainable: {', '.join(trainable_baselines())}")
