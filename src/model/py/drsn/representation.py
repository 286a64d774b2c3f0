"""The envelope-order spectrum, drsn.json `input.representation.kind == "envelope-order-spectrum"`.

The same numbers as src/physics/order-spectrum.ts (the daemon's copy; the steps are documented there),
batched with numpy for training. tests/integration/order-spectrum-agreement.test.ts holds the two
together: a model folder's reference windows carry the raw samples, and TypeScript must rebuild the
exact inputs PyTorch classified.
"""
import numpy as np

KIND = "envelope-order-spectrum"

# The recipe chosen in docs/reports/drsn-eos-cwru/ (Phase A): 16 revolutions, squared envelope of
# 500-4000 Hz (below CWRU's 4.1-4.4 kHz electrical lines, above shaft harmonics), 256 positions over
# [0, 3) with BPFO at 0.8 and BPFI at 1.2.
DEFAULT_SPEC = {
    "kind": KIND,
    "bandHz": [500.0, 4000.0],
    "revolutions": 16,
    "fftLength": 16384,
    "bins": 256,
    "maxPosition": 3.0,
    "canonical": {"bpfo": 0.8, "bpfi": 1.2},
    "floorRange": [0.1, 3.0],
}


def revolution_samples(spec: dict, rate_hz: float, shaft_hz) -> np.ndarray:
    """Samples one spectrum uses at this shaft speed (round half to even, as Math.round differs only at .5)."""
    n = np.floor(spec["revolutions"] * rate_hz / np.asarray(shaft_hz, float) + 0.5).astype(np.int64)
    return np.minimum(n, spec["fftLength"])


def warp_knots(bpfo: float, bpfi: float, canonical: dict):
    src = [0.0, bpfo, bpfi]
    dst = [0.0, canonical["bpfo"], canonical["bpfi"]]
    if 2 * bpfo > bpfi:
        src += [2 * bpfo, 2 * bpfi]
        dst += [2 * canonical["bpfo"], 2 * canonical["bpfi"]]
    return np.array(src), np.array(dst)


def warp(orders: np.ndarray, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    b = np.interp(orders, src, dst)
    beyond = orders > src[-1]
    b[beyond] = orders[beyond] * dst[-1] / src[-1]
    return b


def _squared_envelope_spectrum(xpad: np.ndarray, n: np.ndarray, rate_hz: float, lo: float, hi: float, shape_out: list = None) -> np.ndarray:
    B, N = xpad.shape
    valid = np.arange(N)[None, :] < n[:, None]
    mean = xpad.sum(1) / n
    xc = np.where(valid, xpad - mean[:, None], 0.0)
    X = np.fft.fft(xc, axis=1)
    if shape_out is not None:
        shape_out.append(_spectral_shape(X))
    f = np.fft.fftfreq(N, 1 / rate_hz)
    keep = (f >= lo) & (f <= hi)
    e2 = np.abs(np.fft.ifft(X * (2.0 * keep), axis=1)) ** 2
    e2 = np.where(valid, e2, 0.0)
    e2 = np.where(valid, e2 - (e2.sum(1) / n)[:, None], 0.0)
    k = np.arange(N)[None, :]
    w = np.where(valid, 0.5 - 0.5 * np.cos(2 * np.pi * k / n[:, None]), 0.0)  # periodic Hann of length n
    return np.abs(np.fft.rfft(e2 * w, axis=1)) / w.sum(1, keepdims=True)


def _spectral_shape(X: np.ndarray) -> np.ndarray:
    """[B, 2]: log of the share of power in the 3 strongest bins (tonality) and minus the log of the spectral
    flatness (geometric over arithmetic mean power), over bins 1..N/2 of the window's own spectrum
    (mean removed, zero-padded, no taper). Vibration of a running machine is broadband; a tone, a square
    wave or a flat line is not: the out-of-distribution score (ood_score) is built on these two."""
    N = X.shape[1]
    P = np.abs(X[:, 1:N // 2 + 1]) ** 2
    tot = P.sum(1)
    top3 = -np.partition(-P, 2, axis=1)[:, :3].sum(1)
    flat = np.exp(np.mean(np.log(P + 1e-30 * tot[:, None] + 1e-300), axis=1)) / np.maximum(P.mean(1), 1e-300)
    return np.stack([np.log(top3 / np.maximum(tot, 1e-300) + 1e-6), -np.log(flat + 1e-9)], axis=1)


def ood_score(shape: np.ndarray, ood: dict) -> np.ndarray:
    """One-sided robust z: how much more tonal / less flat than the training windows (drsn.json `ood`)."""
    z = (shape - np.asarray(ood["median"])) / np.asarray(ood["scale"])
    return z.max(axis=1)


def envelope_order_spectrum(windows, rate_hz: float, shaft_hz, bpfo, bpfi, spec: dict = DEFAULT_SPEC, band_hz=None, shape_out: list = None) -> np.ndarray:
    """windows: a sequence of 1-D arrays (each spectrum uses the LAST n samples of its window);
    shaft_hz, bpfo, bpfi: scalars or one per window (training perturbs them); band_hz overrides the
    spec's band (augmentation). Returns float32 [len(windows), bins]."""
    B = len(windows)
    N = int(spec["fftLength"])
    shaft = np.broadcast_to(np.asarray(shaft_hz, float), (B,))
    bo = np.broadcast_to(np.asarray(bpfo, float), (B,))
    bi = np.broadcast_to(np.asarray(bpfi, float), (B,))
    n = revolution_samples(spec, rate_hz, shaft).copy()
    xpad = np.zeros((B, N))
    for i, w in enumerate(windows):
        w = np.asarray(w, dtype=np.float64)
        m = min(int(n[i]), w.size)
        n[i] = m
        xpad[i, :m] = w[w.size - m:]
    lo, hi = band_hz if band_hz is not None else spec["bandHz"]
    S = _squared_envelope_spectrum(xpad, n, rate_hz, lo, hi, shape_out)[:, 1:]  # DC dropped
    freqs = np.arange(1, N // 2 + 1) * rate_hz / N
    bins, b_max = int(spec["bins"]), float(spec["maxPosition"])
    db = b_max / bins
    centers = (np.arange(bins) + 0.5) * db
    pos = np.empty_like(S)
    for i in range(B):
        src, dst = warp_knots(bo[i], bi[i], spec["canonical"])
        pos[i] = warp(freqs / shaft[i], src, dst)
    j = np.floor(pos / db).astype(np.int64)
    ok = (j >= 0) & (j < bins)
    grid = np.full((B, bins), -np.inf)
    # Positions increase along each row, so the (row, bin) keys are sorted: one reduceat takes every bin's largest line.
    key = (np.arange(B)[:, None] * bins + j)[ok]
    starts = np.concatenate([[0], np.nonzero(np.diff(key))[0] + 1]) if key.size else np.zeros(0, np.int64)
    if key.size:
        grid.reshape(-1)[key[starts]] = np.maximum.reduceat(S[ok], starts)
    f_lo, f_hi = spec["floorRange"]
    out = np.empty((B, bins), np.float32)
    for i in range(B):
        empty = ~np.isfinite(grid[i])
        if empty.any():
            grid[i, empty] = np.interp(centers[empty], pos[i], S[i])
        sel = (pos[i] >= f_lo) & (pos[i] < f_hi)
        floor = np.median(S[i, sel]) + 1e-30
        out[i] = np.log1p(grid[i] / floor)
    return out
