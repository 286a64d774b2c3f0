# Experiment (not shipped): distil a wider teacher (TEACHER=model folder) into
# the paper-size DRSN-CW with the shipped recipe; loss = (1-L)*CE + L*T^2*KL(teacher_T || student_T).
import sys, os
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', 'src', 'model', 'py'))
import torch, torch.nn.functional as F
import drsn.train as T
from drsn.evaluate import load_model
from drsn.model import PAPER_WIDTHS
TEMP = float(os.environ.get('KD_T', '4')); LAM = float(os.environ.get('KD_L', '0.7'))
# The teacher's widths come from its drsn.json (the trainer's own loader).
teacher, _ = load_model(os.environ['TEACHER'])
for p in teacher.parameters(): p.requires_grad_(False)
_ce = F.cross_entropy
def kd_loss(logits, y):
    xb = kd_loss.xb
    with torch.no_grad(): tl = teacher(xb)
    soft = F.kl_div(F.log_softmax(logits / TEMP, 1), F.softmax(tl / TEMP, 1), reduction='batchmean') * TEMP * TEMP
    return (1 - LAM) * _ce(logits, y) + LAM * soft
# Wrap the student so each forward in training records its input for the teacher.
_make = T.make_net
def make_net(arch, n, widths=PAPER_WIDTHS):
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
