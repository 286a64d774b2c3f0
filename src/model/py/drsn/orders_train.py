"""Training and CWRU evaluation of the envelope-order-spectrum DRSN (`drsnd train --input envelope-orders`).

Same optimiser and checkpoint rule as train.py (SGD + momentum, step decay, best mean validation accuracy
over clean + the three noises at -5 dB, on CWRU's validation split only); what differs is the input
(representation.py), the classes (the fault's component, orders.COMPONENT_CLASSES) and the head: a
flatten head, because a line's *position* on the warped order axis is what tells an outer- from an
inner-race fault (with global average pooling the same net transferred to nothing: Phase A, docs/reports/).
Validation scores classes balanced: the single normal record leaves only ~11 validation windows.
"""
import time
from dataclasses import asdict, dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from .evaluate import EVAL_SEED, EVAL_SNRS_DB, confusion, per_class
from .model import DRSN, count_parameters
from .noise import NOISE_TYPES, add_noise
from .orders import COMPONENT_CLASSES, OrdersAugment, OrdersSampler, features, fixed_order_windows
from .representation import DEFAULT_SPEC
from .train import VAL_SEED, VAL_SNR_DB, predict

SPEED_ERRORS = (0.95, 0.98, 1.02, 1.05)


@dataclass
class OrdersRecipe:
    epochs: int = 24
    per_class: int = 1500  # windows per class in one augmented bank
    bank_epochs: int = 6  # a fresh bank every this many epochs
    batch: int = 128
    lr: float = 0.05
    lr_steps: tuple = (0.5, 0.75)
    momentum: float = 0.9
    weight_decay: float = 1e-4
    seed: int = 0
    widths: tuple = (8, 16, 32)
    val_stride: int = 256
    aug: OrdersAugment = field(default_factory=OrdersAugment)


def make_orders_net(widths=(8, 16, 32), spec=DEFAULT_SPEC) -> DRSN:
    return DRSN(num_classes=len(COMPONENT_CLASSES), variant="cw", widths=tuple(widths), head="flatten", input_length=int(spec["bins"]))


def _noisy(windows, kind, snr_db, rng):
    return [add_noise(w[None], kind, snr_db, rng)[0] for w in windows]


def balanced_accuracy(p: np.ndarray, y: np.ndarray) -> float:
    pred = p.argmax(1)
    return float(np.mean([(pred[y == c] == c).mean() for c in np.unique(y)]))


class OrdersValidation:
    def __init__(self, prep, stride: int, spec=DEFAULT_SPEC):
        xs, self.y, fr, bo, bi, _ = fixed_order_windows(prep, "val", stride, spec)
        self.sets = {"clean": features(prep, xs, fr, bo, bi, spec)}
        for k, kind in enumerate(NOISE_TYPES):
            self.sets[kind] = features(prep, _noisy(xs, kind, VAL_SNR_DB, np.random.default_rng([VAL_SEED, k])), fr, bo, bi, spec)

    def score(self, net):
        accs = {name: balanced_accuracy(predict(net, x), self.y) for name, x in self.sets.items()}
        return float(np.mean(list(accs.values()))), accs


