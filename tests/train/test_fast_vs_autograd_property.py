"""Property: for ANY config the fast path accepts, it trains what autograd trains.

Every field that reaches the kernel is drawn -- per-layer activations, loss, optimizer and its extras (momentum,
beta1, beta2, weight_decay), schedule and its parameters, L1/L2, batch size, input features, hidden sizes, and
binary / multiclass / regression problems -- and both `Trainer(cfg, fast=True)` and `fast=False` train a few
epochs from the same built model. Weights and every history column must agree to float32 tolerance.
"""

from __future__ import annotations

import copy
import math

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from nnlib.config import FEATURES, RunConfig
from nnlib.losses import LOSSES
from nnlib.models.build import core_mlp
from nnlib.optimizers import OPTIMIZERS
from nnlib.schedules import SCHEDULES
from nnlib.train import fast_mlp
from nnlib.train.trainer import Trainer

DATASETS = {"binary": ("circle", "xor", "gauss", "spiral", "moons"), "multiclass": ("blobs", "spiral_multi"),
            "regression": ("plane", "multi_gauss")}
# learning rates that train without diverging in a few epochs (divergence is chaos: no two float paths agree)
LR_RANGE = {"sgd": (1e-3, 0.3), "momentum": (1e-3, 0.1), "nesterov": (1e-3, 0.1), "adagrad": (1e-3, 0.3),
            "rmsprop": (1e-4, 0.02), "adam": (1e-4, 0.05), "adamw": (1e-4, 0.05)}
COMPARED = ("train_loss", "train_penalty", "val_loss", "val_accuracy", "val_rmse", "test_loss", "train_rmse", "lr")


@st.composite
def run_configs(draw: st.DrawFn) -> RunConfig:
    problem = draw(st.sampled_from(sorted(DATASETS)))
    dataset = draw(st.sampled_from(DATASETS[problem]))
    losses = [name for name in LOSSES if problem in LOSSES[name].params["problems"]]
    hidden = tuple(draw(st.lists(st.integers(1, 6), max_size=3)))
    activation = draw(st.sampled_from(fast_mlp.ACTIVATIONS))
    layer_activations = tuple(draw(st.lists(st.sampled_from(("", *fast_mlp.ACTIVATIONS)), min_size=len(hidden),
                                            max_size=len(hidden))))
    optimizer = draw(st.sampled_from([o for o in OPTIMIZERS.names() if o in fast_mlp.OPTIMIZERS]))
    schedule = draw(st.sampled_from(SCHEDULES.names()))
    features = tuple(draw(st.lists(st.sampled_from(FEATURES), min_size=1, max_size=len(FEATURES), unique=True)))
    return RunConfig().replace(
        data={"dataset": dataset, "n_samples": draw(st.sampled_from((100, 150))), "noise": 10.0,
              "n_classes": draw(st.integers(2, 4)), "features": features, "seed": draw(st.integers(0, 3))},
        model={"hidden": hidden, "activation": activation, "layer_activations": layer_activations},
        train={"loss": draw(st.sampled_from(["auto", *losses])), "optimizer": optimizer,
               "lr": draw(st.floats(*LR_RANGE[optimizer])), "momentum": draw(st.floats(0.0, 0.95)),
               "beta1": draw(st.floats(0.0, 0.99)), "beta2": draw(st.floats(0.9, 0.9999)),
               "weight_decay": draw(st.floats(0.0, 1.0)), "schedule": schedule, "lr_step": draw(st.integers(1, 3)),
               "lr_gamma": draw(st.floats(0.1, 1.0)), "lr_patience": draw(st.integers(1, 2)),
               "l1": draw(st.sampled_from((0.0, 1e-4, 3e-3, 0.03))), "l2": draw(st.sampled_from((0.0, 1e-3, 0.05))),
               "batch_size": draw(st.integers(1, 80)), "epochs": 3, "seed": draw(st.integers(0, 3))})


