#!/usr/bin/env bash
# Run by full-run.sh on the GPU machine (APP, W, OUT and PYTHON from run.sh): the accuracy of the
# reduced precisions on CUDA against the golden fixtures' float64 references, then one corpus
# embedded by one process and by two shards sharing the GPU (the split is correct; the scaling on
# several GPUs needs a multi-GPU machine: docs/scale-out.md).
set -uo pipefail
REPO=$(pwd)
FIX=$REPO/test/EegDino.ML.Tests/TestData/fixtures
mkdir -p "$W/precision"
echo "== precision on CUDA (NRMSE vs float64; reported, bounds in docs/encoder.md)"
for name in small medium_2layer; do
  for p in fp32 bf16 fp16; do
    "$APP/eegdino" encode --model "$FIX/$name.weights.safetensors" --config "$FIX/$name.json" --input "$FIX/$name.io.safetensors" \
      --output "$W/precision/$name.$p.safetensors" --scale 1 --device cuda --precision "$p" > /dev/null \
      && "$PYTHON" .gpu/gpu_parity.py compare --reference "$FIX/$name.io.safetensors" --actual "$W/precision/$name.$p.safetensors" \
           --label "$name cuda $p" --judge none --json "$OUT/precision.json"
  done
done

echo "== two shards on one GPU against one process (Small fixture, bf16, 4-s windows)"
corpus=$W/corpus
for i in $(seq -w 0 $((${EEGDINO_SHARD_COPIES:-40} - 1))); do
  mkdir -p "$corpus/s$i"
  for f in S001R01.edf S001R02.edf Subject00_2.edf; do cp "$REPO/test/EegDino.ML.Tests/TestData/eeg/$f" "$corpus/s$i/"; done
done
args=(--model "$FIX/small.weights.safetensors" --config "$FIX/small.json" --device ${EEGDINO_SHARD_DEVICE:-cuda} --precision ${EEGDINO_SHARD_PRECISION:-bf16} --window-seconds 4 --batch-size 256 --format csv)
start=$EPOCHREALTIME
"$APP/eegdino" embed "$corpus" "${args[@]}" --output "$W/whole.csv" > "$W/whole.log" 2>&1 || { tail -5 "$W/whole.log"; exit 1; }
one=$(awk "BEGIN { printf \"%.1f\", $EPOCHREALTIME - $start }")
start=$EPOCHREALTIME
"$APP/eegdino" embed "$corpus" "${args[@]}" --output "$W/dataset" --shard 0/2 > "$W/shard0.log" 2>&1 &
"$APP/eegdino" embed "$corpus" "${args[@]}" --output "$W/dataset" --shard 1/2 > "$W/shard1.log" 2>&1
wait
two=$(awk "BEGIN { printf \"%.1f\", $EPOCHREALTIME - $start }")
"$APP/eegdino" embed --verify "$W/dataset" | tee "$W/verify.log"
rows=$(($(wc -l < "$W/whole.csv") - 1))
"$PYTHON" - "$W/whole.csv" "$W/dataset" <<'PY' | tee "$OUT/shards.txt"
import csv, glob, sys, numpy as np
def rows(paths):
    out = {}
    for p in paths:
        with open(p) as f:
            r = csv.reader(f); next(r)
            for row in r:
                key = tuple(row[:7]); assert key not in out, ("twice", key); out[key] = np.array(row[7:], dtype=np.float64)
    return out
whole = rows([sys.argv[1]]); parts = rows(sorted(glob.glob(sys.argv[2] + "/part-*.csv")))
assert whole.keys() == parts.keys(), "different windows"
worst = max(np.linalg.norm(parts[k] - v) / np.linalg.norm(v) for k, v in whole.items())
print(f"windows: {len(whole)} in one run, {len(parts)} in two shards, worst per-window NRMSE {worst:.2e}")
PY
echo "one process: $one s for $rows windows; two shards on one GPU: $two s" | tee -a "$OUT/shards.txt"
grep -h "windows (" "$W/whole.log" "$W/shard0.log" "$W/shard1.log" | tee -a "$OUT/shards.txt"
