"""Two-frame coordinated adversarial training (Algorithm 1), readable top to bottom.

One step: G harmonizes both frames of a pair in one batch (same weights; instance norm
keeps the samples independent), D takes one step on Eq. (1) with O_t detached, then G
takes one step on Eq. (2) against the updated D.  Validation runs after every epoch and
the state with the best validation PSNR is kept as ``best.pt``.

Runs on one CPU/GPU, or on several through ``torchrun`` (the same script: DDP is set up
from the environment variables torchrun exports; rank 0 writes the run folder).  An
optional bf16 autocast covers the forward passes; the losses are computed in fp32.

A run stops with an error, keeping its last good checkpoint, when a loss becomes NaN/inf
(:class:`NonFiniteLossError`) or when it diverged (:class:`DivergenceError`): validation PSNR
below :data:`DIVERGED_PSNR` and more than :data:`DIVERGENCE_DB` below the input's, for
:data:`DIVERGENCE_EVALS` evaluations in a row.  A run whose *last* evaluation is like that (too
few evaluations to stop it) warns on stderr and says so in summary.json (``diverged``).
"""
from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
from tqdm import tqdm

from harmonizer.config import TrainConfig, config_to_dict
from harmonizer.data.training import collate, epoch_batches, open_training_data, resize_batch
from harmonizer.distributed import Dist, setup_distributed
from harmonizer.ema import WeightAverage
from harmonizer.infer import blend_background
from harmonizer.losses import discriminator_loss, generator_loss
from harmonizer.lr_schedule import lr_factor
from harmonizer.models import build_discriminator, build_generator, get_generator
from harmonizer.resume import check_resumable, load_init_weights, refuse_existing_run
from harmonizer.runs import MetricsLog, rng_state, save_checkpoint, set_rng_state, write_json

# Diverged outputs saturate at 0/1 (e.g. optim.lr=1e30: 5.6-5.9 dB against an input of 15-17.5 dB, measured
# at tiny and quick); PSNR < 8 dB means an RMSE > 0.4 on [0, 1] frames, worse than a flat mid-grey frame on
# typical footage.  Healthy runs measured: residual G (tiny, quick) starts at the input's PSNR; a direct G
# at the paper's lr 2e-4 is at 9.2 dB (8.2 dB below its input) after one tiny epoch and climbs from there.
DIVERGED_PSNR = 8.0
DIVERGENCE_DB = 6.0
DIVERGENCE_EVALS = 3


class NonFiniteLossError(FloatingPointError):
    """A loss became NaN/inf; training stopped and the last good checkpoint was left untouched."""


class DivergenceError(RuntimeError):
    """Validation PSNR stayed far below the input's; training stopped, the last checkpoint is kept."""


