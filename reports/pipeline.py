"""Cached, resumable steps, run one after another or several at once.

A :class:`Step` is a named function with a JSON-serialisable resolved config and the names
of the steps whose outputs it reads.  :class:`Pipeline` runs steps; each writes its
outputs under ``ROOT/<name>/`` and, once it succeeds, a stamp ``ROOT/stamps/<name>.json``
holding a key = hash(config, keys of its dependencies).  A later run skips every step
whose stamp key still matches, so an interrupted reproduction continues where it stopped,
and changing a config re-runs that step and everything downstream of it.

Every step runs with one torch thread (so results do not depend on the core count or on ``jobs``).
``jobs > 1`` runs steps whose inputs are ready in that many worker processes; each such step's own
output (its progress bars included) goes to ``ROOT/logs/<name>.log``.
``only`` runs chosen steps (their inputs must be done, or being made by another runner).  While a
step runs it holds ``ROOT/locks/<name>.lock`` (an advisory ``flock``, released when its process
ends, however it ends), so several runners sharing ``ROOT`` never run the same step twice: a runner
that finds a step locked runs other steps and waits for that one (docs/reproduce.md, "Parallel runs").
"""
from __future__ import annotations

import hashlib
import json
import multiprocessing
import sys
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from tqdm.auto import tqdm

from harmonizer import atomic, outputs
from reports.locks import StepLock, one_torch_thread, quiet_worker, redirected_output

POLL_S = 1.0  # how often a runner looks again at a step another runner holds


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
        """Empty this step's folder of what the suite wrote (for steps that cannot resume) and return it;
        files a user put there stay (harmonizer.outputs, docs/safety.md)."""
        outputs.remove_owned(self.out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)
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
    status: str  # "ran", "cached", "busy" (held by another runner) or "not run" (outside --only)
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


def read_stamp(root: Path, name: str) -> dict | None:
    path = root / "stamps" / f"{name}.json"
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError:
        return None  # a torn stamp counts as not done


def _cached(root: Path, step: Step, key: str) -> StepRecord | None:
    stamp = read_stamp(root, step.name)
    if stamp is not None and stamp.get("key") == key and (root / step.name).exists():
        return StepRecord(step.name, key, "cached", float(stamp.get("wall_s", 0.0)), stamp.get("info") or {})
    return None


