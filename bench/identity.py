"""What produced a method's results, so a results folder never mixes two versions of a method (docs/safety.md).

:func:`method_identity` describes a method object by what decides its outputs: its class, its ``settings``
(e.g. the GAN's mask mode and blend), the sha256 of every weight it holds (its loaded checkpoint, found on the
object and the objects it wraps), and for results made elsewhere (:class:`bench.datasets.ExternalMethod`) a
fingerprint of their folder (every file's relative path, size and modification time).

:func:`refresh_changed_methods` keeps ``OUT/parts/<method>/identity.json`` beside a method's part files: when a
rerun into the same folder brings a method whose identity differs (another checkpoint, remade external results),
that method's part files are deleted — they are the suite's own — and it is scored again, with a line on stderr.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from pathlib import Path

import torch

from harmonizer.atomic import write_json_atomic

IDENTITY_FILE = "identity.json"
_SEARCH_DEPTH = 3  # how deep wrapped objects are searched for modules (a wrapper of a wrapper of a model)


def _modules(obj, depth: int, seen: set[int]):
    """(attribute path, nn.Module) pairs held by ``obj`` or by objects it holds, each module once."""
    if depth > _SEARCH_DEPTH or id(obj) in seen or not hasattr(obj, "__dict__"):
        return
    seen.add(id(obj))
    for name, value in sorted(vars(obj).items()):
        if isinstance(value, torch.nn.Module):
            if id(value) not in seen:
                seen.add(id(value))
                yield name, value
        elif not isinstance(value, (str, bytes, int, float, bool, Path, torch.Tensor)) and value is not None:
            for sub, module in _modules(value, depth + 1, seen):
                yield f"{name}.{sub}", module


def weights_sha256(method) -> str | None:
    """sha256 over the names and bytes of every parameter and buffer the method holds (None: it holds none)."""
    h, found = hashlib.sha256(), False
    for path, module in _modules(method, 0, set()):
        for key, tensor in module.state_dict().items():
            found = True
            h.update(f"{path}.{key}:{tensor.dtype}:{tuple(tensor.shape)}".encode())
            h.update(memoryview(tensor.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy()))  # no copy
    return h.hexdigest() if found else None


def folder_fingerprint(folder: str | os.PathLike) -> dict:
    """sha256 of every file's relative path, size and modification time under ``folder``, and the file count."""
    folder = Path(folder)
    rows = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        for name in sorted(filenames):
            st = os.stat(os.path.join(dirpath, name))
            rows.append([os.path.relpath(os.path.join(dirpath, name), folder), st.st_size, st.st_mtime_ns])
    return {"files": len(rows), "sha256": hashlib.sha256(json.dumps(rows).encode()).hexdigest()}


def method_identity(method) -> dict:
    """What decides ``method``'s outputs (see the module docstring), JSON-able."""
    identity: dict = {"class": f"{type(method).__module__}.{type(method).__name__}"}
    settings = getattr(method, "settings", None)
    if isinstance(settings, dict):
        identity["settings"] = json.loads(json.dumps(settings, sort_keys=True, default=str))
    if hasattr(method, "outputs_for") and hasattr(method, "root"):  # results made elsewhere
        identity["external"] = {"folder": str(Path(method.root) / method.name),
                                **folder_fingerprint(Path(method.root) / method.name)}
    digest = weights_sha256(method)
    if digest is not None:
        identity["weights_sha256"] = digest
    return identity


def _changed(old: dict, new: dict) -> str:
    keys = sorted(k for k in set(old) | set(new) if k != "class" and old.get(k) != new.get(k))
    return ", ".join(keys) or "class"


def refresh_changed_methods(parts_dir: Path, identities: dict[str, dict], folder_of) -> list[str]:
    """Delete the part files of every method whose recorded identity differs from ``identities`` (label →
    identity); record the identity of every method.  ``folder_of(label)`` is the method's part folder.
    Returns the labels that will be scored again."""
    rescored = []
    for label, identity in identities.items():
        folder = folder_of(label)
        path = folder / IDENTITY_FILE
        try:
            old = json.loads(path.read_text())
        except (OSError, ValueError):
            old = None
        if old is not None and old != identity:
            n = len(list(folder.glob("*.csv")))
            print(f"bench: method '{label}' is not what scored the results in {folder} ({_changed(old, identity)} "
                  f"changed); rescoring its {n} clip(s)", file=sys.stderr)
            shutil.rmtree(folder)
            rescored.append(label)
        if old != identity:
            write_json_atomic(path, identity, indent=2, sort_keys=True)
    return rescored
