#!/bin/bash
# p99 at 300 channels with batch 64: default (inline checkpoints) vs checkpoint worker vs worker + 30 ms batch wait. Alternating.
cd /work/main
mkdir -p /work/runs/s6/abp
for r in 1 2; do
  for v in def ckw ckw30; do
    case $v in def) set_="";; ckw) set_="--set store.checkpoint=worker";; ckw30) set_="--set store.checkpoint=worker --set inference.batchMaxWaitMs=30";; esac
    /work/runs/waitq.sh 0.7
    node dist/bench/run.js --only e2e --sensors 300 --e2e-seconds 30 $set_ --out /work/runs/s6/abp/n300-$v-r$r.json > /work/runs/s6/abp/n300-$v-r$r.log 2>&1
  done
done
echo done > /work/runs/s6/abp/DONE
for n in 150 180; do
  /work/runs/waitq.sh 0.7
  node dist/bench/run.js --only e2e --sensors $n --e2e-seconds 30 --model models/drsn-cw-wide-cwru --out /work/runs/s6/abp/wide-n$n.json > /work/runs/s6/abp/wide-n$n.log 2>&1
done
echo done > /work/runs/s6/abp/DONE2