# ----------------------------------------------------------------------------------- state
@dataclass
class Models:
    """The networks and their optimisers.  ``G``/``D`` are what the step calls (DDP wrappers under
    torchrun), ``G_raw``/``D_raw`` the plain modules they forward to (saved, validated)."""

    G_raw: torch.nn.Module
    D_raw: torch.nn.Module | None
    opt_G: torch.optim.Optimizer
    opt_D: torch.optim.Optimizer | None
    device: torch.device
    G: torch.nn.Module | None = None
    D: torch.nn.Module | None = None
    G_avg: WeightAverage | None = None  # optim.ema_decay > 0: the average of G's weights, validated and saved

    @property
    def G_eval(self) -> torch.nn.Module:
        """The G that is validated and saved as ``G``: the weight average when there is one."""
        return self.G_avg.module if self.G_avg is not None else self.G_raw

    def __post_init__(self):
        self.G = self.G_raw if self.G is None else self.G
        self.D = self.D_raw if self.D is None else self.D

    @classmethod
    def build(cls, config: TrainConfig, device: torch.device) -> "Models":
        """G, D (only with the adversarial loss) and one Adam each, from ``config.seed``."""
        torch.manual_seed(config.seed)
        G = build_generator(config.model).to(device)
        D = build_discriminator(config.model).to(device) if config.loss.adversarial else None
        betas = (config.optim.beta1, config.optim.beta2)
        opt_G = torch.optim.Adam(G.parameters(), lr=config.optim.lr, betas=betas)
        opt_D = torch.optim.Adam(D.parameters(), lr=config.optim.lr, betas=betas) if D is not None else None
        avg = WeightAverage(G, config.optim.ema_decay) if config.optim.ema_decay else None
        return cls(G, D, opt_G, opt_D, device, G_avg=avg)

    def set_lr(self, lr: float) -> None:
        for opt in (self.opt_G, self.opt_D):
            for group in (opt.param_groups if opt is not None else ()):
                group["lr"] = lr

    def state_dict(self) -> dict:
        # "G" is what inference loads (the average when there is one); "G_train" the weights training goes on from
        state = {"G": self.G_eval.state_dict(), "D": self.D_raw.state_dict() if self.D_raw is not None else None,
                 "opt_G": self.opt_G.state_dict(), "opt_D": self.opt_D.state_dict() if self.opt_D is not None else None}
        if self.G_avg is not None:
            state.update(G_train=self.G_raw.state_dict(), G_avg_updates=self.G_avg.updates)
        return state

    def load_state_dict(self, ckpt: dict) -> None:
        self.G_raw.load_state_dict(ckpt.get("G_train", ckpt["G"]))
        if self.G_avg is not None:
            self.G_avg.load_state_dict({"weights": ckpt["G"], "updates": ckpt["G_avg_updates"]})
        self.opt_G.load_state_dict(ckpt["opt_G"])
        if self.D_raw is not None:
            self.D_raw.load_state_dict(ckpt["D"])
            self.opt_D.load_state_dict(ckpt["opt_D"])

    def wrap_ddp(self, dist: Dist) -> None:
        if dist.world > 1:
            self.G = torch.nn.parallel.DistributedDataParallel(self.G_raw)
            if self.D_raw is not None:
                self.D = torch.nn.parallel.DistributedDataParallel(self.D_raw)


@dataclass
class Position:
    """Where the run is: saved in every checkpoint, restored on resume."""

    step: int = 0
    epoch: int = 0
    batch_in_epoch: int = 0
    best_psnr: float = -math.inf
    best_step: int = -1
    val_psnrs: list = field(default_factory=list)  # [val PSNR, input PSNR] after each epoch (divergence check)

    @classmethod
    def from_checkpoint(cls, ckpt: dict) -> "Position":
        return cls(ckpt["step"], ckpt["epoch"], ckpt["batch_in_epoch"], ckpt["best_psnr"], ckpt["best_step"],
                   list(ckpt.get("val_psnrs", [])))


def stop_reason(step: int, total: int, stop_after_steps: int | None) -> str | None:
    """The one stop condition: ``finished`` (all steps done), ``interrupted`` (``stop_after_steps``), or None."""
    if step >= total:
        return "finished"
    if stop_after_steps is not None and step >= stop_after_steps:
        return "interrupted"
    return None


# ----------------------------------------------------------------------------------- evaluation
@torch.no_grad()
def validate(G, D, val_set, config: TrainConfig, device: torch.device, *, chunk: int = 16) -> dict[str, float]:
    """Per-frame MSE/PSNR on [0, 1] images, averaged over every frame of the validation clips."""
    G.eval()
    mse_out, mse_in = [], []
    n = len(val_set) if config.data.max_val_clips is None else min(len(val_set), config.data.max_val_clips)
    for i in range(n):
        item = val_set[i]
        clip = resize_batch({k: item[k] for k in ("composite", "gt", "mask")}, config.data.size)
        for s in range(0, clip["gt"].shape[0], chunk):
            comp = clip["composite"][s:s + chunk].to(device)
            gt = clip["gt"][s:s + chunk].to(device)
            mask = clip["mask"][s:s + chunk].to(device)
            inp = comp * 2 - 1
            if config.data.mask_source == "discriminator":
                mask = D(inp).float().clamp(0, 1)
            out = G(inp, mask).float()
            if config.loss.blend == "mask":
                out = blend_background(out, inp, mask)
            out = ((out + 1) / 2).clamp(0, 1)
            mse_out.append((out - gt).pow(2).flatten(1).mean(1).cpu())
            mse_in.append((comp - gt).pow(2).flatten(1).mean(1).cpu())
    G.train()
    mo, mi = torch.cat(mse_out), torch.cat(mse_in)
    psnr = lambda m: float((10 * torch.log10(1 / m.clamp_min(1e-10))).mean())  # noqa: E731
    return {"mse": float(mo.mean()), "psnr": psnr(mo), "input_mse": float(mi.mean()), "input_psnr": psnr(mi)}


