# Experiment (not shipped): distil a wider teacher (TEACHER=model folder, WIDTHS its stage widths) into
# the paper-size DRSN-CW with the shipped recipe; loss = (1-L)*CE + L*T^2*KL(teacher_T || student_T).
import sys, os
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', 'src', 'model', 'py'))
import torch, torch.nn.functional as F, numpy as np, json
import drsn.train as T
from drsn.model import DRSN
widths = tuple(int(w) for w in os.environ['WIDTHS'].split(','))
TEMP = float(os.environ.get('KD_T', '4')); LAM = float(os.environ.get('KD_L', '0.7'))
tdir = os.environ['TEACHER']
meta = json.load(open(os.path.join(tdir, 'drsn.json')))
teacher = DRSN(num_classes=len(meta['classes']), variant='cw', widths=widths)
# load weights from weights.json/bin
wj = json.load(open(os.path.join(tdir, 'weights.json')))
buf = np.fromfile(os.path.join(tdir, wj['file']), dtype='<f4')
state = teacher.state_dict()
for t in wj['tensors']:
    state[t['name']] = torch.from_numpy(buf[t['offset'] // 4:t['offset'] // 4 + t['length']].reshape(t['shape']).copy())
teacher.load_state_dict(state)
teacher.eval()
for p in teacher.parameters(): p.requires_grad_(False)
_ce = F.cross_entropy
def kd_loss(logits, y):
    xb = kd_loss.xb
    with torch.no_grad(): tl = teacher(xb)
    soft = F.kl_div(F.log_softmax(logits / TEMP, 1), F.softmax(tl / TEMP, 1), reduction='batchmean') * TEMP * TEMP
    return (1 - LAM) * _ce(logits, y) + LAM * soft
# Wrap the student so each forward in training records its input for the teacher.
_make = T.make_net
def make_net(arch, n, widths=(4, 8, 16)):
    net = _make(arch, n, widths)
    orig = net.forward
    def fwd(x):
        if net.training: kd_loss.xb = x
        return orig(x)
    net.forward = fwd
    return net
T.make_net = make_net
T.F = type('Fm', (), {'cross_entropy': staticmethod(kd_loss)})
from drsn.__main__ import main
sys.exit(main(sys.argv[1:]))
