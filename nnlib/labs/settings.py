"""What a student may set in each lab, with bounds and tooltips (one sentence + formula) in the same field metadata
RunConfig uses, so lab widgets get their range and help text from here and `lab_problems` turns any bad value
(out of range, a kernel that does not fit, groups that do not divide) into sentences instead of tracebacks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nnlib.activations import ACTIVATIONS
from nnlib.config import choice, num, seq
from nnlib.initializers import INITIALIZERS
from nnlib.labs.conv import CONV_OUTPUT_FORMULA, conv_output_size
from nnlib.labs.dropout_lab import MAX_PASSES
from nnlib.labs.init_depth import LECTURE_INITIALIZERS, MAX_BATCH, MAX_DEPTH, MAX_WIDTH
from nnlib.labs.loss_lab import LINE_LOSSES
from nnlib.labs.optimizer_paths import MAX_STEPS, PATH_OPTIMIZERS
from nnlib.labs.pool_norm import NORMS, POOLS
from nnlib.labs.surfaces import SURFACES
from nnlib.labs.train_settings import FittingLab, LearningRateLab, McDropoutLab, TransferLab
from nnlib.labs.zoo import ZOO
from nnlib.validation import _bounds

_SEED = "Seed of the random draws: the same seed gives the same numbers."


@dataclass(frozen=True)
class ConvLab:
    size: int = num(5, 3, 12, "Side W of the square input matrix.")
    kernel: int = num(3, 1, 7, "Side F of the square kernel. Formula: " + CONV_OUTPUT_FORMULA)
    stride: int = num(1, 1, 4, "Step S between two kernel positions. Formula: " + CONV_OUTPUT_FORMULA)
    padding: int = num(0, 0, 3, "Rings P of zeros around the input. Formula: " + CONV_OUTPUT_FORMULA)
    dilation: int = num(1, 1, 3, "Gap D between kernel taps: a dilated kernel spans D(F-1) + 1 cells.")
    seed: int = num(0, 0, 10_000, _SEED)

    def problems(self) -> list[str]:
        try:
            conv_output_size(self.size, self.kernel, self.stride, self.padding, self.dilation)
        except ValueError as e:
            return [str(e)]
        return []


@dataclass(frozen=True)
class BottleneckLab:
    size: int = num(28, 1, 256, "Height and width H = W of the feature map (kept by 'same' padding).")
    c_in: int = num(192, 1, 2048, "Input channels D_in.")
    c_out: int = num(32, 1, 2048, "Output channels K. Formula: params = F x F x D_in x K")
    kernel: int = num(5, 1, 11, "Side F of the big kernel. Formula: multiplies = H x W x K x F x F x D_in")
    c_mid: int = num(16, 1, 2048, "Channels of the 1x1 bottleneck in between. Formula: 1x1 params = D_in x mid")


@dataclass(frozen=True)
class TransposedLab:
    size: int = num(4, 1, 64, "Input length N.")
    kernel: int = num(3, 1, 7, "Kernel side F. Formula: output = (N-1)S + F - 2P + output_padding")
    stride: int = num(2, 1, 4, "Stride S: how far apart each input value's stamp lands in the output.")
    padding: int = num(1, 0, 3, "Padding P: cropped from each side of the output.")
    output_padding: int = num(1, 0, 3, "Extra cells on one side, to hit an exact size; must be < S.")

    def problems(self) -> list[str]:
        out = []
        if self.output_padding >= self.stride:
            out.append("output_padding must be smaller than the stride")
        if (self.size - 1) * self.stride + self.kernel - 2 * self.padding + self.output_padding < 1:
            out.append("the padding crops the whole output; lower it")
        return out


@dataclass(frozen=True)
class PoolLab:
    kind: str = choice("max", POOLS, "How a window becomes one number: max, min, average or sum.")
    size: int = num(2, 1, 4, "Window side F. Formula: output = floor((W - F)/S) + 1")
    stride: int = num(2, 1, 4, "Step S between windows (S = F: windows do not overlap).")
    rows: int = num(4, 2, 8, "Rows of the input matrix.")
    cols: int = num(6, 2, 8, "Columns of the input matrix.")
    seed: int = num(0, 0, 10_000, _SEED)

    def problems(self) -> list[str]:
        return [] if self.size <= min(self.rows, self.cols) else ["the window is larger than the matrix"]


@dataclass(frozen=True)
class NormLab:
    kind: str = choice("batch", NORMS, "Which elements share a mean and variance. Formula: (x - mean) / "
                       "sqrt(var + eps)")
    batch: int = num(2, 1, 4, "Examples N in the batch.")
    channels: int = num(4, 1, 8, "Channels C of each example.")
    side: int = num(2, 1, 4, "Height = width of each channel's map.")
    groups: int = num(2, 1, 8, "Group norm: channels are split into G groups of C/G. Formula: G must divide C")
    high_lr: float = num(2.0, 0.01, 10.0, "The SGD rate of the with/without batch norm runs. Formula: w <- w - lr "
                         "grad L", step=0.01)
    seed: int = num(0, 0, 10_000, _SEED)

    def problems(self) -> list[str]:
        return [] if self.channels % self.groups == 0 else [f"{self.groups} groups do not divide {self.channels} "
                                                            "channels"]


@dataclass(frozen=True)
class OptimizerLab:
    surface: str = choice("valley", SURFACES, "The loss surface f(x, y) the optimizers walk on.")
    optimizers: tuple = seq(PATH_OPTIMIZERS, "The update rules to race from the same start.", choices=PATH_OPTIMIZERS)
    lr_scale: float = num(1.0, 0.01, 10.0, "Multiplies each optimizer's suggested learning rate for this surface; "
                          "too large and a path diverges. Formula: lr = scale x suggested lr", step=0.01)
    steps: int = num(100, 1, MAX_STEPS, "How many updates each optimizer takes.")
    # The defaults are the valley's start; a page resets both to SURFACES[surface].start when the surface changes.
    start_x: float = num(-9.0, -10.0, 10.0, "x of the starting point.", step=0.1)
    start_y: float = num(1.0, -10.0, 10.0, "y of the starting point.", step=0.1)
    noise: float = num(0.0, 0.0, 5.0, "Gradient noise that mimics mini-batches. Formula: g = grad f + N(0, "
                       "noise^2)", step=0.05)
    seed: int = num(0, 0, 10_000, _SEED)

    def problems(self) -> list[str]:
        view = SURFACES[self.surface]
        inside = (view.x_range[0] <= self.start_x <= view.x_range[1]
                  and view.y_range[0] <= self.start_y <= view.y_range[1])
        return [] if inside else [f"start inside the plotted view: x in {view.x_range}, y in {view.y_range}"]


@dataclass(frozen=True)
class LossLab:
    n_outliers: int = num(5, 0, 20, "Points pushed far below the line, as a failing sensor would. L1 and Huber "
                          "ignore them up to about a quarter of the 40 points; beyond, they follow them too.")
    delta: float = num(1.0, 0.1, 5.0, "Huber's switch from squared to absolute error. Formula: r^2/2 if |r| <= "
                       "delta else delta (|r| - delta/2)", step=0.1)
    losses: tuple = seq(tuple(LINE_LOSSES), "The losses whose best lines are drawn.", choices=tuple(LINE_LOSSES))
    temperature: float = num(1.0, 0.01, 100.0, "Softmax temperature T. Formula: p_i = e^(z_i/T) / sum_j "
                             "e^(z_j/T)", step=0.01)
    seed: int = num(0, 0, 10_000, _SEED)


@dataclass(frozen=True)
class ActivationLab:
    activation: str = choice("tanh", ACTIVATIONS, "The activation to plot with its derivative.")
    lo: float = num(-6.0, -50.0, 0.0, "Left end of the plotted range.", step=0.5)
    hi: float = num(6.0, 0.0, 50.0, "Right end of the plotted range.", step=0.5)
    dead_lr: float = num(1.0, 0.01, 5.0, "The high learning rate of the dead-ReLU runs: one step w <- w - lr grad L "
                         "this large can push units below 0 for every input. Whether and when it kills a layer is "
                         "chance; above about 1.1 the leaky net diverges as well.", step=0.01)

    def problems(self) -> list[str]:
        return [] if self.lo < self.hi else ["the left end must be below the right end"]


@dataclass(frozen=True)
class InitLab:
    initializers: tuple = seq(LECTURE_INITIALIZERS, "How the weights are drawn.", choices=tuple(INITIALIZERS))
    activation: str = choice("tanh", ACTIVATIONS, "The activation after every layer.")
    depth: int = num(10, 1, MAX_DEPTH, "Number of hidden layers.")
    width: int = num(500, 10, MAX_WIDTH, "Units per layer (fan_in = fan_out). Formula: Xavier var = 2 / (fan_in "
                     "+ fan_out), He var = 2 / fan_in")
    batch: int = num(200, 10, MAX_BATCH, "Random input examples fed through the net.")
    seed: int = num(0, 0, 10_000, _SEED)

    def problems(self) -> list[str]:
        return [] if self.activation != "maxout" else ["maxout changes the layer width; pick another activation"]


@dataclass(frozen=True)
class ZooLab:
    net: str = choice("alexnet", ZOO, "The architecture whose layer table is shown.")


@dataclass(frozen=True)
class DropoutLab:
    p: float = num(0.5, 0.0, 0.95, "Probability of dropping each value. Formula: y = x * mask / (1 - p)", step=0.05)
    passes: int = num(100, 1, MAX_PASSES, "Stochastic forward passes averaged by Monte-Carlo dropout.")
    seed: int = num(0, 0, 10_000, _SEED)


LAB_SETTINGS: dict[str, type] = {
    "conv": ConvLab, "bottleneck": BottleneckLab, "transposed": TransposedLab, "pool": PoolLab, "norm": NormLab,
    "optimizers": OptimizerLab, "losses": LossLab, "activations": ActivationLab, "init": InitLab, "zoo": ZooLab,
    "dropout": DropoutLab, "learning_rate": LearningRateLab, "fitting": FittingLab, "transfer": TransferLab,
    "mc_dropout": McDropoutLab}


def lab_problems(settings: Any) -> list[str]:
    """Every problem of a lab's settings as sentences: ranges and choices first, then the lab's own checks
    (run only when the ranges hold, so the sentences do not pile up)."""
    name = next(k for k, v in LAB_SETTINGS.items() if isinstance(settings, v))
    errs = _bounds(settings, name)
    if not errs and hasattr(settings, "problems"):
        errs += settings.problems()
    return errs
