"""Additive noise at a given SNR, as in Zhao et al. 2020 (Gaussian, Laplacian, pink).

SNR is relative to each window's own signal power, P_s = mean(x^2): the noise is scaled so that its
*realised* power is exactly P_s / 10^(snr/10), so a window's SNR is what was asked for (a nominal
variance would leave ±0.3 dB of sampling jitter on a 2048-sample window).
"""
import numpy as np

NOISE_TYPES = ("gaussian", "laplacian", "pink")


def _unit_noise(kind: str, shape, rng: np.random.Generator) -> np.ndarray:
    if kind == "gaussian":
        return rng.standard_normal(shape)
    if kind == "laplacian":
        return rng.laplace(0.0, 1.0, shape)
    if kind == "pink":
        return pink(shape, rng)
    raise ValueError(f"unknown noise type {kind!r}; expected one of {NOISE_TYPES}")


def pink(shape, rng: np.random.Generator) -> np.ndarray:
    """1/f power spectral density: white noise shaped by 1/sqrt(f) in the frequency domain."""
    n = shape[-1]
    spec = np.fft.rfft(rng.standard_normal(shape), axis=-1)
    f = np.arange(spec.shape[-1], dtype=np.float64)
    f[0] = 1.0  # DC would be infinite; give it the first bin's gain, then remove the mean below
    spec = spec / np.sqrt(f)
    out = np.fft.irfft(spec, n=n, axis=-1)
    return out - out.mean(axis=-1, keepdims=True)


def add_noise(x: np.ndarray, kind: str, snr_db: float, rng: np.random.Generator) -> np.ndarray:
    """x: [..., L] windows; returns x + noise with per-window SNR exactly snr_db (float64 math)."""
    x = np.asarray(x, dtype=np.float64)
    noise = _unit_noise(kind, x.shape, rng)
    p_signal = np.mean(x * x, axis=-1, keepdims=True)
    p_noise = np.mean(noise * noise, axis=-1, keepdims=True)
    target = p_signal / (10.0 ** (snr_db / 10.0))
    return x + noise * np.sqrt(target / np.maximum(p_noise, 1e-30))


def snr_db(clean: np.ndarray, noisy: np.ndarray) -> np.ndarray:
    n = noisy - clean
    return 10.0 * np.log10(np.mean(clean * clean, axis=-1) / np.mean(n * n, axis=-1))
