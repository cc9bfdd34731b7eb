"""Named starting architectures (LeNet-5, a small VGG, ResNet, MobileNet, ...) so a student can compare
classics in one click; each adapts padding/strides to the image size so it fits every offline dataset (8x8 to
32x32).

A preset factory takes the input shape (C, H, W) and returns a CNNSpec, or None for "mlp": no convolutions at
all, the image is flattened and fed to the dense layers of `model.hidden` (the baseline the CNNs should beat).
"""

from __future__ import annotations

from nnlib.config import CNNSpec, ConvBlock
from nnlib.models.shapes import ShapeError, cnn_layers
from nnlib.registry import Registry

CNN_PRESETS = Registry("CNN preset")
DEFAULT_PRESET = "tiny"
Shape = tuple[int, int, int]


def _conv(k: int, f: int = 3, p: int | None = None, s: int = 1, pool: str = "none", bn: bool = False,
          kind: str = "conv") -> ConvBlock:
    return ConvBlock(kind=kind, out_channels=k, kernel=f, stride=s, padding=f // 2 if p is None else p,
                     pool=pool, norm="batch" if bn else "none")


def _tiny(shape: Shape) -> CNNSpec:
    return CNNSpec(blocks=(_conv(8, pool="max"), _conv(16, pool="max")), head="flatten", dense=(32,))


def _lenet5(shape: Shape) -> CNNSpec:
    # The original needs 32x32 inputs: its 5x5 convs use no padding. Smaller images get padding 2 ("same") on
    # the first conv (28x28: LeNet's own trick for MNIST) and on both convs for tiny 8x8 digits.
    h = min(shape[1:])
    p1 = 0 if h >= 32 else 2
    p2 = 0 if h >= 28 else 2
    return CNNSpec(blocks=(_conv(6, 5, p1, pool="avg"), _conv(16, 5, p2, pool="avg")), head="flatten",
                   dense=(120, 84))


def _small_vgg(shape: Shape) -> CNNSpec:
    # Pairs of 3x3 convs then a 2x2 max pool, channels doubling per stage; one stage fewer on 8x8 inputs.
    stages = (16, 32, 64) if min(shape[1:]) >= 16 else (16, 32)
    blocks = []
    for k in stages:
        blocks += [_conv(k), _conv(k, pool="max")]
    return CNNSpec(blocks=tuple(blocks), head="flatten", dense=(64,))


def _small_resnet(shape: Shape) -> CNNSpec:
    # Stem conv (max-pooled on larger images to save compute), then residual blocks that halve the map and
    # double the channels; batch norm everywhere, global average pooling instead of a big dense layer.
    big = min(shape[1:]) >= 16
    return CNNSpec(blocks=(_conv(16, pool="max" if big else "none", bn=True),
                           _conv(16, kind="residual", bn=True),
                           _conv(32, s=2, kind="residual", bn=True),
                           _conv(64, s=2, kind="residual", bn=True)),
                   head="global_avg", dense=())


def _mobilenet(shape: Shape) -> CNNSpec:
    # Depthwise-separable blocks downsample by stride (not pooling), as MobileNet does; the stem strides too
    # on larger images.
    big = min(shape[1:]) >= 16
    return CNNSpec(blocks=(_conv(16, s=2 if big else 1, bn=True),
                           _conv(32, kind="separable", bn=True),
                           _conv(64, s=2, kind="separable", bn=True),
                           _conv(64, kind="separable", bn=True),
                           _conv(128, s=2, kind="separable", bn=True)),
                   head="global_avg", dense=())


def _mlp(shape: Shape) -> None:
    return None


_P = CNN_PRESETS.add
_P("tiny", _tiny, "Two small 3x3 conv layers (8 and 16 filters) with max pooling: trains in seconds, the "
   "classroom default.")
_P("lenet5", _lenet5, "LeNet-5 (LeCun 1998): 6 then 16 5x5 filters, each followed by average pooling, then "
   "dense layers of 120 and 84.", label="LeNet-5")
_P("small_vgg", _small_vgg, "VGG style: pairs of 3x3 convs and 2x2 max pooling, doubling the channels (16, "
   "32, 64) as the maps shrink.", label="small VGG")
_P("small_resnet", _small_resnet, "ResNet style: a stem conv and residual blocks whose skip connections let "
   "gradients flow, with batch norm and global average pooling.", label="small ResNet")
_P("mobilenet", _mobilenet, "MobileNet style: depthwise-separable convolutions (a 3x3 per channel, then 1x1 "
   "mixing) need far fewer parameters and multiply-adds.", label="MobileNet")
_P("mlp", _mlp, "No convolutions: the pixels are flattened into the hidden layers set below, the "
   "baseline a CNN should beat.", label="MLP (no CNN)")


def preset_spec(name: str, input_shape: tuple[int, ...]) -> CNNSpec | None:
    """The preset's spec for images of `input_shape` (C, H, W), checked with the shape arithmetic.

    Returns None for 'mlp' (use model.cnn = None); raises KeyError for an unknown name and ShapeError if the
    image is too small for the preset.
    """
    c, h, w = (int(d) for d in input_shape)
    spec = CNN_PRESETS[name].factory((c, h, w))
    if spec is not None:
        try:
            cnn_layers(spec, (c, h, w), 10)
        except ShapeError as e:
            raise ShapeError(f"preset {name!r} does not fit {c}x{h}x{w} images: {e}") from None
    return spec


def preset_names() -> list[str]:
    return CNN_PRESETS.names()


def matching_preset(spec: CNNSpec | None, shape: tuple[int, int, int]) -> str | None:
    """The preset that builds exactly this spec for this image shape, if any: the CNN page's Architecture picker
    shows it, and the Compare page names a run's architecture by it."""
    for name in preset_names():
        try:
            if preset_spec(name, shape) == spec:
                return name
        except Exception:  # noqa: BLE001 - a preset that does not fit this shape simply does not match
            continue
    return None
