"""Evaluation report: JSON + Markdown + hand-written SVG charts (no plotting library on the target machines)."""
import json
import os
from collections import OrderedDict
from xml.sax.saxutils import escape

import numpy as np

from .noise import NOISE_TYPES

COLORS = {"drsn-cw": "#1f77b4", "drsn-cs": "#2ca02c", "resnet": "#d62728"}


def _stats(values):
    v = np.array(values, dtype=np.float64)
    return {"mean": float(v.mean()), "std": float(v.std(ddof=1)) if v.size > 1 else 0.0, "n": int(v.size)}


def summarize(runs):
    """runs: [{"model": {...}, "eval": evaluate() result}] -> groups keyed 'architecture|split' with mean/std."""
    groups = OrderedDict()
    for r in runs:
        groups.setdefault(f"{r['model']['architecture']}|{r['eval']['split']}", []).append(r)
    out = []
    for key, rs in groups.items():
        arch, split = key.split("|", 1)
        ev = [r["eval"] for r in rs]
        g = {"architecture": arch, "split": split, "seeds": [r["model"].get("seed") for r in rs],
             "models": [r["model"].get("id") for r in rs], "windows": ev[0]["windows"],
             "clean": _stats([e["clean"] for e in ev]), "noise": {}, "stretch": {}}
        for kind in NOISE_TYPES:
            g["noise"][kind] = {s: _stats([e["noise"][kind][s] for e in ev]) for s in ev[0]["noise"].get(kind, {})}
        for f in ev[0]["stretch"]:
            g["stretch"][f] = _stats([e["stretch"][f] for e in ev])
        if ev[0].get("speedError"):
            g["speedError"] = {f: _stats([e["speedError"][f] for e in ev]) for f in ev[0]["speedError"]}
        out.append(g)
    return out


def _pct(s):
    return f"{100 * s['mean']:.2f}" + (f" ± {100 * s['std']:.2f}" if s["n"] > 1 else "")


def _rows(g):
    """(condition label, stats) for every condition of a group, in report order."""
    out = [("clean", g["clean"])]
    for kind in NOISE_TYPES:
        out += [(f"{kind} {s} dB", v) for s, v in g["noise"][kind].items()]
    out += [(f"time-stretch ×{f}", v) for f, v in g["stretch"].items()]
    out += [(f"shaft speed given ×{f}", v) for f, v in g.get("speedError", {}).items()]
    return out


def markdown(title, groups, runs, notes=()):
    lines = [f"# {title}", ""]
    lines += [f"- {n}" for n in notes] + ([""] if notes else [])
    lines += ["Accuracy in %, mean ± sample std over seeds (n = number of seeds). SNR is per window, relative to",
              "the window's signal power; every (noise type, SNR) uses a fixed seed, so all models see identical",
              "noisy windows. Time-stretch: clean test windows resampled as if the machine ran faster (×>1) or slower.", ""]
    for split in OrderedDict((g["split"], 1) for g in groups):
        gs = [g for g in groups if g["split"] == split]
        lines += [f"## {split}", "", f"Test windows: {gs[0]['windows']}.", ""]
        archs = [g["architecture"] for g in gs]
        diff = "drsn-cw" in archs and "resnet" in archs
        head = "| condition | " + " | ".join(f"{g['architecture']} (n={g['clean']['n']})" for g in gs)
        head += " | Δ drsn-cw − resnet |" if diff else " |"
        lines += [head, "|---" * (1 + len(gs) + (1 if diff else 0)) + "|"]
        table = [dict(_rows(g)) for g in gs]
        for label in dict(_rows(gs[0])):
            cells = [_pct(t[label]) if label in t else "" for t in table]
            row = f"| {label} | " + " | ".join(cells)
            if diff:
                cw, rn = table[archs.index("drsn-cw")].get(label), table[archs.index("resnet")].get(label)
                row += f" | {100 * (cw['mean'] - rn['mean']):+.2f} |" if cw and rn else " | |"
            else:
                row += " |"
            lines.append(row)
        lines.append("")
    for r in runs[:1]:
        e = r["eval"]
        lines += [f"## Per class, clean ({r['model'].get('id')}, {e['split']})", "",
                  "| class | windows | precision | recall |", "|---|---|---|---|"]
        for c in e["perClass"]:
            fmt = lambda v: "n/a" if v is None else f"{100 * v:.2f}"
            lines.append(f"| {c['class']} | {c['support']} | {fmt(c['precision'])} | {fmt(c['recall'])} |")
        lines += ["", "Confusion matrix (rows = true, columns = predicted):", "",
                  "| | " + " | ".join(e["classes"]) + " |", "|---" * (1 + len(e["classes"])) + "|"]
        for name, row in zip(e["classes"], e["confusion"]):
            lines.append(f"| **{name}** | " + " | ".join(str(v) for v in row) + " |")
        lines.append("")
    return "\n".join(lines)