def train_orders(prep, recipe: OrdersRecipe, log=print, spec=DEFAULT_SPEC):
    torch.manual_seed(recipe.seed)
    net = make_orders_net(recipe.widths, spec)
    opt = torch.optim.SGD(net.parameters(), lr=recipe.lr, momentum=recipe.momentum, weight_decay=recipe.weight_decay)
    milestones = sorted({max(1, int(round(f * recipe.epochs))) for f in recipe.lr_steps})
    sched = torch.optim.lr_scheduler.MultiStepLR(opt, milestones=milestones, gamma=0.1)
    sampler = OrdersSampler(prep, recipe.per_class, recipe.seed, recipe.aug, spec)
    t0 = time.time()
    val = OrdersValidation(prep, recipe.val_stride, spec)
    log(f"train: envelope-order DRSN-CW params={count_parameters(net)} epochs={recipe.epochs} bank={recipe.per_class}/class "
        f"every {recipe.bank_epochs} epochs, val windows={len(val.y)} ({np.bincount(val.y).tolist()}) seed={recipe.seed}")
    best, history = None, []
    for epoch in range(recipe.epochs):
        if epoch % recipe.bank_epochs == 0:
            x, y = sampler.bank(epoch // recipe.bank_epochs)
        net.train()
        order = torch.randperm(len(y), generator=torch.Generator().manual_seed(recipe.seed * 100003 + epoch)).numpy()
        total = 0.0
        for i in range(0, len(y), recipe.batch):
            idx = order[i:i + recipe.batch]
            if idx.size < 2:
                continue
            loss = F.cross_entropy(net(torch.from_numpy(x[idx]).unsqueeze(1)), torch.from_numpy(y[idx]))
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss) * idx.size
        sched.step()
        score, accs = val.score(net)
        history.append({"epoch": epoch + 1, "loss": round(total / len(y), 5), "valScore": round(score, 5)})
        improved = best is None or score >= best["score"]
        if improved:
            best = {"epoch": epoch + 1, "score": score, "valAcc": accs, "state": {k: v.detach().clone() for k, v in net.state_dict().items()}}
        log(f"epoch {epoch + 1}/{recipe.epochs} loss {total / len(y):.4f} val balanced clean {accs['clean']:.4f} "
            f"noisy@{VAL_SNR_DB:g}dB {np.mean([accs[k] for k in NOISE_TYPES]):.4f} {time.time() - t0:.0f}s{' *' if improved else ''}")
    net.load_state_dict(best["state"])
    net.eval()
    summary = {
        "seed": recipe.seed, "epochs": recipe.epochs, "bestEpoch": best["epoch"],
        "selection": f"best mean balanced validation accuracy over clean + {'/'.join(NOISE_TYPES)} at {VAL_SNR_DB:g} dB (CWRU validation split only)",
        "validation": best["valAcc"], "trainSeconds": round(time.time() - t0, 1),
        "recipe": {k: v for k, v in asdict(recipe).items() if k != "aug"} | {"augmentation": asdict(recipe.aug), "optimizer": "SGD",
                                                                           "init": "He (kaiming normal)", "input": "envelope-orders", "head": "flatten"},
        "threads": torch.get_num_threads(), "torch": torch.__version__, "history": history,
    }
    return net, summary


def evaluate_orders(net, prep, stride: int = 256, log=print, quick=False, spec=DEFAULT_SPEC):
    """CWRU test split: clean, the three noises over the SNR sweep, and shaft-speed errors; per-class metrics."""
    names = [c["name"] for c in COMPONENT_CLASSES]
    xs, y, fr, bo, bi, _ = fixed_order_windows(prep, "test", stride, spec)
    p = predict(net, features(prep, xs, fr, bo, bi, spec))
    m = confusion(y, p.argmax(1), len(names))
    res = {"split": "test (time-disjoint)", "stride": stride, "windows": int(len(y)), "perClassWindows": np.bincount(y, minlength=len(names)).tolist(),
           "classes": names, "clean": float(np.trace(m) / m.sum()), "balancedClean": balanced_accuracy(p, y), "confusion": m.tolist(),
           "perClass": per_class(m, names), "noise": {}, "noiseConfusion": {}, "stretch": {}, "speedError": {}}
    log(f"eval: {len(y)} test windows, clean accuracy {res['clean']:.4f} (balanced {res['balancedClean']:.4f})")
    for k, kind in enumerate(NOISE_TYPES):
        res["noise"][kind] = {}
        for j, snr in enumerate(EVAL_SNRS_DB if not quick else (0,)):
            pred = predict(net, features(prep, _noisy(xs, kind, snr, np.random.default_rng([EVAL_SEED, k, j])), fr, bo, bi, spec)).argmax(1)
            res["noise"][kind][str(snr)] = float((pred == y).mean())
            if snr == -5:
                res["noiseConfusion"][f"{kind}@-5dB"] = confusion(y, pred, len(names)).tolist()
        log(f"eval: {kind} " + " ".join(f"{s}dB {a:.3f}" for s, a in res["noise"][kind].items()))
    for f in (SPEED_ERRORS if not quick else (1.05,)):
        res["speedError"][str(f)] = float((predict(net, features(prep, xs, fr * f, bo, bi, spec)).argmax(1) == y).mean())
    log("eval: shaft speed given ×" + " ×".join(f"{f} {a:.3f}" for f, a in res["speedError"].items()))
    return res
