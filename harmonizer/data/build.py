"""Build a Dancing dataset on disk: splits, shards, a process pool, resumable.

``build_dataset(out, clips=N, size=S, ...)`` writes clips ``0 … N−1`` (clip i is
``make_clip(source, i, seed=seed)``, so every clip is reproducible from (seed, index))
in the format of :mod:`harmonizer.data.format`.  Clip i's split comes from
contiguous ranges in the paper's proportions (29,818 / 1,000 / 2,520 of 33,338);
val and test get at least one clip each.  ``shard=(k, n)`` builds only the clips
with ``i % n == k`` — shards may run one after another or concurrently (a job
array) into the same folder.  Clips already on disk are skipped (resume); the
manifest is rebuilt from the clips present at the end of every call.  A folder
holding a different dataset (another ``dataset.json``) is refused.
"""
from __future__ import annotations

import json
import multiprocessing as mp
import os
import shutil
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import cv2
from tqdm import tqdm

from harmonizer.atomic import MARKER, write_jsonl_atomic

from .clips import ClipConfig, make_clip
from .format import DATASET_INFO, MANIFEST, SPLITS, DatasetFormatError, clip_dir, read_dataset_info, write_clip, \
    write_dataset_info
from .motion import MotionConfig
from .sources import get_source

PAPER_SPLIT = {"train": 29818, "val": 1000, "test": 2520}
FORMAT_VERSION = 1
SMALL_JOB_PIXELS = 100 * 64 * 64  # ≈ 1–2 s of in-process work: below it workers=None builds in-process


def paper_fractions() -> dict:
    total = sum(PAPER_SPLIT.values())
    return {k: v / total for k, v in PAPER_SPLIT.items()}


def split_counts(clips: int, fractions: dict | None = None) -> dict:
    """Clips per split: val and test rounded from their fractions (≥ 1 each), train the rest."""
    fractions = fractions or paper_fractions()
    unknown = set(fractions) - set(SPLITS)
    if unknown:
        raise ValueError(f"split_fractions has unknown splits {sorted(unknown)}; use {SPLITS}")
    if clips < 3:
        raise ValueError(f"need at least 3 clips (one each for train, val and test), got clips={clips}")
    total = sum(fractions.values())
    val = max(1, round(clips * fractions.get("val", 0) / total))
    test = max(1, round(clips * fractions.get("test", 0) / total))
    if val + test >= clips:
        val, test = 1, 1
    return {"train": clips - val - test, "val": val, "test": test}


def split_of(index: int, counts: dict) -> str:
    """Contiguous ranges: train first, then val, then test."""
    if index < counts["train"]:
        return "train"
    return "val" if index < counts["train"] + counts["val"] else "test"


def split_indices(split: str, counts: dict) -> range:
    start = {"train": 0, "val": counts["train"], "test": counts["train"] + counts["val"]}[split]
    return range(start, start + counts[split])


def parse_shard(shard) -> tuple[int, int]:
    """``"k/n"`` or ``(k, n)`` → (k, n) with 0 ≤ k < n."""
    if shard is None:
        return 0, 1
    try:
        k, n = (int(v) for v in (shard.split("/") if isinstance(shard, str) else shard))
    except (ValueError, TypeError) as exc:
        raise ValueError(f"shard must look like 'k/n' (e.g. 0/4), got {shard!r}") from exc
    if not (n >= 1 and 0 <= k < n):
        raise ValueError(f"shard {k}/{n}: need n ≥ 1 and 0 ≤ k < n")
    return k, n


def make_source(source: str, seed: int, source_options: dict):
    options = dict(source_options)
    if source in ("procedural", "photo"):
        options.setdefault("seed", seed)
    for key in ("images", "masks", "coco_json", "coco_images", "photos"):  # paths recorded absolute
        if isinstance(options.get(key), (list, tuple)):
            options[key] = [str(Path(p).resolve()) for p in options[key]]
        elif options.get(key) is not None:
            options[key] = str(Path(options[key]).resolve())
    return get_source(source, **options)


def dataset_info(source_obj, *, clips, seed, config: ClipConfig, fractions) -> dict:
    return {
        "format_version": FORMAT_VERSION, "source": source_obj.name, "source_options": source_obj.options(),
        "clips": int(clips), "seed": int(seed), "size": config.size, "frames": config.frames, "style": config.style,
        "split_fractions": fractions, "split_counts": split_counts(clips, fractions), "clip_config": config.to_dict(),
    }


def _check_out_folder(out: Path, info: dict) -> None:
    existing = read_dataset_info(out)
    if existing:
        normalised = json.loads(json.dumps(info, sort_keys=True))
        if existing != normalised:
            diff = sorted(k for k in set(existing) | set(normalised) if existing.get(k) != normalised.get(k))
            raise DatasetFormatError(
                f"{out / DATASET_INFO} describes a different dataset (differs in: {', '.join(diff)}); "
                f"choose another output folder or delete it")
    elif out.exists() and any(p.name not in (".gitkeep", MARKER) for p in out.iterdir()):  # MARKER: docs/safety.md
        raise DatasetFormatError(f"output folder {out} is not empty and has no {DATASET_INFO}; refusing to write into it")