def svg_accuracy_vs_snr(groups, split):
    gs = [g for g in groups if g["split"] == split]
    pw, ph, ml, mt, mb = 300, 230, 50, 40, 45
    width = ml + len(NOISE_TYPES) * (pw + 20) + 130
    height = mt + ph + mb
    lo = min([0.5] + [s["mean"] - s["std"] for g in gs for k in NOISE_TYPES for s in g["noise"][k].values()])
    lo = max(0.0, np.floor(lo * 10) / 10)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="11">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{ml}" y="16" font-size="13" font-weight="bold">Test accuracy vs SNR — {escape(split)}</text>']
    snrs = [float(s) for s in gs[0]["noise"][NOISE_TYPES[0]].keys()]
    xmin, xmax = min(snrs), max(snrs)
    for p, kind in enumerate(NOISE_TYPES):
        x0 = ml + p * (pw + 20)
        X = lambda s: x0 + (s - xmin) / (xmax - xmin or 1) * pw
        Y = lambda a: mt + (1 - (a - lo) / (1 - lo)) * ph
        out.append(f'<rect x="{x0}" y="{mt}" width="{pw}" height="{ph}" fill="none" stroke="#999"/>')
        out.append(f'<text x="{x0 + pw / 2}" y="{mt - 6}" text-anchor="middle" font-weight="bold">{kind}</text>')
        for t in np.arange(lo, 1.0001, 0.1 if 1 - lo > 0.3 else 0.05):
            out.append(f'<line x1="{x0}" x2="{x0 + pw}" y1="{Y(t):.1f}" y2="{Y(t):.1f}" stroke="#eee"/>')
            if p == 0:
                out.append(f'<text x="{x0 - 4}" y="{Y(t) + 4:.1f}" text-anchor="end">{100 * t:.0f}%</text>')
        for s in snrs:
            out.append(f'<text x="{X(s):.1f}" y="{mt + ph + 14}" text-anchor="middle">{s:g}</text>')
        out.append(f'<text x="{x0 + pw / 2}" y="{mt + ph + 30}" text-anchor="middle">SNR (dB)</text>')
        for g in gs:
            c = COLORS.get(g["architecture"], "#555")
            pts = [(X(float(s)), Y(v["mean"]), Y(v["mean"] - v["std"]), Y(v["mean"] + v["std"])) for s, v in g["noise"][kind].items()]
            out.append(f'<polyline fill="none" stroke="{c}" stroke-width="2" points="' + " ".join(f"{x:.1f},{y:.1f}" for x, y, _, _ in pts) + '"/>')
            for x, y, ya, yb in pts:
                out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{c}"/>')
                if abs(ya - yb) > 0.5:
                    out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{ya:.1f}" y2="{yb:.1f}" stroke="{c}"/>')
    lx = ml + len(NOISE_TYPES) * (pw + 20)
    for i, g in enumerate(gs):
        c = COLORS.get(g["architecture"], "#555")
        y = mt + 14 + i * 18
        out.append(f'<line x1="{lx}" x2="{lx + 18}" y1="{y}" y2="{y}" stroke="{c}" stroke-width="2"/>')
        out.append(f'<text x="{lx + 24}" y="{y + 4}">{escape(g["architecture"])} (n={g["clean"]["n"]})</text>')
    out.append("</svg>")
    return "\n".join(out)


