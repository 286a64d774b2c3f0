"""Self time per function from V8 .cpuprofile files (BENCH_CPU_PROF runs): python3 bench/lib/profile-summary.py DIR [top]"""
import collections
import glob
import json
import os
import sys

top = int(sys.argv[2]) if len(sys.argv) > 2 else 25
for f in sorted(glob.glob(os.path.join(sys.argv[1], "*.cpuprofile"))):
    p = json.load(open(f))
    nodes = {n["id"]: n for n in p["nodes"]}
    dt = collections.Counter()
    # samples[i] was taken timeDeltas[i] after the previous one: attribute each delta to its node.
    for sid, d in zip(p["samples"], p["timeDeltas"]):
        dt[sid] += d
    by = collections.Counter()
    for sid, d in dt.items():
        cf = nodes[sid]["callFrame"]
        url = cf["url"].split("/work/main/")[-1].split("node_modules/")[-1]
        by[f'{cf["functionName"] or "(anon)"} {url}:{cf["lineNumber"] + 1}'] += d
    total = sum(by.values()) or 1
    print(f"== {os.path.basename(f)}: {total / 1e6:.1f} s sampled")
    for k, v in by.most_common(top):
        print(f"  {100 * v / total:5.1f}%  {k}")
