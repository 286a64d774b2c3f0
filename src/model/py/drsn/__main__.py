"""python3 -m drsn train|eval — driven by `drsnd train` / `drsnd eval` (src/cli/), which prepare the data first.

  train --data PREPARED --out MODEL_DIR [--arch cw|cs|resnet] [--epochs N] [--seed S] [--cross-load] [--quick]
  eval  --model DIR [--model DIR ...] --data PREPARED --out REPORT_DIR [--cross-load] [--title T]
  report --run MODEL_DIR [--run ...] --out DIR   (merge runs already evaluated, e.g. seeds of a comparison)
  ensemble --member DIR --member DIR [...] --out DIR [--data PREPARED] [--id ID] [--version V]
"""
import argparse
import json
import os
import sys
import time
import warnings

# OpenMP threads spin-wait by default; on 2 cores shared with other work that made a training step
# ~10x slower (measured: 89 s vs 7.7 s for 8 steps). Must be set before torch loads OpenMP.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import torch  # noqa: E402

from .data import AugmentConfig, Prepared, fixed_windows, zscore
from .evaluate import TEST_STRIDE, evaluate
from .folder import load_model, read_reference_windows
from .model import PAPER_STEM_KERNEL, PAPER_WIDTHS, count_parameters
from .report import write_report
from .noise import NOISE_TYPES
from .train import ARCHS, Recipe, train

QUICK = {"epochs": 1, "per_class": 16, "val_stride": 4096}


def log(msg: str) -> None:
    print(msg, flush=True)


def reference_windows(prep: Prepared, cross_load: bool, per_class: int = 2):
    """A few clean, normalized test windows per class with their origin, for engine-agreement checks."""
    raw, y, origins = fixed_windows(prep, "test", prep.window_length, cross_load=cross_load)
    pick = [i for c in np.unique(y) for i in np.nonzero(y == c)[0][:per_class]]
    # Offsets into the *prepared* record (band-limited, at the model rate), not the raw CWRU file: named
    # differently from the raw-file {file, offset} sources of drsn.export --random so they cannot be mixed up.
    return zscore(raw[pick]), [{"record": origins[i][0], "preparedFile": f"{origins[i][0]}.f32", "preparedOffset": origins[i][1],
                                "label": int(y[i])} for i in pick]


def metrics_of(ev: dict) -> dict:
    return {"split": ev["split"], "testWindows": ev["windows"], "testStride": ev["stride"],
            "cleanAccuracy": ev["clean"], "noiseAccuracy": ev["noise"], "stretchAccuracy": ev["stretch"],
            "perClass": ev["perClass"]}


def widths_arg(v: str) -> tuple:
    try:
        w = tuple(int(x) for x in v.split(","))
    except ValueError:
        w = ()
    if len(w) != 3 or any(x <= 0 for x in w) or list(w) != sorted(w):
        raise argparse.ArgumentTypeError(f"{v!r}: three positive, non-decreasing channel counts, e.g. 8,16,32")
    return w


def stem_kernel_arg(v: str) -> int:
    k = int(v) if v.isdigit() else 0
    if k < 3 or k % 2 == 0 or k > 255:
        raise argparse.ArgumentTypeError(f"{v!r}: an odd kernel width in 3..255, e.g. 63")
    return k


def orders_reference(prep: Prepared, per_class: int = 3):
    """A few clean test windows per class: their raw samples, speeds and orders, and the representation computed from them."""
    from .orders import features, fixed_order_windows
    xs, y, fr, bo, bi, origins = fixed_order_windows(prep, "test", 1024)
    pick = [i for c in np.unique(y) for i in np.nonzero(y == c)[0][:per_class]]
    raw = {"windows": [xs[i] for i in pick], "shaftHz": fr[pick], "bpfo": bo[pick], "bpfi": bi[pick]}
    sources = [{"record": origins[i][0], "preparedFile": f"{origins[i][0]}.f32", "preparedOffset": origins[i][1], "samples": origins[i][2],
                "label": int(y[i])} for i in pick]
    return features(prep, raw["windows"], raw["shaftHz"], raw["bpfo"], raw["bpfi"]), sources, raw


