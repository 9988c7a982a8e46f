"""What lets several runners and worker processes share one output folder (reports.pipeline).

* :class:`StepLock` — ``ROOT/locks/<step>.lock`` held with ``fcntl.flock`` while a step runs.  The lock
  belongs to the open file, so it is released when the holder closes it or its process ends in any way
  (no stale locks after a crash); the empty lock files stay.
* :func:`quiet_worker` — a worker process's start: one thread for the BLAS/OpenMP libraries.
* :func:`one_torch_thread` — every step runs with one torch thread, in the runner's own process too, so
  ``--jobs 1`` and ``--jobs N`` give the same bytes (float sums depend on the thread count) on any machine.
* :func:`redirected_output` — a step's stdout and stderr (file descriptors 1 and 2, so C-level output and
  progress bars too) appended to its log file while it runs in a worker.
"""
from __future__ import annotations

import contextlib
import fcntl
import os
import sys
from pathlib import Path


class StepLock:
    """Non-blocking advisory lock of one step's folder: ``with StepLock(root, name) as lock: lock.acquired``."""

    def __init__(self, root: Path, name: str):
        self.path = Path(root) / "locks" / f"{name}.lock"
        self.acquired = False
        self._fd: int | None = None

    def __enter__(self) -> "StepLock":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            self.acquired = True
        except BlockingIOError:
            self.acquired = False
        return self

    def __exit__(self, *exc) -> None:
        if self._fd is not None:
            if self.acquired:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    @staticmethod
    def held_elsewhere(root: Path, name: str) -> bool:
        """Whether someone else holds the lock of ``name`` right now."""
        if not (Path(root) / "locks" / f"{name}.lock").exists():
            return False
        with StepLock(root, name) as lock:
            return not lock.acquired


def quiet_worker() -> None:
    """Initialise a worker process: one thread for torch and the BLAS libraries (set before torch loads)."""
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = "1"


@contextlib.contextmanager
def one_torch_thread():
    """Run the block with ``torch.set_num_threads(1)``, restoring the caller's setting afterwards."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@contextlib.contextmanager
def redirected_output(log: Path | None):
    """Append fds 1 and 2 (and Python's sys.stdout/stderr) to ``log`` inside the block; None: no change."""
    if log is None:
        yield
        return
    log.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with open(log, "ab", buffering=0) as handle:
        os.dup2(handle.fileno(), 1)
        os.dup2(handle.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
