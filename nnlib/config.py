"""RunConfig: one typed, validated description of a run that round-trips through dicts, JSON and URL queries.

Field metadata (min/max/step/help/choices) is the single source of truth for bounds: widgets read it and
`validate()` enforces it. This module imports no torch, so the UI skeleton and the CLI validator stay fast.
"""

from __future__ import annotations

import json
import typing
from dataclasses import dataclass, field, fields, replace
from typing import Any
from urllib.parse import parse_qsl, urlencode

from nnlib.activations import ACTIVATIONS, widen_factor
from nnlib.config_text import (  # noqa: F401 - the limits are part of this module's interface
    MAX_CONFIG_CHARS,
    MAX_ERRORS,
    MAX_LIST_ITEMS,
    MAX_NESTING,
    _from_plain,
    _parse_text,
    _query_text,
    _to_plain,
    parse_json,
    parse_text,
    plain_number,
    shown,
    too_long,
)
from nnlib.data.catalog import DATASETS
from nnlib.initializers import INITIALIZERS
from nnlib.losses import LOSSES, output_units, resolve_loss
from nnlib.optimizers import OPTIMIZERS
from nnlib.schedules import SCHEDULES

MAX_HIDDEN_LAYERS = 10
MAX_WIDTH = 256
MAX_PARAMS = 3_000_000
# multiply-adds of one run (~3 x forward MACs x examples x epochs). Not a time bound: at the ~10 G multiply-adds/s
# a conv net reaches on one core here, the largest accepted LeNet run takes ~40 minutes, and per-step overheads
# (batch 1, dropout) make small nets far slower than their count says (the run-cost bound is issue #9's).
MAX_WORK = 2e13
FEATURES = ("x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)")
FEATURE_HELP = {"x1": "The first coordinate.", "x2": "The second coordinate.", "x1^2": "x1 squared: lets a "
                "linear unit draw a parabola or circle.", "x2^2": "x2 squared.", "x1*x2": "Product of the inputs: "
                "the one feature that makes XOR linearly separable.", "sin(x1)": "sin of x1: periodic pattern.",
                "sin(x2)": "sin of x2."}
MAX_LIVE_EPOCHS = 20_000  # a run "until I pause" stops by itself here (or earlier, at MAX_WORK / MAX_LIVE_MINUTES)
MAX_LIVE_MINUTES = 10  # ... or after this much training time, so a forgotten tab cannot hold a worker forever
SPEEDS = {"slow": 4.0, "normal": 30.0, "fast": 0.0}  # Playground epochs per second (0 = as fast as possible)
HORIZON_SCHEDULES = ("cosine",)  # schedules defined by their last epoch: such a run always stops after `epochs`
AUGMENTATIONS = ("shift", "flip", "rotate", "noise")
AUGMENT_HELP = {"shift": "Random shift by up to 1/12 of the image side (1 px on 8x8, 2 on 28x28): the label does not "
                          "depend on the exact position.",
                "flip": "Random horizontal flip (wrong for digits: a mirrored 2 is no digit).",
                "rotate": "Random rotation up to 10 degrees.", "noise": "Add gaussian pixel noise (std 0.1)."}

CONV_NORMS = ("none", "batch", "layer", "instance", "group")
MLP_NORMS = ("none", "batch", "layer")
NORM_GROUPS = 4  # group norm's G; a block whose channel count it does not divide uses the largest divisor below
NORM_FORMULA = "Normalize before the activation: y = gamma (x - mu) / sqrt(var + eps) + beta."
LEGACY_BATCH_NORM = ("Old name of norm = batch, kept so links and run files made before `norm` existed still open: "
                     "true becomes norm = batch (unless norm names another) and is then cleared.")


def _fold_legacy_batch_norm(section: Any) -> None:
    """Turn the old `batch_norm=True` into `norm="batch"` and clear it, so `norm` alone says what is built and no
    config carries a True that widget state seeded from it could later turn back into batch norm."""
    if section.batch_norm and section.norm == "none":
        object.__setattr__(section, "norm", "batch")
    object.__setattr__(section, "batch_norm", False)


