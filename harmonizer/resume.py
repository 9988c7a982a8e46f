"""Where a training starts: a fresh run folder, a resumed run, or another run's weights (``init_from``).

A run resumes only with the config it was started with (schedule fields aside, see
:data:`RESUMABLE_CHANGES`) and on the dataset it was trained on; anything else is refused with
a message naming both.
"""
from __future__ import annotations

import json
from pathlib import Path

from harmonizer.config import config_from_dict, config_to_dict
from harmonizer.runs import CheckpointError, checkpoint_path, load_checkpoint

# schedule/data fields that may change between an interrupted run and its resumption
RESUMABLE_CHANGES = {("schedule", "epochs"), ("schedule", "max_steps"), ("schedule", "checkpoint_every"),
                     ("schedule", "log_every"), ("schedule", "device"), ("data", "num_workers")}


def config_differences(a: dict, b: dict) -> list[str]:
    diffs = []
    for section in set(a) | set(b):
        va, vb = a.get(section), b.get(section)
        if isinstance(va, dict) and isinstance(vb, dict):
            for k in set(va) | set(vb):
                if va.get(k) != vb.get(k) and (section, k) not in RESUMABLE_CHANGES:
                    diffs.append(f"{section}.{k}: {va.get(k)!r} vs {vb.get(k)!r}")
        elif va != vb:
            diffs.append(f"{section}: {va!r} vs {vb!r}")
    return sorted(diffs)


def trained_on(run: Path, ckpt: dict) -> str | None:
    """The dataset folder a run was trained on: recorded in its checkpoint, else in its summary.json."""
    if ckpt.get("data_dir"):
        return ckpt["data_dir"]
    summary = run / "summary.json"
    if summary.is_file():
        try:
            return json.loads(summary.read_text()).get("data_dir")
        except json.JSONDecodeError:
            return None
    return None


def check_resumable(run: Path, cfg_dict: dict, data_dir: Path) -> dict:
    """``run``'s last checkpoint, if this config and dataset may continue it; else a CheckpointError."""
    ckpt = load_checkpoint(checkpoint_path(run, "last"))
    # through the dataclasses, so fields added since the checkpoint was written take their defaults
    diffs = config_differences(config_to_dict(config_from_dict(ckpt["config"])), cfg_dict)
    if diffs:
        raise CheckpointError(f"cannot resume {run}: its config differs in " + "; ".join(diffs))
    before = trained_on(run, ckpt)
    if before is not None and Path(before).resolve() != Path(data_dir).resolve():
        raise CheckpointError(f"cannot resume {run}: it was trained on the dataset {before}, not {data_dir}; "
                              f"pass --data {before}, or start a new run in another --out folder")
    return ckpt


def refuse_existing_run(run: Path) -> None:
    if (run / "checkpoints" / "last.pt").exists():
        raise FileExistsError(f"{run} already holds a run; pass resume=True (--resume) or choose another folder")
    return None


def load_init_weights(models, init_from, config) -> None:
    """Start ``models`` (G, and D when built) from the best checkpoint of the run ``init_from``."""
    src = load_checkpoint(checkpoint_path(init_from, "best"), expect={"arch": config.model.arch})
    src_model = config_from_dict(src["config"]).model
    if vars(src_model) != vars(config.model):
        raise CheckpointError(f"init_from {init_from} has another model config (profile "
                              f"'{src['config']['profile']}', this run '{config.profile}')")
    models.G_raw.load_state_dict(src["G"])
    if models.D_raw is not None:
        if src.get("D") is None:
            raise CheckpointError(f"init_from {init_from} has no discriminator, which this variant needs")
        models.D_raw.load_state_dict(src["D"])
