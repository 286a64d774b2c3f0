#!/bin/bash
# Engine alone, 1 thread: batch sizes and the ReduceL1 graph, alternating.
cd /work/main
P=bench/results/ab-2026-11-30-soft-threshold/ortprof.mjs
for r in 1 2 3 4; do
  for b in 16 32 64; do node $P models/drsn-cw-cwru/model.onnx $b $((12800 / b)); done
  for b in 16 64; do node $P /work/runs/s6/l1.onnx $b $((12800 / b)); done
done
