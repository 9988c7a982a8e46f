"""Score methods on a dataset, clip by clip, into a tidy ``results.csv`` and a ``manifest.json``.

For every clip the runner loads the sample once, gets its flow once (the dataset's ground-truth flow, or an
estimator from :mod:`bench.flow` run on the ground-truth frames when there are any, else on the composite — so
every method is judged with the same flow), runs each method, and scores it with one call of
:func:`bench.metrics.evaluate_clip` on the clip's inputs, named as everywhere in the suite (``gt``, ``mask``,
``flow_bw``, ``flow_fw``, ``valid_bw``, ``valid_fw``).  A registered metric whose ``needs`` the clip lacks is
skipped and the skip recorded; a new metric is added by registering it (docs/metrics.md), nothing here.

Streaming and resuming: each (method, clip) is written to ``OUT/parts/<method>/<clip>.csv`` through a temporary
file and a rename, so an interrupted run leaves only whole part files; a rerun skips the (method, clip) pairs
that have one.  ``results.csv`` is rebuilt from the part files at the end, again through a rename.  Memory holds
one clip at a time, whatever the number of clips.

A frame whose metric is NaN (empty foreground, no valid pixel) is written as NaN and counted in the manifest.
"""
from __future__ import annotations

import csv
import io
import json
import math
import os
import time
import urllib.parse
from pathlib import Path

import torch
from tqdm import tqdm

from bench.datasets import ClipError, ExternalMethod, VideoSample, open_dataset
from bench.metrics import DEFAULT_PROTOCOL, MetricSpec, evaluate_clip, get_metric, metrics_for
from bench.identity import method_identity, refresh_changed_methods
from bench.protocols import get_protocol
from bench.summary import RESULT_COLUMNS
from harmonizer.atomic import atomic_path, write_text_atomic
from harmonizer.environment import environment as capture_environment
from harmonizer.outputs import claim_dir, finish_dir


def resolve_metrics(metrics: list[str] | tuple[str, ...] | None = None, protocol: str = DEFAULT_PROTOCOL,
                    ) -> dict[str, MetricSpec]:
    """Names → registered specs of ``protocol`` (``None``: all of them).  A new metric is registered with
    ``@bench.metrics.register_metric`` (docs/metrics.md), not passed here as a function."""
    if metrics is not None and not isinstance(metrics, (list, tuple)):
        raise TypeError(f"metrics must be None or a list of registered metric names, got {type(metrics).__name__}; "
                        "register a new metric with @bench.metrics.register_metric (docs/metrics.md)")
    if metrics is None:
        return metrics_for(protocol)
    unknown = [n for n in metrics if n not in metrics_for(protocol)]
    if unknown:
        raise KeyError(f"unknown metric(s) {', '.join(unknown)} for protocol '{protocol}'; "
                       f"known: {', '.join(metrics_for(protocol))}")
    return {n: get_metric(n, protocol) for n in metrics}


class _FlowSource:
    """Backward (and forward) flow of a clip: stored ground truth, or estimated once per clip — on the ground truth
    when the clip has one, else on the composite; ``frames="composite"`` (the ``lai`` protocol) always on the
    composite, the input video."""

    def __init__(self, name: str | None, options: dict, frames: str = "gt_else_composite"):
        self.name, self.options, self.frames = name, dict(options), frames
        self._estimator = None
        self.description = {"name": name}
        if name not in (None, "gt"):
            from bench.flow import get_estimator

            self._estimator = get_estimator(name, **options)
            self.description = self._estimator.describe()

    def flows(self, sample: VideoSample) -> dict:
        if self.name is None or sample.num_frames < 2:
            return {}
        if self.name == "gt":
            if sample.flow_bw is None:
                return {}
            return {"flow_bw": sample.flow_bw, "valid_bw": sample.valid_bw,
                    "flow_fw": sample.flow_fw, "valid_fw": sample.valid_fw}
        use_gt = sample.gt is not None and self.frames != "composite"
        bw, fw = self._estimator.clip_flows(sample.gt if use_gt else sample.composite)
        return {"flow_bw": bw, "valid_bw": None, "flow_fw": fw, "valid_fw": None}


def _method_outputs(method, sample: VideoSample, label: str) -> torch.Tensor:
    if isinstance(method, ExternalMethod) or hasattr(method, "outputs_for"):
        out = method.outputs_for(sample)
    else:
        with torch.no_grad():
            out = method.harmonize(sample.composite, sample.mask)
    where = f"method '{label}' on clip {sample.clip_id}"
    if not isinstance(out, torch.Tensor) or tuple(out.shape) != tuple(sample.composite.shape):
        shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise ClipError(f"{where}: returned {shape}, expected {tuple(sample.composite.shape)}")
    out = out.detach().float().cpu()
    if not torch.isfinite(out).all() or out.min() < 0 or out.max() > 1:
        raise ClipError(f"{where}: output must be finite and in [0, 1]")
    return out