def execute(root: Path, step: Step, key: str, dep_keys: dict[str, str], *, force: bool, progress: bool,
            log: bool = False) -> StepRecord:
    """Run one step under its lock (or report it cached, or ``busy`` when another runner holds it)."""
    with StepLock(root, step.name) as lock:
        if not lock.acquired:
            return StepRecord(step.name, key, "busy", 0.0, {})
        if not force and (hit := _cached(root, step, key)) is not None:
            return hit
        out_dir = root / step.name
        stale = read_stamp(root, step.name) is not None  # done before with another config: start clean
        # a marked step folder; a stale one loses only what the suite wrote there (a user's files stay)
        outputs.claim_dir(out_dir, kind="step", resume=True, overwrite=stale, adopt=stale)
        (root / "stamps" / f"{step.name}.json").unlink(missing_ok=True)
        interrupted = bool(outputs.owned_entries(out_dir))
        ctx = StepContext(step.name, out_dir, step.config, {d: root / d for d in step.deps}, root, interrupted,
                          progress)
        started = datetime.now(timezone.utc).isoformat()
        t0 = time.perf_counter()
        try:
            try:
                with redirected_output(root / "logs" / f"{step.name}.log" if log else None), one_torch_thread():
                    info = step.fn(ctx) or {}
            finally:
                outputs.finish_dir(out_dir)
        except Exception as exc:  # name the step; the folder stays for inspection / resume
            raise StepError(f"step '{step.name}' failed: {type(exc).__name__}: {exc}") from exc
        wall = time.perf_counter() - t0
        write_json_atomic(root / "stamps" / f"{step.name}.json", {
            "name": step.name, "key": key, "config": step.config, "deps": dep_keys, "wall_s": wall,
            "started": started, "finished": datetime.now(timezone.utc).isoformat(), "info": info,
        })
        return StepRecord(step.name, key, "ran", wall, info)


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
        return read_stamp(self.root, name)

    def keys(self) -> dict[str, str]:
        keys: dict[str, str] = {}
        for step in self.steps:
            keys[step.name] = config_key(step.config, {d: keys[d] for d in step.deps})
        return keys

    def run(self, *, force: tuple[str, ...] = (), only: tuple[str, ...] | None = None, jobs: int = 1
            ) -> list[StepRecord]:
        """Run every chosen step (all, or ``only``) whose stamp is missing or stale, ``jobs`` at a time;
        return one record per step of the pipeline, in pipeline order."""
        if jobs < 1:
            raise ValueError(f"jobs must be >= 1, got {jobs}")
        keys = self.keys()
        by_name = {s.name: s for s in self.steps}
        chosen = [s.name for s in self.steps if only is None or s.name in only]
        records: dict[str, StepRecord] = {}
        pending = list(chosen)
        running: dict = {}  # future -> step name
        failure: StepError | None = None
        bar = tqdm(total=len(chosen), desc="reproduce", unit="step", disable=not self.progress, file=sys.stderr)
        pool = None
        if jobs > 1:
            pool = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn"),
                                       initializer=quiet_worker)

        def finish(rec: StepRecord) -> None:
            if rec.status == "busy":  # another runner has it: look again later
                pending.append(rec.name)
                return
            records[rec.name] = rec
            bar.update(1)
            if rec.status == "ran" and self.progress:
                tqdm.write(f"[reproduce] {rec.name}: {rec.wall_s:.1f} s", file=sys.stderr)

        def ready(name: str) -> bool:
            for dep in by_name[name].deps:
                if dep in records:
                    continue
                if dep in chosen:
                    return False  # still to run (or running) here
                hit = _cached(self.root, by_name[dep], keys[dep])
                if hit is None:
                    if StepLock.held_elsewhere(self.root, dep):
                        return False  # another runner is making it: wait
                    raise StepError(f"step '{name}' needs '{dep}', which is not done; run it first "
                                    f"(or add it to --only)")
                records[dep] = hit
            return True

        try:
            while (pending and failure is None) or running:
                progressed = False
                for name in list(pending):
                    if failure is not None or (pool is not None and len(running) >= jobs):
                        break
                    if not ready(name):
                        continue
                    pending.remove(name)
                    step = by_name[name]
                    args = (self.root, step, keys[name], {d: keys[d] for d in step.deps})
                    kwargs = dict(force=name in force, progress=self.progress)
                    if pool is None:
                        bar.set_postfix_str(name)
                        try:
                            rec = execute(*args, **kwargs)
                        except StepError as exc:
                            failure = exc
                            break
                        progressed = progressed or rec.status != "busy"
                        finish(rec)
                    else:
                        running[pool.submit(execute, *args, **kwargs, log=True)] = name
                        bar.set_postfix_str(", ".join(sorted(running.values())))
                if running:
                    done, _ = wait(list(running), timeout=POLL_S, return_when=FIRST_COMPLETED)
                    for future in done:
                        running.pop(future)
                        try:
                            finish(future.result())
                        except StepError as exc:
                            failure = failure or exc
                    bar.set_postfix_str(", ".join(sorted(running.values())))
                elif pending and not progressed and failure is None:
                    time.sleep(POLL_S)  # every ready step is held by another runner
        finally:
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)
            bar.close()
        if failure is not None:
            raise failure
        out = []
        for step in self.steps:
            rec = records.get(step.name) or _cached(self.root, step, keys[step.name])
            out.append(rec or StepRecord(step.name, keys[step.name], "not run", 0.0, {}))
        return out
