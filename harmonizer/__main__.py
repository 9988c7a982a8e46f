"""Command line: ``python -m harmonizer train|harmonize``.

::

    python -m harmonizer train --profile quick --variant full --data DIR --out RUN [--resume]
                               [--init-from RUN] [--set optim.lr=1e-3 ...]
    python -m harmonizer harmonize --checkpoint RUN --input VIDEO_OR_FRAME_DIR [--mask VIDEO_OR_DIR]
                                   --out OUT(.mp4 | folder) [--mask-mode given|discriminator|zeros|ones]

Without ``--mask`` the discriminator's map is the mask (O = G(I, D(I))).  Several GPUs or
machines: ``torchrun --nproc_per_node N -m harmonizer train ...`` (the same command).
"""
from __future__ import annotations

import argparse
import os
from pathlib import Path

import cv2
import numpy as np
import torch
from tqdm import tqdm

from harmonizer.atomic import OutputError, atomic_path
from harmonizer.cli import run_cli
from harmonizer.config import PROFILES, get_config, parse_override, variant_names
from harmonizer.videofile import decode_video

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp")
VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv")


def read_frames(path: str | os.PathLike, *, gray: bool = False) -> np.ndarray:
    """A video file or a folder of images → T×H×W×3 RGB uint8 (or T×H×W gray); clear errors naming the path."""
    p = Path(path)
    frames = []
    if p.is_dir():
        files = sorted(f for f in p.iterdir() if f.suffix.lower() in IMAGE_SUFFIXES)
        if not files:
            raise ValueError(f"{p} holds no images ({', '.join(IMAGE_SUFFIXES)})")
        for f in files:
            img = cv2.imread(str(f), cv2.IMREAD_GRAYSCALE if gray else cv2.IMREAD_COLOR)
            if img is None:
                raise ValueError(f"cannot read image {f}")
            frames.append(img if gray else cv2.cvtColor(img, cv2.COLOR_BGR2RGB))
    elif p.is_file():
        frames = decode_video(p, gray=gray)  # checked against the container's frame count (harmonizer.videofile)
    else:
        raise FileNotFoundError(f"input {p} does not exist")
    shapes = {f.shape for f in frames}
    if len(shapes) > 1:
        raise ValueError(f"{p}: frames differ in size ({sorted(shapes)})")
    return np.stack(frames)


def check_out(out: str | os.PathLike, inputs=(), *, overwrite: bool = False) -> Path:
    """Refuse an ``--out`` that would lose a file (docs/safety.md): a video suffix harmonize cannot write, an
    existing video without ``overwrite``, an output overlapping an input (folders: see ``write_frames``)."""
    from harmonizer.outputs import check_output_file, check_separate

    out = Path(out)
    if out.suffix.lower() in VIDEO_SUFFIXES:
        return check_output_file(out, inputs=inputs, overwrite=overwrite)
    if out.suffix:
        raise OutputError(f"--out {out}: '{out.suffix}' is not a video format harmonize writes "
                          f"({', '.join(VIDEO_SUFFIXES)}); give one of those, or a folder name without a suffix")
    check_separate(out, inputs)
    return out


