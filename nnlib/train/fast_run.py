"""A plain MLP's run without torch: numpy arrays, the compiled kernel, and the shared epoch loop.

`import torch` costs ~1.6 s of the CLI's 2.3 s for a 200-epoch run of the default net, though the fast path trains
it without torch: the initial weights come bitwise from `nnlib.models.np_init.init_mlp` (torch's seeded stream
reproduced in numpy), training and evaluation from the numba kernels, the checkpoint from safetensors' numpy API.
`torch_free_layers` says whether a config qualifies -- the same test `Trainer._make_fast` makes on the built
modules, made on the config -- and anything else keeps the torch Trainer. tests/train/test_fast_run.py checks
that both give the same history, weights and files, and that the CLI then never imports torch.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

import numpy as np

from nnlib.config import RunConfig, mlp_layer_sizes
from nnlib.losses import output_units
from nnlib.optimizers import optimizer_settings
from nnlib.train import fast_mlp
from nnlib.train.batch_order import BatchOrder
from nnlib.train.callbacks import Callback, Logs
from nnlib.train.loop import EpochLoop

Layers = list[tuple[np.ndarray, np.ndarray]]
GPU_DEVICE_FILES = ("/dev/nvidia0", "/dev/kfd")  # CUDA and ROCm: with one, "auto" may mean a GPU to torch


def hidden_activations(cfg: RunConfig) -> list[str]:
    """Each hidden layer's activation name, as `nnlib.models.build.layer_activations` resolves them."""
    acts = cfg.model.layer_activations
    return [acts[i] if i < len(acts) and acts[i] else cfg.model.activation for i in range(len(cfg.model.hidden))]


def gpu_may_be_visible() -> bool:
    """Whether torch's device "auto" might pick a GPU here (answered without importing torch, conservatively)."""
    return any(os.path.exists(path) for path in GPU_DEVICE_FILES)


def torch_free_layers(cfg: RunConfig, data: Any, callbacks: Iterable[Callback] = ()) -> Layers | None:
    """The initial (W, b) of every layer when this run trains on the fast path exactly as the torch Trainer would
    (a plain MLP: no conv, norm, dropout; kernel activations, optimizer and loss; a CPU; no batch callbacks; an
    initializer np_init reproduces), else None: the caller then uses `nnlib.train.trainer.Trainer`."""
    t = cfg.train
    if (cfg.model.cnn is not None or cfg.is_image or len(data.input_shape) != 1 or cfg.model.norm != "none"
            or cfg.model.dropout > 0 or any(cb.wants_batches for cb in callbacks)):
        return None
    if t.device == "cuda" or (t.device == "auto" and gpu_may_be_visible()):
        return None
    acts = hidden_activations(cfg)
    if not fast_mlp.supports(acts, t.optimizer, cfg.loss):
        return None
    sizes = mlp_layer_sizes(cfg, int(data.input_shape[0]))
    sizes[-1] = output_units(cfg.loss, cfg.problem, data.n_classes or cfg.n_classes)
    if not fast_mlp.worthwhile(sizes, t.batch_size):
        return None
    try:
        from nnlib.models.np_init import init_mlp

        layers = init_mlp(cfg, sizes[0], data.n_classes)
    except (ImportError, NotImplementedError):
        return None
    if [w.shape for w, _ in layers] != list(zip(sizes[1:], sizes[:-1])):
        return None
    return [(np.array(w, np.float32), np.array(b, np.float32)) for w, b in layers]  # own, writeable copies


class ArrayMLP:
    """The parameters of a plain MLP as numpy arrays, under the names torch's `MLP.state_dict()` gives them, so
    early stopping, checkpoints and the app read a FastRun's model as they read a torch one. The kernel trains
    these arrays' memory in place: `load_state_dict` copies into them, never replaces them."""

    def __init__(self, layers: Layers) -> None:
        names = [f"hidden.{i}.linear" for i in range(len(layers) - 1)] + ["out"]
        self._state: dict[str, np.ndarray] = {}
        for name, (w, b) in zip(names, layers):
            self._state[f"{name}.weight"], self._state[f"{name}.bias"] = w, b

    def state_dict(self) -> dict[str, np.ndarray]:
        return dict(self._state)

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if state.keys() != self._state.keys():
            raise KeyError(f"expected the parameters {sorted(self._state)}, got {sorted(state)}")
        for key, value in state.items():
            np.copyto(self._state[key], np.asarray(value, np.float32))

    @property
    def layers(self) -> Layers:
        values = list(self._state.values())
        return list(zip(values[0::2], values[1::2]))


class FastRun(EpochLoop):
    """A Trainer for what `torch_free_layers` accepts, without torch: same loop, callbacks, history and results
    (the fused compiled epoch of `nnlib.train.fast_epoch`)."""

    def __init__(self, cfg: RunConfig, data: Any, layers: Layers, callbacks: Iterable[Callback] = ()) -> None:
        self._init_loop(cfg, data, callbacks)
        t = cfg.train
        self.device = "cpu"
        self.loss_name = cfg.loss
        self.model = ArrayMLP(layers)
        self.fast = fast_mlp.FastMLP([w for w, _ in self.model.layers], [b for _, b in self.model.layers],
                                     hidden_activations(cfg), self.loss_name, t.optimizer, optimizer_settings(t)[1],
                                     t.l1, t.l2)
        self._fast_order = BatchOrder(t.seed)
        self.optimizer = None
        self.interrupt = None

    def evaluate_all(self, skip_train: bool = False, skip_test: bool = False) -> Logs:
        """Every split's metrics now (the keys and values `Trainer.evaluate_all` gives on the fast path)."""
        return self._fast_evaluate_all(skip_train, skip_test)
