"""Two-frame coordinated adversarial training (Algorithm 1), readable top to bottom.

One step: G harmonizes both frames of a pair in one batch (same weights; instance norm
keeps the samples independent), D takes one step on Eq. (1) with O_t detached, then G
takes one step on Eq. (2) against the updated D.  Validation runs after every epoch and
the state with the best validation PSNR is kept as ``best.pt``.

Runs on one CPU/GPU, or on several through ``torchrun`` (the same script: DDP is set up
from the environment variables torchrun exports; rank 0 writes the run folder).  An
optional bf16 autocast covers the forward passes; the losses are computed in fp32.
"""
from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.distributed as torch_dist
import torch.nn.functional as F
from tqdm import tqdm

from harmonizer.config import TrainConfig, config_from_dict, config_to_dict
from harmonizer.data.format import DatasetFormatError, list_clips, read_dataset_info
from harmonizer.losses import discriminator_loss, generator_loss
from harmonizer.lr_schedule import lr_factor
from harmonizer.models import ARCHITECTURE_MODULES, build_discriminator, build_generator
from harmonizer.runs import (CheckpointError, MetricsLog, checkpoint_path, load_checkpoint, rng_state,
                             save_checkpoint, set_rng_state, write_json)

# schedule/data fields that may change between an interrupted run and its resumption
_RESUMABLE_CHANGES = {("schedule", "epochs"), ("schedule", "max_steps"), ("schedule", "checkpoint_every"),
                      ("schedule", "log_every"), ("schedule", "device"), ("data", "num_workers")}


class NonFiniteLossError(FloatingPointError):
    """A loss became NaN/inf; training stopped and the last good checkpoint was left untouched."""


# ----------------------------------------------------------------------------------- data
class PairDataset(torch.utils.data.Dataset):
    """Training samples from a DancingDataset: consecutive pairs (t−1, t), or single frames (frame 0).

    ``frames``: T of every clip (from dataset.json), so that indexing a large dataset reads no clip;
    ``None`` reads the first clip to learn it.  A clip with another T is an error naming it.
    """

    def __init__(self, clips, *, pairs: bool, cache: bool, frames: int | None = None):
        self.clips, self.pairs = clips, pairs
        self._cache: dict[int, dict] = {}
        self.cache = cache
        self.frames = int(frames) if frames else int(self._clip(0)["gt"].shape[0])
        if pairs and self.frames < 2:
            raise DatasetFormatError(f"clips have {self.frames} frame; training on pairs needs at least 2")
        per_clip = range(1, self.frames) if pairs else range(1)
        self.index = [(ci, t) for ci in range(len(clips)) for t in per_clip]

    def _clip(self, ci: int) -> dict:
        if ci in self._cache:
            return self._cache[ci]
        item = self.clips[ci]
        if self.cache:
            self._cache[ci] = item
        return item

    def __len__(self) -> int:
        return len(self.index)

    def __getitem__(self, i: int) -> dict:
        ci, t = self.index[i]
        c = self._clip(ci)
        if c["gt"].shape[0] != self.frames:
            raise DatasetFormatError(f"clip '{c.get('clip_id', ci)}' has {c['gt'].shape[0]} frames, the dataset "
                                     f"{self.frames}")
        if not self.pairs:
            return {k: c[k][t:t + 1] for k in ("composite", "gt", "mask")}
        out = {k: c[k][t - 1:t + 1] for k in ("composite", "gt", "mask")}
        out["flow_bw"], out["valid_bw"] = c["flow_bw"][t - 1], c["valid_bw"][t - 1]
        return out


def open_split(data_dir: Path, split: str):
    """The DancingDataset of ``split``; a clear error if the folder is not a Dancing dataset."""
    from harmonizer.data.datasets import DancingDataset

    if not list_clips(data_dir, split):  # raises DatasetFormatError without a manifest
        raise DatasetFormatError(f"dataset {data_dir} has no '{split}' clips (manifest.jsonl lists none)")
    return DancingDataset(data_dir, split)


