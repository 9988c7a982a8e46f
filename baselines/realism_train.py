"""Training the RealismCNN classifier: real frames (ground truth, label 1) against composites (label 0).

This is a small loop of its own because its objective (binary classification of whole
frames) is not harmonizer's image-to-image objective.  It follows the same run-folder
conventions as ``harmonizer.train``::

    RUN/config.json            resolved RealismConfig
    RUN/metrics.csv            step, train_loss, val_auc
    RUN/checkpoints/last.pt    latest weights  (written atomically: temp file, then rename)
    RUN/checkpoints/best.pt    weights with the best validation AUC
    RUN/summary.json           method, initialisation (ImageNet file or scratch), architecture,
                               parameter count, best val AUC, steps, wall time

Every random draw (initialisation, batch sampling, dropout) follows ``config.seed``.
"""
from __future__ import annotations

import csv
import io
import os
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from scipy.stats import rankdata
from tqdm import tqdm

from baselines.realism_config import RealismConfig, config_from_dict, config_to_dict
from baselines.realism_model import RealismNet, describe, load_imagenet_weights
from baselines.sizing import count_parameters
from harmonizer.data.format import DatasetFormatError, clip_dir, list_clips, read_image
from harmonizer.runs import atomic_write_text, save_checkpoint, write_json


class FrameIndex:
    """Every (frame file, label) of one split: ground-truth frames are real (1), composites fake (0)."""

    def __init__(self, data_dir: str | os.PathLike, split: str):
        self.items: list[tuple[Path, float]] = []
        for _, clip_id in list_clips(data_dir, split):
            d = clip_dir(data_dir, split, clip_id)
            frames = sorted((d / "gt").glob("*.png"))
            if not frames:
                raise DatasetFormatError(f"clip {d} has no frames in gt/")
            for f in frames:
                self.items.append((f, 1.0))
                self.items.append((d / "composite" / f.name, 0.0))
        if not self.items:
            raise DatasetFormatError(f"{data_dir} has no clips in split '{split}' to train or validate RealismCNN on")

    def __len__(self) -> int:
        return len(self.items)

    def load(self, indices) -> tuple[torch.Tensor, torch.Tensor]:
        frames = [torch.from_numpy(read_image(self.items[i][0])).permute(2, 0, 1) for i in indices]
        shapes = {tuple(f.shape) for f in frames}
        if len(shapes) > 1:
            raise DatasetFormatError(f"frames of different sizes in one batch: {sorted(shapes)}")
        labels = torch.tensor([self.items[i][1] for i in indices])
        return torch.stack(frames).float() / 255.0, labels


def roc_auc(scores: torch.Tensor, labels: torch.Tensor) -> float:
    """Area under the ROC curve via the Mann–Whitney rank statistic (ties count one half)."""
    scores, labels = scores.double().cpu(), labels.cpu()
    pos, neg = scores[labels > 0.5], scores[labels <= 0.5]
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    ranks = torch.from_numpy(rankdata(scores.numpy()))  # 1-based, ties averaged
    return float((ranks[labels > 0.5].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


@torch.no_grad()
def score_index(net: RealismNet, index: FrameIndex, batch_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    net.eval()
    scores, labels = [], []
    for start in range(0, len(index), batch_size):
        frames, lab = index.load(range(start, min(start + batch_size, len(index))))
        scores.append(net(frames))
        labels.append(lab)
    return torch.cat(scores), torch.cat(labels)


def build_realism_net(cfg: RealismConfig) -> tuple[RealismNet, str]:
    """The classifier, initialised from ImageNet weights if ``cfg.pretrained_weights`` is set; and how."""
    torch.manual_seed(cfg.seed)
    net = RealismNet(cfg.net)
    if cfg.pretrained_weights:
        load_imagenet_weights(net, cfg.pretrained_weights)
        return net, f"imagenet:{cfg.pretrained_weights}"
    return net, "scratch"


def train_realism(cfg: RealismConfig, data_dir: str | os.PathLike, out_dir: str | os.PathLike,
                  *, progress: bool = True) -> Path:
    """Train the classifier on ``data_dir`` (train split; best model by val AUC) into run folder ``out_dir``."""
    out = Path(out_dir)
    (out / "checkpoints").mkdir(parents=True, exist_ok=True)
    train_index, val_index = FrameIndex(data_dir, "train"), FrameIndex(data_dir, "val")
    net, init = build_realism_net(cfg)
    write_json(out / "config.json", config_to_dict(cfg))
    opt = torch.optim.Adam(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    rng = torch.Generator().manual_seed(cfg.seed)
    best_auc, best_step, rows, started = -1.0, 0, [], time.time()
    bar = tqdm(range(1, cfg.steps + 1), desc=f"RealismCNN ({cfg.profile})", disable=not progress)
    for step in bar:
        net.train()
        idx = torch.randint(len(train_index), (cfg.batch_size,), generator=rng).tolist()
        frames, labels = train_index.load(idx)
        loss = F.binary_cross_entropy_with_logits(net(frames), labels)
        opt.zero_grad()
        loss.backward()
        opt.step()
        row = {"step": step, "train_loss": loss.item(), "val_auc": ""}
        if step % cfg.val_every == 0 or step == cfg.steps:
            auc = roc_auc(*score_index(net, val_index, cfg.batch_size))
            row["val_auc"] = auc
            state = {"model": net.state_dict(), "config": config_to_dict(cfg), "step": step, "val_auc": auc}
            save_checkpoint(out / "checkpoints" / "last.pt", state)
            if auc > best_auc:  # NaN never wins
                best_auc, best_step = auc, step
                save_checkpoint(out / "checkpoints" / "best.pt", state)
            bar.set_postfix(loss=f"{loss.item():.3f}", val_auc=f"{auc:.3f}")
        rows.append(row)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=["step", "train_loss", "val_auc"])
    writer.writeheader()
    writer.writerows(rows)
    atomic_write_text(out / "metrics.csv", buffer.getvalue())
    summary = {
        "method": "realism_cnn",
        "initialisation": init,
        "pretrained": init != "scratch",
        "architecture": describe(cfg.net),
        "parameters": {"realism_cnn": count_parameters(net)},
        "best_val_auc": best_auc,
        "best_step": best_step,
        "steps": cfg.steps,
        "wall_time_s": round(time.time() - started, 3),
        "data_dir": str(data_dir),
    }
    write_json(out / "summary.json", summary)
    return out


def load_realism_run(run_dir: str | os.PathLike, which: str = "best") -> tuple[RealismNet, RealismConfig]:
    """The trained classifier (eval mode) and its config from a run folder."""
    path = Path(run_dir) / "checkpoints" / f"{which}.pt"
    if not path.is_file():
        raise FileNotFoundError(f"{run_dir} is not a RealismCNN run: {path} is missing")
    state = torch.load(path, map_location="cpu", weights_only=True)
    if "model" not in state or "config" not in state:
        raise ValueError(f"{path} is not a RealismCNN checkpoint (no 'model'/'config')")
    cfg = config_from_dict(state["config"])
    net = RealismNet(cfg.net)
    net.load_state_dict(state["model"])
    return net.eval(), cfg