def svg_confusion(ev, title):
    names, m = ev["classes"], np.array(ev["confusion"], dtype=np.float64)
    k, cell, ml, mt = len(names), 38, 80, 60
    width, height = ml + k * cell + 20, mt + k * cell + 50
    rows = m / np.maximum(m.sum(1, keepdims=True), 1)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="10">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="4" y="14" font-size="12" font-weight="bold">{escape(title)}</text>',
           f'<text x="{ml + k * cell / 2}" y="{mt - 24}" text-anchor="middle">predicted</text>',
           f'<text x="12" y="{mt + k * cell / 2}" transform="rotate(-90 12 {mt + k * cell / 2})" text-anchor="middle">true</text>']
    for j, n in enumerate(names):
        out.append(f'<text x="{ml + j * cell + cell / 2}" y="{mt - 6}" text-anchor="middle">{escape(n)}</text>')
        out.append(f'<text x="{ml - 4}" y="{mt + j * cell + cell / 2 + 3}" text-anchor="end">{escape(n)}</text>')
    for i in range(k):
        for j in range(k):
            v = rows[i, j]
            shade = int(255 - 200 * v)
            fill = f"rgb({shade},{shade},255)" if i == j else (f"rgb(255,{shade},{shade})" if m[i, j] else "white")
            out.append(f'<rect x="{ml + j * cell}" y="{mt + i * cell}" width="{cell}" height="{cell}" fill="{fill}" stroke="#ccc"/>')
            if m[i, j]:
                color = "white" if v > 0.6 else "black"
                out.append(f'<text x="{ml + j * cell + cell / 2}" y="{mt + i * cell + cell / 2 + 3}" text-anchor="middle" fill="{color}">{int(m[i, j])}</text>')
    out.append(f'<text x="{ml}" y="{height - 12}">cells: window counts; shade: share of the true class</text>')
    out.append("</svg>")
    return "\n".join(out)


def write_report(out_dir, title, runs, notes=(), prefix="report"):
    os.makedirs(out_dir, exist_ok=True)
    groups = summarize(runs)
    with open(os.path.join(out_dir, f"{prefix}.json"), "w") as f:
        json.dump({"title": title, "notes": list(notes), "summary": groups, "runs": runs}, f, indent=1)
    with open(os.path.join(out_dir, f"{prefix}.md"), "w") as f:
        f.write(markdown(title, groups, runs, notes))
    files = []
    for i, split in enumerate(OrderedDict((g["split"], 1) for g in groups)):
        name = f"{prefix}-accuracy-vs-snr{'' if i == 0 else f'-{i}'}.svg"
        with open(os.path.join(out_dir, name), "w") as f:
            f.write(svg_accuracy_vs_snr(groups, split))
        files.append(name)
    if runs:
        e = runs[0]["eval"]
        name = f"{prefix}-confusion.svg"
        with open(os.path.join(out_dir, name), "w") as f:
            f.write(svg_confusion(e, f"Confusion, clean — {runs[0]['model'].get('id')} — {e['split']}"))
        files.append(name)
        if e.get("noiseConfusion"):
            k, cm = next(iter(e["noiseConfusion"].items()))
            name = f"{prefix}-confusion-{k.split('@')[0]}-5dB.svg"
            with open(os.path.join(out_dir, name), "w") as f:
                f.write(svg_confusion({"classes": e["classes"], "confusion": cm}, f"Confusion, {k} — {runs[0]['model'].get('id')}"))
            files.append(name)
    with open(os.path.join(out_dir, f"{prefix}.md"), "a") as f:
        f.write("\n" + "\n".join(f"![{n}]({n})" for n in files) + "\n")
    return groups
