"""Write a file or a folder so that readers see either the old version or the complete new one, never half of it.

Every writer of the suite goes through this module: the content is written to a temporary sibling (same folder,
so the final rename stays on one file system and is atomic), renamed onto the target on success, and removed
if anything inside the block raises (``KeyboardInterrupt`` included), leaving the previous version in place::

    with atomic_path(out / "sheet.png") as tmp:      # tmp ends in ".png": cv2 / savefig / np.save pick the format
        cv2.imwrite(str(tmp), image)

    with atomic_directory(out / "clip_000001") as tmp:   # an empty folder; replaces any existing one on success
        (tmp / "meta.json").write_text("{}")

    write_text_atomic(path, text)
    write_json_atomic(path, obj, indent=2, sort_keys=True)
    write_jsonl_atomic(path, records, sort_keys=True)    # one JSON line per record, streamed

Temporary names are ``.tmp-<stem>-<pid>-<8 hex><suffix>``: hidden, unique per process and per call (so build shards
and pool workers writing side by side never collide), beginning with the target's stem (so a cleanup can tell whose
leftover it is, e.g. ``harmonizer.data.build.remove_stale_temporaries`` reads the clip index from it) and ending with
the target's suffix.  Renames are atomic for readers and against a crash of the writing process; there is no fsync,
so a power cut may still lose the latest version.

One guard protects the user's files: while a writer of :mod:`harmonizer.outputs` has a folder open, its marker
(``.vhs-output.json``) lists the entries the suite did not write, and replacing one of them is refused
(:class:`OutputError`).  The marker's format and every other output rule live in :mod:`harmonizer.outputs`.

This is the lowest layer: it imports nothing from the suite.
"""
from __future__ import annotations

import errno
import json
import os
import shutil
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterable, Iterator

__all__ = ["MARKER", "OutputError", "temp_sibling", "atomic_path", "atomic_directory", "swap_directory",
           "write_text_atomic", "write_json_atomic", "write_jsonl_atomic"]

MARKER = ".vhs-output.json"  # the output-folder marker of harmonizer.outputs

# how often a folder rename is retried when another writer puts the same folder in place between our two renames
_DIRECTORY_ATTEMPTS = 5


class OutputError(ValueError):
    """The suite refuses to write an output; the message names the path and says what to do (a usage error)."""


def refuse_foreign(path: str | os.PathLike) -> None:
    """Raise :class:`OutputError` if ``path`` exists and its folder's open marker lists it as not the suite's."""
    path = Path(path)
    if not os.path.lexists(path):
        return
    try:
        marker = json.loads((path.parent / MARKER).read_text())
    except (OSError, ValueError):
        return
    if isinstance(marker, dict) and marker.get("open") and path.name in marker.get("foreign", ()):
        raise OutputError(f"{path} was not written by this suite (or was changed since); move it away to let "
                          f"the suite write it")


def temp_sibling(path: str | os.PathLike, *, suffix: str | None = None) -> Path:
    """A fresh name beside ``path``: ``.tmp-<stem>-<pid>-<8 hex><path's suffix>``, or, given ``suffix``,
    ``.tmp-<whole name>-<pid>-<8 hex><suffix>`` (folders: ``suffix=""`` keeps a dotted folder name whole)."""
    path = Path(path)
    stem, suffix = (path.stem, path.suffix) if suffix is None else (path.name, suffix)
    return path.with_name(f".tmp-{stem}-{os.getpid()}-{uuid.uuid4().hex[:8]}{suffix}")


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


@contextmanager
def atomic_path(path: str | os.PathLike, *, parents: bool = True) -> Iterator[Path]:
    """Yield a temporary sibling of ``path`` (not yet created, same suffix); on leaving the block it is renamed onto
    ``path``, replacing any existing file.  If the block raises, the temporary is removed and ``path`` is untouched.
    ``parents`` creates the target's folder first.  A block that writes nothing is an error naming ``path``."""
    path = Path(path)
    if parents:
        path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_sibling(path)
    try:
        yield tmp
        if not os.path.lexists(tmp):
            raise FileNotFoundError(f"nothing was written for {path} (its temporary {tmp.name} was never created)")
        refuse_foreign(path)
        os.replace(tmp, path)
    except BaseException:
        _remove(tmp)
        raise


def swap_directory(tmp: Path, path: Path) -> None:
    """Rename folder ``tmp`` onto ``path``, replacing whatever is there; the old content is deleted afterwards."""
    for attempt in range(_DIRECTORY_ATTEMPTS):
        old = None
        if os.path.lexists(path):
            # rename the old one aside instead of deleting it first: the gap without a folder is two renames long
            old = temp_sibling(path, suffix=".old")
            try:
                os.replace(path, old)
            except FileNotFoundError:
                old = None  # another writer moved it meanwhile
        try:
            os.replace(tmp, path)
        except OSError as err:
            raced = err.errno in (errno.ENOTEMPTY, errno.EEXIST) and os.path.lexists(path)
            if old is not None:
                if raced:
                    _remove(old)  # a newer complete folder is in place; ours replaces it on the next attempt
                else:
                    os.replace(old, path)  # put the previous version back before reporting the error
            if raced and attempt + 1 < _DIRECTORY_ATTEMPTS:
                continue
            raise
        if old is not None:
            _remove(old)
        return


@contextmanager
def atomic_directory(path: str | os.PathLike, *, parents: bool = True) -> Iterator[Path]:
    """Yield a new empty temporary folder beside ``path``; on leaving the block it replaces ``path`` (an existing
    folder or file there is removed).  If the block raises, the temporary folder is removed and ``path`` is
    untouched.  ``parents`` creates the target's parent folder first."""
    path = Path(path)
    if parents:
        path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_sibling(path, suffix="")
    tmp.mkdir()
    try:
        yield tmp
        refuse_foreign(path)
        swap_directory(tmp, path)
    except BaseException:
        _remove(tmp)
        raise


def write_text_atomic(path: str | os.PathLike, text: str, *, encoding: str = "utf-8",
                      newline: str | None = None) -> Path:
    """Write ``text`` to ``path`` atomically (``newline`` as for :func:`open`); returns ``path``."""
    path = Path(path)
    with atomic_path(path) as tmp, open(tmp, "w", encoding=encoding, newline=newline) as f:
        f.write(text)
    return path


def write_json_atomic(path: str | os.PathLike, obj: Any, **json_kwargs) -> Path:
    """Write ``json.dumps(obj, **json_kwargs)`` to ``path`` atomically (no newline added); returns ``path``."""
    return write_text_atomic(path, json.dumps(obj, **json_kwargs))


def write_jsonl_atomic(path: str | os.PathLike, records: Iterable[Any], **json_kwargs) -> Path:
    """Write one ``json.dumps(record, **json_kwargs)`` line per record, streamed (a large iterable never sits in
    memory), atomically; returns ``path``."""
    path = Path(path)
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as f:
        for record in records:
            f.write(json.dumps(record, **json_kwargs) + "\n")
    return path
