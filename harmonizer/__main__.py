"""Command line: ``python -m harmonizer train|harmonize``.

::

    python -m harmonizer train --profile quick --variant full --data DIR --out RUN [--resume]
                               [--init-from RUN] [--set optim.lr=1e-3 ...]
    python -m harmonizer harmonize --checkpoint RUN --input VIDEO_OR_FRAME_DIR [--mask VIDEO_OR_DIR]
                                   --out OUT(.mp4 | folder) [--mask-mode given|discriminator|zeros|ones]
                                   [--raw-output]

Without ``--mask`` the discriminator's map is the mask (O = G(I, D(I))).  The output is
``M·G(I, M) + (1 − M)·I`` (the input's background kept, M = the given mask, or D's soft map
without one); ``--raw-output`` writes the raw generator output instead (the paper's).  A folder
of frames keeps the input's file names; ``OUT.harmonize.json`` records the settings used and, for a video,
the file written (so a video the suite wrote is replaced without ``--overwrite``; docs/safety.md).  Several GPUs or
machines: ``torchrun --nproc_per_node N -m harmonizer train ...`` (the same command).
"""
from __future__ import annotations

import argparse
import json
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


def frame_names(path: str | os.PathLike) -> list[str] | None:
    """The file names :func:`read_frames` reads from an image folder, in its order (None for a video file)."""
    p = Path(path)
    if not p.is_dir():
        return None
    return sorted(f.name for f in p.iterdir() if f.suffix.lower() in IMAGE_SUFFIXES)


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


def write_frames(out: str | os.PathLike, frames: np.ndarray, fps: float = 25.0,
                 names: list[str] | None = None, *, overwrite: bool = False) -> Path:
    """Write T×H×W×3 RGB uint8 as a video (by suffix) or a folder of images, atomically (temp, then rename).
    A folder is a harmonizer.outputs folder: a user's folder is refused, ``overwrite`` replaces only the suite's
    frames of an earlier output.

    A folder's frames are named ``names`` (e.g. the input's file names; the suffix picks the format) or
    ``00000.png``, ``00001.png``, ….
    """
    if names is not None and len(names) != len(frames):
        raise ValueError(f"{out}: {len(frames)} frames but {len(names)} file names")
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
                name = names[t] if names is not None else f"{t:05d}.png"
                if not cv2.imwrite(str(tmp / name), cv2.cvtColor(f, cv2.COLOR_RGB2BGR)):
                    raise ValueError(f"cannot write frame {out / name}")
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
    hz.add_argument("--raw-output", action="store_true",
                    help="write the raw generator output (the paper's) instead of M·G + (1 − M)·input")
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
    from harmonizer.output_files import claim_files, command_settings, write_files_record
    from harmonizer.outputs import MARKER, check_output_dir
    from harmonizer.runs import checkpoint_path

    mask_mode = args.mask_mode or ("given" if args.mask else "discriminator")
    if mask_mode == "given" and not args.mask:
        raise ValueError("--mask-mode given needs --mask")
    inputs = [args.input, args.mask, args.checkpoint]
    # refusals before any work (docs/safety.md); an existing video is judged by the record beside it (claim_files)
    out_path = check_out(args.out, inputs, overwrite=True)
    video = out_path.suffix.lower() in VIDEO_SUFFIXES
    if not video:  # a frame folder: its marker owns the frames, an earlier output needs --overwrite
        check_output_dir(out_path, kind="harmonize", inputs=inputs, overwrite=args.overwrite)
    owned = [out_path] if video else []  # what OUT.harmonize.json lists as the suite's
    earlier = claim_files(out_path, owned, tool="harmonize", inputs=inputs, overwrite=args.overwrite,
                          suffixes=VIDEO_SUFFIXES)
    model = GANHarmonizer(args.checkpoint, mask_mode=mask_mode, which=args.which, device=args.device, chunk=1,
                          blend="none" if args.raw_output else "mask")
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
    path = write_frames(args.out, out, fps=args.fps, names=frame_names(args.input), overwrite=args.overwrite)
    record = {"out": str(path), "input": str(args.input), "mask": None if args.mask is None else str(args.mask),
              "checkpoint": str(args.checkpoint), "which": args.which, "frames": int(frames.shape[0]),
              **model.settings, "blend_region": model.blend_region(masks_given=masks is not None),
              "out_kind": "video file" if video else "frame folder"}
    if not video:
        record["out_marker"] = str(path / MARKER)  # lists the frames; the record's own "files" stays empty
    write_files_record(out_path, owned, earlier, tool="harmonize", command="harmonize",
                       settings=command_settings(args), fields=record,
                       inputs=[args.input, args.mask, checkpoint_path(args.checkpoint, args.which)])
    print(json.dumps(record, sort_keys=True))
    return {**record, "out": path}


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
