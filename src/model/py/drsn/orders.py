"""Training data for the envelope-order-spectrum DRSN (drsn.json `input.representation`, issue 18).

Windows come from the same prepared dataset and the same time-disjoint splits as the time-domain
model; each is as long as its record's speed needs (representation.revolution_samples). The net is
trained on the *component* (normal / ball / inner race / outer race): defect sizes are a property of
one rig, the fault's place in the bearing is what transfers.

Augmentation (CWRU only) is what keeps the net from memorising the 6205 on the CWRU motor:
  - noise of the three types at a random SNR (per window, as the time-domain recipe);
  - shaft speed off by up to ±speed_jitter (what a speed estimate or a nominal rpm gets wrong, and
    the slip of the cage);
  - BPFO and BPFI each off by up to ±geometry_jitter (a bearing whose geometry is not exactly the
    catalogue's, or a different bearing whose orders the warp maps imperfectly);
  - the analysed band's edges moved (a resonance elsewhere on another machine);
  - for a share of windows of every class, an amplitude modulation at a random shaft order away from the
    fault families: machines modulate their vibration at orders of their own (UESTC's healthy rig has a
    line at ~5.7×), and without this the net took "a line somewhere" for a fault.
The features of one bank are computed once and reused for `bank_epochs` epochs: a spectrum costs
milliseconds, a DRSN step on 256 positions far less.
"""
from dataclasses import dataclass

import numpy as np

from .noise import NOISE_TYPES, add_noise
from .representation import DEFAULT_SPEC, envelope_order_spectrum, revolution_samples

COMPONENT_CLASSES = [
    {"index": 0, "name": "Normal", "kind": "normal", "component": None, "sizeIn": None},
    {"index": 1, "name": "Ball", "kind": "fault", "component": "ball", "sizeIn": None},
    {"index": 2, "name": "Inner race", "kind": "fault", "component": "inner_race", "sizeIn": None},
    {"index": 3, "name": "Outer race", "kind": "fault", "component": "outer_race", "sizeIn": None},
]
_COMPONENT_INDEX = {c["component"]: c["index"] for c in COMPONENT_CLASSES}
FEATURE_BATCH = 256


@dataclass
class OrdersAugment:
    clean_fraction: float = 0.2
    snr_range: tuple = (-10.0, 10.0)
    speed_jitter: float = 0.06
    geometry_jitter: float = 0.04
    band_jitter: bool = True
    distractor_fraction: float = 0.5


def distractor(w: np.ndarray, shaft_hz: float, orders: dict, fs: float, rng) -> np.ndarray:
    """w modulated by (1 + m·cos(2π·o·f_shaft·t + φ)), o in [0.5, 14) at least 6 % away from harmonics 1-3 of BPFO,
    BPFI and (where known) 2×BSF."""
    lines = [orders["bpfo"], orders["bpfi"]] + ([2 * orders["bsf"]] if orders.get("bsf") else [])
    families = np.array([h * o for h in (1, 2, 3) for o in lines])
    while True:
        o = rng.uniform(0.5, 14.0)
        if np.all(np.abs(o / families - 1) > 0.06):
            break
    t = np.arange(w.size) / fs
    return w * (1 + rng.uniform(0.1, 0.6) * np.cos(2 * np.pi * o * shaft_hz * t + rng.uniform(0, 2 * np.pi)))


def component_label(prep, record) -> int:
    return _COMPONENT_INDEX[prep.classes[record.label]["component"]]


def _require_orders(prep):
    missing = [r.id for r in prep.records if r.rpm is None or r.fault_orders is None]
    if missing:
        raise ValueError(f"the envelope-order input needs each record's rpm and bearing fault orders; missing for {missing[:5]}"
                         f"{' …' if len(missing) > 5 else ''} (CWRU folders carry both; a recordings manifest needs rpm and bearing)")


def features(prep, windows, shaft_hz, bpfo, bpfi, spec=DEFAULT_SPEC, band_hz=None):
    out = [envelope_order_spectrum(windows[i:i + FEATURE_BATCH], prep.sample_rate_hz,
                                   shaft_hz[i:i + FEATURE_BATCH] if np.ndim(shaft_hz) else shaft_hz,
                                   bpfo[i:i + FEATURE_BATCH] if np.ndim(bpfo) else bpfo,
                                   bpfi[i:i + FEATURE_BATCH] if np.ndim(bpfi) else bpfi, spec, band_hz)
           for i in range(0, len(windows), FEATURE_BATCH)]
    return np.concatenate(out) if out else np.zeros((0, spec["bins"]), np.float32)


def fixed_order_windows(prep, split: str, stride: int, spec=DEFAULT_SPEC):
    """Raw windows at a fixed stride inside each record's `split` segment, n samples each (n from the record's speed).
    Returns (windows, component labels, shaft Hz, bpfo, bpfi, origins)."""
    _require_orders(prep)
    xs, ys, fr, bo, bi, origins = [], [], [], [], [], []
    for r in prep.records:
        if split not in r.splits:
            continue
        a, b = r.splits[split]
        hz = r.rpm / 60.0
        n = int(revolution_samples(spec, prep.sample_rate_hz, hz))
        for s in range(a, b - n + 1, stride):
            xs.append(r.x[s:s + n].astype(np.float64))
            ys.append(component_label(prep, r))
            fr.append(hz)
            bo.append(r.fault_orders["bpfo"])
            bi.append(r.fault_orders["bpfi"])
            origins.append((r.id, s, n))
    if not xs:
        raise ValueError(f"no {split} windows fit in the prepared data")
    return xs, np.array(ys, np.int64), np.array(fr), np.array(bo), np.array(bi), origins