def divergence(val_psnrs: list, *, final: bool) -> str | None:
    """Why the run counts as diverged, or None: the last DIVERGENCE_EVALS evaluations (``final``: the last
    one) all below DIVERGED_PSNR and more than DIVERGENCE_DB below the input's PSNR."""
    recent = val_psnrs[-1:] if final else val_psnrs[-DIVERGENCE_EVALS:]
    if not recent or (not final and len(recent) < DIVERGENCE_EVALS):
        return None
    if not all(p < DIVERGED_PSNR and p < q - DIVERGENCE_DB for p, q in recent):
        return None
    where = f"the last {len(recent)} evaluations" if len(recent) > 1 else "the last evaluation"
    worst = ", ".join(f"{p:.1f}" for p, _ in recent)
    return (f"validation PSNR {worst} dB at {where}, against {recent[-1][1]:.1f} dB for the input (diverged: "
            f"below {DIVERGED_PSNR:g} dB and more than {DIVERGENCE_DB:g} dB below the input); lower optim.lr "
            "or check the data")


# ----------------------------------------------------------------------------------- training
def train(config: TrainConfig, data_dir, out_dir, *, resume: bool = False, init_from=None,
          stop_after_steps: int | None = None, progress: bool = True, tensorboard: bool = True) -> Path:
    """Train ``config`` on the Dancing dataset ``data_dir``; returns the run folder ``out_dir``.

    ``resume``: continue from ``out_dir/checkpoints/last.pt`` exactly where it stopped (same config
    up to schedule fields, same dataset).  ``init_from``: a run folder (or .pt) whose G (and D)
    weights start this run (finetune_dmask).  ``stop_after_steps``: end this call after that many
    total steps, leaving ``last.pt`` to resume from (a time-boxed job; the tests use it to interrupt a run).
    """
    config.validate()
    threads_before = torch.get_num_threads()
    if config.schedule.threads:
        torch.set_num_threads(config.schedule.threads)
    try:
        return _train(config, Path(data_dir), Path(out_dir), resume=resume, init_from=init_from,
                      stop_after_steps=stop_after_steps, progress=progress, tensorboard=tensorboard)
    finally:
        torch.set_num_threads(threads_before)