def num(default: float | int, lo: float, hi: float, help: str, step: float | None = None, **meta: Any) -> Any:
    return field(default=default, metadata={"min": lo, "max": hi, "step": step, "help": help, **meta})


def choice(default: str, options: Any, help: str) -> Any:
    return field(default=default, metadata={"choices": options, "help": help})


def flag(default: bool, help: str) -> Any:
    return field(default=default, metadata={"help": help})


def seq(default: tuple, help: str, **meta: Any) -> Any:
    return field(default=default, metadata={"help": help, **meta})


@dataclass(frozen=True)
class DataConfig:
    dataset: str = choice("circle", DATASETS, "Which problem to learn.")
    n_samples: int = num(500, 0, 100_000, "Number of points to generate or use (0 = the dataset's default/all).",
                         step=50, image_help="Number of images to use: a random subset for quick classroom runs (0 = "
                         "the whole dataset), split into training, validation and test; at least 10 per class.")
    noise: float = num(0.0, 0.0, 50.0, "Label/position noise in percent: more noise, harder problem, easier to "
                       "overfit.", step=5.0, image_help="Pixel noise in percent of the generated images: gaussian "
                       "noise of standard deviation noise/100 of full brightness; more noise, harder problem.")
    n_classes: int = num(3, 2, 10, "Number of classes of the multi-class datasets.")
    train_frac: float = num(0.5, 0.05, 0.9, "Fraction of the data used for training; the rest is split into "
                            "validation and test.", step=0.05)
    val_frac: float = num(0.25, 0.0, 0.5, "Fraction held out to watch for overfitting and early stopping.",
                          step=0.05)
    features: tuple[str, ...] = seq(("x1", "x2"), "Input features computed from the 2D point.", choices=FEATURES)
    augment: tuple[str, ...] = seq((), "Image augmentations applied to each training batch.",
                                   choices=AUGMENTATIONS)
    csv_path: str = field(default="", metadata={"help": "The uploaded CSV of the 'csv' dataset, by the content-hash "
                                                         "name the upload got (no other file can be named)."})
    seed: int = num(0, 0, 2**31 - 1, "Seed of the data generator and split: same seed, same points.")


@dataclass(frozen=True)
class ConvBlock:
    kind: str = choice("conv", ("conv", "residual", "separable"), "conv: convolution; residual: two 3x3 convs plus "
                       "a skip connection; separable: depthwise then 1x1 pointwise convolution.")
    out_channels: int = num(8, 1, 256, "Number of filters K (output channels).")
    kernel: int = num(3, 1, 11, "Filter size F (F x F).")
    stride: int = num(1, 1, 4, "Step S of the filter.")
    padding: int = num(1, 0, 5, "Zero padding P on each side. Output size = (W - F + 2P) / S + 1.")
    activation: str = field(default="", metadata={"help": "Activation of this block ('' = the model's)."})
    pool: str = choice("max", ("max", "avg", "none"), "Pooling after the block: max keeps the strongest response, "
                       "avg the mean.")
    pool_size: int = num(2, 1, 4, "Pooling window size.")
    pool_stride: int = num(2, 1, 4, "Pooling step.")
    norm: str = choice("none", CONV_NORMS, NORM_FORMULA + " What shares mu and var: batch = one channel over the "
                       "batch and all positions (N, H, W); layer = one image over all channels and positions "
                       "(C, H, W); instance = one channel of one image (H, W); group = one image over "
                       f"{NORM_GROUPS} groups of channels (C/G, H, W; fewer groups when C does not divide). Each "
                       "adds gamma and beta per channel: 2C parameters.")
    batch_norm: bool = flag(False, LEGACY_BATCH_NORM)
    dropout: float = num(0.0, 0.0, 0.9, "Channel dropout rate after the block.")

    def __post_init__(self) -> None:
        _fold_legacy_batch_norm(self)


