"""Writes a model folder (docs/ARCHITECTURE.md, "Model folder contract") from a PyTorch DRSN.

The daemon never runs PyTorch: it runs model.onnx (onnxruntime) or rebuilds the net in tfjs from
weights.json/bin. reference.json/bin carry PyTorch's own probabilities for a few windows so both
engines can be checked against the trainer later, on a machine without PyTorch.

CLI (tests use it to get a model without training one):
    python3 -m drsn.export --random --variant cw --out DIR [--cwru CWRU_DIR] [--seed 7] [--stem-kernel 3]
"""
import argparse
import json
import os
import warnings
from typing import Optional

import numpy as np
import torch

from .model import DRSN, PAPER_STEM_KERNEL, VARIANTS, Ensemble, WithSoftmax, count_parameters

WEIGHTS_FORMAT = "drsn-weights-1"
REFERENCE_FORMAT = "drsn-reference-1"
# onnxruntime 1.30 runs opsets up to 21; torch 1.13 exports up to 17. 13 is enough for every op here
# (Conv, BatchNormalization, Abs, Min, Max, Relu, ReduceMean, Sigmoid, Softmax, Pad, Slice).
ONNX_OPSET = 13
BN_EPSILON = 1e-5
ARCHITECTURE = {"cw": "drsn-cw", "cs": "drsn-cs", "plain": "resnet"}

# The 10-class CWRU scheme of data/cwru/README.md: Normal, then ball, inner race, outer race by 7/14/21 mil.
CWRU_CLASSES = [
    {"index": 0, "name": "Normal", "kind": "normal", "component": None, "sizeIn": None},
    {"index": 1, "name": "B007", "kind": "fault", "component": "ball", "sizeIn": 0.007},
    {"index": 2, "name": "B014", "kind": "fault", "component": "ball", "sizeIn": 0.014},
    {"index": 3, "name": "B021", "kind": "fault", "component": "ball", "sizeIn": 0.021},
    {"index": 4, "name": "IR007", "kind": "fault", "component": "inner_race", "sizeIn": 0.007},
    {"index": 5, "name": "IR014", "kind": "fault", "component": "inner_race", "sizeIn": 0.014},
    {"index": 6, "name": "IR021", "kind": "fault", "component": "inner_race", "sizeIn": 0.021},
    {"index": 7, "name": "OR007@6", "kind": "fault", "component": "outer_race", "sizeIn": 0.007},
    {"index": 8, "name": "OR014@6", "kind": "fault", "component": "outer_race", "sizeIn": 0.014},
    {"index": 9, "name": "OR021@6", "kind": "fault", "component": "outer_race", "sizeIn": 0.021},
]


def _write_f32(path: str, arrays) -> list:
    """Concatenates float32 arrays (little endian) into one file; returns (offset_bytes, length) per array."""
    spans = []
    offset = 0
    with open(path, "wb") as f:
        for a in arrays:
            flat = np.ascontiguousarray(a, dtype="<f4").reshape(-1)
            f.write(flat.tobytes())
            spans.append((offset, int(flat.size)))
            offset += flat.size * 4
    return spans


def export_weights(net: torch.nn.Module, out_dir: str, architecture: str, num_classes: int) -> None:
    # num_batches_tracked only matters for training with momentum=None; engines never need it.
    items = [(k, v.detach().cpu().float().numpy()) for k, v in net.state_dict().items() if not k.endswith("num_batches_tracked")]
    spans = _write_f32(os.path.join(out_dir, "weights.bin"), [v for _, v in items])
    tensors = [
        {"name": k, "shape": list(v.shape), "offset": off, "length": length}
        for (k, v), (off, length) in zip(items, spans)
    ]
    doc = {"format": WEIGHTS_FORMAT, "architecture": architecture, "bnEpsilon": BN_EPSILON,
           "numClasses": num_classes, "file": "weights.bin", "tensors": tensors}
    with open(os.path.join(out_dir, "weights.json"), "w") as f:
        json.dump(doc, f, indent=1)


def export_onnx(net: torch.nn.Module, out_dir: str, window_length: int, channels: int = 1) -> None:
    wrapped = WithSoftmax(net).eval()
    dummy = torch.zeros(2, channels, window_length)
    torch.onnx.export(
        wrapped, dummy, os.path.join(out_dir, "model.onnx"),
        input_names=["x"], output_names=["probs"],
        dynamic_axes={"x": {0: "N"}, "probs": {0: "N"}},
        opset_version=ONNX_OPSET, do_constant_folding=True,
    )


