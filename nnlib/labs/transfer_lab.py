"""Lab 13.11, transfer learning: a small CNN pretrained on MNIST 5k (offline) is trained on the generated shapes
with only a few labelled images per class, three ways side by side in one group job -- the conv blocks frozen and
only the head trained, everything fine-tuned from the pretrained weights, and the same net from scratch.

The pretraining runs once per pretraining config in the worker and is cached in memory and under NNLIB_DATA_DIR as
safetensors (never pickle), keyed by a hash of that config. Everything is sized to take seconds on 2 CPU cores:
a small CNN (two conv blocks of 8 and 16 filters, ~6k weights), 2 pretraining epochs, one thread per worker.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from nnlib.config import CNNSpec, ConvBlock, RunConfig
from nnlib.models.freeze import LayerRow, freeze, layer_table, trainable_count

SOURCE, TARGET = "mnist_5k", "shapes"
IMAGE_SHAPE = (1, 28, 28)
TARGET_CLASSES = 6  # nnlib.data.images.SHAPE_NAMES
HELD_OUT = 300  # target images beside the few labelled ones: half validate, half test (enough to tell variants apart)
# Two conv blocks (8 and 16 filters of 3x3, each max-pooled) and a linear output on the flattened 16x7x7 maps: the
# output layer holds most weights, yet freezing the blocks still leaves only it to train.
SPEC = CNNSpec(blocks=(ConvBlock(out_channels=8, pool="max", norm="none"),
                       ConvBlock(out_channels=16, pool="max", norm="none")), head="flatten", dense=())
OUTPUT_PREFIX = "out."  # the 10-digit output layer is never transferred: the target has its own classes


@dataclass(frozen=True)
class Variant:
    """How one of the three runs starts and what it trains."""

    label: str
    pretrained: bool
    freeze: str  # nnlib.models.freeze.FREEZE_PARTS


VARIANTS = (Variant("frozen conv, head trained", True, "conv"), Variant("fine-tune all", True, "none"),
            Variant("from scratch", False, "none"))

_CACHE: dict[str, dict[str, torch.Tensor]] = {}  # per worker process, beside the files


def _cnn_model(dataset: str, n_samples: int, noise: float, epochs: int, lr: float, seed: int,
               train_frac: float, val_frac: float) -> RunConfig:
    return RunConfig().replace(
        data={"dataset": dataset, "n_samples": n_samples, "noise": noise, "seed": seed, "train_frac": train_frac,
              "val_frac": val_frac, "augment": ()},
        model={"cnn": SPEC, "activation": "relu", "initializer": "he_normal",
               "dropout": 0.0, "norm": "none"},
        train={"optimizer": "adam", "lr": lr, "batch_size": 32, "epochs": epochs, "until_paused": False,
               "seed": seed, "loss": "auto", "l1": 0.0, "l2": 0.0, "patience": 0, "device": "cpu"})


def pretrain_config(epochs: int = 2, seed: int = 0) -> RunConfig:
    """The source task: all 5,000 MNIST digits (90% for training), the tiny CNN, Adam."""
    return _cnn_model(SOURCE, 5000, 0.0, epochs, 0.003, seed, 0.9, 0.05)


def target_config(per_class: int, epochs: int = 30, noise: float = 20.0, seed: int = 0) -> RunConfig:
    """The target task: generated shapes, about `per_class` training images of each of the 6 classes, and
    HELD_OUT more to validate and test on, with pixel noise so that it is not trivial."""
    n_train = per_class * TARGET_CLASSES
    n = n_train + held_out(per_class)
    return _cnn_model(TARGET, n, noise, epochs, 0.003, seed, n_train / n, held_out(per_class) / 2 / n)


def held_out(per_class: int) -> int:
    """Images beside the training ones: HELD_OUT, fewer when the training set is so small that it would be under
    the 5% a run's training fraction must be (RunConfig's bounds)."""
    return min(HELD_OUT, 18 * per_class * TARGET_CLASSES)


def transfer_group(per_class: int, epochs: int = 30, noise: float = 20.0,
                   seed: int = 0) -> tuple[list[RunConfig], list[str], dict[str, Any]]:
    """The three runs (equal configs: they differ only in how the job prepares them), their labels and the
    group's lab options (the pretraining config and each run's plan)."""
    cfg = target_config(per_class, epochs, noise, seed)
    options = {"pretrain": pretrain_config(seed=seed).to_dict(),
               "plan": [{"pretrained": v.pretrained, "freeze": v.freeze} for v in VARIANTS]}
    return [cfg] * len(VARIANTS), [v.label for v in VARIANTS], options


def variant_tables(cfg: RunConfig) -> list[tuple[Variant, list[LayerRow], int]]:
    """For each variant: its layers (frozen or trained) and the parameters it trains, read off the built model."""
    from nnlib.models.build import build_model

    out = []
    for v in VARIANTS:
        model = freeze(build_model(cfg, IMAGE_SHAPE, TARGET_CLASSES), v.freeze)
        out.append((v, layer_table(model), trainable_count(model)))
    return out


# ---------------------------------------------------------------- pretraining, cached

def config_key(cfg: RunConfig) -> str:
    """The cache key of a pretraining: a hash of its whole config (another seed or epoch count, another file)."""
    return hashlib.sha256(json.dumps(cfg.to_dict(), sort_keys=True, default=str).encode()).hexdigest()[:24]


def _cache_path(key: str) -> str:
    from nnlib.data.images import data_dir

    return os.path.join(data_dir(), "pretrained", f"transfer-{key}.safetensors")


def pretrained_weights(cfg: RunConfig) -> dict[str, torch.Tensor]:
    """The weights after pretraining `cfg`: from this process's memory, else the safetensors file, else trained
    now (seconds) and stored in both."""
    from safetensors.torch import load_file, save_file

    key = config_key(cfg)
    if key in _CACHE:
        return _CACHE[key]
    path = _cache_path(key)
    weights: dict[str, torch.Tensor] | None = None
    if os.path.exists(path):
        try:
            weights = load_file(path)
        except Exception:  # noqa: BLE001 - a damaged cache file is retrained, not trusted
            weights = None
    if weights is None:
        from nnlib.train.trainer import Trainer

        with torch.random.fork_rng(devices=[]):
            trainer = Trainer(cfg)
            trainer.run()
        weights = {k: v.detach().cpu().contiguous() for k, v in trainer.model.state_dict().items()}
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = f"{path}.{os.getpid()}.tmp"
        save_file(weights, tmp)
        os.replace(tmp, path)  # another worker may write the same file: each write is whole
    _CACHE[key] = weights
    return weights


def load_pretrained(model: nn.Module, weights: dict[str, torch.Tensor]) -> list[str]:
    """Copy every pretrained tensor but the output layer into `model`; returns the names copied."""
    own = model.state_dict()
    copied = {k: v for k, v in weights.items()
              if not k.startswith(OUTPUT_PREFIX) and k in own and own[k].shape == v.shape}
    model.load_state_dict(copied, strict=False)
    return sorted(copied)


# ---------------------------------------------------------------- the group's hooks (nnlib.compare.group.LAB_HOOKS)

def prepare(members: Sequence[Any], options: dict[str, Any]) -> None:
    """Pretrain (or take from the cache), then give the pretrained runs the weights and freeze what they freeze.
    A frozen parameter gets no gradient, so the optimizer the trainer already built leaves it alone."""
    weights = pretrained_weights(RunConfig.from_dict(options["pretrain"]))
    for member, plan in zip(members, options["plan"], strict=True):
        model = member.trainer.model
        if plan["pretrained"]:
            load_pretrained(model, weights)
        freeze(model, plan["freeze"])


def finish(members: Sequence[Any], options: dict[str, Any]) -> dict[str, Any]:
    """What each run trained, and whether the frozen conv weights are still exactly the pretrained ones."""
    weights = pretrained_weights(RunConfig.from_dict(options["pretrain"]))
    out = []
    for member, plan in zip(members, options["plan"], strict=True):
        model = member.trainer.model
        conv = {k: v for k, v in model.state_dict().items() if k.startswith("blocks.")}
        unchanged = plan["pretrained"] and all(torch.equal(v.cpu(), weights[k]) for k, v in conv.items())
        out.append({"label": member.label, "trained": trainable_count(model),
                    "total": sum(p.numel() for p in model.parameters()), "conv_unchanged": bool(unchanged)})
    return {"transfer": out}
