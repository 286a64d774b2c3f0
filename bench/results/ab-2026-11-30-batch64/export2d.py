# Experiment: same DRSN as Conv2d over [N,1,1,L] so onnxruntime's NCHWc conv kernels (4-D only) may apply.
import sys, os, shutil, torch, torch.nn as nn, torch.nn.functional as F
sys.path.insert(0, '/work/main/src/model/py')
from drsn.evaluate import load_model
from drsn.model import WithSoftmax

def conv2d(c):
    k = nn.Conv2d(c.in_channels, c.out_channels, (1, c.kernel_size[0]), stride=(1, c.stride[0]), padding=(0, c.padding[0]))
    k.weight.data = c.weight.data.unsqueeze(2).clone(); k.bias.data = c.bias.data.clone(); return k
def bn2d(b):
    n = nn.BatchNorm2d(b.num_features, eps=b.eps); n.load_state_dict(b.state_dict()); return n

class U2(nn.Module):
    def __init__(s, u):
        super().__init__(); s.stride=u.stride; s.pad=u.pad_channels
        s.bn1=bn2d(u.bn1); s.conv1=conv2d(u.conv1); s.bn2=bn2d(u.bn2); s.conv2=conv2d(u.conv2); s.sh=u.shrink
    def forward(s, x):
        r = s.conv1(F.relu(s.bn1(x))); r = s.conv2(F.relu(s.bn2(r)))
        a = r.abs().mean(dim=3)[:, :, 0]
        sh = s.sh
        alpha = torch.sigmoid(sh.fc2(F.relu(sh.bn(sh.fc1(a)))))
        base = a.mean(dim=1, keepdim=True) if sh.shared else a
        tau = (alpha*base)[:, :, None, None]
        r = r - torch.maximum(torch.minimum(r, tau), -tau)
        sc = x[:, :, :, ::s.stride] if s.stride > 1 else x
        if s.pad > 0: sc = F.pad(sc, (0,0,0,0,0,s.pad))
        return r + sc
class D2(nn.Module):
    def __init__(s, net):
        super().__init__(); s.stem=conv2d(net.stem); s.units=nn.Sequential(*[U2(u) for u in net.units]); s.hbn=bn2d(net.head_bn); s.fc=net.head_fc
    def forward(s, x):
        h = s.units(s.stem(x.unsqueeze(2)))
        h = F.relu(s.hbn(h)).mean(dim=(2,3))
        return torch.softmax(s.fc(h), dim=1)

net, meta = load_model('/work/main/models/drsn-cw-cwru'); net.eval()
d2 = D2(net).eval()
x = torch.randn(64, 1, 2048)
with torch.no_grad():
    p1 = WithSoftmax(net).eval()(x); p2 = d2(x)
print('max |dp|', (p1-p2).abs().max().item())
out = sys.argv[1]
torch.onnx.export(d2, torch.zeros(2,1,2048), out, input_names=['x'], output_names=['probs'], dynamic_axes={'x':{0:'N'},'probs':{0:'N'}}, opset_version=13, do_constant_folding=True)
print('wrote', out)
