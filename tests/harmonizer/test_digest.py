from __future__ import annotations

import hashlib

import numpy as np

from harmonizer.digest import file_digest
from harmonizer.overrides import apply_overrides
from dataclasses import dataclass


@dataclass
class RealWorldConfig:  # the shape of bench.realworld's builder options
    frames: int | None = None
    fps: float = 10.0


def test_file_digest_equals_hashlib_on_the_whole_bytes(tmp_path):
    data = bytes(range(256)) * 9000  # > 1 MiB: several blocks
    path = tmp_path / "blob.bin"
    path.write_bytes(data)
    assert file_digest(path) == hashlib.sha256(data).hexdigest()
    assert file_digest(path, "sha1") == hashlib.sha1(data).hexdigest()


def test_builder_options_accept_numpy_numbers_and_name_unknown_keys():
    cfg = apply_overrides(RealWorldConfig(), {"frames": np.int64(5), "fps": np.float32(2.5)}, what="option")
    assert cfg.frames == 5 and type(cfg.frames) is int and cfg.fps == 2.5
    try:
        apply_overrides(RealWorldConfig(), {"frmes": 3}, what="real-world build option")
    except KeyError as exc:
        assert "frames" in str(exc)
    else:
        raise AssertionError("an unknown option must be refused")
