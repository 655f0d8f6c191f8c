#!/usr/bin/env bash
# The checkout travels whole with a device call, and with .gpu/ it is just over the 64 MiB a call
# takes. These tracked files are of no use on the GPU machine (the demo's fonts, the filters' MNE
# references: CPU-only tests), so they are held outside the checkout during the call:
#   bash scripts/gpu/hold.sh            # before the call (pack.sh first: it copies the tree)
#   bash scripts/gpu/hold.sh --restore  # after it, always; git status must then be clean of deletions
set -euo pipefail
repo=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
held=${EEGDINO_GPU_HELD:-/tmp/eegdino-gpu-held}
files=(
  src/EegDino.ML.Samples/Fonts/DejaVuSans.ttf
  src/EegDino.ML.Samples/Fonts/DejaVuSans-Bold.ttf
  test/EegDino.ML.Tests/TestData/eeg/reference/filters_160.safetensors
  test/EegDino.ML.Tests/TestData/eeg/reference/filters_500.safetensors
)
if [[ ${1:-} == --restore ]]; then
  for f in "${files[@]}"; do [[ -e $held/$f ]] && { mkdir -p "$repo/$(dirname "$f")"; mv "$held/$f" "$repo/$f"; }; done
  git -C "$repo" ls-files --deleted | grep . && { echo "hold: still missing (above)" >&2; exit 1; }
  echo "hold: restored"
else
  for f in "${files[@]}"; do mkdir -p "$held/$(dirname "$f")"; mv "$repo/$f" "$held/$f"; done
  echo "hold: ${#files[@]} files held in $held; restore with: bash scripts/gpu/hold.sh --restore"
fi