def _clip_key(clip_id: str) -> str:
    return urllib.parse.quote(clip_id, safe="")


def _score_clip(label: str, dataset_name: str, sample: VideoSample, output: torch.Tensor, inputs: dict,
                metrics: dict[str, MetricSpec], protocol: str) -> tuple[str, dict[str, list[str]]]:
    """CSV text of one (method, clip) and the metrics skipped with their unmet needs."""
    have = {k for k, v in inputs.items() if v is not None}
    skipped = {n: sorted(set(s.needs) - have) for n, s in metrics.items() if not set(s.needs) <= have}
    todo = [n for n in metrics if n not in skipped]
    values = evaluate_clip(output, metrics=todo, protocol=protocol, where=f"method '{label}' on clip {sample.clip_id}",
                           **inputs)
    buf = io.StringIO()
    writer = csv.writer(buf)
    for name in todo:
        per_frame = values[name].detach().double().cpu().flatten().tolist()
        offset = sample.num_frames - len(per_frame)  # temporal metrics give T−1 values, for frames 1..T−1
        if offset not in (0, 1):
            raise ValueError(f"metric '{name}' returned {len(per_frame)} values for a clip of "
                             f"{sample.num_frames} frames")
        for i, v in enumerate(per_frame):
            writer.writerow([label, dataset_name, sample.clip_id, i + offset, name, repr(float(v))])
    return buf.getvalue(), skipped


def _skip_path(out_dir: Path, label: str, clip_id: str) -> Path:
    return out_dir / "parts" / _clip_key(label) / f"{_clip_key(clip_id)}.skipped.json"


def _collect_skips(out_dir: Path, labels: list[str], clip_ids: list[str]) -> dict[str, dict[str, list[str]]]:
    """metric → clip → unmet needs, over every scored (method, clip), this invocation's or a resumed one's."""
    skipped: dict[str, dict[str, list[str]]] = {}
    for label in labels:
        for clip_id in clip_ids:
            path = _skip_path(out_dir, label, clip_id)
            if path.exists():
                for name, missing in json.loads(path.read_text()).items():
                    skipped.setdefault(name, {})[clip_id] = missing
    return skipped


def _merge_parts(out_dir: Path, labels: list[str], clip_ids: list[str]) -> tuple[Path, dict]:
    """Concatenate part files (method order, then clip order) into results.csv; count NaN per method×metric."""
    nan_counts: dict[str, dict[str, int]] = {}
    final = out_dir / "results.csv"
    with atomic_path(final) as tmp, tmp.open("w", newline="") as f:
        f.write(",".join(RESULT_COLUMNS) + "\n")
        for label in labels:
            for clip_id in clip_ids:
                part = out_dir / "parts" / _clip_key(label) / f"{_clip_key(clip_id)}.csv"
                if not part.exists():
                    continue
                text = part.read_text()
                f.write(text)
                for row in csv.reader(io.StringIO(text)):
                    if math.isnan(float(row[5])):
                        counts = nan_counts.setdefault(label, {})
                        counts[row[4]] = counts.get(row[4], 0) + 1
    return final, nan_counts


def environment() -> dict:
    """Package versions and the git revision of the code that produced the results (harmonizer.environment)."""
    return capture_environment(("torch", "numpy", "opencv-python", "pandas", "scipy", "ptlflow",
                                "video-harmonization-suite"))