@dataclass(frozen=True)
class CNNSpec:
    blocks: tuple[ConvBlock, ...] = seq((ConvBlock(out_channels=8), ConvBlock(out_channels=16)),
                                        "Convolutional blocks, first to last.")
    head: str = choice("flatten", ("flatten", "global_avg", "global_max"), "How feature maps become a vector: "
                       "flatten keeps positions, global pooling averages/maxes each channel.")
    dense: tuple[int, ...] = seq((64,), "Widths of the dense layers after the conv part.")
    dense_dropout: float = num(0.0, 0.0, 0.9, "Dropout before each dense layer.")


@dataclass(frozen=True)
class ModelConfig:
    hidden: tuple[int, ...] = seq((4, 2), f"Neurons per hidden layer (up to {MAX_HIDDEN_LAYERS} layers of "
                                  f"{MAX_WIDTH}).")
    activation: str = choice("tanh", ACTIVATIONS, "Non-linearity applied after each hidden layer.")
    layer_activations: tuple[str, ...] = seq((), "Optional activation per hidden layer (empty = all the same).")
    initializer: str = choice("xavier_uniform", INITIALIZERS, "How the starting weights are drawn.")
    dropout: float = num(0.0, 0.0, 0.9, "Probability of zeroing each hidden unit during training.", step=0.05)
    norm: str = choice("none", MLP_NORMS, NORM_FORMULA + " on each hidden layer's pre-activations. What shares mu "
                       "and var: batch = one neuron over the mini-batch; layer = all neurons of one example (no "
                       "batch statistics: the same in training and evaluation). Adds gamma and beta per neuron.")
    batch_norm: bool = flag(False, LEGACY_BATCH_NORM)
    cnn: CNNSpec | None = field(default=None, metadata={"help": "Convolutional network spec (images only)."})

    def __post_init__(self) -> None:
        _fold_legacy_batch_norm(self)


@dataclass(frozen=True)
class TrainConfig:
    loss: str = choice("auto", ("auto", *LOSSES), "What is minimized; auto picks the lecture's match for the "
                       "problem.")
    optimizer: str = choice("sgd", OPTIMIZERS, "The update rule.")
    lr: float = num(0.03, 1e-5, 10.0, "Learning rate: the size of each gradient step.")
    momentum: float = num(0.9, 0.0, 0.999, "Momentum m: how much of the previous velocity is kept.", step=0.01)
    beta1: float = num(0.9, 0.0, 0.999, "Adam's decay of the gradient average.", step=0.001)
    beta2: float = num(0.999, 0.0, 0.9999, "Adam's decay of the squared-gradient average.", step=0.0001)
    weight_decay: float = num(0.01, 0.0, 1.0, "AdamW's decoupled weight decay.", step=0.001)
    schedule: str = choice("constant", SCHEDULES, "How the learning rate changes over epochs.")
    lr_step: int = num(30, 1, 10_000, "Step schedule: epochs between decays.")
    lr_gamma: float = num(0.5, 0.01, 1.0, "Factor the learning rate is multiplied by at each decay.", step=0.01)
    lr_patience: int = num(10, 1, 1000, "Plateau schedule: epochs without improvement before a decay.")
    l1: float = num(0.0, 0.0, 1.0, "L1 strength: adds l1 * sum|w| to the loss (sparse weights).", step=0.0001)
    l2: float = num(0.0, 0.0, 1.0, "L2 strength: adds (l2/2) * sum w^2 to the loss (small weights).", step=0.0001)
    batch_size: int = num(10, 1, 4096, "Examples per gradient step: small = noisy but frequent updates.")
    epochs: int = num(100, 1, 10_000, "Passes over the training data.")
    until_paused: bool = flag(True, "Playground: keep training until you press Pause or Stop, like TF Playground "
                              f"(the server ends a run by itself after {MAX_LIVE_EPOCHS:,} epochs or "
                              f"{MAX_LIVE_MINUTES} minutes of training). Off: stop after `epochs`. A cosine schedule "
                              "anneals lr_t = lr (1 + cos(pi t / epochs)) / 2 towards its last epoch, so with cosine "
                              "the run stops after `epochs` anyway; the CNN page and the command line always do.")
    speed: str = choice("normal", tuple(SPEEDS), "Playground pace, so learning can be watched: slow = "
                        f"{SPEEDS['slow']:g} epochs/s, normal = {SPEEDS['normal']:g} epochs/s, fast = as fast as the "
                        "server can (pause between epochs = max(0, 1/rate - epoch time)).")
    patience: int = num(0, 0, 1000, "Early stopping: stop after this many epochs without a better validation "
                        "loss and restore the best weights (0 = off).")
    seed: int = num(0, 0, 2**31 - 1, "Seed of initialization, shuffling and dropout: same seed, same run.")
    device: str = choice("auto", ("auto", "cpu", "cuda"), "Where to train: auto uses a GPU when there is one.")


