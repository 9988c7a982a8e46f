"""One way to hash a file: its hex digest, read in 1 MiB blocks (weights and media can be large)."""
from __future__ import annotations

import hashlib
import os


def file_digest(path: str | os.PathLike, algorithm: str = "sha256") -> str:
    """Hex digest of the file at ``path`` with ``hashlib``'s ``algorithm`` (e.g. "sha256", "sha1")."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
