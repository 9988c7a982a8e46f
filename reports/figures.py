"""The paper's figures as matplotlib PNGs, drawn from files other packages wrote.

- :func:`visual_comparison` — Fig. 5-like grid: input, each method's output, ground truth.
- :func:`hsv_comparison` — Fig. 4-like: the foreground's average HSV per frame and its hue
  histograms (first frame blue, second orange), per method.
- :func:`disharmony_maps` — Fig. 7-like: inputs with their true masks beside D's maps.
- :func:`training_curves` — every numeric column of each run's ``metrics.csv`` against its step.

Clips are NumPy arrays: frames ``T×H×W×3`` (uint8 or float in [0, 1]), masks ``T×H×W``.
"""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, never a window
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.colors import rgb_to_hsv  # noqa: E402

from harmonizer.atomic import atomic_path  # noqa: E402

STEP_COLUMNS = ("step", "iteration", "iter", "global_step", "epoch")
FRAME_COLOURS = ("tab:blue", "tab:orange", "tab:green", "tab:red")


def _as_float(frames: np.ndarray) -> np.ndarray:
    frames = np.asarray(frames)
    if frames.dtype == np.uint8:
        return frames.astype(np.float32) / 255.0
    return np.clip(frames.astype(np.float32), 0.0, 1.0)


def _save(fig, path: Path | str) -> Path:
    """Save to a temp file beside ``path`` and rename, so a half-written PNG never appears."""
    path = Path(path)
    try:
        with atomic_path(path) as tmp:
            fig.savefig(tmp, dpi=110, bbox_inches="tight")
    finally:
        plt.close(fig)
    return path


def visual_comparison(composite: np.ndarray, outputs: dict[str, np.ndarray], gt: np.ndarray | None,
                      path: Path | str, *, title: str = "") -> Path:
    """One row per frame; columns: input, each method's output, ground truth (when known)."""
    columns = [("input", composite)] + list(outputs.items()) + ([("ground truth", gt)] if gt is not None else [])
    n_frames = len(composite)
    fig, axes = plt.subplots(n_frames, len(columns), figsize=(1.8 * len(columns), 1.8 * n_frames + 0.4),
                             squeeze=False)
    for col, (name, frames) in enumerate(columns):
        frames = _as_float(frames)
        for t in range(n_frames):
            ax = axes[t, col]
            ax.imshow(frames[t])
            ax.set_xticks([]), ax.set_yticks([])
            if t == 0:
                ax.set_title(name, fontsize=8)
            if col == 0:
                ax.set_ylabel(f"frame {t}", fontsize=8)
    if title:
        fig.suptitle(title, fontsize=9)
    return _save(fig, path)


