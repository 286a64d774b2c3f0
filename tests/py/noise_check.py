"""Measures drsn.noise on real-looking windows; prints JSON for tests/unit/noise-generators.test.ts to assert on."""
import json
import sys

import numpy as np

from drsn.noise import NOISE_TYPES, add_noise

rng = np.random.default_rng(3)
L = 2048
t = np.arange(L) / 12000.0
# Tones + impulses, different scales per window: SNR must be relative to each window's own power.
x = np.stack([rng.uniform(0.01, 5.0) * (np.sin(2 * np.pi * rng.uniform(50, 4000) * t) + 0.3 * rng.standard_normal(L))
              for _ in range(64)])
out = {"snr": {}, "kurtosis": {}, "pinkSlope": None, "whiteSlope": None}
for kind in NOISE_TYPES:
    out["snr"][kind] = {}
    for target in (-10, -5, 0, 5, 10):
        y = add_noise(x, kind, target, rng)
        n = y - x  # measured here, independently of the module
        got = 10 * np.log10(np.mean(x * x, axis=1) / np.mean(n * n, axis=1))
        out["snr"][kind][str(target)] = [float(got.min()), float(got.max())]
    n = add_noise(np.ones((64, L)), kind, 0.0, rng) - 1.0
    z = (n - n.mean(axis=1, keepdims=True)) / n.std(axis=1, keepdims=True)
    out["kurtosis"][kind] = float(np.mean(z ** 4))


def slope(noise):
    """Least-squares slope of log10 PSD vs log10 f over 10 Hz .. 5 kHz (averaged periodograms)."""
    psd = np.mean(np.abs(np.fft.rfft(noise, axis=-1)) ** 2, axis=0)
    f = np.fft.rfftfreq(noise.shape[-1], 1 / 12000.0)
    band = (f >= 10) & (f <= 5000)
    return float(np.polyfit(np.log10(f[band]), np.log10(psd[band]), 1)[0])


zeros_signal = np.ones((256, 8192))
out["pinkSlope"] = slope(add_noise(zeros_signal, "pink", 0.0, rng) - 1.0)
out["whiteSlope"] = slope(add_noise(zeros_signal, "gaussian", 0.0, rng) - 1.0)
json.dump(out, sys.stdout)
