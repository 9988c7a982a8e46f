"""Errors for people: the one wrapper every ``python -m ...`` command line runs its ``main`` through.

::

    if __name__ == "__main__":
        sys.exit(run_cli(main))

A user's mistake or a failed run prints one line, ``error: <message>`` (the message names the file, clip, row or
option and what to do), and exits with 2 for usage errors (:class:`UsageError`, refused outputs, a bad option
value) or 1 for a run that failed.  ``--debug`` anywhere on the command line, or ``VHS_DEBUG=1`` in the
environment, shows the full traceback instead.  ``main`` is still an ordinary function for tests: it raises.
"""
from __future__ import annotations

import os
import sys
import traceback
from typing import Callable, Sequence

from harmonizer.atomic import OutputError

__all__ = ["UsageError", "run_cli", "debug_enabled", "USAGE_EXIT", "FAILURE_EXIT"]

USAGE_EXIT = 2  # as argparse's own errors
FAILURE_EXIT = 1
DEBUG_FLAG = "--debug"
DEBUG_ENV = "VHS_DEBUG"

# exceptions that carry a message meant for the user; anything else is shown with its type (it may be a bug)
_USER_FACING = (ValueError, OSError, RuntimeError, LookupError)


class UsageError(ValueError):
    """The command line asks for something impossible (a bad option value, an unknown name): exit 2."""


def debug_enabled(argv: Sequence[str]) -> bool:
    return DEBUG_FLAG in argv or os.environ.get(DEBUG_ENV, "").strip().lower() in ("1", "true", "yes")


def _message(exc: BaseException) -> str:
    text = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
    text = " ".join(text.split()) or type(exc).__name__
    return text if isinstance(exc, _USER_FACING) else f"{type(exc).__name__}: {text}"


def run_cli(main: Callable, argv: Sequence[str] | None = None, *, prog: str | None = None) -> int:
    """Run ``main(argv)`` (``--debug`` removed from it); return the exit status (0, 1 or 2)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = debug_enabled(argv)
    argv = [a for a in argv if a != DEBUG_FLAG]
    prefix = f"{prog}: error" if prog else "error"
    try:
        main(argv)
    except SystemExit as exc:  # argparse (already printed, exit 2) or a command's own SystemExit("message")
        if isinstance(exc.code, str):
            print(f"{prefix}: {exc.code}", file=sys.stderr)
            return USAGE_EXIT
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else FAILURE_EXIT)
    except KeyboardInterrupt:
        if debug:
            traceback.print_exc()
        print(f"{prefix}: interrupted; run the same command again to resume where it stopped", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the point: one line instead of a traceback
        if debug:
            traceback.print_exc()
        usage = isinstance(exc, (UsageError, OutputError))
        hint = "" if debug else f"  [{DEBUG_FLAG} or {DEBUG_ENV}=1 shows the traceback]"
        print(f"{prefix}: {_message(exc)}{hint if not usage else ''}", file=sys.stderr)
        return USAGE_EXIT if usage else FAILURE_EXIT
    return 0
