"""The table of knobs a student may turn for "change one knob": which config field each one sets, how a typed
value is read, and which runs it applies to. Help texts come from RunConfig's own field metadata."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from typing import Any

from nnlib.config import CNNSpec, DataConfig, ModelConfig, RunConfig, TrainConfig, field_help
from nnlib.idle_fields import idle_fields

_SECTION_TYPES: dict[str, type] = {"data": DataConfig, "model": ModelConfig, "train": TrainConfig, "cnn": CNNSpec}


@dataclass(frozen=True)
class Knob:
    """One turnable field: `path` names it in a config ("train.lr"; "model.width" and "model.depth" reshape the
    hidden layers; "cnn.dense_dropout" is the CNN head's dropout)."""

    name: str
    label: str
    path: str
    help: str
    get: Callable[[RunConfig], Any]
    set: Callable[[RunConfig, Any], RunConfig]
    parse: Callable[[Any], Any]
    choices: tuple[str, ...] = ()
    mlp_only: bool = False
    cnn_only: bool = False
    suggested: tuple[Any, ...] = ()
    image_help: str = ""  # the help on an image run, when the field means something else there (number of images)

    def applies(self, cfg: RunConfig) -> bool:
        """Whether turning this knob changes `cfg`'s run (hidden widths mean nothing to a conv net, and so on)."""
        conv = cfg.model.cnn is not None
        return not ((self.mlp_only and conv) or (self.cnn_only and not conv))

    def help_for(self, cfg: RunConfig) -> str:
        """The help that is right for this kind of run: "Number of images to use" on an image run, not "points"."""
        return self.image_help if cfg.is_image and self.image_help else self.help

    def shown(self, value: Any) -> str:
        """The value as a person writes it: 0.2, adam, 8,8."""
        if isinstance(value, tuple):
            return ",".join(str(v) for v in value) or "none"
        return f"{value:g}" if isinstance(value, float) else str(value)


def _meta(section: str, name: str) -> dict[str, Any]:
    return dict(next(f.metadata for f in fields(_SECTION_TYPES[section]) if f.name == name))


def _default(section: str, name: str) -> Any:
    return next(f.default for f in fields(_SECTION_TYPES[section]) if f.name == name)


def _parser(section: str, name: str) -> Callable[[Any], Any]:
    """Reads a value of the field's type from a widget's text or a native value; ValueError says why not."""
    default, meta = _default(section, name), _meta(section, name)
    if "choices" in meta:
        options = tuple(meta["choices"])

        def pick(v: Any) -> str:
            text = str(v).strip()
            if text not in options:
                raise ValueError(f"{text!r} is not one of {', '.join(options)}")
            return text
        return pick
    if isinstance(default, bool):
        def boolean(v: Any) -> bool:
            text = str(v).strip().lower()
            if text in ("1", "true", "on", "yes"):
                return True
            if text in ("0", "false", "off", "no"):
                return False
            raise ValueError(f"{v!r} is not on/off")
        return boolean
    if isinstance(default, int):
        return lambda v: _int(v)
    return lambda v: _float(v)


def _int(v: Any) -> int:
    try:
        f = float(str(v).strip())
    except ValueError:
        raise ValueError(f"{v!r} is not a whole number") from None
    if f != int(f):
        raise ValueError(f"{v!r} is not a whole number")
    return int(f)


def _float(v: Any) -> float:
    try:
        f = float(str(v).strip())
    except ValueError:
        raise ValueError(f"{v!r} is not a number") from None
    if f != f or f in (float("inf"), float("-inf")):
        raise ValueError(f"{v!r} is not a finite number")
    return f


def _layers(v: Any) -> tuple[int, ...]:
    """'8,8' or (8, 8) -> (8, 8); 'none' or '' -> no hidden layer (logistic regression)."""
    if isinstance(v, (list, tuple)):
        return tuple(_int(x) for x in v)
    text = str(v).strip().strip("()[]").lower()
    if text in ("", "none", "0"):
        return ()
    return tuple(_int(x) for x in text.replace(" ", ",").split(",") if x)


def _field(name: str, label: str, section: str, fname: str, suggested: tuple[Any, ...] = (),
           **kw: Any) -> Knob:
    meta = _meta(section, fname)

    def get(cfg: RunConfig) -> Any:
        return getattr(getattr(cfg, section), fname)

    def put(cfg: RunConfig, value: Any) -> RunConfig:
        return cfg.replace(**{section: {fname: value}})

    return Knob(name, label, f"{section}.{fname}", meta["help"], get, put, _parser(section, fname),
                tuple(meta.get("choices", ())), suggested=suggested,
                image_help=field_help(_SECTION_TYPES[section], fname, image=True), **kw)


def _width(cfg: RunConfig, w: int) -> RunConfig:
    return cfg.replace(model={"hidden": tuple(w for _ in cfg.model.hidden) or (w,)})


def _depth(cfg: RunConfig, n: int) -> RunConfig:
    width = cfg.model.hidden[0] if cfg.model.hidden else 8
    acts = cfg.model.layer_activations
    return cfg.replace(model={"hidden": (width,) * n, "layer_activations": acts[:n] if len(acts) == n else ()})


def _cnn_dropout(cfg: RunConfig, p: float) -> RunConfig:
    assert cfg.model.cnn is not None  # the knob applies to conv nets only
    return cfg.replace(model={"cnn": replace(cfg.model.cnn, dense_dropout=p)})


KNOBS: dict[str, Knob] = {k.name: k for k in (
    _field("optimizer", "Optimizer", "train", "optimizer", ("sgd", "momentum", "adam")),
    _field("lr", "Learning rate", "train", "lr", (0.003, 0.03, 0.3)),
    _field("momentum", "Momentum", "train", "momentum", (0.0, 0.5, 0.9)),
    _field("batch_size", "Batch size", "train", "batch_size", (1, 10, 100)),
    _field("dropout", "Dropout", "model", "dropout", (0.0, 0.2, 0.5), mlp_only=True),
    Knob("dense_dropout", "Dropout (dense head)", "cnn.dense_dropout", _meta("cnn", "dense_dropout")["help"],
         lambda c: c.model.cnn.dense_dropout if c.model.cnn else 0.0, _cnn_dropout, _float, cnn_only=True,
         suggested=(0.0, 0.25, 0.5)),
    _field("l2", "L2 strength", "train", "l2", (0.0, 0.001, 0.01)),
    _field("l1", "L1 strength", "train", "l1", (0.0, 0.001, 0.01)),
    _field("activation", "Activation", "model", "activation", ("tanh", "relu", "sigmoid")),
    _field("initializer", "Initializer", "model", "initializer", ("xavier_uniform", "he_normal", "zeros")),
    _field("norm", "Normalization", "model", "norm", ("none", "batch", "layer"), mlp_only=True),
    Knob("hidden", "Hidden layers", "model.hidden", _meta("model", "hidden")["help"] + " Write widths like 8,8.",
         lambda c: c.model.hidden, lambda c, v: c.replace(model={"hidden": v}), _layers, mlp_only=True,
         suggested=((4,), (8, 8), (16, 16, 16))),
    Knob("width", "Width (every hidden layer)", "model.width", "Neurons in every hidden layer: capacity grows "
         "with width (parameters ~ width^2 per layer).", lambda c: max(c.model.hidden, default=0), _width, _int,
         mlp_only=True, suggested=(2, 8, 32)),
    Knob("depth", "Depth (hidden layers)", "model.depth", "Number of hidden layers, all as wide as the first.",
         lambda c: len(c.model.hidden), _depth, _int, mlp_only=True, suggested=(1, 2, 4)),
    _field("schedule", "LR schedule", "train", "schedule", ("constant", "step", "cosine")),
    _field("patience", "Early stop patience", "train", "patience", (0, 10, 30)),
    _field("n_samples", "Number of examples", "data", "n_samples", (100, 500, 2000)),
    _field("noise", "Noise (%)", "data", "noise", (0.0, 20.0, 40.0)),
    _field("epochs", "Epochs", "train", "epochs", (20, 50, 100)),
)}


def knobs_for(cfg: RunConfig) -> list[Knob]:
    """The knobs that mean something for this run, in the table's order: not those the run ignores as it stands
    (nnlib.idle_fields: with no hidden layer, N dropout or activation variants would train N identical nets; with
    plain SGD, N momenta; on a stored image set, N noise levels; "until I pause", N epoch counts)."""
    idle = idle_fields(cfg).reasons
    return [k for k in KNOBS.values() if k.applies(cfg) and k.path not in idle]