def cmd_train_orders(a) -> int:
    """--input envelope-orders: the DRSN on envelope-order spectra (orders_train.py)."""
    from .export import export_model
    from .orders import COMPONENT_CLASSES, OrdersAugment
    from .orders_train import OrdersRecipe, evaluate_orders, train_orders
    from .representation import DEFAULT_SPEC
    prep = Prepared(a.data)
    recipe = OrdersRecipe(seed=a.seed, epochs=a.epochs if a.epochs != Recipe.epochs else OrdersRecipe.epochs,
                          per_class=a.per_class if a.per_class != Recipe.per_class else OrdersRecipe.per_class,
                          widths=a.widths if a.widths != Recipe.widths else OrdersRecipe.widths,
                          aug=OrdersAugment(snr_range=(a.snr_min if a.snr_min != AugmentConfig.snr_range[0] else OrdersAugment.snr_range[0],
                                                       OrdersAugment.snr_range[1])))
    if a.quick:
        recipe.epochs, recipe.per_class, recipe.bank_epochs, recipe.val_stride = 1, 16, 1, 8192
    net, summary = train_orders(prep, recipe, log)
    ev = evaluate_orders(net, prep, log=log, quick=a.quick, stride=8192 if a.quick else 256)
    model_id = a.id or f"drsn-cw-eos-cwru-s{a.seed}"
    summary.update({"parameters": count_parameters(net), "quick": bool(a.quick), **({"command": a.command} if a.command else {}),
                    "dataset": {"folder": os.path.abspath(a.data), "records": len(prep.records),
                                "fingerprint": json.load(open(os.path.join(a.data, "index.json"))).get("fingerprint")}})
    meta = {
        "id": model_id, "version": a.version, "architecture": "drsn-cw", "widths": list(recipe.widths),
        # windowLength: the most samples a spectrum uses (at low speed); the representation says how many it takes.
        "input": {"sampleRateHz": prep.sample_rate_hz, "windowLength": DEFAULT_SPEC["fftLength"], "channels": 1, "unit": "g",
                  "bandLimitHz": prep.band_limit_hz, "representation": DEFAULT_SPEC},
        "normalization": {"method": "none"},
        "classes": COMPONENT_CLASSES, "training": summary,
        "metrics": metrics_of(ev) | {"balancedClean": ev["balancedClean"], "speedError": ev["speedError"]},
    }
    from .orders import calibrate_ood
    meta["ood"] = calibrate_ood(prep, per_record=8 if a.quick else 60)
    warnings.filterwarnings("ignore", category=UserWarning, module="torch.onnx")
    ref, sources, raw = orders_reference(prep)
    export_model(net, a.out, meta, ref, sources, raw)
    run = {"model": {"id": model_id, "architecture": "drsn-cw envelope-orders", "seed": a.seed, "folder": a.out}, "eval": ev}
    write_report(a.out, f"Evaluation of {model_id}", [run], notes=_notes(summary))
    log(f"done: {a.out} (clean test accuracy {ev['clean']:.4f}, {summary['trainSeconds']:.0f}s training)")
    return 0


def cmd_train(a) -> int:
    if a.input == "envelope-orders":
        return cmd_train_orders(a)
    prep = Prepared(a.data)
    recipe = Recipe(arch=a.arch, epochs=a.epochs, seed=a.seed, cross_load=a.cross_load, per_class=a.per_class, widths=a.widths,
                    stem_kernel=a.stem_kernel,
                    aug=AugmentConfig(stretch=a.stretch, snr_range=(a.snr_min, AugmentConfig.snr_range[1])))
    if a.quick:
        for k, v in QUICK.items():
            setattr(recipe, k, v)
    net, summary = train(prep, recipe, log)
    ev = evaluate(net, prep, cross_load=a.cross_load, log=log, quick=a.quick,
                  stride=4096 if a.quick else 256)
    variant_name = ARCHS[a.arch][1]
    # The default id names what differs from the paper's net, so two runs of different recipes never share one.
    shape = ("" if tuple(recipe.widths) == PAPER_WIDTHS else "-" + "-".join(map(str, recipe.widths))) + \
        ("" if recipe.stem_kernel == PAPER_STEM_KERNEL else f"-k{recipe.stem_kernel}")
    model_id = a.id or f"{variant_name}{shape}-{'cwru' if not a.cross_load else 'cwru-crossload'}-s{a.seed}"
    summary.update({"parameters": count_parameters(net), "quick": bool(a.quick),
                    **({"command": a.command} if a.command else {}),
                    "dataset": {"folder": os.path.abspath(a.data), "records": len(prep.records),
                                "fingerprint": json.load(open(os.path.join(a.data, "index.json"))).get("fingerprint")}})
    meta = {
        "id": model_id, "version": a.version, "architecture": variant_name, "widths": list(recipe.widths),
        "input": {"sampleRateHz": prep.sample_rate_hz, "windowLength": prep.window_length, "channels": 1,
                  "unit": "g", "bandLimitHz": prep.band_limit_hz},
        "normalization": {"method": "window-zscore", "epsilon": 1e-8},
        "classes": prep.classes, "training": summary, "metrics": metrics_of(ev),
    }
    from .export import export_model
    warnings.filterwarnings("ignore", category=UserWarning, module="torch.onnx")
    ref, sources = reference_windows(prep, a.cross_load)
    export_model(net, a.out, meta, ref, sources)
    run = {"model": {"id": model_id, "architecture": run_label(variant_name, recipe.widths, recipe.stem_kernel), "seed": a.seed, "folder": a.out}, "eval": ev}
    write_report(a.out, f"Evaluation of {model_id}", [run], notes=_notes(summary))
    log(f"done: {a.out} (clean test accuracy {ev['clean']:.4f}, {summary['trainSeconds']:.0f}s training)")
    return 0


