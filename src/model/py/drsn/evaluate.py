"""Test-split evaluation: clean, each noise type over an SNR sweep, time-stretch, per-class metrics.

Noise for every (type, SNR) uses its own fixed seed, so two models are compared on identical noisy
windows and a rerun gives identical numbers.
"""
import numpy as np

from .data import Prepared, fixed_windows, zscore
from .folder import load_model  # noqa: F401 (re-exported: callers import it from here)
from .noise import NOISE_TYPES, add_noise
from .train import predict

EVAL_SNRS_DB = (4, 2, 0, -2, -4, -5, -6, -8, -10)
EVAL_STRETCH = (0.9, 0.95, 1.05, 1.1)
EVAL_SEED = 20200707
TEST_STRIDE = 256


def confusion(y_true, y_pred, k):
    m = np.zeros((k, k), dtype=np.int64)
    np.add.at(m, (y_true, y_pred), 1)
    return m


def per_class(m, names):
    out = []
    for i, name in enumerate(names):
        tp = int(m[i, i])
        support = int(m[i].sum())
        predicted = int(m[:, i].sum())
        out.append({"class": name, "support": support,
                    "precision": tp / predicted if predicted else None,
                    "recall": tp / support if support else None})
    return out


def evaluate(net, prep: Prepared, cross_load: bool = False, stride: int = TEST_STRIDE, log=print, quick=False):
    names = [c["name"] for c in prep.classes]
    raw, y, _ = fixed_windows(prep, "test", stride, cross_load=cross_load)
    snrs = EVAL_SNRS_DB if not quick else (0,)
    p = predict(net, zscore(raw))
    m = confusion(y, p.argmax(1), len(names))
    res = {"split": "cross-load (train 0-2 hp, test faults at 3 hp)" if cross_load else "test (time-disjoint)",
           "stride": stride, "windows": int(len(y)), "perClassWindows": np.bincount(y, minlength=len(names)).tolist(),
           "classes": names, "clean": float(np.trace(m) / m.sum()), "confusion": m.tolist(),
           "perClass": per_class(m, names), "noise": {}, "noiseConfusion": {}, "stretch": {}}
    log(f"eval: {len(y)} test windows, clean accuracy {res['clean']:.4f}")
    for k, kind in enumerate(NOISE_TYPES):
        res["noise"][kind] = {}
        for j, snr in enumerate(snrs):
            rng = np.random.default_rng([EVAL_SEED, k, j])
            pred = predict(net, zscore(add_noise(raw, kind, snr, rng))).argmax(1)
            res["noise"][kind][str(snr)] = float((pred == y).mean())
            if snr == -5:
                res["noiseConfusion"][f"{kind}@-5dB"] = confusion(y, pred, len(names)).tolist()
        log(f"eval: {kind} " + " ".join(f"{s}dB {a:.3f}" for s, a in res["noise"][kind].items()))
    for f in (EVAL_STRETCH if not quick else (1.1,)):
        xs, ys, _ = fixed_windows(prep, "test", stride, factor=f, cross_load=cross_load)
        res["stretch"][str(f)] = float((predict(net, zscore(xs)).argmax(1) == ys).mean())
    log("eval: time-stretch " + " ".join(f"x{f} {a:.3f}" for f, a in res["stretch"].items()))
    return res
