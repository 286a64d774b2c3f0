# Export the default model with graph variants for inference; same function, fewer/faster ONNX nodes.
import sys, os, copy
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..')
sys.path.insert(0, os.path.join(ROOT, 'src', 'model', 'py'))
import torch, torch.nn as nn, torch.nn.functional as F, numpy as np
from drsn.folder import load_model, read_reference_windows
from drsn import model as M
from drsn.export import export_onnx

net, meta = load_model(os.path.join(ROOT, 'models') + '/drsn-cw-cwru')
wins, _ = read_reference_windows(os.path.join(ROOT, 'models') + '/drsn-cw-cwru')
x = torch.from_numpy(wins.copy()).unsqueeze(1)
with torch.no_grad(): ref = torch.softmax(net(x), 1)

orig_rsbu, orig_shr = M.RSBU.forward, M.Shrinkage.forward

def rsbu_pool(self, x):
    r = self.conv1(F.relu(self.bn1(x)))
    r = self.conv2(F.relu(self.bn2(r)))
    if self.shrink is not None: r = self.shrink(r)
    sc = F.avg_pool1d(x, 1, self.stride) if self.stride > 1 else x
    if self.pad_channels > 0: sc = F.pad(sc, (0, 0, 0, self.pad_channels))
    return r + sc

def rsbu_conv(self, x):
    r = self.conv1(F.relu(self.bn1(x)))
    r = self.conv2(F.relu(self.bn2(r)))
    if self.shrink is not None: r = self.shrink(r)
    if self.stride > 1 or self.pad_channels > 0:
        sc = F.conv1d(x, self.sc_w, stride=self.stride)
    else: sc = x
    return r + sc

def fold_fc_bn(shr):
    bn, fc = shr.bn, shr.fc1
    s = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    fc2 = nn.Linear(fc.in_features, fc.out_features)
    fc2.weight.data = fc.weight * s[:, None]; fc2.bias.data = (fc.bias - bn.running_mean) * s + bn.bias
    return fc2

def shr_folded(self, r):
    a = r.abs().mean(dim=2)
    alpha = torch.sigmoid(self.fc2(F.relu(self.fc1f(a))))
    base = a.mean(dim=1, keepdim=True) if self.shared else a
    tau = (alpha * base).unsqueeze(2)
    return M.soft_threshold(r, tau)

def shr_keep(self, r):
    # keepdims all the way: no Unsqueeze; FCs as 1x1 convs on [N, C, 1]
    a = r.abs().mean(dim=2, keepdim=True)
    h = F.relu(F.conv1d(a, self.fc1f.weight[:, :, None], self.fc1f.bias))
    alpha = torch.sigmoid(F.conv1d(h, self.fc2.weight[:, :, None], self.fc2.bias))
    tau = alpha * a
    return M.soft_threshold(r, tau)

for name, rs, sh in [('base', orig_rsbu, orig_shr), ('v1', rsbu_pool, orig_shr), ('v2', rsbu_pool, shr_folded), ('v3', rsbu_conv, shr_folded), ('v4', rsbu_conv, shr_keep)]:
    n = copy.deepcopy(net)
    for m in n.modules():
        if isinstance(m, M.Shrinkage): m.fc1f = fold_fc_bn(m)
        if isinstance(m, M.RSBU):
            cin = m.bn1.num_features; cout = cin + m.pad_channels
            w = torch.zeros(cout, cin, 1); w[torch.arange(cin), torch.arange(cin), 0] = 1
            m.register_buffer('sc_w', w)
    M.RSBU.forward, M.Shrinkage.forward = rs, sh
    with torch.no_grad(): p = torch.softmax(n(x), 1)
    d = os.path.join('/tmp/drsnd-variants', name); os.makedirs(d, exist_ok=True)
    export_onnx(n, d, 2048)
    print(name, 'max |dp| vs torch', float((p - ref).abs().max()))
M.RSBU.forward, M.Shrinkage.forward = orig_rsbu, orig_shr