def _resize_batch(batch: dict, size: int) -> dict:
    """Resize a batch to size×size (the paper resizes to 512²): bilinear frames, nearest masks, scaled flow."""
    h, w = batch["gt"].shape[-2:]
    if (h, w) == (size, size):
        return batch
    out = {}
    for k, v in batch.items():
        lead = v.shape[:-3]
        flat = v.reshape(-1, *v.shape[-3:])
        if k in ("composite", "gt"):
            r = F.interpolate(flat, size=(size, size), mode="bilinear", align_corners=False, antialias=True)
        elif k == "flow_bw":
            r = F.interpolate(flat, size=(size, size), mode="bilinear", align_corners=False)
            r = r * torch.tensor([(size - 1) / max(w - 1, 1), (size - 1) / max(h - 1, 1)]).view(1, 2, 1, 1)
        else:
            r = F.interpolate(flat, size=(size, size), mode="nearest")
        out[k] = r.reshape(*lead, *r.shape[-3:])
    return out


# ----------------------------------------------------------------------------------- setup
@dataclass
class _Dist:
    rank: int = 0
    world: int = 1

    @property
    def main(self) -> bool:
        return self.rank == 0


def _setup_distributed(device_pref: str) -> tuple[_Dist, torch.device]:
    world = int(os.environ.get("WORLD_SIZE", "1"))
    use_cuda = torch.cuda.is_available() and device_pref in ("auto", "cuda")
    if device_pref == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("schedule.device='cuda' but no CUDA device is available")
    if world > 1:
        if not torch_dist.is_initialized():
            torch_dist.init_process_group("nccl" if use_cuda else "gloo")
        rank = torch_dist.get_rank()
        local = int(os.environ.get("LOCAL_RANK", rank))
        device = torch.device("cuda", local) if use_cuda else torch.device("cpu")
        if use_cuda:
            torch.cuda.set_device(device)
        return _Dist(rank, world), device
    return _Dist(), torch.device("cuda" if use_cuda else "cpu")


def _config_differences(a: dict, b: dict) -> list[str]:
    diffs = []
    for section in set(a) | set(b):
        va, vb = a.get(section), b.get(section)
        if isinstance(va, dict) and isinstance(vb, dict):
            for k in set(va) | set(vb):
                if va.get(k) != vb.get(k) and (section, k) not in _RESUMABLE_CHANGES:
                    diffs.append(f"{section}.{k}: {va.get(k)!r} vs {vb.get(k)!r}")
        elif va != vb:
            diffs.append(f"{section}: {va!r} vs {vb!r}")
    return sorted(diffs)