def _train(config: TrainConfig, data_dir: Path, run: Path, *, resume, init_from, stop_after_steps, progress,
           tensorboard) -> Path:
    t_start = time.time()
    dist, device = setup_distributed(config.schedule.device)
    cfg_dict = config_to_dict(config)
    if config.variant == "finetune_dmask" and init_from is None and not resume:
        raise ValueError("variant 'finetune_dmask' starts from a trained full model: pass init_from=RUN_DIR")

    # -- 1. data: train pairs (or single frames) and val clips, each clip checked for the dataset's T
    train_set, val_set = open_training_data(data_dir, pairs=config.data.temporal_pairs, cache=config.data.cache)

    # -- 2. where to start: resume (same config and dataset), or refuse to overwrite a run
    ckpt = check_resumable(run, cfg_dict, data_dir) if resume else refuse_existing_run(run)

    # -- 3. networks and optimisers, then the resumed state or the init_from weights
    models = Models.build(config, device)
    pos = Position()
    if ckpt is not None:
        models.load_state_dict(ckpt)
        pos = Position.from_checkpoint(ckpt)
        set_rng_state(ckpt["rng"])
    elif init_from is not None:
        load_init_weights(models, init_from, config)
        if models.G_avg is not None:  # the average starts from the weights the run starts from
            models.G_avg.module.load_state_dict(models.G_raw.state_dict())
    models.wrap_ddp(dist)

    # -- 4. the run folder: config.json, the metrics log, checkpoints of the current position
    log = None
    if dist.main:
        (run / "checkpoints").mkdir(parents=True, exist_ok=True)
        write_json(run / "config.json", cfg_dict)
        log = MetricsLog(run, truncate_after_step=pos.step if resume else None, tb=tensorboard)
    arch_module = get_generator(config.model.arch).module

    def checkpoint(*, best: bool = False) -> None:
        if dist.main:
            payload = {"config": cfg_dict, "arch_module": arch_module, **models.state_dict(), "rng": rng_state(),
                       "data_dir": str(data_dir.resolve()), **vars(pos)}
            # best.pt before last.pt: a run killed between the two then resumes from the older last.pt (and
            # redoes the epoch), never from a last.pt whose recorded best has no best.pt
            if best:
                save_checkpoint(run / "checkpoints" / "best.pt", payload)
            save_checkpoint(run / "checkpoints" / "last.pt", payload)

    # -- 5. the loop: epochs of batches; validation, best.pt and the divergence check after each epoch
    steps_per_epoch = len(epoch_batches(len(train_set), config.data.batch_size, config.seed, 0, dist.rank, dist.world))
    total = config.schedule.epochs * steps_per_epoch
    if config.schedule.max_steps is not None:
        total = min(total, config.schedule.max_steps)
    autocast = torch.autocast(device.type, dtype=torch.bfloat16, enabled=config.schedule.bf16)
    bar = tqdm(total=total, initial=pos.step, desc=f"train {config.variant}", disable=not (progress and dist.main))
    last_val: dict[str, float] = {}
    stop = None
    while pos.epoch < config.schedule.epochs:
        batches = epoch_batches(len(train_set), config.data.batch_size, config.seed, pos.epoch, dist.rank, dist.world)
        loader = torch.utils.data.DataLoader(train_set, batch_sampler=batches[pos.batch_in_epoch:],
                                             collate_fn=collate, num_workers=config.data.num_workers)
        stop = None
        for raw in loader:
            stop = stop_reason(pos.step, total, stop_after_steps)
            if stop:
                break
            # one optimisation step at the scheduled lr
            models.set_lr(config.optim.lr * lr_factor(pos.step, total, config.optim.lr_schedule,
                                                      config.optim.warmup_steps, config.optim.final_lr_fraction))
            parts = train_step(models, resize_batch(raw, config.data.size), config, autocast)
            bad = [k for k, v in parts.items() if not math.isfinite(v)]
            if bad:
                bar.close()
                kept = run / "checkpoints" / "last.pt"
                raise NonFiniteLossError(
                    f"non-finite loss ({', '.join(f'{k}={parts[k]}' for k in bad)}) at step {pos.step + 1}, epoch "
                    f"{pos.epoch}; training stopped, the last good checkpoint "
                    f"{kept if kept.exists() else '(none yet)'} is kept")
            pos.step += 1
            pos.batch_in_epoch += 1
            bar.update(1)
            if log is not None and pos.step % config.schedule.log_every == 0:
                log.log(pos.step, pos.epoch, "train", parts)
            if config.schedule.checkpoint_every and pos.step % config.schedule.checkpoint_every == 0:
                checkpoint()
        if stop == "interrupted":
            break  # mid-epoch: the position is saved below
        # end of epoch: validate, keep the best, check for divergence
        last_val = validate(models.G_eval, models.D_raw, val_set, config, device)
        improved = last_val["psnr"] > pos.best_psnr
        if improved:
            pos.best_psnr, pos.best_step = last_val["psnr"], pos.step
        pos.val_psnrs.append([last_val["psnr"], last_val["input_psnr"]])
        if log is not None:
            log.log(pos.step, pos.epoch, "val", last_val)
        bar.set_postfix(val_psnr=f"{last_val['psnr']:.2f}", input_psnr=f"{last_val['input_psnr']:.2f}")
        pos.epoch, pos.batch_in_epoch = pos.epoch + 1, 0
        checkpoint(best=improved)
        if divergence(pos.val_psnrs, final=False):
            stop = "diverged"
            break
        if stop_reason(pos.step, total, stop_after_steps) == "finished":
            break
    bar.close()

    # -- 6. finish: the position of an interrupted run, summary.json, the divergence verdict
    if stop == "interrupted":
        checkpoint()
    diverged = None if stop == "interrupted" else divergence(pos.val_psnrs, final=stop != "diverged")
    if dist.main:
        log.close()
        write_json(run / "summary.json", {
            "finished": stop not in ("interrupted", "diverged"), "steps": pos.step, "epochs_completed": pos.epoch,
            "best_val_psnr": pos.best_psnr if math.isfinite(pos.best_psnr) else None, "best_step": pos.best_step,
            "last_val": last_val, "wall_time_s": time.time() - t_start,
            "params_G": _count(models.G_raw), "params_D": _count(models.D_raw), "train_samples": len(train_set),
            "val_clips": len(val_set), "device": str(device), "world_size": dist.world,
            "data_dir": str(data_dir), "init_from": str(init_from) if init_from else None, "diverged": diverged})
    dist.barrier()
    if stop == "diverged":
        raise DivergenceError(f"{run}: {diverged}; training stopped at step {pos.step}, "
                              f"{run / 'checkpoints' / 'last.pt'} is kept")
    if diverged and dist.main:
        print(f"warning: {run}: {diverged}", file=sys.stderr)
    return run


