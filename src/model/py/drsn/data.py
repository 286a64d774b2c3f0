"""Reads the prepared dataset (docs/ARCHITECTURE.md, "Prepared dataset") and draws windows.

Windows never cross a segment boundary, so train, validation and test windows come from disjoint
stretches of each record. Training draws random offsets, class-balanced (the normal class has a
single 5 s record against ten 10 s records per fault class); validation and test use a fixed stride.
"""
import json
import os
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from scipy.signal import resample_poly

from .noise import NOISE_TYPES, add_noise

EPSILON = 1e-8
# Extra samples on each side of a stretched window so the polyphase filter's edges fall outside it.
STRETCH_PAD = 64
CROSS_LOAD_TEST_HP = 3


@dataclass
class Record:
    id: str
    label: int
    load_hp: float
    splits: dict
    x: np.ndarray
    rpm: float = None
    fault_orders: dict = None  # {"bpfo", "bpfi"} of the bearing the labels concern


class Prepared:
    def __init__(self, folder: str):
        with open(os.path.join(folder, "index.json")) as f:
            index = json.load(f)
        if index.get("format") != "drsn-prepared-1":
            raise ValueError(f"{folder}/index.json: format {index.get('format')!r}, expected 'drsn-prepared-1'")
        self.folder = folder
        self.sample_rate_hz = index["sampleRateHz"]
        self.band_limit_hz = index["bandLimitHz"]
        self.window_length = index["windowLength"]
        self.classes = index["classes"]
        self.records = []
        for r in index["records"]:
            path = os.path.join(folder, r["file"])
            x = np.fromfile(path, dtype="<f4")
            if x.size != r["samples"]:
                raise ValueError(f"{path}: {x.size} samples, index.json says {r['samples']}")
            self.records.append(Record(r["id"], int(r["label"]), r.get("loadHp"), r["splits"], x, r.get("rpm"), r.get("faultOrders")))

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    def segments(self, split: str, cross_load: bool = False):
        """[(record, start, end)] of one split. Cross-load: train/val on 0-2 hp, test = 3 hp faults, whole record."""
        out = []
        for r in self.records:
            is_normal = self.classes[r.label]["kind"] == "normal"
            if not cross_load:
                if split in r.splits:
                    out.append((r, *r.splits[split]))
            elif r.load_hp == CROSS_LOAD_TEST_HP:
                if split == "test" and not is_normal:
                    out.append((r, 0, r.x.size))
            elif split in ("train", "val"):
                out.append((r, *r.splits[split]))
        return out


def zscore(x: np.ndarray) -> np.ndarray:
    """window-zscore normalization (drsn.json): per window, after any noise was added."""
    x = np.asarray(x, dtype=np.float64)
    m = x.mean(axis=-1, keepdims=True)
    s = x.std(axis=-1, keepdims=True)
    return ((x - m) / (s + EPSILON)).astype(np.float32)


def _stretch_ratio(factor: float) -> Fraction:
    # factor > 1 = machine runs faster: the same events take fewer samples, so compress time by `factor`.
    return Fraction(factor).limit_denominator(100)


def cut(x: np.ndarray, starts: np.ndarray, length: int, factor: float = 1.0) -> np.ndarray:
    """Windows of `length` samples starting at `starts`, time-stretched by `factor` with a polyphase resampler."""
    if factor == 1.0:
        return np.stack([x[s:s + length] for s in starts]).astype(np.float64)
    q = _stretch_ratio(factor)
    span = stretch_span(length, factor)
    chunks = np.stack([x[s:s + span] for s in starts]).astype(np.float64)
    y = resample_poly(chunks, q.denominator, q.numerator, axis=-1)
    pad = int(round(STRETCH_PAD / factor))
    return y[:, pad:pad + length]


def stretch_span(length: int, factor: float) -> int:
    """Raw samples a stretched window consumes (including filter padding)."""
    if factor == 1.0:
        return length
    return int(np.ceil(length * factor)) + 2 * STRETCH_PAD + 2


