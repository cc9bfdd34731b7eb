"""Lab 10.5, over- and underfitting: train vs validation loss as capacity grows (a width sweep) and as the
training set grows, and the overfitting setup with each remedy (L2, L1, dropout, early stopping, more data) as a
variant overlaid on the baseline. Builds the group runs' configs and reads the curves; no training here."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from nnlib.compare.variants import variant_labels, variants
from nnlib.config import RunConfig
from nnlib.words import count

REMEDIES = ("l2", "l1", "dropout", "early_stopping", "more_data")
REMEDY_LABELS = {"l2": "L2", "l1": "L1", "dropout": "dropout", "early_stopping": "early stopping",
                 "more_data": "more data"}


def overfit_problem(n_samples: int = 100, noise: float = 50.0, width: int = 64, epochs: int = 300,
                    seed: int = 0) -> RunConfig:
    """XOR with half its points' positions noised, only `n_samples` of them (half for training), two ReLU layers
    of `width` and Adam: a net big enough to memorize the noise, so the validation loss turns up."""
    return RunConfig().replace(
        data={"dataset": "xor", "n_samples": n_samples, "noise": noise, "seed": seed},
        model={"hidden": (width, width), "activation": "relu", "initializer": "xavier_uniform"},
        train={"optimizer": "adam", "lr": 0.01, "batch_size": 10, "epochs": epochs, "until_paused": False,
               "speed": "fast", "seed": seed, "l1": 0.0, "l2": 0.0, "patience": 0})


def capacity_group(base: RunConfig, widths: Sequence[int]) -> tuple[list[RunConfig], list[str]]:
    """The base net at each width (every hidden layer as wide): capacity is the only difference."""
    configs = variants(base, "width", list(widths))
    return configs, variant_labels("width", configs)


def data_group(base: RunConfig, sizes: Sequence[int]) -> tuple[list[RunConfig], list[str]]:
    """The base run on more and more examples (the same generator, so a larger set contains more of the same)."""
    configs = variants(base, "n_samples", list(sizes))
    return configs, [f"examples = {c.data.n_samples}" for c in configs]  # the page's word, not the field's name


def remedy_config(base: RunConfig, remedy: str, strength: Mapping[str, float]) -> RunConfig:
    """The baseline with one remedy switched on at `strength[remedy]` (a rate, a penalty, a patience in epochs, or
    a factor for the number of examples)."""
    s = strength[remedy]
    if remedy == "l2":
        return base.replace(train={"l2": float(s)})
    if remedy == "l1":
        return base.replace(train={"l1": float(s)})
    if remedy == "dropout":
        return base.replace(model={"dropout": float(s)})
    if remedy == "early_stopping":
        return base.replace(train={"patience": int(s)})
    if remedy == "more_data":
        return base.replace(data={"n_samples": int(base.data.n_samples * s)})
    raise ValueError(f"unknown remedy {remedy!r}; use one of {', '.join(REMEDIES)}")


def remedy_group(base: RunConfig, remedies: Sequence[str],
                 strength: Mapping[str, float]) -> tuple[list[RunConfig], list[str]]:
    """The baseline first, then one variant per remedy, labelled with its strength."""
    configs, labels = [base], ["baseline"]
    for r in remedies:
        configs.append(remedy_config(base, r, strength))
        s = strength[r]
        amount = f"x{s:g}" if r == "more_data" else count(s, "epoch") if r == "early_stopping" else f"{s:g}"
        labels.append(f"{REMEDY_LABELS[r]} {amount}")
    return configs, labels


def final_losses(run: Mapping[str, Any]) -> tuple[float | None, float | None]:
    """(train, validation) loss of a run's last epoch so far: one point each of the capacity and data-size
    curves (it moves while the group trains)."""
    hist = run.get("history") or {}

    def last(key: str) -> float | None:
        values = [v for v in hist.get(key) or [] if v is not None]
        return values[-1] if values else None

    return last("train_loss"), last("val_loss")


def sweep_points(runs: Sequence[Mapping[str, Any]]) -> tuple[list[float | None], list[float | None]]:
    """Each run's final train and validation loss, in run order: the points of the U-shaped curve."""
    ends = [final_losses(r) for r in runs]
    return [e[0] for e in ends], [e[1] for e in ends]


def best_index(values: Sequence[float | None]) -> int | None:
    """Where the validation curve is lowest (the bottom of the U); None before any run has a value."""
    known = [(v, i) for i, v in enumerate(values) if v is not None]
    return min(known)[1] if known else None


def _val_losses(run: Mapping[str, Any]) -> list[float | None]:
    return list((run.get("history") or {}).get("val_loss") or [])


def remedy_verdict(baseline: Mapping[str, Any], remedy: Mapping[str, Any]) -> str:
    """What one remedy's validation curve did against the baseline's in this run, epoch by epoch: the page's
    sentence under the remedies chart. A fixed "each dashed curve stays below the baseline's" overstated dropout,
    whose validation loss sits above the baseline's for the first dozens of epochs at 0.6 (the net learns slower
    while it is thinned) and only drops below once the baseline starts to memorize; this says what the curves show.

    `baseline` and `remedy` are group-snapshot runs ({"label", "history", "best_epoch", "reason", ...})."""
    label = f"**{remedy.get('label', 'remedy')}**"
    base, mine = _val_losses(baseline), _val_losses(remedy)
    pairs = [(e + 1, m, b) for e, (m, b) in enumerate(zip(mine, base, strict=False)) if m is not None and b is not None]
    if not pairs:
        return f"{label}: no validation loss to compare yet."
    last, m_end, b_end = pairs[-1]
    known_base = [(v, e + 1) for e, v in enumerate(base) if v is not None]
    if remedy.get("status") == "early_stopped":  # it keeps its best weights: judge those, not its last epoch
        best = int(remedy.get("best_epoch") or min((v, e + 1) for e, v in enumerate(mine) if v is not None)[1])
        kept = mine[best - 1] if 0 < best <= len(mine) and mine[best - 1] is not None else m_end
        b_final, b_last = known_base[-1]
        better = "lower than" if kept < b_final else "not lower than"
        return (f"{label}: stopped at epoch {len(mine)} and kept the weights of epoch {best}, validation loss "
                f"{kept:.3g}: {better} the baseline's {b_final:.3g} at its last epoch ({b_last}).")
    above = [e for e, m, b in pairs if m >= b]
    at_end = f"at epoch {last}: {m_end:.3g} against the baseline's {b_end:.3g}"
    if not above:
        return f"{label}: its validation loss stays below the baseline's at every epoch ({at_end})."
    if m_end >= b_end:
        below = len(pairs) - len(above)
        return (f"{label}: its validation loss ends at or above the baseline's ({at_end}); it was below at {below} of "
                f"{count(len(pairs), 'epoch')}. At this strength it does not help on this run.")
    turn = above[-1]
    first = f"the first {count(turn, 'epoch')}"
    where = f"for {first}" if len(above) == turn else f"at {len(above)} of {first}"
    return (f"{label}: its validation loss is at or above the baseline's {where}, and below it at every epoch from "
            f"epoch {turn + 1} on ({at_end}).")