def tie_prone(cfg: RunConfig, n_train: int) -> bool:
    """Runs where float rounding alone decides the size of a step, so no two summation orders can agree.

    With a sign-valued loss gradient (l1, huber beyond |e| = 1) the output bias's gradient is a sum of +-1/n
    terms, exactly 0 when a batch of even size is split evenly -- which L1 regression seeks (the bias moves to
    the median). Torch (vectorized) and the kernel (sequential) then leave different rounding residues (~1e-9),
    and an adaptive optimizer divides by the gradient's own size: adagrad's step is lr * g / (|g| + 1e-10), so a
    1e-9 residue moves the bias by ~lr on one path and not on the other. Odd batches cannot split evenly.

    The same residues decide a kink: a hidden layer after the first whose inputs are all exactly 0 for an example
    (the units before it dead there, e.g. one ReLU unit) gets its bias as pre-activation, and its biases start at
    0 and then move by such residues only (~1e-11 on one path, exactly 0 on the other); an activation whose
    derivative jumps at 0 (ReLU, leaky ReLU, SELU) then passes the gradient on one path and blocks it on the
    other, with any optimizer (seen: multi_gauss, hidden 1-6-6 relu/relu/hard_sigmoid, l1, SGD, batch 50).
    """
    bs = min(cfg.train.batch_size, n_train)
    adaptive = cfg.train.optimizer in ("adagrad", "rmsprop", "adam", "adamw")
    per_layer = cfg.model.layer_activations
    acts = [per_layer[i] if i < len(per_layer) and per_layer[i] else cfg.model.activation
            for i in range(len(cfg.model.hidden))]
    kink_after_first = any(a in ("relu", "leaky_relu", "selu") for a in acts[1:])
    even = any(b % 2 == 0 for b in {bs, n_train % bs} if b)
    return cfg.loss in ("l1", "huber") and (adaptive or kink_after_first) and even


def close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=2e-4, abs_tol=2e-5)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cfg=run_configs())
def test_fast_path_trains_what_autograd_trains(cfg: RunConfig) -> None:
    assume(cfg.validate() == [])
    fast, slow = Trainer(cfg, fast=True), Trainer(cfg, fast=False)
    assert fast.fast is not None and slow.fast is None
    assume(not tie_prone(cfg, len(fast.data.x_train)))
    fast.run()
    slow.run()
    assert fast.status == slow.status and fast.epoch == slow.epoch
    for key in COMPARED:
        a, b = fast.history.column(key), slow.history.column(key)
        assert all(close(x, y) for x, y in zip(a, b, strict=True)), f"{key}: fast {a} vs autograd {b}"
    assert fast.history.column("zero_weights") == slow.history.column("zero_weights")
    for ra, rb in zip(fast.history.records, slow.history.records, strict=True):  # computed by the kernel vs torch
        for key in ("weight_norms", "grad_norms"):
            assert all(close(x, y) for x, y in zip(ra[key], rb[key], strict=True)), f"{key}: {ra[key]} vs {rb[key]}"
    for (name, pa), pb in zip(fast.model.named_parameters(), slow.model.parameters(), strict=True):
        a, b = pa.detach().numpy(), pb.detach().numpy()
        scale = max(1.0, float(np.abs(b).max()))
        np.testing.assert_allclose(a, b, rtol=2e-4, atol=2e-5 * scale, err_msg=name)


def agree(key: str, a: float, b: float, n_rows: int) -> bool:
    """Equal to float32 tolerance; an accuracy may differ by one example whose output sits within rounding of
    the decision threshold (0 for a logit, a tie between two classes), where no two summation orders agree."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if key.endswith("_accuracy"):
        return abs(a - b) <= 1.0 / n_rows + 1e-9
    return math.isclose(a, b, rel_tol=2e-4, abs_tol=2e-5)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cfg=run_configs(), epochs=st.integers(0, 2))
def test_fast_evaluation_equals_torch_evaluation(cfg: RunConfig, epochs: int) -> None:
    """The compiled per-epoch evaluation (every split's loss and accuracy / RMSE / R^2) and weight norms give what
    torch computes on the very same weights, untrained or after a few epochs of the kernel's training."""
    assume(cfg.validate() == [])
    fast = Trainer(cfg, fast=True)
    assert fast.fast is not None
    fast.run(epochs=epochs)
    torch_path = Trainer(cfg, fast.data, model=copy.deepcopy(fast.model), fast=False)
    got, want = fast.evaluate_all(), torch_path.evaluate_all()
    assert got.keys() == want.keys()
    for key, value in want.items():
        split = key.split("_")[0]
        n_rows = len(getattr(fast.data, f"x_{split}"))
        assert agree(key, got[key], value, n_rows), f"{key}: kernel {got[key]} vs torch {value}"
    weight_norms, _ = fast.fast.norms()
    torch_norms = [float(lin.weight.detach().norm()) for lin in core_mlp(torch_path.model).linears()]
    assert all(close(a, b) for a, b in zip(weight_norms, torch_norms, strict=True))
