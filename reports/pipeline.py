"""Cached, resumable steps.

A :class:`Step` is a named function with a JSON-serialisable resolved config and the names
of the steps whose outputs it reads.  :class:`Pipeline` runs steps in order; each writes its
outputs under ``ROOT/<name>/`` and, once it succeeds, a stamp ``ROOT/stamps/<name>.json``
holding a key = hash(config, keys of its dependencies).  A later run skips every step
whose stamp key still matches, so an interrupted reproduction continues where it stopped,
and changing a config re-runs that step and everything downstream of it.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from tqdm.auto import tqdm

from harmonizer import atomic


@dataclass
class StepContext:
    """What a step's function gets: its folder, its config and its dependencies' folders."""

    name: str
    out_dir: Path
    config: dict
    inputs: dict[str, Path]
    root: Path
    interrupted: bool  # True when an earlier attempt left a folder but no stamp
    progress: bool = True  # whether the step may show its own progress bars

    def fresh(self) -> Path:
        """Empty this step's folder (for steps that cannot resume) and return it."""
        if self.out_dir.exists():
            shutil.rmtree(self.out_dir)
        self.out_dir.mkdir(parents=True)
        return self.out_dir


@dataclass
class Step:
    name: str
    fn: Callable[[StepContext], dict | None]
    config: dict = field(default_factory=dict)
    deps: tuple[str, ...] = ()


@dataclass
class StepRecord:
    name: str
    key: str
    status: str  # "ran" or "cached"
    wall_s: float  # wall time of the run that produced the outputs (also for cached steps)
    info: dict


def config_key(config: dict, dep_keys: dict[str, str]) -> str:
    """Stable hash of a resolved config and the keys of the steps it depends on."""
    blob = json.dumps({"config": config, "deps": dep_keys}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def write_json_atomic(path: Path, data: Any) -> None:
    """The reports' JSON style (indented, sorted, anything else as ``str``), written atomically."""
    atomic.write_json_atomic(path, data, indent=2, sort_keys=True, default=str)


class StepError(RuntimeError):
    pass


class Pipeline:
    def __init__(self, root: Path | str, steps: list[Step], *, progress: bool = True):
        self.root = Path(root)
        self.steps = steps
        self.progress = progress
        seen: set[str] = set()
        for step in steps:
            if step.name in seen:
                raise ValueError(f"duplicate step name '{step.name}'")
            missing = [d for d in step.deps if d not in seen]
            if missing:
                raise ValueError(f"step '{step.name}' depends on {missing}, which do not come before it")
            seen.add(step.name)

    def stamp_path(self, name: str) -> Path:
        return self.root / "stamps" / f"{name}.json"

    def read_stamp(self, name: str) -> dict | None:
        path = self.stamp_path(name)
        if not path.exists():
            return None
        try:
            return json.loads(path.read_text())
        except json.JSONDecodeError:
            return None  # a torn stamp counts as not done

    def run(self, *, force: tuple[str, ...] = ()) -> list[StepRecord]:
        """Run every step whose stamp is missing or stale; return one record per step."""
        keys: dict[str, str] = {}
        records: list[StepRecord] = []
        bar = tqdm(self.steps, desc="reproduce", unit="step", disable=not self.progress, file=sys.stderr)
        for step in bar:
            bar.set_postfix_str(step.name)
            key = config_key(step.config, {d: keys[d] for d in step.deps})
            keys[step.name] = key
            out_dir = self.root / step.name
            stamp = self.read_stamp(step.name)
            if stamp is not None and stamp.get("key") == key and out_dir.exists() and step.name not in force:
                records.append(StepRecord(step.name, key, "cached", float(stamp.get("wall_s", 0.0)),
                                          stamp.get("info") or {}))
                continue
            stale = stamp is not None  # done before with another config: start clean
            if stale and out_dir.exists():
                shutil.rmtree(out_dir)
            self.stamp_path(step.name).unlink(missing_ok=True)
            interrupted = out_dir.exists()
            out_dir.mkdir(parents=True, exist_ok=True)
            ctx = StepContext(step.name, out_dir, step.config, {d: self.root / d for d in step.deps},
                              self.root, interrupted, self.progress)
            started = datetime.now(timezone.utc).isoformat()
            t0 = time.perf_counter()
            try:
                info = step.fn(ctx) or {}
            except Exception as exc:  # name the step; the folder stays for inspection / resume
                raise StepError(f"step '{step.name}' failed: {type(exc).__name__}: {exc}") from exc
            wall = time.perf_counter() - t0
            write_json_atomic(self.stamp_path(step.name), {
                "name": step.name, "key": key, "config": step.config,
                "deps": {d: keys[d] for d in step.deps}, "wall_s": wall,
                "started": started, "finished": datetime.now(timezone.utc).isoformat(), "info": info,
            })
            if self.progress:
                tqdm.write(f"[reproduce] {step.name}: {wall:.1f} s", file=sys.stderr)
            records.append(StepRecord(step.name, key, "ran", wall, info))
        return records