def _epoch_batches(n: int, batch_size: int, seed: int, epoch: int, dist: _Dist) -> list[list[int]]:
    """This rank's batches for ``epoch``: a permutation drawn from (seed, epoch), so resuming replays it."""
    gen = torch.Generator().manual_seed(seed * 1_000_003 + epoch)
    order = torch.randperm(n, generator=gen).tolist()
    if dist.world > 1:  # every rank must take the same number of steps, or DDP's all-reduce waits forever
        order = order[: max(n // dist.world, 1) * dist.world]
    order = order[dist.rank::dist.world]
    return [order[i:i + batch_size] for i in range(0, len(order), batch_size)]


def _collate(items: list[dict]) -> dict:
    return {k: torch.stack([it[k] for it in items]) for k in items[0]}


def _count(module: torch.nn.Module | None) -> int:
    return 0 if module is None else int(sum(p.numel() for p in module.parameters()))


# ----------------------------------------------------------------------------------- evaluation
@torch.no_grad()
def validate(G, D, val_set, config: TrainConfig, device: torch.device, *, chunk: int = 16) -> dict[str, float]:
    """Per-frame MSE/PSNR on [0, 1] images, averaged over every frame of the validation clips."""
    G.eval()
    mse_out, mse_in = [], []
    n = len(val_set) if config.data.max_val_clips is None else min(len(val_set), config.data.max_val_clips)
    for i in range(n):
        item = val_set[i]
        clip = _resize_batch({k: item[k] for k in ("composite", "gt", "mask")}, config.data.size)
        for s in range(0, clip["gt"].shape[0], chunk):
            comp = clip["composite"][s:s + chunk].to(device)
            gt = clip["gt"][s:s + chunk].to(device)
            mask = clip["mask"][s:s + chunk].to(device)
            inp = comp * 2 - 1
            if config.data.mask_source == "discriminator":
                mask = D(inp).float().clamp(0, 1)
            out = ((G(inp, mask).float() + 1) / 2).clamp(0, 1)
            mse_out.append((out - gt).pow(2).flatten(1).mean(1).cpu())
            mse_in.append((comp - gt).pow(2).flatten(1).mean(1).cpu())
    G.train()
    mo, mi = torch.cat(mse_out), torch.cat(mse_in)
    psnr = lambda m: float((10 * torch.log10(1 / m.clamp_min(1e-10))).mean())  # noqa: E731
    return {"mse": float(mo.mean()), "psnr": psnr(mo), "input_mse": float(mi.mean()), "input_psnr": psnr(mi)}


# ----------------------------------------------------------------------------------- training
def train(config: TrainConfig, data_dir, out_dir, *, resume: bool = False, init_from=None,
          stop_after_steps: int | None = None, progress: bool = True, tensorboard: bool = True) -> Path:
    """Train ``config`` on the Dancing dataset ``data_dir``; returns the run folder ``out_dir``.

    ``resume``: continue from ``out_dir/checkpoints/last.pt`` exactly where it stopped.
    ``init_from``: a run folder (or .pt) whose G (and D) weights start this run (finetune_dmask).
    ``stop_after_steps``: end this call after that many total steps, leaving ``last.pt`` to resume
    from (a time-boxed job; the tests use it to interrupt a run).
    """
    config.validate()
    threads_before = torch.get_num_threads()
    if config.schedule.threads:
        torch.set_num_threads(config.schedule.threads)
    try:
        return _train(config, data_dir, out_dir, resume=resume, init_from=init_from,
                      stop_after_steps=stop_after_steps, progress=progress, tensorboard=tensorboard)
    finally:
        torch.set_num_threads(threads_before)


def _train(config: TrainConfig, data_dir, out_dir, *, resume, init_from, stop_after_steps, progress,
           tensorboard) -> Path:
    t_start = time.time()
    data_dir, run = Path(data_dir), Path(out_dir)
    dist, device = _setup_distributed(config.schedule.device)
    cfg_dict = config_to_dict(config)
    if config.variant == "finetune_dmask" and init_from is None and not resume:
        raise ValueError("variant 'finetune_dmask' starts from a trained full model: pass init_from=RUN_DIR")

    train_set = PairDataset(open_split(data_dir, "train"), pairs=config.data.temporal_pairs, cache=config.data.cache,
                            frames=read_dataset_info(data_dir).get("frames"))
    val_set = open_split(data_dir, "val")

    ckpt = None
    if resume:
        ckpt = load_checkpoint(checkpoint_path(run, "last"))
        # through the dataclasses, so fields added since the checkpoint was written take their defaults
        diffs = _config_differences(config_to_dict(config_from_dict(ckpt["config"])), cfg_dict)
        if diffs:
            raise CheckpointError(f"cannot resume {run}: its config differs in " + "; ".join(diffs))
    elif (run / "checkpoints" / "last.pt").exists():
        raise FileExistsError(f"{run} already holds a run; pass resume=True (--resume) or choose another folder")

    torch.manual_seed(config.seed)
    G = build_generator(config.model).to(device)
    D = build_discriminator(config.model).to(device) if config.loss.adversarial else None
    betas = (config.optim.beta1, config.optim.beta2)
    opt_G = torch.optim.Adam(G.parameters(), lr=config.optim.lr, betas=betas)
    opt_D = torch.optim.Adam(D.parameters(), lr=config.optim.lr, betas=betas) if D is not None else None

    step, epoch, batch_in_epoch, best_psnr, best_step = 0, 0, 0, -math.inf, -1
    if ckpt is not None:
        G.load_state_dict(ckpt["G"])
        opt_G.load_state_dict(ckpt["opt_G"])
        if D is not None:
            D.load_state_dict(ckpt["D"])
            opt_D.load_state_dict(ckpt["opt_D"])
        step, epoch, batch_in_epoch = ckpt["step"], ckpt["epoch"], ckpt["batch_in_epoch"]
        best_psnr, best_step = ckpt["best_psnr"], ckpt["best_step"]
        set_rng_state(ckpt["rng"])
    elif init_from is not None:
        src = load_checkpoint(checkpoint_path(init_from, "best"), expect={"arch": config.model.arch})
        src_model = config_from_dict(src["config"]).model
        if vars(src_model) != vars(config.model):
            raise CheckpointError(f"init_from {init_from} has another model config (profile "
                                  f"'{src['config']['profile']}', this run '{config.profile}')")
        G.load_state_dict(src["G"])
        if D is not None:
            if src.get("D") is None:
                raise CheckpointError(f"init_from {init_from} has no discriminator, which this variant needs")
            D.load_state_dict(src["D"])

    G_raw, D_raw = G, D  # the plain modules (DDP wrappers below forward to them)
    if dist.world > 1:
        G = torch.nn.parallel.DistributedDataParallel(G)
        if D is not None:
            D = torch.nn.parallel.DistributedDataParallel(D)

    log = None
    if dist.main:
        (run / "checkpoints").mkdir(parents=True, exist_ok=True)
        write_json(run / "config.json", cfg_dict)
        log = MetricsLog(run, truncate_after_step=step if resume else None, tb=tensorboard)

    def state(position_epoch: int, position_batch: int) -> dict:
        return {"config": cfg_dict, "arch_module": ARCHITECTURE_MODULES.get(config.model.arch, ""),
                "G": G_raw.state_dict(), "D": D_raw.state_dict() if D_raw is not None else None,
                "opt_G": opt_G.state_dict(), "opt_D": opt_D.state_dict() if opt_D is not None else None,
                "rng": rng_state(), "step": step, "epoch": position_epoch, "batch_in_epoch": position_batch,
                "best_psnr": best_psnr, "best_step": best_step}

    def checkpoint(position_epoch: int, position_batch: int, *, best: bool = False) -> None:
        if dist.main:
            payload = state(position_epoch, position_batch)
            save_checkpoint(run / "checkpoints" / "last.pt", payload)
            if best:
                save_checkpoint(run / "checkpoints" / "best.pt", payload)

    steps_per_epoch = len(_epoch_batches(len(train_set), config.data.batch_size, config.seed, 0, dist))
    total = config.schedule.epochs * steps_per_epoch
    if config.schedule.max_steps is not None:
        total = min(total, config.schedule.max_steps)
    autocast = torch.autocast(device.type, dtype=torch.bfloat16, enabled=config.schedule.bf16)
    bar = tqdm(total=total, initial=step, desc=f"train {config.variant}", disable=not (progress and dist.main))
    last_val: dict[str, float] = {}
    stopped = False

    while epoch < config.schedule.epochs and not stopped:
        batches = _epoch_batches(len(train_set), config.data.batch_size, config.seed, epoch, dist)
        loader = torch.utils.data.DataLoader(train_set, batch_sampler=batches[batch_in_epoch:],
                                             collate_fn=_collate, num_workers=config.data.num_workers)
        for raw in loader:
            if step >= total or (stop_after_steps is not None and step >= stop_after_steps):
                stopped = True
                break
            lr = config.optim.lr * lr_factor(step, total, config.optim.lr_schedule, config.optim.warmup_steps,
                                             config.optim.final_lr_fraction)
            for opt in (opt_G, opt_D):
                for group in (opt.param_groups if opt is not None else ()):
                    group["lr"] = lr
            parts = _train_step(G, D, G_raw, D_raw, opt_G, opt_D, _resize_batch(raw, config.data.size),
                                config, device, autocast)
            bad = [k for k, v in parts.items() if not math.isfinite(v)]
            if bad:
                bar.close()
                kept = run / "checkpoints" / "last.pt"
                raise NonFiniteLossError(
                    f"non-finite loss ({', '.join(f'{k}={parts[k]}' for k in bad)}) at step {step + 1}, epoch "
                    f"{epoch}; training stopped, the last good checkpoint "
                    f"{kept if kept.exists() else '(none yet)'} is kept")
            step += 1
            batch_in_epoch += 1
            bar.update(1)
            if log is not None and step % config.schedule.log_every == 0:
                log.log(step, epoch, "train", parts)
            if config.schedule.checkpoint_every and step % config.schedule.checkpoint_every == 0:
                checkpoint(epoch, batch_in_epoch)
        if stopped and step < total:
            break  # interrupted mid-epoch: the state at this position is saved below
        last_val = validate(G_raw, D_raw, val_set, config, device)
        improved = last_val["psnr"] > best_psnr
        if improved:
            best_psnr, best_step = last_val["psnr"], step
        if log is not None:
            log.log(step, epoch, "val", last_val)
        bar.set_postfix(val_psnr=f"{last_val['psnr']:.2f}", input_psnr=f"{last_val['input_psnr']:.2f}")
        epoch, batch_in_epoch = epoch + 1, 0
        checkpoint(epoch, batch_in_epoch, best=improved)
        if step >= total:
            break
    bar.close()
    if stopped and step < total:
        checkpoint(epoch, batch_in_epoch)
    if dist.main:
        log.close()
        write_json(run / "summary.json", {
            "finished": not (stopped and step < total), "steps": step, "epochs_completed": epoch,
            "best_val_psnr": best_psnr if math.isfinite(best_psnr) else None, "best_step": best_step,
            "last_val": last_val, "wall_time_s": time.time() - t_start,
            "params_G": _count(G_raw), "params_D": _count(D_raw), "train_samples": len(train_set),
            "val_clips": len(val_set), "device": str(device), "world_size": dist.world,
            "data_dir": str(data_dir), "init_from": str(init_from) if init_from else None})
    if dist.world > 1:
        torch_dist.barrier()
    return run


def _train_step(G, D, G_raw, D_raw, opt_G, opt_D, batch: dict, config: TrainConfig, device, autocast) -> dict:
    """Algorithm 1, lines 3–4: one D step on Eq. (1), then one G step on Eq. (2)."""
    comp = batch["composite"].to(device) * 2 - 1  # B×T×3×H×W, T = 2 (pairs) or 1 (single frames)
    gt = batch["gt"][:, -1].to(device) * 2 - 1
    masks = batch["mask"].to(device)
    b, t = comp.shape[:2]
    use_pair = config.uses_temporal and t == 2
    frames = comp.reshape(b * t, *comp.shape[2:]) if use_pair else comp[:, -1]
    frame_masks = masks.reshape(b * t, *masks.shape[2:]) if use_pair else masks[:, -1]
    mask_t, comp_t = masks[:, -1], comp[:, -1]

    g_mask = frame_masks
    if config.data.mask_source == "discriminator":
        with torch.no_grad(), autocast:
            g_mask = D_raw(frames).float().clamp(0, 1)  # D's disharmony map replaces the mask (Table IV)
    with autocast:
        out = G(frames, g_mask).float()
    out = out.reshape(b, t, *out.shape[1:]) if use_pair else out.unsqueeze(1)
    out_t = out[:, -1]
    parts: dict[str, float] = {}

    d_out = None
    if D is not None:
        with autocast:  # O_t, I_t and X_t through D in one batch
            d_all = D(torch.cat([out_t.detach(), comp_t, gt])).float()
        loss_d = discriminator_loss(*d_all.split(b), mask_t)
        parts["d_loss"] = float(loss_d.detach())
        if math.isfinite(parts["d_loss"]):
            opt_D.zero_grad(set_to_none=True)
            loss_d.backward()
            opt_D.step()
        D_raw.requires_grad_(False)  # G's step must not touch D (and no DDP hooks fire for D)
        with autocast:
            d_out = D_raw(out_t).float()
    temporal_kwargs = {}
    if use_pair:
        temporal_kwargs = dict(out_prev=out[:, 0], flow_bw=batch["flow_bw"].to(device),
                               valid=batch["valid_bw"].to(device), mask=mask_t)
    loss_g, g_parts = generator_loss(out_t, gt, d_out=d_out, temporal=config.loss.temporal if use_pair else "none",
                                     lambda_temporal=config.loss.lambda_temporal, lambda_adv=config.loss.lambda_adv,
                                     **temporal_kwargs)
    parts.update(g_parts)
    if math.isfinite(parts["g_total"]) and all(math.isfinite(v) for v in parts.values()):
        opt_G.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_G.step()
    if D_raw is not None:
        D_raw.requires_grad_(True)
    return parts