def run_benchmark(methods: dict, dataset, out_dir: str | os.PathLike, flow: str | None = "dis",
                  metrics: list[str] | None = None, *, protocol: str = DEFAULT_PROTOCOL,
                  flow_options: dict | None = None, on_error: str = "raise", progress: bool = True,
                  extra_config: dict | None = None, overwrite: bool = False) -> Path:
    """Score ``methods`` (label → method object) on ``dataset`` (a reader or a folder) into ``out_dir``.

    ``out_dir`` is a harmonizer.outputs folder (a user's folder is refused; ``overwrite`` starts afresh, keeping
    files the suite did not write); a method whose identity (bench.identity: weights, settings, external files)
    differs from the one that scored its part files is scored again.

    Returns ``out_dir``, holding ``results.csv``, ``manifest.json`` and ``parts/``.  See the module docstring for
    flow, resume and NaN handling; ``extra_config`` is recorded as-is in the manifest (e.g. method options).
    """
    start = time.perf_counter()
    if on_error not in ("raise", "skip"):
        raise ValueError(f"on_error must be 'raise' or 'skip', got '{on_error}'")
    if not methods:
        raise ValueError("no methods to score")
    reader = open_dataset(dataset) if isinstance(dataset, (str, os.PathLike)) else dataset
    steps = get_protocol(protocol)  # its reading, flow frames, pairs, aggregates (bench.protocols, the one registry)
    if metrics is None and getattr(reader, "temporal_only", False):  # e.g. CO2Net's TL-task pairs
        metrics = [n for n, s in metrics_for(protocol).items() if s.temporal]
    specs = resolve_metrics(metrics, protocol)
    out_dir = Path(out_dir)
    claim_dir(out_dir, kind="bench-results", resume=True, overwrite=overwrite, legacy=("run_config.json",),
              inputs=[getattr(reader, "root", None)] + [m.root for m in methods.values() if isinstance(m, ExternalMethod)])
    identities = {label: method_identity(m) for label, m in methods.items()}
    flow_source = _FlowSource(flow, flow_options or {}, frames=steps.flow_frames)
    config = {"dataset": {"name": reader.name, "kind": getattr(reader, "kind", type(reader).__name__),
                          "root": str(getattr(reader, "root", ""))},
              "flow": {"estimator": flow, "settings": flow_source.description,
                       "frames": "stored ground-truth flow" if flow == "gt"
                       else "estimated on the composite (the input video)" if steps.flow_frames == "composite"
                       else "estimated on gt frames if present, else on the composite",
                       "peer_flow": steps.peer_flow},
              "protocol": protocol,
              "protocol_steps": steps.describe(),
              "metrics": {n: {"needs": sorted(s.needs), "higher_is_better": s.higher_is_better, "scale": s.scale}
                          for n, s in specs.items()},
              "methods": {label: f"{type(m).__module__}.{type(m).__name__}" for label, m in methods.items()},
              # what decided each output where a method says (e.g. the GAN's mask_mode and blend)
              "method_settings": {label: dict(m.settings) for label, m in methods.items()
                                  if isinstance(getattr(m, "settings", None), dict)},
              "method_identity": identities,
              **(extra_config or {})}
    _check_resume_config(out_dir, config)
    refresh_changed_methods(out_dir / "parts", identities, lambda label: out_dir / "parts" / _clip_key(label))
    clip_ids = reader.clip_ids()
    labels = list(methods)
    errors, scored, resumed = [], 0, 0
    method_seconds: dict[str, float] = {}  # time inside each method (outputs only, not metrics) in this run
    for clip_id in tqdm(clip_ids, desc=f"scoring {reader.name}", unit="clip", disable=not progress):
        parts = {label: out_dir / "parts" / _clip_key(label) / f"{_clip_key(clip_id)}.csv" for label in labels}
        todo = [label for label in labels if not parts[label].exists()]
        resumed += len(labels) - len(todo)
        if not todo:
            continue
        try:
            sample = reader.load(clip_id)
            inputs = {"gt": sample.gt, "mask": sample.mask, **flow_source.flows(sample)}
            for label in todo:
                tick = time.perf_counter()
                output = _method_outputs(methods[label], sample, label)
                method_seconds[label] = method_seconds.get(label, 0.0) + time.perf_counter() - tick
                text, skip = _score_clip(label, reader.name, sample, output, inputs, specs, protocol)
                if skip:  # written before the part file, so every finished part has its skips on disk
                    write_text_atomic(_skip_path(out_dir, label, clip_id), json.dumps(skip, sort_keys=True))
                write_text_atomic(parts[label], text)
                scored += 1
        except ClipError as exc:
            if on_error == "raise":
                raise
            errors.append({"clip": clip_id, "error": str(exc)})
    results, nan_counts = _merge_parts(out_dir, labels, clip_ids)
    skipped = _collect_skips(out_dir, labels, clip_ids)
    manifest = {"config": config, **environment(), "wall_time_s": round(time.perf_counter() - start, 3),
                "clips": len(clip_ids), "scored_pairs": scored, "resumed_pairs": resumed,
                "skipped_metrics": {n: {"clips": len(c), "unmet_needs": sorted({x for m in c.values() for x in m})}
                                    for n, c in skipped.items()},
                "nan_counts": nan_counts, "errors": errors, "results": results.name,
                "method_seconds": {k: round(v, 3) for k, v in method_seconds.items()}}
    write_text_atomic(out_dir / "manifest.json", json.dumps(manifest, indent=2, sort_keys=True))
    finish_dir(out_dir)
    return out_dir


def _check_resume_config(out_dir: Path, config: dict) -> None:
    """Part files from a run with another dataset, flow or metric set must not be mixed into this one."""
    path = out_dir / "run_config.json"
    key = {k: config[k] for k in ("dataset", "flow", "protocol", "metrics")}
    if path.exists():
        old = json.loads(path.read_text())
        if old != json.loads(json.dumps(key)):
            raise ValueError(f"{out_dir} holds results of a different run (dataset, flow, protocol or metrics differ "
                             f"from {path}); use a new --out folder or delete it")
    else:
        write_text_atomic(path, json.dumps(key, indent=2, sort_keys=True))
