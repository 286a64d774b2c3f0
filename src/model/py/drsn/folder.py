"""Reads a model folder (docs/ARCHITECTURE.md, "Model folder contract") back into PyTorch.

Kept apart from evaluate.py so that loading a model needs only torch and numpy (the bench's PyTorch
peer runs where scipy, which data preparation needs, may be missing).
"""
import json
import os

import numpy as np
import torch

from .model import DRSN, PAPER_STEM_KERNEL, PAPER_WIDTHS, Ensemble

VARIANT_OF = {"drsn-cw": "cw", "drsn-cs": "cs", "resnet": "plain"}


def net_input_length(meta: dict) -> int:
    """Floats per window the net takes: the representation's bins, else the raw window (metadata.ts netInputLength)."""
    rep = meta["input"].get("representation")
    return int(rep["bins"]) if rep else int(meta["input"]["windowLength"])


def load_model(folder: str):
    """A model folder (drsn.json + weights.json/bin) -> (eval-mode DRSN or Ensemble, metadata)."""
    with open(os.path.join(folder, "drsn.json")) as f:
        meta = json.load(f)
    with open(os.path.join(folder, meta["files"].get("weights", "weights.json"))) as f:
        wj = json.load(f)
    blob = np.fromfile(os.path.join(folder, wj.get("file", "weights.bin")), dtype="<f4")
    def one():
        return DRSN(num_classes=len(meta["classes"]), variant=VARIANT_OF[meta["architecture"]], widths=tuple(meta.get("widths", PAPER_WIDTHS)),
                    stem_kernel=int(meta.get("stemKernel", PAPER_STEM_KERNEL)), head=meta.get("head", "gap"),
                    input_length=net_input_length(meta))
    members = int(meta.get("members", 1))  # absent = one net; else an Ensemble, tensors under "members.<i>."
    net = one() if members == 1 else Ensemble([one() for _ in range(members)])
    state = net.state_dict()
    for t in wj["tensors"]:
        start = t["offset"] // 4
        arr = blob[start:start + t["length"]].reshape(t["shape"])
        state[t["name"]] = torch.from_numpy(arr.copy())
    net.load_state_dict(state)
    net.eval()
    return net, meta


def read_reference_windows(folder: str):
    """The normalized windows of a folder's reference.json/bin (export.export_reference) and their sources."""
    with open(os.path.join(folder, "reference.json")) as f:
        doc = json.load(f)
    blob = np.fromfile(os.path.join(folder, doc["file"]), dtype="<f4")
    start, length = doc["inputs"]["offset"] // 4, doc["inputs"]["length"]
    return blob[start:start + length].reshape(doc["count"], doc["windowLength"]), doc.get("sources")