def foreground_hsv(frames: np.ndarray, masks: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """(T×3 mean H, S, V over foreground pixels, per-frame arrays of foreground hues), all in [0, 1].
    A frame with an empty foreground gets NaN means and no hues."""
    hsv = rgb_to_hsv(_as_float(frames))
    masks = np.asarray(masks).astype(bool)
    means, hues = [], []
    for t in range(len(hsv)):
        fg = hsv[t][masks[t]]
        means.append(fg.mean(axis=0) if len(fg) else np.full(3, np.nan))
        hues.append(fg[:, 0] if len(fg) else np.zeros(0))
    return np.stack(means), hues


def hsv_comparison(composite: np.ndarray, outputs: dict[str, np.ndarray], masks: np.ndarray,
                   path: Path | str, *, title: str = "", bins: int = 36) -> Path:
    """Per method (input first): the foreground's mean H/S/V per frame, and hue histograms per frame."""
    columns = [("input", composite)] + list(outputs.items())
    fig, axes = plt.subplots(3, len(columns), figsize=(2.4 * len(columns), 6.2), squeeze=False)
    for col, (name, frames) in enumerate(columns):
        frames_f = _as_float(frames)
        means, hues = foreground_hsv(frames_f, masks)
        axes[0, col].imshow(frames_f[0])
        axes[0, col].set_xticks([]), axes[0, col].set_yticks([])
        axes[0, col].set_title(name, fontsize=8)
        ax = axes[1, col]
        for t in range(len(means)):
            ax.plot(["H", "S", "V"], means[t], marker="o", color=FRAME_COLOURS[t % len(FRAME_COLOURS)],
                    label=f"frame {t}")
        ax.set_ylim(0, 1)
        ax.set_title("fg mean HSV", fontsize=7)
        ax.tick_params(labelsize=6)
        ax = axes[2, col]
        for t, h in enumerate(hues):
            counts, edges = np.histogram(h, bins=bins, range=(0.0, 1.0))
            density = counts / max(counts.sum(), 1)
            ax.plot((edges[:-1] + edges[1:]) / 2, density, color=FRAME_COLOURS[t % len(FRAME_COLOURS)])
        ax.set_title("fg hue histogram", fontsize=7)
        ax.set_xlabel("hue", fontsize=6)
        ax.tick_params(labelsize=6)
    axes[1, 0].legend(fontsize=6)
    if title:
        fig.suptitle(title, fontsize=9)
    return _save(fig, path)


def disharmony_maps(composites: np.ndarray, masks: np.ndarray, dmaps: np.ndarray, path: Path | str, *,
                    title: str = "", labels: list[str] | None = None) -> Path:
    """Top row: inputs with their true masks inset at the top-right; bottom row: D's maps in [0, 1]."""
    n = len(composites)
    fig, axes = plt.subplots(2, n, figsize=(2.0 * n, 4.2), squeeze=False)
    composites = _as_float(composites)
    for i in range(n):
        img = composites[i].copy()
        h, w = img.shape[:2]
        small = np.asarray(masks[i], dtype=np.float32)[::3, ::3]  # a third-size inset, like the paper's
        sh, sw = small.shape
        img[:sh, w - sw:] = small[..., None]
        axes[0, i].imshow(img)
        axes[1, i].imshow(np.asarray(dmaps[i], dtype=np.float32).squeeze(), cmap="gray", vmin=0, vmax=1)
        for ax in axes[:, i]:
            ax.set_xticks([]), ax.set_yticks([])
        axes[0, i].set_title(labels[i] if labels else f"#{i}", fontsize=7)
    axes[0, 0].set_ylabel("input + true mask", fontsize=7)
    axes[1, 0].set_ylabel("D's map", fontsize=7)
    if title:
        fig.suptitle(title, fontsize=9)
    return _save(fig, path)


def read_metrics_csv(path: Path | str) -> tuple[str | None, pd.DataFrame]:
    """(name of the step column or None, one numeric column per curve) of one run's ``metrics.csv``.

    Accepts the tidy layout harmonizer writes (``step, epoch, split, metric, value``: one curve per
    ``split/metric``) and a wide layout (one numeric column per curve)."""
    df = pd.read_csv(path)
    step = next((c for c in STEP_COLUMNS if c in df.columns), None)
    if {"metric", "value"} <= set(df.columns) and step is not None:
        name = (df["split"].astype(str) + "/" + df["metric"].astype(str)) if "split" in df.columns else df["metric"]
        wide = (df.assign(curve=name).pivot_table(index=step, columns="curve", values="value", aggfunc="mean")
                .reset_index())
        wide.columns.name = None
        return step, wide
    return step, df.select_dtypes("number")


def training_curves(runs: dict[str, Path | str], path: Path | str, *, title: str = "",
                    max_panels: int = 12) -> Path:
    """One panel per metric column found in any run's ``metrics.csv``; one line per run.
    Runs without a metrics.csv are skipped (named in the title)."""
    data, skipped = {}, []
    for name, run_dir in runs.items():
        csv = Path(run_dir) / "metrics.csv"
        if csv.exists() and csv.stat().st_size > 0:
            data[name] = read_metrics_csv(csv)
        else:
            skipped.append(name)
    columns: list[str] = []
    for step, numeric in data.values():
        columns += [c for c in numeric.columns if c not in STEP_COLUMNS and c not in columns]
    columns = columns[:max_panels] or ["(no metrics)"]
    ncols = min(4, len(columns))
    nrows = -(-len(columns) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.2 * ncols, 2.4 * nrows + 0.6), squeeze=False)
    cmap = plt.get_cmap("tab20")
    colour = {name: cmap(i % 20) for i, name in enumerate(data)}  # one colour per run in every panel
    for k, column in enumerate(columns):
        ax = axes[k // ncols, k % ncols]
        for name, (step, numeric) in data.items():
            if column not in numeric.columns:
                continue
            series = numeric[column]
            x = numeric[step] if step else np.arange(len(series))
            keep = series.notna().to_numpy()
            ax.plot(np.asarray(x)[keep], series.to_numpy()[keep], label=name, lw=1, color=colour[name])
        ax.set_title(column, fontsize=8)
        ax.tick_params(labelsize=6)
    for k in range(len(columns), nrows * ncols):
        axes[k // ncols, k % ncols].axis("off")
    if data:
        handles = [plt.Line2D([], [], color=colour[n], lw=2) for n in data]
        fig.legend(handles, list(data), loc="lower center", ncol=min(6, len(data)), fontsize=7,
                   bbox_to_anchor=(0.5, -0.02))
        fig.tight_layout(rect=(0, 0.05, 1, 0.95))
    full_title = title + (f" (no metrics.csv: {', '.join(skipped)})" if skipped else "")
    if full_title:
        fig.suptitle(full_title, fontsize=9)
    return _save(fig, path)
