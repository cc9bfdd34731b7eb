"""Build the torch module a CNNSpec describes -- exactly the layers `nnlib.models.shapes` counts -- with the
hooks the filter and feature-map views need (named convs, per-block activations)."""

from __future__ import annotations

import torch
from torch import nn

from nnlib.activations import make_activation, widen_factor
from nnlib.config import CNNSpec, ConvBlock
from nnlib.models.norms import norm2d
from nnlib.models.shapes import cnn_layers


def _act(name: str, channels: int) -> nn.Module:
    if name == "maxout":
        raise ValueError("maxout is only available in dense layers; pick another activation for conv blocks")
    return make_activation(name, channels)


def _pool(b: ConvBlock) -> nn.Module:
    if b.pool == "max":
        return nn.MaxPool2d(b.pool_size, b.pool_stride)
    if b.pool == "avg":
        return nn.AvgPool2d(b.pool_size, b.pool_stride)
    return nn.Identity()


class ConvBlockModule(nn.Module):
    """One block of the spec; `features` stops after the last activation (what the feature-map view shows) and
    `forward` adds pooling and channel dropout. The class name is what `nnlib.inspect.stats` watches."""

    def __init__(self, index: int, b: ConvBlock, c_in: int, activation: str) -> None:
        super().__init__()
        self.index, self.kind, self.norm_kind = index, b.kind, b.norm
        self.tag = f"block {index} ({b.kind})"
        act = b.activation or activation
        k, f, s, p = b.out_channels, b.kernel, b.stride, b.padding
        self.skip: nn.Module | None = None
        self._conv_names: list[tuple[str, str]] = []  # (display name, attribute)
        if b.kind == "conv":
            self.conv = nn.Conv2d(c_in, k, f, s, p, bias=True)
            self.bn = norm2d(b.norm, k)
            self.act = _act(act, k)
            self._conv_names = [(f"{self.tag} conv {f}x{f}", "conv")]
        elif b.kind == "separable":
            self.depthwise = nn.Conv2d(c_in, c_in, f, s, p, groups=c_in, bias=True)
            self.bn1 = norm2d(b.norm, c_in)
            self.act1 = _act(act, c_in)
            self.pointwise = nn.Conv2d(c_in, k, 1, bias=True)
            self.bn2 = norm2d(b.norm, k)
            self.act2 = _act(act, k)
            self._conv_names = [(f"{self.tag} depthwise {f}x{f}", "depthwise"),
                                (f"{self.tag} pointwise 1x1", "pointwise")]
        elif b.kind == "residual":
            if f % 2 == 0 or p != f // 2:
                raise ValueError(f"{self.tag}: a residual block needs an odd kernel and padding = kernel//2")
            self.conv1 = nn.Conv2d(c_in, k, f, s, p, bias=True)
            self.bn1 = norm2d(b.norm, k)
            self.act1 = _act(act, k)
            self.conv2 = nn.Conv2d(k, k, f, 1, p, bias=True)
            self.bn2 = norm2d(b.norm, k)
            self._conv_names = [(f"{self.tag} conv1 {f}x{f}", "conv1"),
                                (f"{self.tag} conv2 {f}x{f}", "conv2")]
            if c_in != k or s != 1:
                self.skip = nn.Conv2d(c_in, k, 1, s, 0, bias=True)
                self._conv_names.append((f"{self.tag} skip 1x1", "skip"))
            self.act2 = _act(act, k)
        else:
            raise ValueError(f"{self.tag}: unknown block kind {b.kind!r}")
        self.pool = _pool(b)
        self.drop = nn.Dropout2d(b.dropout) if b.dropout > 0 else nn.Identity()

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The block up to its last activation: the maps a student looks at, before pooling shrinks them."""
        if self.kind == "conv":
            return self.act(self.bn(self.conv(x)))
        if self.kind == "separable":
            return self.act2(self.bn2(self.pointwise(self.act1(self.bn1(self.depthwise(x))))))
        y = self.bn2(self.conv2(self.act1(self.bn1(self.conv1(x)))))
        return self.act2(y + (x if self.skip is None else self.skip(x)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.drop(self.pool(self.features(x)))

    def conv_layers(self) -> list[tuple[str, nn.Conv2d]]:
        return [(name, getattr(self, attr)) for name, attr in self._conv_names]

    def last_activation(self) -> nn.Module:
        return self.act if self.kind == "conv" else self.act2

    def last_norm(self) -> nn.Module:
        return self.bn if self.kind == "conv" else self.bn2


class DenseLayer(nn.Module):
    """[Dropout] -> Linear -> activation of the head; the Linear is k times wider for maxout."""

    def __init__(self, n_in: int, width: int, activation: str, dropout: float) -> None:
        super().__init__()
        k = widen_factor(activation)
        self.drop = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.linear = nn.Linear(n_in, width * k)
        self.act = make_activation(activation, width * k)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.linear(self.drop(x)))


class CNN(nn.Module):
    """Conv blocks, a head turning maps into a vector, dense layers and a linear output (logits)."""

    def __init__(self, spec: CNNSpec, input_shape: tuple[int, int, int], n_outputs: int,
                 activation: str) -> None:
        super().__init__()
        self.spec, self.input_shape = spec, tuple(input_shape)
        self.n_outputs, self.activation = n_outputs, activation
        # Validate first: the ShapeError names the block, where torch would only fail deep inside a forward.
        layers = cnn_layers(spec, self.input_shape, n_outputs, widen_factor(activation), activation)
        c = self.input_shape[0]
        blocks = []
        for i, b in enumerate(spec.blocks, start=1):
            blocks.append(ConvBlockModule(i, b, c, activation))
            c = b.out_channels
        self.blocks = nn.ModuleList(blocks)
        if spec.head == "flatten":
            self.head: nn.Module = nn.Flatten(1)
        else:
            pool = nn.AdaptiveAvgPool2d(1) if spec.head == "global_avg" else nn.AdaptiveMaxPool2d(1)
            self.head = nn.Sequential(pool, nn.Flatten(1))
        n = next(li for li in layers if li.kind == "head").out_shape[0]
        dense = []
        for width in spec.dense:
            dense.append(DenseLayer(n, width, activation, spec.dense_dropout))
            n = width
        self.dense = nn.ModuleList(dense)
        self.out = nn.Linear(n, n_outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for block in self.blocks:
            x = block(x)
        x = self.head(x)
        for layer in self.dense:
            x = layer(x)
        return self.out(x)

    def conv_layers(self) -> list[tuple[str, nn.Conv2d]]:
        """Every convolution, first to last, named like the summary rows (e.g. 'block 1 (conv) conv 3x3')."""
        return [pair for block in self.blocks for pair in block.conv_layers()]

    def feature_maps(self, x: torch.Tensor) -> list[tuple[str, torch.Tensor]]:
        """Each block's output right after its (last) activation, before pooling; x is a batch [N, C, H, W].

        Runs in the model's current mode and with autograd as the caller set it up (wrap in torch.no_grad()
        and call .eval() for display)."""
        maps = []
        for block in self.blocks:
            y = block.features(x)
            maps.append((block.tag, y))
            x = block.drop(block.pool(y))
        return maps


def build_cnn(spec: CNNSpec, input_shape: tuple[int, int, int], n_outputs: int, activation: str) -> CNN:
    """The module the summary describes; raises ShapeError (naming the block) for specs that cannot work."""
    return CNN(spec, input_shape, n_outputs, activation)