@dataclass(frozen=True)
class RunConfig:
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    # ---- derived facts (no torch) ----
    @property
    def dataset_info(self) -> dict[str, Any]:
        return DATASETS[self.data.dataset].params

    @property
    def csv_summary(self) -> dict[str, Any] | None:
        """Problem type and classes of the csv dataset's file (cached, torch-free); None if it cannot be read."""
        if self.dataset_info["kind"] != "csv":
            return None
        from nnlib.data.errors import DataError
        from nnlib.data.tabular import csv_summary

        try:
            return csv_summary(self.data.csv_path)  # opens nothing but this server's own uploads
        except (DataError, OSError):
            return None

    @property
    def problem(self) -> str:
        """binary | multiclass | regression."""
        p = self.dataset_info["problem"]
        if p == "multiclass" and self.dataset_info["kind"] == "toy2d" and self.data.n_classes == 2:
            return "binary"
        summary = self.csv_summary
        if summary:
            return summary["problem"]
        return "binary" if p == "auto" else p

    @property
    def n_classes(self) -> int:
        info = self.dataset_info
        if self.problem == "regression":
            return 1
        summary = self.csv_summary
        if summary:
            return int(summary["n_classes"])
        return int(info.get("classes") or self.data.n_classes) or 2

    @property
    def loss(self) -> str:
        return resolve_loss(self.train.loss, self.problem)

    @property
    def is_image(self) -> bool:
        return self.dataset_info["kind"] == "image"

    @property
    def open_ended(self) -> bool:
        """Whether a job runs until paused (a 2D run without a horizon schedule); its cap: validation.run_epochs."""
        return self.train.until_paused and not self.is_image and self.train.schedule not in HORIZON_SCHEDULES

    @property
    def epochs_per_second(self) -> float:
        """The pace a job keeps (0 = unpaced); image runs are never paced (their epochs take seconds anyway)."""
        return 0.0 if self.is_image else SPEEDS[self.train.speed]

    def validate(self) -> list[str]:
        from nnlib.validation import problems

        return problems(self)

    def checked(self) -> RunConfig:
        errs = self.validate()
        if errs:
            raise ConfigError(errs)
        return self

    def to_dict(self) -> dict[str, Any]:
        return _to_plain(self)

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_dict(cls, d: Any) -> RunConfig:
        errors: list[str] = []
        cfg = _from_plain(cls, d, "", errors)
        if errors:
            raise ConfigError(errors)
        return cfg

    @classmethod
    def from_json(cls, text: str) -> RunConfig:
        try:
            d = parse_json(text)
        except ValueError as e:
            raise ConfigError([str(e)]) from None
        return cls.from_dict(d)

    def to_query(self, only_changed: bool = True, base: RunConfig | None = None) -> str:
        return urlencode(self.to_query_dict(only_changed, base))

    def to_query_dict(self, only_changed: bool = True, base: RunConfig | None = None) -> dict[str, str]:
        """Fields as query text; with `only_changed`, just those that differ from `base` (default: RunConfig()), the
        setup the reader of the link fills the missing fields from."""
        default = (base or RunConfig()).to_dict()
        out: dict[str, str] = {}
        for sect, values in self.to_dict().items():
            for k, v in values.items():
                if only_changed and default[sect][k] == v:
                    continue
                out[f"{sect}.{k}"] = _query_text(v)
        return out

    @classmethod
    def from_query(cls, query: str | dict[str, str]) -> RunConfig:
        size = len(query) if isinstance(query, str) else sum(len(k) + len(v) + 2 for k, v in query.items())
        if size > MAX_CONFIG_CHARS:
            raise ConfigError([too_long("link", size)])
        pairs = parse_qsl(query.lstrip("?"), keep_blank_values=True) if isinstance(query, str) else query.items()
        nested: dict[str, dict[str, Any]] = {}
        errors: list[str] = []
        hints = {f.name: typing.get_type_hints(_SECTIONS[f.name]) for f in fields(cls)}
        for key, text in pairs:
            sect, _, name = key.partition(".")
            if sect not in hints or name not in hints[sect]:
                errors.append(f"unknown setting {shown(key)} in the link")
                continue
            try:
                nested.setdefault(sect, {})[name] = _parse_text(text, hints[sect][name])
            except ValueError as e:
                errors.append(f"{key}: {e}")
        if errors:
            raise ConfigError(errors)
        return cls.from_dict(nested)

    def replace(self, **sections: Any) -> RunConfig:
        """Return a copy with some fields changed, e.g. cfg.replace(train={"lr": 0.1})."""
        new = {name: replace(getattr(self, name), **vals) for name, vals in sections.items()}
        return replace(self, **new)