def export_reference(net: torch.nn.Module, out_dir: str, windows: np.ndarray, sources: Optional[list] = None, raw: Optional[dict] = None) -> None:
    """windows: [N, L] or [N, 1, L], already normalized. Stores them and PyTorch's probabilities.
    raw (models with an input.representation): {"windows": [1-D arrays], "shaftHz": [...], "bpfo": [...], "bpfi": [...]},
    the samples each input was computed from, so the daemon's own representation code is checked too."""
    x = torch.from_numpy(np.ascontiguousarray(windows, dtype=np.float32))
    if x.dim() == 2:
        x = x.unsqueeze(1)
    with torch.no_grad():
        probs = WithSoftmax(net).eval()(x).numpy()
    blocks = [x.numpy(), probs] + ([np.concatenate([np.asarray(w, np.float32) for w in raw["windows"]])] if raw else [])
    spans = _write_f32(os.path.join(out_dir, "reference.bin"), blocks)
    (in_off, in_len), (p_off, p_len) = spans[0], spans[1]
    doc = {"format": REFERENCE_FORMAT, "file": "reference.bin", "count": int(x.shape[0]),
           "windowLength": int(x.shape[2]), "numClasses": int(probs.shape[1]),
           "inputs": {"offset": in_off, "length": in_len}, "probs": {"offset": p_off, "length": p_len},
           "torch": torch.__version__}
    if raw:
        doc["raw"] = {"offset": spans[2][0], "length": spans[2][1], "lengths": [int(np.size(w)) for w in raw["windows"]],
                      "shaftHz": [float(v) for v in raw["shaftHz"]], "bpfo": [float(v) for v in raw["bpfo"]], "bpfi": [float(v) for v in raw["bpfi"]]}
    if sources is not None:
        doc["sources"] = sources
    with open(os.path.join(out_dir, "reference.json"), "w") as f:
        json.dump(doc, f, indent=1)


def export_model(net: DRSN | Ensemble, out_dir: str, metadata: dict, reference_windows: Optional[np.ndarray] = None,
                 reference_sources: Optional[list] = None, reference_raw: Optional[dict] = None) -> dict:
    """Writes model.onnx, weights.json/bin, drsn.json (+ reference.json/bin). Returns the drsn.json written."""
    os.makedirs(out_dir, exist_ok=True)
    was_training = net.training
    net.eval()  # BN must use running statistics in every exported artefact
    try:
        num_classes = len(metadata["classes"])
        rep = metadata["input"].get("representation")
        window_length = int(rep["bins"]) if rep else int(metadata["input"]["windowLength"])
        export_onnx(net, out_dir, window_length, int(metadata["input"].get("channels", 1)))
        export_weights(net, out_dir, metadata["architecture"], num_classes)
        if reference_windows is not None:
            export_reference(net, out_dir, reference_windows, reference_sources, reference_raw)
    finally:
        net.train(was_training)
    meta = dict(metadata)
    # Read from the net, so drsn.json always describes the weights beside it (absent = the paper's 3).
    if net.stem_kernel != PAPER_STEM_KERNEL:
        meta["stemKernel"] = net.stem_kernel
    if net.head != "gap":
        meta["head"] = net.head
    if isinstance(net, Ensemble):
        meta["members"] = len(net.members)
    meta["files"] = {"onnx": "model.onnx", "weights": "weights.json"}
    with open(os.path.join(out_dir, "drsn.json"), "w") as f:
        json.dump(meta, f, indent=2)
    return meta


# ---- random-init export (tests) ----

def zscore(w: np.ndarray, eps: float = 1e-8) -> np.ndarray:
    w = w.astype(np.float64)
    return ((w - w.mean()) / (w.std() + eps)).astype(np.float32)


