# Experiment: fewer small ops in the shrinkage branch (ReduceL1 instead of Abs+ReduceMean; tau kept [N,C,1]).
import sys, torch, torch.nn.functional as F
sys.path.insert(0, '/work/main/src/model/py')
from drsn.evaluate import load_model
from drsn.model import WithSoftmax, Shrinkage
import drsn.model as M
net, meta = load_model('/work/main/models/drsn-cw-cwru'); net.eval()
x = torch.randn(64, 1, 2048)
with torch.no_grad(): p1 = WithSoftmax(net).eval()(x)
def fwd(self, r):
    a = torch.norm(r, p=1, dim=2) * (1.0 / r.shape[2])
    alpha = torch.sigmoid(self.fc2(F.relu(self.bn(self.fc1(a)))))
    base = a.mean(dim=1, keepdim=True) if self.shared else a
    tau = (alpha * base).unsqueeze(2)
    return r - torch.maximum(torch.minimum(r, tau), -tau)
Shrinkage.forward = fwd
with torch.no_grad(): p2 = WithSoftmax(net).eval()(x)
print('max |dp|', (p1 - p2).abs().max().item())
torch.onnx.export(WithSoftmax(net).eval(), torch.zeros(2,1,2048), sys.argv[1], input_names=['x'], output_names=['probs'], dynamic_axes={'x':{0:'N'},'probs':{0:'N'}}, opset_version=13, do_constant_folding=True)
