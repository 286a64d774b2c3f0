#!/bin/sh
# Engine alone (onnxruntime, 1 thread, batch 64, 200 batches): default vs wide vs wide-x2, alternating
# order round by round, on a quiet machine. From the repository root, after `npm run build`.
set -e
ORT=bench/results/ab-2026-12-01-stem-kernel/ortopt.mjs
for r in 1 2 3 4 5 6; do
  if [ $((r % 2)) -eq 1 ]; then order="drsn-cw-cwru drsn-cw-wide-cwru drsn-cw-wide-x2-cwru"; else order="drsn-cw-wide-x2-cwru drsn-cw-wide-cwru drsn-cw-cwru"; fi
  for m in $order; do echo "$r models/$m: $(node $ORT models/$m/model.onnx 64 200 base)"; done
done
