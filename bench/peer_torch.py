"""PyTorch peer for `npm run bench`: times the same DRSN (same weights, same windows) in PyTorch.

Called by bench/peer.ts; prints one JSON object on stdout. The model is rebuilt from the model
folder's weights.json/bin (the state_dict the trainer exported), so the peer runs exactly the
weights our engines run; its probabilities for the first windows are returned for checking.

    python3 bench/peer_torch.py --model DIR --windows FILE.f32 --count N --length L
        [--batches 1,16,64,256] [--threads 1,2] [--seconds 3] [--modes eager,torchscript]
        [--no-latency] [--sync]

--sync is for running several peers side by side (bench/peer.ts, "2 processes x 1 thread"): before
each timed configuration the script prints "ready" on stdout and waits for a line on stdin, so the
processes time the same seconds; the JSON is then the last line.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "src", "model", "py"))
from drsn.folder import load_model  # noqa: E402
from drsn.model import WithSoftmax  # noqa: E402


def load_net(model_dir: str) -> torch.nn.Module:
    # The trainer's own loader: widths, stem kernel and ensemble members come from drsn.json, exactly
    # as the engines read them.
    net, _ = load_model(model_dir)
    return WithSoftmax(net).eval()


def timed(fn, x, seconds: float, min_calls: int = 3) -> float:
    """Calls fn(x) repeatedly for `seconds`; returns calls per second."""
    fn(x)  # warm-up (TorchScript profiles its first calls)
    fn(x)
    calls = 0
    t0 = time.perf_counter()
    while True:
        fn(x)
        calls += 1
        dt = time.perf_counter() - t0
        if dt >= seconds and calls >= min_calls:
            return calls / dt


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--model", required=True)
    p.add_argument("--windows", required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--length", type=int, required=True)
    p.add_argument("--batches", default="1,16,64,256")
    p.add_argument("--threads", default="1,2")
    p.add_argument("--seconds", type=float, default=3.0)
    p.add_argument("--modes", default="eager,torchscript")
    p.add_argument("--no-latency", action="store_true")
    p.add_argument("--sync", action="store_true")
    a = p.parse_args()
    wanted = a.modes.split(",")
    for m in wanted:
        if m not in ("eager", "torchscript"):
            p.error(f"unknown mode {m!r} (want eager, torchscript)")
    windows = np.fromfile(a.windows, dtype="<f4").reshape(a.count, 1, a.length)
    net = load_net(a.model)
    batches = [int(b) for b in a.batches.split(",")]
    threads = [int(t) for t in a.threads.split(",")]
    out = {"torch": torch.__version__, "numpy": np.__version__, "throughput": [], "latency": []}
    with torch.inference_mode():
        out["probs"] = net(torch.from_numpy(windows[:16].copy())).numpy().tolist()
    # TorchScript as a user would deploy it: traced, frozen (constants folded, BN fused into conv).
    with torch.no_grad():
        scripted = torch.jit.freeze(torch.jit.trace(net, torch.from_numpy(windows[:2].copy())))
    modes = {k: v for k, v in {"eager": net, "torchscript": scripted}.items() if k in wanted}
    for mode, m in modes.items():
        def fn(x, m=m):
            with torch.inference_mode():
                return m(x)
        for n_threads in threads:
            torch.set_num_threads(n_threads)
            for b in batches:
                idx = np.arange(b) % a.count
                x = torch.from_numpy(windows[idx].copy())
                if a.sync:
                    fn(x)  # warm this shape before the barrier, so the processes start timing together
                    print("ready", flush=True)
                    if not sys.stdin.readline():
                        sys.exit("peer_torch.py: stdin closed while waiting for the start signal")
                rate = timed(fn, x, a.seconds) * b
                out["throughput"].append({"mode": mode, "threads": n_threads, "batch": b, "windowsPerSec": round(rate)})
                print(f"  torch {mode} threads={n_threads} batch={b}: {round(rate)} windows/s", file=sys.stderr, flush=True)
        if a.no_latency:
            continue
        torch.set_num_threads(1)
        lat = []
        x1 = torch.from_numpy(windows[:1].copy())
        fn(x1)
        t_end = time.perf_counter() + max(1.0, a.seconds / 2)
        i = 0
        while time.perf_counter() < t_end or len(lat) < 20:
            x1 = torch.from_numpy(windows[i % a.count: i % a.count + 1].copy())
            t = time.perf_counter()
            fn(x1)
            lat.append((time.perf_counter() - t) * 1000)
            i += 1
        lat.sort()
        rank = lambda q: lat[min(len(lat) - 1, max(0, int(np.ceil(q / 100 * len(lat))) - 1))]  # noqa: E731
        out["latency"].append({"mode": mode, "threads": 1, "p50Ms": round(rank(50), 3), "p99Ms": round(rank(99), 3), "samples": len(lat)})
    print(json.dumps(out))


if __name__ == "__main__":
    main()
