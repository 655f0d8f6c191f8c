#!/usr/bin/env bash
# The full GPU call (docs/gpu.md), there, from the repository root, after scripts/gpu/pack.sh here:
#   run(command='bash scripts/gpu/full-run.sh', carry=['.gpu'])
# The Cuda tests, then in one call: the bench (host path, device path, fp32/bf16/fp16, S/M/L at
# batch 8/64/256) next to the PyTorch peer on the same GPU, the accuracy of bf16/fp16 on CUDA against
# the float64 references, and two shards of one corpus on one GPU against one process.
set -uo pipefail
export EEGDINO_GPU_STEPS=${EEGDINO_GPU_STEPS:-tests}
BENCH=${EEGDINO_GPU_BENCH:---sizes small,medium,large --batch-sizes 8,64,256 --precision fp32,bf16,fp16 --repeats 5 --seconds 3}
PEER=${EEGDINO_GPU_PEER:---sizes small,medium,large --batches 8,64,256 --precision fp32,bf16,fp16 --repeats 5}
exec bash .gpu/run.sh \
  "timeout 300 \"\$APP/eegdino\" bench --device cuda $BENCH --json \"\$OUT/bench.json\" | tee \"\$W/bench.log\"" \
  "cd .gpu/peer && PYTHONUNBUFFERED=1 timeout 240 python3 pytorch_peer.py --device cuda $PEER --json \"\$OUT/peer.json\"" \
  "bash scripts/gpu/precision-and-shards.sh"
