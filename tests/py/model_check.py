"""Probes drsn.model for tests/unit/model-torch.test.ts: the soft threshold and its gradient on known
values, its equality with the paper's formula, and shapes / parameter counts of each net. Prints JSON."""
import json

import torch

from drsn.model import DRSN, count_parameters, soft_threshold

torch.manual_seed(0)
out = {}

# Known values, tau = 1 (no |x| == tau ties, where the gradient is a matter of convention).
x = torch.tensor([-3.0, -0.9, -0.2, 0.0, 0.4, 0.99, 2.5], requires_grad=True)
tau = torch.tensor(1.0, requires_grad=True)
y = soft_threshold(x, tau)
gx, gtau = [], []
for i in range(len(x)):
    a, b = torch.autograd.grad(y[i], (x, tau), retain_graph=True)
    gx.append(float(a[i]))
    gtau.append(float(b))
out["known"] = {"x": x.tolist(), "tau": 1.0, "y": y.tolist(), "dy_dx": gx, "dy_dtau": gtau}

# The implementation vs the paper's formula on random activations with per-sample, per-channel tau.
r = torch.randn(8, 16, 512) * 3
t = torch.rand(8, 16, 1) * 2
paper = torch.sign(r) * torch.relu(r.abs() - t)
out["paperEqual"] = bool(torch.equal(soft_threshold(r, t), paper))
out["paperMaxAbsDiff"] = float((soft_threshold(r, t) - paper).abs().max())

out["nets"] = {}
for variant in ("cw", "cs", "plain"):
    net = DRSN(num_classes=10, variant=variant).eval()
    shapes = []
    h = net.stem(torch.zeros(3, 1, 2048))
    shapes.append(list(h.shape))
    for u in net.units:
        h = u(h)
        shapes.append(list(h.shape))
    out["nets"][variant] = {"params": count_parameters(net), "shapes": shapes,
                            "logits": list(net(torch.zeros(3, 1, 2048)).shape)}
print(json.dumps(out))