_SECTIONS: dict[str, type] = {"data": DataConfig, "model": ModelConfig, "train": TrainConfig}


class ConfigError(ValueError):
    """Carries the problems found at once, as sentences for a person: the first MAX_ERRORS, then a count of the
    rest (5,000 bad entries make one short message, not 5,000 lines)."""

    def __init__(self, errors: list[str]) -> None:
        if len(errors) > MAX_ERRORS:
            errors = [*errors[:MAX_ERRORS], f"and {len(errors) - MAX_ERRORS:,} more problems"]
        super().__init__("; ".join(errors))
        self.errors = errors


def field_meta(section: type, name: str) -> dict[str, Any]:
    """Bounds and help of a field, for widgets."""
    return dict(next(f for f in fields(section) if f.name == name).metadata)


def field_help(section: type, name: str, image: bool = False) -> str:
    """A field's help for the kind of run it is shown for: a data field that means something else for images (the
    number of *images*, *pixel* noise) says so in its `image_help`, which widgets and "change one knob" both use."""
    meta = field_meta(section, name)
    return str(meta.get("image_help") or meta["help"]) if image else str(meta["help"])



def mlp_layer_sizes(cfg: RunConfig, n_inputs: int | None = None) -> list[int]:
    """Sizes of a dense net: inputs, hidden widths, outputs."""
    if n_inputs is None:
        shape = cfg.dataset_info.get("shape")
        n_inputs = _prod(shape) if shape else max(1, len(cfg.data.features))
    outs = output_units(cfg.loss, cfg.problem, cfg.n_classes)
    return [n_inputs, *cfg.model.hidden, outs]


def _prod(xs: Any) -> int:
    out = 1
    for x in xs:
        out *= int(x)
    return out


def mlp_param_count(cfg: RunConfig, n_inputs: int | None = None) -> int:
    sizes = mlp_layer_sizes(cfg, n_inputs)
    total = 0
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        hidden = i < len(sizes) - 2
        k = widen_factor(_layer_activation(cfg, i)) if hidden else 1
        total += a * b * k + b * k
        if hidden and cfg.model.norm != "none":
            total += 2 * b * k
        if hidden and _layer_activation(cfg, i) == "prelu":
            total += b
    return total


def _layer_activation(cfg: RunConfig, i: int) -> str:
    acts = cfg.model.layer_activations
    return acts[i] if i < len(acts) and acts[i] else cfg.model.activation