_WORKER = {}


def _init_worker(source, seed: int, source_options: dict, config: ClipConfig, counts: dict, out: str) -> None:
    """Per-process state; ``source`` is a name (pool workers build their own) or an already built source."""
    if isinstance(source, str):
        cv2.setNumThreads(1)  # a pool worker: the pool supplies the parallelism
        source = make_source(source, seed, source_options)
    _WORKER.update(source=source, seed=seed, config=config, counts=counts, out=out)


def _build_many(indices: list[int]) -> list[int]:
    return [_build_one(i) for i in indices]


def _build_one(index: int) -> int:
    w = _WORKER
    split = split_of(index, w["counts"])
    clip = make_clip(w["source"], index, seed=w["seed"], config=w["config"], split=split)
    write_clip(w["out"], clip)
    return index


def remove_stale_temporaries(out: Path, k: int, n: int) -> None:
    """Delete ``.tmp-<index>-*`` folders an interrupted run of shard k/n left (one scan per split folder)."""
    for split in SPLITS:
        if not (out / split).is_dir():
            continue
        with os.scandir(out / split) as entries:
            for entry in entries:
                parts = entry.name.split("-")
                if entry.name.startswith(".tmp-") and len(parts) >= 3 and parts[1].isdigit() and int(parts[1]) % n == k:
                    shutil.rmtree(entry.path, ignore_errors=True)


def clip_complete(out: Path, split: str, index: int) -> bool:
    return (clip_dir(out, split, f"{index:06d}") / "meta.json").exists()


def iter_manifest(out: Path, clips: int, counts: dict):
    """Manifest records of every complete clip, in index order (read back from each clip's meta.json)."""
    for index in range(clips):
        meta = clip_dir(out, split_of(index, counts), f"{index:06d}") / "meta.json"
        if meta.exists():
            yield json.loads(meta.read_text())


def write_manifest_streamed(out: Path, records) -> None:
    """Same bytes as ``format.write_manifest``, but streamed: paper-scale manifests never sit in memory."""
    write_jsonl_atomic(out / MANIFEST, records, sort_keys=True)


def build_dataset(out, *, source: str = "procedural", clips: int, size: int, frames: int = 2, seed: int = 0,
                  style: str = "dancing", split_fractions: dict | None = None, workers: int | None = None,
                  shard=None, scenes: int = 10, p_transfer: float = 0.3, strength: float = 1.0,
                  strength_range: tuple[float, float] | None = None, luts=(),
                  motion: MotionConfig | None = None, progress: bool = True, **source_options) -> Path:
    """Build (or resume) a Dancing dataset in ``out`` and return its path (see the module docstring)."""
    out = Path(out)
    config = ClipConfig(size=size, frames=frames, style=style, scenes=scenes, p_transfer=p_transfer, strength=strength,
                        strength_range=None if strength_range is None else tuple(strength_range),
                        luts=tuple(str(Path(p).resolve()) for p in luts), motion=motion or MotionConfig())
    fractions = {k: float(v) for k, v in (split_fractions or paper_fractions()).items()}
    counts = split_counts(clips, fractions)
    k, n = parse_shard(shard)
    src = make_source(source, seed, source_options)  # fails early on bad paths / unusable COCO files
    info = dataset_info(src, clips=clips, seed=seed, config=config, fractions=fractions)
    _check_out_folder(out, info)
    out.mkdir(parents=True, exist_ok=True)
    if not read_dataset_info(out):
        write_dataset_info(out, info)
    remove_stale_temporaries(out, k, n)
    todo = [i for i in range(k, clips, n) if not clip_complete(out, split_of(i, counts), i)]
    if workers is None:  # all cores, unless the job is so small that starting processes costs more than it saves
        workers = (os.cpu_count() or 1) if len(todo) * size * size > SMALL_JOB_PIXELS else 1
    workers = int(workers)
    bar = tqdm(total=len(todo), desc=f"building {out.name} ({k}/{n})", unit="clip", disable=not progress)
    init_args = (source, seed, source_options, config, counts, str(out))
    if workers <= 1 or len(todo) <= 1:
        _init_worker(src, *init_args[1:])
        for index in todo:
            _build_one(index)
            bar.update()
    else:
        step = max(1, min(16, len(todo) // (4 * workers)))
        chunks = [todo[i:i + step] for i in range(0, len(todo), step)]
        try:  # an executor (unlike mp.Pool) reports a dead worker instead of waiting for it forever
            with ProcessPoolExecutor(min(workers, len(todo)), mp_context=mp.get_context("spawn"),
                                     initializer=_init_worker, initargs=init_args) as pool:
                for done in pool.map(_build_many, chunks):
                    bar.update(len(done))
        except BrokenProcessPool as exc:
            raise RuntimeError(
                "a dataset worker process died. Workers are started with 'spawn', which re-imports the calling "
                "script: guard its top level with `if __name__ == \"__main__\":`, or pass workers=1") from exc
    bar.close()
    write_manifest_streamed(out, iter_manifest(out, clips, counts))
    return out