def _notes(summary):
    r = summary["recipe"]
    return [f"Training: seed {summary['seed']}, {summary['epochs']} epochs × {r['per_class']} windows/class, "
            f"best validation epoch {summary['bestEpoch']}, {summary['trainSeconds']:.0f} s on {summary['threads']} threads.",
            f"Checkpoint selection: {summary['selection']}."]


def run_label(architecture: str, widths, stem_kernel=None, members=None) -> str:
    """The name a report groups runs by: the architecture, plus the stage widths, stem kernel and ensemble
    size when not the paper's single net."""
    w = tuple(widths or PAPER_WIDTHS)
    k = int(stem_kernel or PAPER_STEM_KERNEL)
    label = architecture if w == PAPER_WIDTHS else f"{architecture} {'/'.join(map(str, w))}"
    label = label if k == PAPER_STEM_KERNEL else f"{label} stem {k}"
    return label if int(members or 1) == 1 else f"{label} ×{int(members)}"


def meta_label(meta: dict) -> str:
    return run_label(meta["architecture"], meta.get("widths"), meta.get("stemKernel"), meta.get("members"))


def cmd_eval(a) -> int:
    prep = Prepared(a.data)
    runs = []
    for folder in a.model:
        net, meta = load_model(folder)
        cross = a.cross_load or bool(meta.get("training", {}).get("recipe", {}).get("cross_load"))
        if meta["input"].get("representation"):
            from .orders_train import evaluate_orders
            if cross:
                log(f"error: {meta['id']}: the envelope-order model has no cross-load evaluation")
                return 2
            log(f"eval: {meta['id']} (envelope-order spectrum) on test split")
            ev = evaluate_orders(net, prep, log=log, quick=a.quick, stride=8192 if a.quick else TEST_STRIDE, spec=meta["input"]["representation"])
            runs.append({"model": {"id": meta["id"], "architecture": meta_label(meta) + " envelope-orders",
                                   "seed": meta.get("training", {}).get("seed"), "folder": folder}, "eval": ev})
            continue
        log(f"eval: {meta['id']} ({meta['architecture']}) on {'cross-load' if cross else 'test'} split")
        ev = evaluate(net, prep, cross_load=cross, log=log, quick=a.quick, stride=4096 if a.quick else TEST_STRIDE)
        runs.append({"model": {"id": meta["id"], "architecture": meta_label(meta),
                               "seed": meta.get("training", {}).get("seed"), "folder": folder}, "eval": ev})
    write_report(a.out, a.title, runs, prefix=a.prefix)
    log(f"done: {os.path.join(a.out, a.prefix + '.md')}")
    return 0


def cmd_report(a) -> int:
    """Side-by-side report from runs already evaluated by `train` (their report.json), without re-evaluating."""
    runs = []
    for folder in a.run:
        with open(os.path.join(folder, "report.json")) as f:
            doc = json.load(f)
        meta_file = os.path.join(folder, "drsn.json")
        if os.path.exists(meta_file):  # label wide runs even in reports written before run_label existed
            with open(meta_file) as f:
                meta = json.load(f)
            for r in doc["runs"]:
                r["model"]["architecture"] = meta_label(meta)
        runs += doc["runs"]
    write_report(a.out, a.title, runs, notes=a.note or (), prefix=a.prefix)
    log(f"done: {os.path.join(a.out, a.prefix + '.md')} ({len(runs)} runs)")
    return 0


# What members of one ensemble must share besides the architecture (Ensemble checks that): they see the
# same windows, prepared the same way, and their outputs mean the same classes.
SHARED_META = ("input", "normalization", "classes")


