"""What a student may set in the labs that train (learning rate, fitting, transfer learning, Monte-Carlo dropout,
and the training parts of the concept labs): bounds and tooltips in the same field metadata as RunConfig,
registered in nnlib.labs.settings.LAB_SETTINGS so the lab widgets, links and `lab_problems` treat them like every
other lab's settings."""

from __future__ import annotations

from dataclasses import dataclass

from nnlib.config import choice, num, seq
from nnlib.labs.fitting_lab import REMEDIES
from nnlib.labs.mc_dropout import MC_DATASETS
from nnlib.schedules import SCHEDULES

_SEED = "Seed of the data, the initial weights and the shuffling: the same seed gives the same curves."
WIDTHS = ("1", "2", "4", "8", "16", "32", "64", "128")
SIZES = ("25", "50", "100", "200", "400", "800")
EXPERIMENTS_LR = ("rates", "schedules")
EXPERIMENTS_FIT = ("capacity", "data", "remedies")


@dataclass(frozen=True)
class LearningRateLab:
    experiment: str = choice("rates", EXPERIMENTS_LR, "rates: one problem at three learning rates side by side "
                             "(by default one crawls, one converges, one diverges); schedules: one starting rate, "
                             "each schedule's rate curve beside its loss.")
    small: float = num(0.001, 1e-5, 10.0, "One of the three rates, in any order (the runs are listed from the "
                       "smallest rate up). At the default 0.001 each step w <- w - lr grad L barely moves: the loss "
                       "crawls.", step=0.0001)
    good: float = num(0.3, 1e-5, 10.0, "One of the three rates, in any order. At the default 0.3 the loss falls fast "
                      "and settles.", step=0.01)
    large: float = num(10.0, 1e-5, 10.0, "One of the three rates, in any order. At the default 10 each step "
                       "overshoots the minimum, so the loss jumps up instead of down.", step=0.1)
    schedules: tuple = seq(("constant", "step", "exponential", "cosine", "plateau"), "The schedules to compare, "
                           "all starting at the schedule rate.", choices=SCHEDULES)
    schedule_lr: float = num(3.0, 1e-5, 10.0, "Starting rate lr_0 of every schedule. At the default 3 a constant "
                             "rate is too large to settle (its loss keeps jumping); the schedules decay it and settle "
                             "lower. Formula: step lr_t = lr_0 "
                             "gamma^floor(t/s); cosine lr_t = lr_0 (1 + cos(pi t/T))/2", step=0.01)
    epochs: int = num(100, 10, 300, "Epochs T each run trains (about 3 s per 100 at the Playground's pace).")
    seed: int = num(0, 0, 10_000, _SEED)

    def problems(self) -> list[str]:
        out = []
        # any order will do (the runs are sorted), but two equal rates would be one run twice under one name
        rates = (self.small, self.good, self.large)
        if self.experiment == "rates" and len(set(rates)) < 3:
            same = next(r for r in rates if rates.count(r) > 1)
            out.append(f"two of the rates are both {same:g}, so they would train the same run twice: move one of "
                       "those sliders to another value")
        if self.experiment == "schedules" and len(self.schedules) < 2:
            out.append(f"{'only one schedule is' if self.schedules else 'no schedule is'} picked: pick at least two "
                       "schedules to compare")
        return out


@dataclass(frozen=True)
class FittingLab:
    experiment: str = choice("capacity", EXPERIMENTS_FIT, "capacity: the same data with wider and wider nets; data: "
                             "the same net on more and more examples; remedies: the overfitting net with each "
                             "regularizer beside it.")
    widths: tuple = seq(("1", "4", "16", "128"), "Neurons in each of the two hidden layers (capacity grows ~ "
                        "width^2).", choices=WIDTHS)
    sizes: tuple = seq(("25", "50", "100", "400", "800"), "Number of examples generated (half train, a quarter "
                       "validation).", choices=SIZES)
    remedies: tuple = seq(REMEDIES, "Remedies trained beside the baseline, one each.", choices=REMEDIES)
    n_samples: int = num(100, 20, 800, "Examples of the overfitting setup (capacity and remedies).", step=10)
    noise: float = num(50.0, 0.0, 50.0, "Position noise in percent: more noise, more to memorize.", step=5.0)
    width: int = num(64, 1, 128, "Width of the overfitting net (data sweep and remedies).")
    l2: float = num(0.01, 0.0001, 1.0, "L2 strength lambda. Formula: L + (lambda/2) sum w^2", step=0.0001)
    l1: float = num(0.001, 0.0001, 1.0, "L1 strength lambda. Formula: L + lambda sum |w|", step=0.0001)
    dropout: float = num(0.6, 0.05, 0.9, "Dropout rate p (on 50 training points the net memorizes even a thinned "
                         "version of itself at 0.3; 0.6 lowers the validation loss for seeds 0, 1 and 2). Formula: "
                         "h * mask / (1 - p), mask ~ Bernoulli(1 - p)", step=0.05)
    patience: int = num(20, 1, 200, "Early stopping: stop after this many epochs without a better validation loss "
                        "and keep the best weights.")
    more_data: float = num(8.0, 1.5, 8.0, "More data: this many times the examples (capped at 800).", step=0.5)
    epochs: int = num(300, 20, 500, "Epochs each run trains.")
    seed: int = num(0, 0, 10_000, _SEED)

    def problems(self) -> list[str]:
        picked = {"capacity": self.widths, "data": self.sizes, "remedies": ("baseline", *self.remedies)}
        if len(picked[self.experiment]) < 2:
            return ["pick at least two values (or one remedy) to compare"]
        if len(picked[self.experiment]) > 6:
            return ["at most six runs train side by side: pick fewer"]
        if self.experiment == "remedies" and "more_data" in self.remedies and self.n_samples * self.more_data > 800:
            return [f"{self.n_samples} x {self.more_data:g} examples is above 800: lower one of them"]
        return []


@dataclass(frozen=True)
class TransferLab:
    per_class: int = num(5, 1, 50, "Labelled training images per class of the shapes (6 classes): transfer "
                         "matters most when there are few. Formula: training images = 6 x per class")
    epochs: int = num(30, 5, 100, "Epochs each of the three variants trains on the shapes.", step=5)
    noise: float = num(20.0, 0.0, 50.0, "Pixel noise of the shapes in percent (gaussian, std = noise/100).",
                       step=5.0)
    seed: int = num(0, 0, 10_000, _SEED)


@dataclass(frozen=True)
class McDropoutLab:
    dataset: str = choice("moons", MC_DATASETS, "The 2D classification problem both nets learn.")
    p: float = num(0.3, 0.05, 0.8, "Dropout rate of the dropout net, after each hidden layer. Formula: "
                   "h * mask / (1 - p), mask ~ Bernoulli(1 - p)", step=0.05)
    passes: int = num(200, 10, 1000, "Stochastic passes T per point. Formula: mean = (1/T) sum_t f(x; mask_t), "
                      "band = mean +- 2 std", step=10)
    epochs: int = num(100, 20, 300, "Epochs both nets train.", step=10)
    seed: int = num(0, 0, 10_000, _SEED)
