"""Records every window span drawn from a prepared dataset by drsn.data (training sampler with
time-stretch, fixed-stride val/test, cross-load test); prints JSON for tests/unit/split-time-disjoint.test.ts."""
import json
import sys

import numpy as np

import drsn.data as data

prep = data.Prepared(sys.argv[1])
owner = {id(r.x): r.id for r in prep.records}
spans = []
real_cut = data.cut


def spying_cut(x, starts, length, factor=1.0):
    span = data.stretch_span(length, factor)
    for s in np.asarray(starts).tolist():
        spans.append([owner[id(x)], int(s), int(s) + span])
    return real_cut(x, starts, length, factor)


data.cut = spying_cut
out = {}
for name, fn in {
    "train": lambda: data.TrainSampler(prep, 40, 0, data.AugmentConfig()).epoch(0),
    "val": lambda: data.fixed_windows(prep, "val", 512),
    "test": lambda: data.fixed_windows(prep, "test", 256),
    "testStretched": lambda: data.fixed_windows(prep, "test", 256, factor=1.1),
    "crossLoadTrain": lambda: data.TrainSampler(prep, 40, 0, data.AugmentConfig(), cross_load=True).epoch(0),
    "crossLoadTest": lambda: data.fixed_windows(prep, "test", 256, cross_load=True),
}.items():
    spans.clear()
    fn()
    out[name] = list(spans)
json.dump(out, sys.stdout)
