"""The training experiments of the concept labs, each a group of runs that differ in one thing (nnlib.compare
variants, same seed and data): ReLU dying at a high learning rate beside leaky ReLU, the initializers trained and
overlaid (all-zeros cannot break the symmetry), and the optimizers raced on real handwritten digits. Only configs
here; the group trains in the job pool."""

from __future__ import annotations

from collections.abc import Sequence

from nnlib.compare.variants import variant_labels, variants
from nnlib.config import RunConfig

Group = tuple[list[RunConfig], list[str]]


def dead_relu_group(high_lr: float = 1.0, low_lr: float = 0.1, epochs: int = 60, seed: int = 0) -> Group:
    """A 2-16x4-1 net on the two moons with plain SGD (batches of 10): ReLU at a low rate, ReLU at a high rate and
    leaky ReLU at the same high rate. At seed 0 both high-rate nets get the same kick around epoch 10 (the loss
    jumps up); it pushes every unit of the ReLU net's last hidden layer below 0 for every input, so no signal and no
    gradient pass it again: its loss sits at ln 2 for good while its dead fraction jumps, and the leaky net, whose
    units still pass 1% of the gradient, recovers and converges.

    On the spirals (the earlier setup) nothing learned in 60 epochs, so all three losses sat near ln 2 and only the
    dead fraction told them apart; on the circle leaky ReLU diverged at the rate that killed ReLU. Where a rate
    kills a ReLU net is chance (a big step at the wrong moment): at 1.0, three seeds of 0..5 die, and leaky ReLU
    converges for all six; above ~1.1 leaky ReLU starts to diverge too."""
    base = RunConfig().replace(
        data={"dataset": "moons", "n_samples": 500, "seed": seed},
        model={"hidden": (16, 16, 16, 16), "activation": "relu", "initializer": "he_normal"},
        train={"optimizer": "sgd", "batch_size": 10, "epochs": epochs, "until_paused": False, "speed": "fast",
               "seed": seed})
    configs = [base.replace(train={"lr": low_lr}), base.replace(train={"lr": high_lr}),
               base.replace(model={"activation": "leaky_relu"}, train={"lr": high_lr})]
    return configs, [f"ReLU, lr {low_lr:g}", f"ReLU, lr {high_lr:g}", f"leaky ReLU, lr {high_lr:g}"]


def init_group(initializers: Sequence[str], activation: str = "tanh", epochs: int = 100, seed: int = 0) -> Group:
    """Each initializer on the same 2-16x8-1 net on the circle (SGD, lr 0.1). All-zeros gives every unit of a layer
    the same output and the same gradient, so they stay copies of each other and the net learns nothing of depth.
    Eight layers, as the lecture's point is about depth: on a 4-layer net N(0, 1) trained as fast as Xavier, which
    contradicted the saturation the page shows just above (a walkthrough saw it); through 8 tanh layers it
    saturates and crawls (loss 0.65 after 10 epochs vs Xavier's 0.007) while 0.01 vanishes and stays at ln 2."""
    base = RunConfig().replace(
        data={"dataset": "circle", "n_samples": 500, "seed": seed},
        model={"hidden": (16,) * 8, "activation": activation},
        train={"optimizer": "sgd", "lr": 0.1, "batch_size": 10, "epochs": epochs, "until_paused": False,
               "speed": "fast", "seed": seed})
    configs = variants(base, "initializer", list(initializers))
    return configs, variant_labels("initializer", configs)


def optimizer_group(optimizers: Sequence[str], lr: float = 0.01, epochs: int = 15, seed: int = 0) -> Group:
    """The optimizers on scikit-learn's 1,797 real 8x8 digits, a 64-32-10 ReLU net, batches of 32, one shared
    learning rate: the race of the 2D surfaces, on data."""
    base = RunConfig().replace(
        data={"dataset": "digits", "n_samples": 0, "seed": seed},
        model={"hidden": (32,), "activation": "relu", "initializer": "he_normal", "cnn": None},
        train={"lr": lr, "batch_size": 32, "epochs": epochs, "until_paused": False, "seed": seed,
               "loss": "auto"})
    configs = variants(base, "optimizer", list(optimizers))
    return configs, variant_labels("optimizer", configs)


def norm_group(lr: float = 2.0, norms: Sequence[str] = ("none", "batch"), epochs: int = 30, seed: int = 0) -> Group:
    """A deep sigmoid net (six layers of 16) on the circle at a high SGD rate, without and with normalization:
    without, the saturated sigmoids stall the signal and the loss stays near ln 2; batch norm keeps every layer's
    pre-activations at mean 0 and variance 1, where the sigmoid still has slope, so the same rate trains."""
    base = RunConfig().replace(
        data={"dataset": "circle", "n_samples": 500, "seed": seed},
        model={"hidden": (16,) * 6, "activation": "sigmoid", "initializer": "xavier_uniform"},
        train={"optimizer": "sgd", "lr": lr, "batch_size": 25, "epochs": epochs, "until_paused": False,
               "speed": "fast", "seed": seed})
    configs = variants(base, "norm", list(norms))
    return configs, [f"{'no' if c.model.norm == 'none' else c.model.norm} norm, lr {lr:g}" for c in configs]


def symmetric_layers(weights: Sequence[object]) -> list[bool]:
    """For each hidden layer's weight matrix [out, in]: whether all its units (rows) are still identical -- the
    symmetry all-zeros initialization can never break (torch tensors or numpy arrays)."""
    import numpy as np

    out = []
    for w in weights:
        a = np.asarray(w)
        out.append(bool(np.allclose(a, a[:1], atol=1e-7)))
    return out