def _member_summary(folder: str, meta: dict) -> dict:
    t = meta.get("training", {})
    keep = ("seed", "epochs", "bestEpoch", "validation", "trainSeconds", "parameters", "command", "recipe")
    return {"id": meta["id"], "version": meta["version"], "folder": os.path.basename(os.path.normpath(folder)),
            **{k: t[k] for k in keep if k in t}}


def cmd_ensemble(a) -> int:
    """Combine trained model folders (e.g. seeds of one recipe) into one model folder whose output is the
    mean of their probabilities; evaluated like `train` when --data is given."""
    from .export import export_model
    from .model import Ensemble
    from .train import ValidationSet
    members = [load_model(f) for f in a.member]
    first = members[0][1]
    problems = []
    for f, (_, m) in zip(a.member, members):
        if int(m.get("members", 1)) != 1:
            problems.append(f"{f}: is itself an ensemble ({m['members']} members); list its members instead")
        for key in SHARED_META:
            if m.get(key) != first.get(key):
                problems.append(f"{f}: {key} differs from {a.member[0]}")
    cross = {bool(m.get("training", {}).get("recipe", {}).get("cross_load")) for _, m in members}
    if len(cross) > 1:
        problems.append("members mix the cross-load and the time-disjoint split")
    if not problems:
        try:  # Ensemble itself compares the nets: variant, widths, stem kernel, number of classes
            net = Ensemble([n for n, _ in members]).eval()
        except ValueError as e:
            problems.append(f"{e} ({', '.join(a.member)})")
    if problems:
        log("error: cannot combine these models:\n  " + "\n  ".join(problems))
        return 2
    cross_load = cross.pop()
    summary = {"ensemble": {"combination": "mean of the members' softmax probabilities",
                            "members": [_member_summary(f, m) for f, (_, m) in zip(a.member, members)]},
               "parameters": count_parameters(net), **({"command": a.command} if a.command else {})}
    meta = {"id": a.id or f"{first['id']}-x{len(members)}", "version": a.version, "architecture": first["architecture"],
            "widths": list(first.get("widths") or PAPER_WIDTHS), **{k: first[k] for k in SHARED_META}}
    warnings.filterwarnings("ignore", category=UserWarning, module="torch.onnx")
    if a.data is None:
        # No data: the folder still runs and carries reference probabilities (member 0's windows), but no metrics.
        ref, sources = read_reference_windows(a.member[0])
        export_model(net, a.out, {**meta, "training": summary, "metrics": {}}, ref, sources)
        log(f"done: {a.out} ({len(members)} members, not evaluated: no --data)")
        return 0
    prep = Prepared(a.data)
    want = first["input"]
    if (prep.sample_rate_hz, prep.band_limit_hz, prep.window_length) != (want["sampleRateHz"], want["bandLimitHz"], want["windowLength"]) or \
            [c["name"] for c in prep.classes] != [c["name"] for c in first["classes"]]:
        log("error: the prepared data does not match the members' input or classes")
        return 2
    val = ValidationSet(prep, Recipe(cross_load=cross_load, val_stride=4096 if a.quick else Recipe.val_stride))
    score, _, accs = val.score(net)
    summary.update({"selection": "none: every member is used; the members were selected by their own training runs",
                    "validation": accs, "validationScore": score})
    log("validation (clean + noises at -5 dB): ensemble " + " ".join(f"{k} {v:.4f}" for k, v in accs.items()))
    ev = evaluate(net, prep, cross_load=cross_load, log=log, quick=a.quick, stride=4096 if a.quick else TEST_STRIDE)
    meta.update({"training": summary, "metrics": metrics_of(ev)})
    ref, sources = reference_windows(prep, cross_load)
    meta = export_model(net, a.out, meta, ref, sources)
    run = {"model": {"id": meta["id"], "architecture": meta_label(meta), "seed": None, "folder": a.out}, "eval": ev}
    notes = [f"Ensemble of {len(members)} models, output = mean of their softmax probabilities: " +
             ", ".join(f"{s['id']} {s['version']} (seed {s.get('seed')})" for s in summary["ensemble"]["members"]) + ".",
             "Validation accuracy (clean / " + " / ".join(NOISE_TYPES) + " at -5 dB): " +
             " / ".join(f"{100 * accs[k]:.2f}" for k in accs) + " %."]
    write_report(a.out, f"Evaluation of {meta['id']}", [run], notes=notes)
    log(f"done: {a.out} (clean test accuracy {ev['clean']:.4f})")
    return 0