def fixed_windows(prep: Prepared, split: str, stride: int, factor: float = 1.0, cross_load: bool = False):
    """Every window at a fixed stride inside each segment of `split`; raw (not normalized), with (record id, start) of each."""
    L = prep.window_length
    span = stretch_span(L, factor)
    xs, ys, origins = [], [], []
    for r, a, b in prep.segments(split, cross_load):
        starts = np.arange(a, b - span + 1, stride)
        if starts.size == 0:
            continue
        xs.append(cut(r.x, starts, L, factor))
        ys.append(np.full(starts.size, r.label))
        origins += [(r.id, int(s)) for s in starts]
    if not xs:
        raise ValueError(f"no {split} windows of {span} samples fit in the prepared data")
    return np.concatenate(xs), np.concatenate(ys).astype(np.int64), origins


@dataclass
class AugmentConfig:
    clean_fraction: float = 0.2  # share of windows left clean, the rest get one noise type
    snr_range: tuple = (-5.0, 5.0)
    stretch: float = 0.10  # time-stretch factor drawn from [1 - stretch, 1 + stretch]; 0 disables
    stretch_fraction: float = 0.5  # share of windows stretched at all (the rest keep the true speed)


class TrainSampler:
    """Fresh class-balanced, noise-augmented windows every epoch, reproducible from (seed, epoch)."""

    def __init__(self, prep: Prepared, per_class: int, seed: int, aug: AugmentConfig, cross_load: bool = False):
        self.prep, self.per_class, self.seed, self.aug = prep, per_class, seed, aug
        L = prep.window_length
        self.max_span = stretch_span(L, 1.0 + aug.stretch) if aug.stretch > 0 else L
        self.by_class = {c: [] for c in range(prep.num_classes)}
        for r, a, b in prep.segments("train", cross_load):
            if b - a >= self.max_span:
                self.by_class[r.label].append((r, a, b))
        empty = [prep.classes[c]["name"] for c, s in self.by_class.items() if not s]
        if empty:
            raise ValueError(f"no training segment long enough for classes {empty}")

    def epoch(self, epoch: int):
        rng = np.random.default_rng([self.seed, epoch])
        L, aug = self.prep.window_length, self.aug
        n = self.per_class * self.prep.num_classes
        labels = np.repeat(np.arange(self.prep.num_classes), self.per_class)
        factors = np.ones(n)
        if aug.stretch > 0:
            levels = np.round(np.linspace(1 - aug.stretch, 1 + aug.stretch, 11), 3)
            on = rng.random(n) < aug.stretch_fraction
            factors[on] = rng.choice(levels, on.sum())
        out = np.empty((n, L))
        for f in np.unique(factors):
            idx = np.nonzero(factors == f)[0]
            span = stretch_span(L, f)
            for c in np.unique(labels[idx]):
                sel = idx[labels[idx] == c]
                segs = self.by_class[c]
                room = np.array([b - a - self.max_span + 1 for _, a, b in segs], dtype=np.float64)
                which = rng.choice(len(segs), sel.size, p=room / room.sum())
                for k in np.unique(which):
                    r, a, b = segs[k]
                    rows = sel[which == k]
                    starts = rng.integers(a, b - span + 1, rows.size)
                    out[rows] = cut(r.x, starts, L, f)
        kinds = rng.integers(1, len(NOISE_TYPES) + 1, n)  # 0 = clean
        kinds[rng.random(n) < aug.clean_fraction] = 0
        for k, kind in enumerate(NOISE_TYPES, start=1):
            rows = np.nonzero(kinds == k)[0]
            if rows.size:
                snr = rng.uniform(*aug.snr_range, (rows.size, 1))
                out[rows] = add_noise(out[rows], kind, snr, rng)
        order = rng.permutation(n)
        return zscore(out[order]), labels[order].astype(np.int64)