def write_frames(out: str | os.PathLike, frames: np.ndarray, fps: float = 25.0, *, overwrite: bool = False) -> Path:
    """Write T×H×W×3 RGB uint8 as a video (by suffix) or a folder of PNGs, atomically (temp, then rename).
    A folder is a harmonizer.outputs folder: a user's folder is refused, ``overwrite`` replaces only the suite's
    frames of an earlier output."""
    out = Path(out)
    if out.suffix.lower() in VIDEO_SUFFIXES:
        h, w = frames.shape[1:3]
        with atomic_path(out) as tmp:
            writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
            try:
                for f in frames:
                    writer.write(cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
            finally:
                writer.release()
    else:
        from harmonizer.outputs import fresh_output_dir

        with fresh_output_dir(out, kind="harmonize", overwrite=overwrite) as tmp:
            for t, f in enumerate(frames):
                cv2.imwrite(str(tmp / f"{t:05d}.png"), cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
    return out


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m harmonizer", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    tr = sub.add_parser("train", help="train the GAN or one of its ablations")
    tr.add_argument("--profile", choices=PROFILES, default="quick")
    tr.add_argument("--variant", choices=variant_names(), default="full")
    tr.add_argument("--data", required=True, help="Dancing dataset folder")
    tr.add_argument("--out", required=True, help="run folder")
    tr.add_argument("--resume", action="store_true", help="continue from RUN/checkpoints/last.pt")
    tr.add_argument("--init-from", default=None, help="start from this run's weights (finetune_dmask)")
    tr.add_argument("--seed", type=int, default=None)
    tr.add_argument("--set", action="append", default=[], metavar="SECTION.FIELD=VALUE",
                    help="override a config field, e.g. --set optim.lr=1e-3 --set schedule.bf16=true")
    tr.add_argument("--stop-after-steps", type=int, default=None, help="end after this many steps (resumable)")
    tr.add_argument("--no-progress", action="store_true")
    hz = sub.add_parser("harmonize", help="harmonize a composite video with a trained run")
    hz.add_argument("--checkpoint", required=True, help="run folder or .pt file")
    hz.add_argument("--input", required=True, help="composite video file or folder of frames")
    hz.add_argument("--mask", default=None, help="mask video or folder (omit: the discriminator's map)")
    hz.add_argument("--out", required=True, help="output video (.mp4/.avi) or folder of PNGs")
    hz.add_argument("--mask-mode", choices=("given", "discriminator", "zeros", "ones"), default=None)
    hz.add_argument("--which", choices=("best", "last"), default="best")
    hz.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    hz.add_argument("--fps", type=float, default=25.0)
    hz.add_argument("--overwrite", action="store_true",
                    help="replace an earlier output (only what the suite wrote; see docs/safety.md)")
    return parser


def _train(args) -> Path:
    from harmonizer.train import train

    overrides = dict(parse_override(s) for s in args.set)
    if args.seed is not None:
        overrides["seed"] = args.seed
    config = get_config(args.profile, args.variant, **overrides)
    from harmonizer.outputs import mark_dir

    # a user's folder is refused; a run folder is marked (torchrun ranks share it, so its files are not tracked)
    mark_dir(args.out, kind="run", inputs=[args.data, args.init_from], legacy=("config.json", "checkpoints"))
    return train(config, args.data, args.out, resume=args.resume, init_from=args.init_from,
                 stop_after_steps=args.stop_after_steps, progress=not args.no_progress)


def _harmonize(args) -> dict:
    from harmonizer.infer import GANHarmonizer

    mask_mode = args.mask_mode or ("given" if args.mask else "discriminator")
    if mask_mode == "given" and not args.mask:
        raise ValueError("--mask-mode given needs --mask")
    check_out(args.out, [args.input, args.mask, args.checkpoint], overwrite=args.overwrite)
    model = GANHarmonizer(args.checkpoint, mask_mode=mask_mode, which=args.which, device=args.device, chunk=1)
    frames = read_frames(args.input)
    masks = None
    if args.mask:
        masks = read_frames(args.mask, gray=True)
        if masks.shape[0] != frames.shape[0] or masks.shape[1:3] != frames.shape[1:3]:
            raise ValueError(f"video {args.input} has {frames.shape[0]} frames of {frames.shape[2]}×{frames.shape[1]}"
                             f" but mask {args.mask} has {masks.shape[0]} of {masks.shape[2]}×{masks.shape[1]}")
    out = np.empty_like(frames)
    for t in tqdm(range(frames.shape[0]), desc="harmonize", unit="frame"):
        f = torch.from_numpy(frames[t]).permute(2, 0, 1)[None].float() / 255
        m = None if masks is None else torch.from_numpy(masks[t])[None, None].float() / 255
        o = model.harmonize(f, m)[0]
        out[t] = (o.permute(1, 2, 0).numpy() * 255 + 0.5).astype(np.uint8)
    path = write_frames(args.out, out, fps=args.fps, overwrite=args.overwrite)
    return {"out": path, "frames": int(frames.shape[0]), "mask_mode": mask_mode}


def main(argv=None):
    args = build_parser().parse_args(argv)
    if args.command == "train":
        return _train(args)
    return _harmonize(args)


def cli() -> int:
    """The ``harmonizer`` console script: :func:`main` through :func:`harmonizer.cli.run_cli` (one-line errors)."""
    return run_cli(main)


if __name__ == "__main__":
    raise SystemExit(cli())