def cwru_windows(cwru_dir: str, window_length: int, per_record: int, rng: np.random.Generator):
    """Deterministic z-scored 12 kHz DE windows from every CWRU record, with (file, offset) of each."""
    with open(os.path.join(cwru_dir, "manifest.json")) as f:
        manifest = json.load(f)
    windows, sources = [], []
    for rec in manifest["records"]:
        # 12 kHz only: the 48 kHz normal record comes with a decimated 12 kHz copy (97_DE_12k.f32).
        de = next((c for c in rec["channels"] if c["channel"] == "DE" and c.get("sampling_rate_hz") == 12000), None)
        if de is None:
            continue
        data = np.fromfile(os.path.join(cwru_dir, de["file"]), dtype="<f4")
        for _ in range(per_record):
            off = int(rng.integers(0, data.size - window_length))
            windows.append(zscore(data[off:off + window_length]))
            sources.append({"file": de["file"], "offset": off, "label": rec["label"]})
    return np.stack(windows), sources


def synthetic_windows(n: int, window_length: int, rng: np.random.Generator) -> np.ndarray:
    """Tones + impulses + noise of varied scale, z-scored: enough to give BN non-trivial statistics."""
    t = np.arange(window_length) / 12000.0
    out = []
    for _ in range(n):
        x = rng.normal(0, rng.uniform(0.1, 1.0), window_length)
        for _ in range(3):
            x += rng.uniform(0.1, 2.0) * np.sin(2 * np.pi * rng.uniform(20, 4000) * t + rng.uniform(0, 6.3))
        x[rng.integers(0, window_length, 8)] += rng.normal(0, 5.0, 8)
        out.append(zscore(x))
    return np.stack(out)


def calibrate_bn(net: DRSN, windows: np.ndarray) -> None:
    """Train-mode forward passes with cumulative averages, so running stats are the data's real statistics
    (random init leaves mean 0 / var 1, which would hide BN bugs such as a wrong epsilon)."""
    bns = [m for m in net.modules() if isinstance(m, torch.nn.BatchNorm1d)]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None
    net.train()
    x = torch.from_numpy(windows).unsqueeze(1)
    with torch.no_grad():
        for chunk in torch.split(x, 32):
            net(chunk)
    for m in bns:
        m.momentum = 0.1
    net.eval()


def random_metadata(variant: str, seed: int, window_length: int, params: int) -> dict:
    return {
        "id": f"drsn-{variant}-random-{seed}", "version": "0.0.0", "architecture": ARCHITECTURE[variant],
        "input": {"sampleRateHz": 12000, "windowLength": window_length, "channels": 1, "unit": "g", "bandLimitHz": 4800},
        "normalization": {"method": "window-zscore", "epsilon": 1e-8},
        "classes": CWRU_CLASSES,
        "training": {"randomInit": True, "seed": seed, "parameters": params,
                     "note": "untrained: for engine agreement tests only"},
        "metrics": {},
    }


def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="python3 -m drsn.export", description=__doc__.split("\n\n")[0])
    p.add_argument("--random", action="store_true", help="export a seeded random-init model (tests)")
    p.add_argument("--variant", choices=VARIANTS, default="cw")
    p.add_argument("--out", required=True)
    p.add_argument("--cwru", help="CWRU folder: calibrate BN and write reference windows from real data")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--stem-kernel", type=int, default=PAPER_STEM_KERNEL, help="width of the first convolution (odd)")
    p.add_argument("--window-length", type=int, default=2048)
    p.add_argument("--head", choices=("gap", "flatten"), default="gap", help="classifier head (flatten: every position of the last map)")
    p.add_argument("--reference-per-record", type=int, default=1)
    args = p.parse_args(argv)
    # torch 1.13's exporter warns about shape inference of constants it folds; the graph is still exact.
    warnings.filterwarnings("ignore", category=UserWarning, module="torch.onnx")
    if not args.random:
        p.error("only --random is supported here; trained models are exported by drsn.train")
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    net = DRSN(num_classes=len(CWRU_CLASSES), variant=args.variant, stem_kernel=args.stem_kernel, head=args.head, input_length=args.window_length)
    if args.cwru:
        calib, _ = cwru_windows(args.cwru, args.window_length, 4, rng)
        ref, sources = cwru_windows(args.cwru, args.window_length, args.reference_per_record, rng)
    else:
        calib = synthetic_windows(128, args.window_length, rng)
        ref, sources = synthetic_windows(16, args.window_length, rng), None
    calibrate_bn(net, calib)
    meta = random_metadata(args.variant, args.seed, args.window_length, count_parameters(net))
    export_model(net, args.out, meta, ref, sources)
    print(json.dumps({"out": args.out, "parameters": count_parameters(net), "reference": int(ref.shape[0])}))


if __name__ == "__main__":
    main()
