# Multiply-accumulates and element-wise work per window of the shipped default model, and this
# machine's practical single-core SGEMM rate (torch, 1 thread) as the ceiling to compare with.
import os, sys, time
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..')
sys.path.insert(0, os.path.join(ROOT, 'src', 'model', 'py'))
import torch, torch.nn as nn
from drsn.folder import load_model
net, meta = load_model(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, 'models') + '/drsn-cw-cwru')
macs = {'conv': 0, 'linear': 0}
act = {'elems': 0}
def conv_hook(m, i, o):
    macs['conv'] += o.shape[1] * o.shape[2] * (m.in_channels // m.groups) * m.kernel_size[0]
def lin_hook(m, i, o):
    macs['linear'] += m.in_features * m.out_features
def bn_hook(m, i, o):
    if o.dim() == 3: act['elems'] += o.shape[1] * o.shape[2]
for m in net.modules():
    if isinstance(m, nn.Conv1d): m.register_forward_hook(conv_hook)
    if isinstance(m, nn.Linear): m.register_forward_hook(lin_hook)
    if isinstance(m, nn.BatchNorm1d): m.register_forward_hook(bn_hook)
with torch.no_grad(): net(torch.zeros(1, 1, 2048))
total = macs['conv'] + macs['linear']
print(f"MACs per window: conv {macs['conv']:,}, linear {macs['linear']:,}, total {total:,} = {2*total/1e6:.2f} MFLOP")
print(f"elements through full-size BatchNorms per window: {act['elems']:,} (each unit's tensor: C x L)")
torch.set_num_threads(1)
for n in (256, 1024):
    a = torch.randn(n, n); b = torch.randn(n, n)
    for _ in range(3): a @ b
    reps = max(3, int(2e10 / (2 * n ** 3)))
    t = time.perf_counter()
    for _ in range(reps): a @ b
    dt = time.perf_counter() - t
    print(f"torch SGEMM {n}x{n}, 1 thread: {2 * n ** 3 * reps / dt / 1e9:.1f} GFLOP/s")
