"""DRSN-CW / DRSN-CS / plain ResNet, 1-D, as in Zhao et al., IEEE TII 16(7) 2020.

Module names are a contract: src/model/tfjs-drsn.ts maps these state_dict names onto its layers,
and export.py writes them into weights.json. Change them only together.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

VARIANTS = ("cw", "cs", "plain")
# "gap": the paper's global average pooling before the classifier. "flatten": the last stage's whole
# map feeds the classifier, so it knows *where* along the input a pattern sits: on an envelope-order
# spectrum a line at the BPFO position and one at the BPFI position mean different faults.
HEADS = ("gap", "flatten")
DOWNSAMPLING = 16  # the stem and the first unit of each of the 3 stages halve the length
PAPER_WIDTHS = (4, 8, 16)  # channels of the three stages in the paper's 1-D net
PAPER_STEM_KERNEL = 3  # the paper's first convolution: 4 filters of width 3, stride 2


class Shrinkage(nn.Module):
    """Threshold branch: a = mean_t |r|; alpha = sigmoid(FC(ReLU(BN(FC(a))))); tau = alpha * a.

    Channel-wise (cw): one alpha per channel. Channel-shared (cs): FC(1) at the end and
    tau = alpha * mean_c(a), one threshold for all channels of the sample.
    """

    def __init__(self, channels: int, shared: bool):
        super().__init__()
        self.shared = shared
        self.fc1 = nn.Linear(channels, channels)
        self.bn = nn.BatchNorm1d(channels)
        self.fc2 = nn.Linear(channels, 1 if shared else channels)

    def forward(self, r: torch.Tensor) -> torch.Tensor:
        a = r.abs().mean(dim=2)  # N, C
        alpha = torch.sigmoid(self.fc2(F.relu(self.bn(self.fc1(a)))))  # N, C or N, 1
        base = a.mean(dim=1, keepdim=True) if self.shared else a
        tau = (alpha * base).unsqueeze(2)
        return soft_threshold(r, tau)


def soft_threshold(x: torch.Tensor, tau: torch.Tensor) -> torch.Tensor:
    """sign(x) * max(|x| - tau, 0) (paper eq. 1), written as x - clamp(x, -tau, tau).

    Same values bit for bit (x - tau, x + tau or 0) and the same gradient (1 where |x| > tau, else 0;
    paper eq. 2), but three element-wise ops instead of five and no Sign: in the exported ONNX graph
    onnxruntime's Sign kernel alone took ~13 % of inference time, and the rewrite runs the shipped model
    ~1.37x faster (BENCHMARKS.md, item 10).
    """
    return x - torch.maximum(torch.minimum(x, tau), -tau)


class RSBU(nn.Module):
    """Pre-activation residual unit, optionally ending in soft thresholding."""

    def __init__(self, cin: int, cout: int, stride: int, variant: str):
        super().__init__()
        self.stride = stride
        self.pad_channels = cout - cin
        self.bn1 = nn.BatchNorm1d(cin)
        self.conv1 = nn.Conv1d(cin, cout, 3, stride=stride, padding=1)
        self.bn2 = nn.BatchNorm1d(cout)
        self.conv2 = nn.Conv1d(cout, cout, 3, stride=1, padding=1)
        self.shrink = None if variant == "plain" else Shrinkage(cout, shared=(variant == "cs"))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        r = self.conv1(F.relu(self.bn1(x)))
        r = self.conv2(F.relu(self.bn2(r)))
        if self.shrink is not None:
            r = self.shrink(r)
        # Shortcut: avg-pool kernel 1 stride s = every s-th sample; zero channels when widening.
        sc = x[:, :, :: self.stride] if self.stride > 1 else x
        if self.pad_channels > 0:
            sc = F.pad(sc, (0, 0, 0, self.pad_channels))
        return r + sc  # no ReLU after the addition


class DRSN(nn.Module):
    def __init__(self, num_classes: int = 10, variant: str = "cw", widths=PAPER_WIDTHS, units_per_stage: int = 4,
                 stem_kernel: int = PAPER_STEM_KERNEL, head: str = "gap", input_length: int = None):
        super().__init__()
        if variant not in VARIANTS:
            raise ValueError(f"variant must be one of {VARIANTS}")
        if head not in HEADS:
            raise ValueError(f"head must be one of {HEADS}")
        if head == "flatten" and (input_length is None or input_length % DOWNSAMPLING):
            raise ValueError(f"a flatten head needs input_length, a multiple of {DOWNSAMPLING} (got {input_length})")
        self.head = head
        if stem_kernel < 3 or stem_kernel % 2 == 0:
            raise ValueError(f"stem_kernel must be odd and >= 3 (got {stem_kernel})")
        self.widths = tuple(widths)
        self.variant = variant
        self.stem_kernel = stem_kernel
        # Odd kernel, symmetric padding k // 2: output length L / 2 as with the paper's k = 3.
        self.stem = nn.Conv1d(1, widths[0], stem_kernel, stride=2, padding=stem_kernel // 2)
        units = []
        cin = widths[0]
        for w in widths:
            for i in range(units_per_stage):
                units.append(RSBU(cin, w, 2 if i == 0 else 1, variant))
                cin = w
        self.units = nn.Sequential(*units)
        self.head_bn = nn.BatchNorm1d(cin)
        self.head_fc = nn.Linear(cin if head == "gap" else cin * (input_length // DOWNSAMPLING), num_classes)
        for m in self.modules():  # He initialisation, as the paper
            if isinstance(m, (nn.Conv1d, nn.Linear)):
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: [N, 1, L] -> logits [N, classes]."""
        h = F.relu(self.head_bn(self.units(self.stem(x))))
        # flatten: channel-major (index c * T + t), the layout weights.json and the engines assume.
        return self.head_fc(h.mean(dim=2) if self.head == "gap" else h.flatten(1))


class Ensemble(nn.Module):
    """Several DRSNs of one architecture (e.g. seeds of one recipe); the output is their mean probability.

    State-dict names are the members' own under "members.<i>." (weights.json, src/model/tfjs-drsn.ts).
    forward() returns log(mean p), so softmax(forward(x)) is the mean probability and every caller that
    expects logits (predict, evaluation) works unchanged; the exported graph uses probs() directly.
    """

    def __init__(self, members):
        super().__init__()
        members = list(members)
        if len(members) < 2:
            raise ValueError("an ensemble needs at least 2 members")
        first = members[0]
        for i, m in enumerate(members[1:], 1):
            if (m.variant, m.widths, m.stem_kernel, m.head, m.head_fc.in_features, m.head_fc.out_features) != (first.variant, first.widths, first.stem_kernel, first.head, first.head_fc.in_features, first.head_fc.out_features):
                raise ValueError(f"member {i} has another architecture than member 0")
        self.members = nn.ModuleList(members)
        self.variant, self.widths, self.stem_kernel, self.head = first.variant, first.widths, first.stem_kernel, first.head

    def probs(self, x: torch.Tensor) -> torch.Tensor:
        return torch.stack([torch.softmax(m(x), dim=1) for m in self.members]).mean(dim=0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.log(self.probs(x))


class WithSoftmax(nn.Module):
    """What the engines run: probabilities, not logits."""

    def __init__(self, net: nn.Module):
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net.probs(x) if isinstance(self.net, Ensemble) else torch.softmax(self.net(x), dim=1)


def count_parameters(net: nn.Module) -> int:
    return sum(p.numel() for p in net.parameters() if p.requires_grad)
