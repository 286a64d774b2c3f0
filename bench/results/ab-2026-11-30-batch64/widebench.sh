#!/bin/bash
# Engine alone, 1 thread, batch 64: paper-width vs 2x-wide model, alternating.
cd /work/main
P=bench/results/ab-2026-11-30-soft-threshold/ortprof.mjs
for r in 1 2 3; do
  node $P models/drsn-cw-cwru/model.onnx 64 200
  node $P models/drsn-cw-wide-cwru/model.onnx 64 100
done
