"""The architecture zoo lab: the classic ImageNet nets of torchvision (built WITHOUT weights, nothing downloads) as a
layer table with parameters and multiply-adds, beside the figures the lecture and the papers quote, plus the two
building blocks whose savings made deep nets affordable: the bottleneck residual block and the depthwise-separable
convolution.

The nets are built on torch's "meta" device: shapes and parameter counts are real, but no weight is allocated
and no arithmetic runs, so the whole table costs about half a CPU-second and no memory (VGG-16 would otherwise
take 0.5 GB and seconds of convolutions)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import torch
from torch import nn

from nnlib.labs.conv import conv_multiplies, conv_params

INPUT_SHAPE = (1, 3, 224, 224)


def _torchvision(name: str, **kw: object) -> Callable[[], nn.Module]:
    def build() -> nn.Module:
        import torchvision

        return getattr(torchvision.models, name)(weights=None, **kw)

    return build


def _conv_bn(c_in: int, c_out: int, f: int, stride: int, groups: int = 1) -> list[nn.Module]:
    return [nn.Conv2d(c_in, c_out, f, stride, f // 2, groups=groups, bias=False), nn.BatchNorm2d(c_out),
            nn.ReLU(inplace=True)]


def depthwise_separable(c_in: int, c_out: int, stride: int = 1, f: int = 3) -> nn.Sequential:
    """A depthwise F x F conv (one filter per channel, groups = c_in) then a pointwise 1x1 conv mixing channels,
    each followed by batch norm and ReLU, as in MobileNet v1."""
    return nn.Sequential(*_conv_bn(c_in, c_in, f, stride, groups=c_in), *_conv_bn(c_in, c_out, 1, 1))


# MobileNet v1 (Howard et al. 2017, Table 1): (output channels, stride) of its 13 depthwise-separable blocks.
MOBILENET_V1_BLOCKS = ((64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), *[(512, 1)] * 5, (1024, 2),
                       (1024, 1))


def mobilenet_v1(num_classes: int = 1000) -> nn.Sequential:
    """MobileNet v1 assembled from depthwise_separable blocks (torchvision has only v2 and v3)."""
    layers: list[nn.Module] = [nn.Sequential(*_conv_bn(3, 32, 3, 2))]
    c = 32
    for c_out, stride in MOBILENET_V1_BLOCKS:
        layers.append(depthwise_separable(c, c_out, stride))
        c = c_out
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, num_classes))


@dataclass(frozen=True)
class ZooEntry:
    """A net of the zoo and what the literature says about it (the quoted figures are rounded, as quoted)."""

    label: str
    build: Callable[[], nn.Module]
    quoted_params: float
    quoted_macs: float
    source: str


ZOO: dict[str, ZooEntry] = {
    "alexnet": ZooEntry("AlexNet (2012)", _torchvision("alexnet"), 60e6, 0.72e9,
                        "the lecture: about 60M parameters (Krizhevsky et al. 2012)"),
    "vgg16": ZooEntry("VGG-16 (2014)", _torchvision("vgg16"), 138e6, 15.5e9,
                      "the lecture: about 138M parameters (Simonyan & Zisserman 2014)"),
    "googlenet": ZooEntry("GoogLeNet (2014)", _torchvision("googlenet", aux_logits=False, init_weights=False),
                          6.8e6, 1.5e9, "Szegedy et al. 2014: about 1.5 billion multiply-adds"),
    "resnet18": ZooEntry("ResNet-18 (2015)", _torchvision("resnet18"), 11.7e6, 1.8e9,
                         "He et al. 2015: 1.8 billion FLOPs (multiply-adds)"),
    "resnet50": ZooEntry("ResNet-50 (2015)", _torchvision("resnet50"), 25.6e6, 3.8e9,
                         "He et al. 2015: 3.8 billion FLOPs (multiply-adds); torchvision's v1.5 strides in the 3x3 "
                         "conv instead of the 1x1, which costs about 4.1 billion"),
    "mobilenet_v1": ZooEntry("MobileNet v1 (2017)", mobilenet_v1, 4.2e6, 569e6,
                             "Howard et al. 2017: 4.2M parameters, 569M multiply-adds"),
    "mobilenet_v2": ZooEntry("MobileNet v2 (2018)", _torchvision("mobilenet_v2"), 3.4e6, 300e6,
                             "Sandler et al. 2018: 3.4M parameters, 300M multiply-adds"),
}


def layer_macs(module: nn.Module, output: torch.Tensor) -> int:
    """Multiply-adds of one example through a conv or linear layer (0 for other layers, whose cost is small):
    conv: output values x F x F x D_in/groups; linear: in x out per position."""
    if isinstance(module, nn.Conv2d):
        return conv_multiplies(output.shape[2:], module.kernel_size, module.in_channels, module.out_channels,
                               module.groups)
    if isinstance(module, nn.Linear):
        return output[0].numel() * module.in_features
    return 0


def _leaves(model: nn.Module) -> list[tuple[str, nn.Module]]:
    return [(name, m) for name, m in model.named_modules() if not any(True for _ in m.children())]


@dataclass(frozen=True)
class LayerRow:
    """One row of a zoo net's layer table (one example through the layer)."""

    layer: str  # module path, e.g. 'layer1.0.conv1'
    kind: str  # class name, e.g. 'Conv2d'
    output: str  # e.g. '64 x 56 x 56'
    params: int
    macs: int