def cmd_ood(a) -> int:
    """(Re)calibrate the out-of-distribution score of an envelope-order model folder on the training data."""
    from .orders import calibrate_ood
    path = os.path.join(a.model, "drsn.json")
    with open(path) as f:
        meta = json.load(f)
    if not meta["input"].get("representation"):
        log(f"error: {a.model}: the out-of-distribution score is defined for envelope-order models only")
        return 2
    meta["ood"] = calibrate_ood(Prepared(a.data), meta["input"]["representation"])
    with open(path, "w") as f:
        json.dump(meta, f, indent=2)
    log(f"ood: threshold {meta['ood']['threshold']:.3f} ({meta['ood']['calibration']})")
    return 0


def cmd_onnx(a) -> int:
    """Rewrite a model folder's model.onnx from its weights (e.g. after an exporter change), no retraining."""
    from .export import export_onnx
    net, meta = load_model(a.model)
    from .folder import net_input_length
    export_onnx(net, a.model, net_input_length(meta), meta["input"].get("channels", 1))
    log(f"wrote {os.path.join(a.model, 'model.onnx')}")
    return 0


def main(argv=None) -> int:
    torch.set_num_threads(int(os.environ.get("DRSN_THREADS", "2")))
    p = argparse.ArgumentParser(prog="python3 -m drsn")
    sub = p.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train")
    t.add_argument("--data", required=True, help="prepared dataset folder (index.json)")
    t.add_argument("--out", required=True, help="model folder to write")
    t.add_argument("--arch", choices=sorted(ARCHS), default="cw")
    t.add_argument("--epochs", type=int, default=Recipe.epochs)
    t.add_argument("--per-class", type=int, default=Recipe.per_class)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--stretch", type=float, default=AugmentConfig.stretch, help="time-stretch augmentation ±fraction (0 = off)")
    t.add_argument("--snr-min", type=float, default=AugmentConfig.snr_range[0], help="lowest SNR (dB) of the noise augmentation")
    t.add_argument("--widths", type=widths_arg, default=Recipe.widths, help="channels per stage, e.g. 8,16,32 (default: the paper's 4,8,16)")
    t.add_argument("--stem-kernel", type=stem_kernel_arg, default=Recipe.stem_kernel,
                   help="width of the first convolution, odd (default: the paper's 3)")
    t.add_argument("--cross-load", action="store_true")
    t.add_argument("--input", choices=("time", "envelope-orders"), default="time",
                   help="what the net sees: the normalized time window (the paper's) or the envelope-order spectrum")
    t.add_argument("--quick", action="store_true", help="tiny smoke run: 1 epoch, few windows")
    t.add_argument("--id")
    t.add_argument("--command", help="the command line that started this run, recorded in drsn.json")
    t.add_argument("--version", default="1.0.0")
    e = sub.add_parser("eval")
    e.add_argument("--model", action="append", required=True)
    e.add_argument("--data", required=True)
    e.add_argument("--out", required=True)
    e.add_argument("--cross-load", action="store_true")
    e.add_argument("--quick", action="store_true")
    e.add_argument("--title", default="DRSN evaluation")
    e.add_argument("--prefix", default="report")
    r = sub.add_parser("report")
    r.add_argument("--run", action="append", required=True, help="model folder with report.json (from train or eval)")
    r.add_argument("--out", required=True)
    r.add_argument("--title", default="DRSN comparison")
    r.add_argument("--note", action="append")
    r.add_argument("--prefix", default="report")
    n = sub.add_parser("ensemble", help="combine trained model folders into one (mean of their probabilities)")
    n.add_argument("--member", action="append", required=True, help="trained model folder (at least 2)")
    n.add_argument("--out", required=True)
    n.add_argument("--data", help="prepared dataset folder: evaluate and write the report (without: no metrics)")
    n.add_argument("--id")
    n.add_argument("--version", default="1.0.0")
    n.add_argument("--command")
    n.add_argument("--quick", action="store_true")
    d = sub.add_parser("ood", help="calibrate the out-of-distribution score of an envelope-order model folder")
    d.add_argument("--model", required=True)
    d.add_argument("--data", required=True, help="the prepared dataset it was trained on")
    o = sub.add_parser("onnx", help="re-export model.onnx of a model folder from its weights")
    o.add_argument("--model", required=True)
    a = p.parse_args(argv)
    t0 = time.time()
    if a.cmd == "ensemble" and len(a.member) < 2:
        p.error("ensemble needs at least 2 --member folders")
    rc = {"train": cmd_train, "eval": cmd_eval, "report": cmd_report, "ensemble": cmd_ensemble, "onnx": cmd_onnx, "ood": cmd_ood}[a.cmd](a)
    log(f"total {time.time() - t0:.0f}s")
    return rc


if __name__ == "__main__":
    sys.exit(main())