class OrdersSampler:
    """Class-balanced augmented banks of envelope-order spectra, reproducible from (seed, bank)."""

    def __init__(self, prep, per_class: int, seed: int, aug: OrdersAugment, spec=DEFAULT_SPEC):
        _require_orders(prep)
        self.prep, self.per_class, self.seed, self.aug, self.spec = prep, per_class, seed, aug, spec
        self.by_class = {c["index"]: [] for c in COMPONENT_CLASSES}
        longest = int(revolution_samples(spec, prep.sample_rate_hz, min(r.rpm for r in prep.records) / 60.0 / (1 + aug.speed_jitter)))
        for r in prep.records:
            a, b = r.splits["train"]
            if b - a >= longest:
                self.by_class[component_label(prep, r)].append(r)
        empty = [c["name"] for c in COMPONENT_CLASSES if not self.by_class[c["index"]]]
        if empty:
            raise ValueError(f"no training segment long enough for classes {empty}")

    def bank(self, k: int):
        rng = np.random.default_rng([self.seed, k])
        aug, spec, fs = self.aug, self.spec, self.prep.sample_rate_hz
        X, Y = [], []
        for c, recs in self.by_class.items():
            n = self.per_class
            jit = 1 + rng.uniform(-aug.speed_jitter, aug.speed_jitter, n)
            which = rng.integers(0, len(recs), n)
            true_hz = np.array([recs[i].rpm / 60.0 for i in which])
            used_hz = true_hz * jit
            lengths = revolution_samples(spec, fs, used_hz)
            windows = []
            kinds = rng.integers(0, len(NOISE_TYPES), n)
            clean = rng.random(n) < aug.clean_fraction
            for i in range(n):
                r = recs[which[i]]
                a, b = r.splits["train"]
                s = int(rng.integers(a, b - lengths[i] + 1))
                w = r.x[s:s + lengths[i]].astype(np.float64)
                if rng.random() < aug.distractor_fraction:
                    w = distractor(w, true_hz[i], r.fault_orders, fs, rng)
                if not clean[i]:
                    w = add_noise(w[None], NOISE_TYPES[kinds[i]], rng.uniform(*aug.snr_range), rng)[0]
                windows.append(w)
            bo = np.array([recs[i].fault_orders["bpfo"] for i in which]) * (1 + rng.uniform(-aug.geometry_jitter, aug.geometry_jitter, n))
            bi = np.array([recs[i].fault_orders["bpfi"] for i in which]) * (1 + rng.uniform(-aug.geometry_jitter, aug.geometry_jitter, n))
            lo, hi = spec["bandHz"]
            for i in range(0, n, FEATURE_BATCH):
                band = (rng.uniform(0.6 * lo, 1.6 * lo), rng.uniform(0.85 * hi, hi)) if aug.band_jitter else None
                sl = slice(i, i + FEATURE_BATCH)
                X.append(envelope_order_spectrum(windows[sl], fs, used_hz[sl], bo[sl], bi[sl], spec, band))
            Y.append(np.full(n, c, np.int64))
        X, Y = np.concatenate(X), np.concatenate(Y)
        order = rng.permutation(len(Y))
        return X[order], Y[order]


def calibrate_ood(prep, spec=DEFAULT_SPEC, seed: int = 5, per_record: int = 60, quantile: float = 0.999) -> dict:
    """drsn.json `ood`: the spectral shape (representation._spectral_shape) of CWRU training windows, mixed
    as in training (a fifth clean, the rest with one noise type at -10..+10 dB); median and scaled MAD per
    dimension, and the threshold = the `quantile` of the training windows' own one-sided scores."""
    from .representation import ood_score
    _require_orders(prep)
    rng = np.random.default_rng(seed)
    aug = OrdersAugment()
    shapes = []
    for r in prep.records:
        a, b = r.splits["train"]
        hz = r.rpm / 60.0
        n = int(revolution_samples(spec, prep.sample_rate_hz, hz))
        windows = []
        for s in rng.integers(a, b - n + 1, per_record):
            w = r.x[s:s + n].astype(np.float64)
            if rng.random() >= aug.clean_fraction:
                w = add_noise(w[None], NOISE_TYPES[rng.integers(len(NOISE_TYPES))], rng.uniform(*aug.snr_range), rng)[0]
            windows.append(w)
        envelope_order_spectrum(windows, prep.sample_rate_hz, hz, r.fault_orders["bpfo"], r.fault_orders["bpfi"], spec, shape_out=shapes)
    C = np.concatenate(shapes)
    med = np.median(C, axis=0)
    scale = np.median(np.abs(C - med), axis=0) * 1.4826
    ood = {"kind": "spectral-shape", "median": [float(v) for v in med], "scale": [float(v) for v in scale]}
    ood["threshold"] = float(np.quantile(ood_score(C, ood), quantile))
    ood["calibration"] = (f"{len(C)} CWRU training windows ({per_record} per record, a fifth clean, the rest one noise type at "
                          f"-10..+10 dB); threshold = their {100 * quantile:g} % quantile")
    return ood