@dataclass(frozen=True)
class ZooTable:
    rows: tuple[LayerRow, ...]
    params: int  # sum of numel() over the whole net
    macs: int  # sum of the rows' multiply-adds


@lru_cache(maxsize=16)
def zoo_table(name: str) -> ZooTable:
    """The layer table of zoo net `name` on one 224x224 RGB image, recorded by forward hooks: a row per leaf layer
    that has parameters or changes the shape, in the order the forward pass runs them. Cached: nets never change."""
    if name not in ZOO:
        raise ValueError(f"unknown net {name!r}; choose one of: {', '.join(ZOO)}")
    rows: list[LayerRow] = []

    def record(m: nn.Module, inputs: tuple[torch.Tensor, ...], out: torch.Tensor, layer: str) -> None:
        params = sum(p.numel() for p in m.parameters())
        if params or out.shape != inputs[0].shape:
            rows.append(LayerRow(layer, type(m).__name__, " x ".join(str(d) for d in out.shape[1:]), params,
                                 layer_macs(m, out)))

    with torch.device("meta"):
        model = ZOO[name].build().eval()
        hooks = [module.register_forward_hook(lambda m, i, o, layer=layer: record(m, i, o, layer))
                 for layer, module in _leaves(model)]
        with torch.no_grad():
            model(torch.zeros(INPUT_SHAPE))
    for h in hooks:
        h.remove()
    return ZooTable(tuple(rows), sum(p.numel() for p in model.parameters()), sum(r.macs for r in rows))


def zoo_summary() -> list[dict[str, object]]:
    """One row per net: measured params and multiply-adds next to the quoted ones and where they are quoted."""
    out = []
    for name, entry in ZOO.items():
        table = zoo_table(name)
        out.append({"net": name, "label": entry.label, "params": table.params, "quoted_params": entry.quoted_params,
                    "macs": table.macs, "quoted_macs": entry.quoted_macs, "source": entry.source})
    return out


def residual_block_params(c: int, f: int = 3, reduction: int = 4) -> dict[str, int]:
    """Weights of the two residual block designs at c channels (biases absent, as BN follows every conv):
    basic = two F x F convs c -> c; bottleneck = 1x1 c -> c/4, F x F c/4 -> c/4, 1x1 c/4 -> c. The identity
    skip connection itself adds no parameter. For c = 256: 1,179,648 vs 69,632 (17x fewer)."""
    mid = c // reduction
    basic = 2 * conv_params(f, c, c, bias=False)
    bottleneck = conv_params(1, c, mid, False) + conv_params(f, mid, mid, False) + conv_params(1, mid, c, False)
    return {"basic": basic, "bottleneck": bottleneck, "skip": 0}


def depthwise_separable_cost(c_in: int, c_out: int, f: int = 3, h: int = 56, w: int = 56) -> dict[str, float]:
    """Standard F x F conv c_in -> c_out vs depthwise F x F (groups = c_in) + pointwise 1x1, at H x W output:
    weights and multiplies of each, and the ratio separable / standard = 1/c_out + 1/F^2."""
    standard = conv_params(f, c_in, c_out, bias=False)
    separable = conv_params(f, c_in, c_in, bias=False, groups=c_in) + conv_params(1, c_in, c_out, bias=False)
    standard_macs = conv_multiplies((h, w), f, c_in, c_out)
    separable_macs = conv_multiplies((h, w), f, c_in, c_in, groups=c_in) + conv_multiplies((h, w), 1, c_in, c_out)
    return {"standard_params": standard, "separable_params": separable, "standard_macs": standard_macs,
            "separable_macs": separable_macs, "ratio": separable / standard}