def _count(module: torch.nn.Module | None) -> int:
    return 0 if module is None else int(sum(p.numel() for p in module.parameters()))


def train_step(models: Models, batch: dict, config: TrainConfig, autocast) -> dict:
    """Algorithm 1, lines 3–4: one D step on Eq. (1), then one G step on Eq. (2)."""
    G, D, D_raw, device = models.G, models.D, models.D_raw, models.device
    comp = batch["composite"].to(device) * 2 - 1  # B×T×3×H×W, T = 2 (pairs) or 1 (single frames)
    gt = batch["gt"][:, -1].to(device) * 2 - 1
    masks = batch["mask"].to(device)
    b, t = comp.shape[:2]
    use_pair = config.uses_temporal and t == 2
    frames = comp.reshape(b * t, *comp.shape[2:]) if use_pair else comp[:, -1]
    frame_masks = masks.reshape(b * t, *masks.shape[2:]) if use_pair else masks[:, -1]
    mask_t, comp_t = masks[:, -1], comp[:, -1]

    # G's forward pass on both frames (its mask input: the given masks, or D's map for finetune_dmask)
    g_mask = frame_masks
    if config.data.mask_source == "discriminator":
        with torch.no_grad(), autocast:
            g_mask = D_raw(frames).float().clamp(0, 1)  # D's disharmony map replaces the mask (Table IV)
    with autocast:
        out = G(frames, g_mask).float()
    if config.loss.blend == "mask":  # the losses and D see what inference returns: the input outside the mask
        out = blend_background(out, frames.float(), g_mask)
    out = out.reshape(b, t, *out.shape[1:]) if use_pair else out.unsqueeze(1)
    out_t = out[:, -1]
    parts: dict[str, float] = {}

    # D's step on Eq. (1), O_t detached; then D frozen for G's step
    d_out = None
    if D is not None:
        with autocast:  # O_t, I_t and X_t through D in one batch
            d_all = D(torch.cat([out_t.detach(), comp_t, gt])).float()
        loss_d = discriminator_loss(*d_all.split(b), mask_t)
        parts["d_loss"] = float(loss_d.detach())
        if math.isfinite(parts["d_loss"]):
            models.opt_D.zero_grad(set_to_none=True)
            loss_d.backward()
            models.opt_D.step()
        D_raw.requires_grad_(False)  # G's step must not touch D (and no DDP hooks fire for D)
        with autocast:
            d_out = D_raw(out_t).float()

    # G's step on Eq. (2): reconstruction + temporal (pairs) + adversarial (with D)
    temporal_kwargs = {}
    if use_pair:
        temporal_kwargs = dict(out_prev=out[:, 0], flow_bw=batch["flow_bw"].to(device),
                               valid=batch["valid_bw"].to(device), mask=mask_t)
    loss_g, g_parts = generator_loss(out_t, gt, d_out=d_out, temporal=config.loss.temporal if use_pair else "none",
                                     lambda_temporal=config.loss.lambda_temporal, lambda_adv=config.loss.lambda_adv,
                                     reconstruction=config.loss.reconstruction,
                                     log_l2_floor=config.loss.log_l2_floor, **temporal_kwargs)
    parts.update(g_parts)
    if math.isfinite(parts["g_total"]) and all(math.isfinite(v) for v in parts.values()):
        models.opt_G.zero_grad(set_to_none=True)
        loss_g.backward()
        models.opt_G.step()
        if models.G_avg is not None:
            models.G_avg.update(models.G_raw)
    if D_raw is not None:
        D_raw.requires_grad_(True)
    return parts
