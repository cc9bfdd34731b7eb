"""Every problem of a RunConfig at once, as sentences a student can act on."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from nnlib.activations import ACTIVATIONS, widen_factor
from nnlib.config import (
    MAX_HIDDEN_LAYERS,
    MAX_LIVE_EPOCHS,
    MAX_LIVE_MINUTES,
    MAX_PARAMS,
    MAX_WIDTH,
    MAX_WORK,
    RunConfig,
    mlp_layer_sizes,
    mlp_param_count,
    plain_number,
)
from nnlib.data.catalog import DATASETS
from nnlib.losses import LOSSES
from nnlib.models.shapes import ShapeError, cnn_layers, totals
from nnlib.words import count

# What one accepted run may cost on a shared server, from `estimate_cost` (measured against real runs in
# tests/jobs/test_cost_estimate.py). The worker enforces a margin over the estimate while the run goes.
MAX_RUN_CPU_SECONDS = 1800.0  # 30 minutes of one core
MAX_RUN_MEMORY_MB = 2048.0  # on top of a worker's own memory (torch + numba loaded)
WORKER_BASE_MB = 700.0  # a worker after its warm-up (measured ~640 MB)
MIN_MEMORY_CEILING_MB = 2048.0
_RUN_FIXED_MB = 150.0  # a run's own imports and allocator slack
# cost model constants, fitted on this project's runs with one torch thread (see the test for the stated factor)
_EPOCH_OVERHEAD_S = 0.015  # per epoch: history, metrics, callbacks
_STEP_S = 5e-4  # per gradient step: Python, autograd and optimizer bookkeeping (dominates at batch 1)
_MACS_PER_S = 5e10  # dense multiply-add rate of one core
_FAST_EPOCH_OVERHEAD_S, _FAST_STEP_S = 1e-3, 2e-5  # the same for small plain MLPs on the numba fast path
MIN_IMAGES_PER_CLASS = 10  # below this a subset leaves (almost) empty validation/test splits and meaningless metrics


def _bounds(obj: Any, prefix: str) -> list[str]:
    """Range and choice checks driven by the fields' metadata."""
    errs = []
    for f in fields(obj):
        v, m = getattr(obj, f.name), f.metadata
        name = f"{prefix}.{f.name}"
        if "min" in m and isinstance(v, (int, float)) and not isinstance(v, bool):
            if v != v:
                errs.append(f"{name} is not a number")
            elif not m["min"] <= v <= m["max"]:
                errs.append(f"{name} is {v}; use {plain_number(m['min'])} to {plain_number(m['max'])}")
        if "choices" in m:
            opts = list(m["choices"])
            vals = v if isinstance(v, tuple) else (v,)
            for x in vals:
                if x not in opts:
                    errs.append(f"{name}: {x!r} is not one of {', '.join(map(str, opts))}")
    return errs


def _check_cnn(cfg: RunConfig, errs: list[str]) -> int:
    """Validate the CNN spec; returns multiply-adds per example (0 when invalid)."""
    spec = cfg.model.cnn
    assert spec is not None
    if not cfg.is_image:
        errs.append("a CNN needs an image dataset; choose digits, mnist_5k, shapes, ... or remove the CNN spec")
        return 0
    if not 1 <= len(spec.blocks) <= 12:
        errs.append(f"the CNN has {len(spec.blocks)} blocks; use 1 to 12")
    if len(spec.dense) > 4:
        errs.append(f"the CNN has {len(spec.dense)} dense layers after the convolutions; use at most 4")
    for i, b in enumerate(spec.blocks, start=1):
        errs += [e.replace("cnn.block.", f"conv block {i}: ") for e in _bounds(b, "cnn.block")]
        if b.activation and b.activation not in ACTIVATIONS:
            errs.append(f"conv block {i}: unknown activation {b.activation!r}")
        if b.activation == "maxout" or (not b.activation and cfg.model.activation == "maxout"):
            errs.append(f"conv block {i}: maxout is only available in dense layers; pick another activation")
    for j, w in enumerate(spec.dense, start=1):
        if not 1 <= w <= 4096:
            errs.append(f"dense layer {j} after the convolutions has {w} neurons; use 1 to 4096")
    errs += _bounds(spec, "model.cnn")
    if errs:
        return 0
    try:
        layers = cnn_layers(spec, cfg.dataset_info["shape"], _outputs(cfg), widen_factor(cfg.model.activation),
                            activation=cfg.model.activation)
    except ShapeError as e:
        errs.append(str(e))
        return 0
    params, macs = totals(layers)
    if params > MAX_PARAMS:
        errs.append(f"the CNN has {params:,} parameters; the limit on a shared server is {MAX_PARAMS:,}")
    return macs


def _outputs(cfg: RunConfig) -> int:
    return cfg.n_classes if cfg.loss == "cross_entropy" else 1


def problems(cfg: RunConfig) -> list[str]:
    errs: list[str] = []
    d, m, t = cfg.data, cfg.model, cfg.train
    errs += _bounds(d, "data") + _bounds(m, "model") + _bounds(t, "train")
    if d.dataset not in DATASETS:
        return errs
    info = cfg.dataset_info
    if d.train_frac + d.val_frac > 0.95:
        errs.append(f"train ({d.train_frac:g}) + validation ({d.val_frac:g}) fractions leave less than 5% for the "
                    "test set; lower one of them")
    if info["kind"] == "toy2d":
        if not d.features:
            errs.append("pick at least one input feature")
        if len(set(d.features)) != len(d.features):
            errs.append("an input feature is listed twice")
        if d.augment:
            errs.append("augmentation only applies to image datasets")
        if 0 < d.n_samples < 20:
            errs.append(f"data.n_samples is {d.n_samples}; a 2D problem needs at least 20 points")
    elif d.features != ("x1", "x2") and info["kind"] == "image":
        errs.append("input features x1, x2, ... only apply to 2D datasets")
    if info["kind"] == "image" and 0 < d.n_samples < MIN_IMAGES_PER_CLASS * cfg.n_classes:
        errs.append(f"{count(d.n_samples, 'image')} are too few for {cfg.n_classes} classes: the validation and test "
                    f"splits would hold a handful at most; use at least {MIN_IMAGES_PER_CLASS * cfg.n_classes} images "
                    "(or 0 for all)")
    if info["kind"] == "csv":
        from nnlib.data.errors import DataError
        from nnlib.data.tabular import csv_summary, upload_path

        try:
            upload_path(d.csv_path)
        except DataError as e:
            errs.append(str(e))
        else:
            try:
                csv_summary(d.csv_path)
            except DataError as e:
                errs.append(f"the CSV file cannot be used: {e}")
    if info["kind"] == "image" and "flip" in d.augment and d.dataset in ("digits", "mnist_5k", "mnist", "kmnist"):
        errs.append("horizontal flips change what a digit or character means; drop 'flip' for this dataset")
    if len(m.hidden) > MAX_HIDDEN_LAYERS:
        errs.append(f"{len(m.hidden)} hidden layers; use at most {MAX_HIDDEN_LAYERS}")
    for i, w in enumerate(m.hidden, start=1):
        if not 1 <= w <= MAX_WIDTH:
            errs.append(f"hidden layer {i} has {w} neurons; use 1 to {MAX_WIDTH}")
    if m.layer_activations and len(m.layer_activations) != len(m.hidden):
        errs.append(f"{len(m.layer_activations)} per-layer activations for {len(m.hidden)} hidden layers; give one "
                    "per layer or none")
    for i, a in enumerate(m.layer_activations, start=1):
        if a and a not in ACTIVATIONS:
            errs.append(f"hidden layer {i}: unknown activation {a!r}; choose one of {', '.join(ACTIVATIONS)}")
    loss = cfg.loss
    if loss in LOSSES and cfg.problem not in LOSSES[loss].params["problems"]:
        fits = [n for n, e in LOSSES.items() if cfg.problem in e.params["problems"]]
        errs.append(f"the {loss} loss does not fit a {cfg.problem} problem; use {' or '.join(fits)}")
    if t.patience and d.val_frac == 0:
        errs.append("early stopping watches the validation loss: set a validation fraction above 0")
    if t.schedule == "plateau" and d.val_frac == 0:
        errs.append("the plateau schedule watches the validation loss: set a validation fraction above 0")
    if errs:
        return errs
    n_train = _n_train(cfg)
    if m.cnn is not None:
        macs = _check_cnn(cfg, errs)
    else:
        params = macs = _mlp_macs(cfg)
        if params > MAX_PARAMS:
            errs.append(f"the network has {params:,} parameters; the limit on a shared server is {MAX_PARAMS:,}")
    cost = estimate_cost(cfg) if not errs else None
    if cost and cost.cpu_seconds > MAX_RUN_CPU_SECONDS:
        errs.append(f"this run would need about {cost.cpu_seconds / 60:,.0f} minutes of CPU time "
                    f"({count(t.epochs, 'epoch')} of {count(-(-n_train // t.batch_size), 'step')}); the limit on "
                    f"a shared server is {MAX_RUN_CPU_SECONDS / 60:.0f}: use fewer epochs, a bigger batch, a subset "
                    "(data.n_samples) or a smaller model")
    if cost and cost.memory_mb - WORKER_BASE_MB > MAX_RUN_MEMORY_MB:
        errs.append(f"this run would need about {cost.memory_mb - WORKER_BASE_MB:,.0f} MB of memory; the limit on a "
                    f"shared server is {MAX_RUN_MEMORY_MB:,.0f} MB: use a smaller batch or a smaller model")
    work = 3 * macs * n_train * t.epochs
    if macs and work > MAX_WORK:  # (a run "until I pause" goes on past `epochs` only as far as run_epochs allows)
        errs.append(f"this run needs about {work:.1e} multiply-adds ({count(t.epochs, 'epoch')} x "
                    f"{count(n_train, 'example')}); the limit is {MAX_WORK:.0e}: use fewer epochs, a subset "
                    "(data.n_samples) or a smaller model")
    return errs


def _n_train(cfg: RunConfig) -> int:
    n = cfg.data.n_samples or cfg.dataset_info["n"] or 1000
    return max(1, int(n * cfg.data.train_frac))


def _n_inputs(cfg: RunConfig) -> int:
    shape = cfg.dataset_info.get("shape")
    csv = cfg.csv_summary
    n_in = (shape[0] * shape[1] * shape[2]) if shape else len(cfg.data.features)
    if csv and csv["n_features"] != 2:
        n_in = csv["n_features"]
    return n_in


def _mlp_macs(cfg: RunConfig) -> int:
    """Multiply-adds of one MLP forward pass per example (= its parameter count)."""
    return mlp_param_count(cfg, _n_inputs(cfg))


def run_epochs(cfg: RunConfig) -> int:
    """How many epochs a job may train: `epochs`, or for a run "until I pause" the server's cap -- MAX_LIVE_EPOCHS,
    fewer if the network and data would exceed MAX_WORK (the same budget a finite run is validated against)."""
    if not cfg.open_ended:
        return cfg.train.epochs
    per_epoch = 3 * _mlp_macs(cfg) * _n_train(cfg)
    return max(1, min(MAX_LIVE_EPOCHS, int(MAX_WORK // max(1, per_epoch))))


def run_plan(cfg: RunConfig, class_limit: bool = False) -> dict[str, Any]:
    """What a job announces before its first snapshot (the status line's "Epoch 0 / 40" while it is queued or
    loading), and whose limit ends a run "until I pause": the server's (run_epochs), or with `class_limit` the
    class's (nnlib.classroom.admission.within_class_epochs turned the student's open-ended run into a bounded one)."""
    open_ended = cfg.open_ended or class_limit
    return {"epochs": run_epochs(cfg), "until_paused": open_ended,
            "limit": ("class" if class_limit else "server") if open_ended else None, "preparing": preparing(cfg)}


def preparing(cfg: RunConfig) -> str:
    """What the worker does before the run's first snapshot, in the status line's words (ui.status_line): a fresh
    worker's first CNN run loaded PyTorch and its images for ~6-9 s under "Epoch 0 / 8", as if stuck."""
    if cfg.data.dataset == "csv":
        return "Preparing: loading your CSV data…"
    if cfg.is_image:
        return f"Preparing: loading PyTorch and the {cfg.data.dataset} images…"
    return f"Preparing: loading the {cfg.data.dataset} data…"


def limit_reason(plan: dict[str, Any]) -> str:
    """Why a run "until I pause" ended at its horizon: the limit, never "all N epochs done", which read as if the
    student had asked for N epochs."""
    whose = "your class's" if plan.get("limit") == "class" else "the server's"
    return (f"stopped at {whose} limit of {count(plan['epochs'], 'epoch')} (Until I pause runs until you pause, up to "
            "that limit)")


@dataclass(frozen=True)
class RunCost:
    """Estimated cost of one run before it starts (one torch thread), and the ceilings its job is held to."""

    cpu_seconds: float  # training, excluding snapshots
    memory_mb: float  # peak resident memory of the worker, its own WORKER_BASE_MB included
    open_ended: bool

    @property
    def cpu_budget(self) -> float:
        """CPU-seconds the job may use: a margin over the estimate, plus snapshot building (an open-ended run is
        ended by its training clock; the budget only catches a run that does not stop)."""
        if self.open_ended:
            return 1.5 * 60 * MAX_LIVE_MINUTES + 120.0
        return 4.0 * self.cpu_seconds + 120.0

    @property
    def memory_ceiling_mb(self) -> float:
        """Resident memory the job's worker may reach: 3x the run's estimate over the worker's own, and never
        below MIN_MEMORY_CEILING_MB (a reused worker may start a job with up to half the server's default ceiling
        resident, left over from earlier jobs, before the manager replaces it)."""
        return max(MIN_MEMORY_CEILING_MB, WORKER_BASE_MB + 3.0 * (self.memory_mb - WORKER_BASE_MB) + 256.0)


def estimate_cost(cfg: RunConfig) -> RunCost:
    """CPU-seconds and peak memory of a run from its config alone: per epoch, a fixed overhead, a cost per
    gradient step and the multiply-adds (3 x forward for a training step, 1 x for evaluating the other splits);
    memory = the worker + data + 4 copies of the parameters (weights, grads, two optimizer moments) + a batch's
    activations (kept for the backward pass, their gradients, temporaries). Assumes a config that passed the
    other checks."""
    n_total = cfg.data.n_samples or cfg.dataset_info["n"] or 1000
    n_train = _n_train(cfg)
    shape = cfg.dataset_info.get("shape")
    n_in = _n_inputs(cfg)
    if cfg.model.cnn is not None:
        layers = cnn_layers(cfg.model.cnn, shape, _outputs(cfg), widen_factor(cfg.model.activation),
                            activation=cfg.model.activation)
        params, macs = totals(layers)
        act_elems = sum(_prod(li.out_shape) for li in layers)
    else:
        params = macs = _mlp_macs(cfg)
        act_elems = 3 * sum(mlp_layer_sizes(cfg, n_in)[1:])  # pre-activation, activation, dropout mask
    epochs = run_epochs(cfg)
    steps = -(-n_train // cfg.train.batch_size)
    overhead, step_s = (_FAST_EPOCH_OVERHEAD_S, _FAST_STEP_S) if _likely_fast_path(cfg, n_in) else \
        (_EPOCH_OVERHEAD_S, _STEP_S)
    per_epoch = overhead + steps * step_s + (3 * n_train + (n_total - n_train)) * macs / _MACS_PER_S
    cpu = epochs * per_epoch
    if cfg.open_ended:
        cpu = min(cpu, 60.0 * MAX_LIVE_MINUTES)
    batch = min(cfg.train.batch_size, n_train)
    run_bytes = 3 * n_total * n_in * 4 + 4 * params * 4 + 3 * batch * act_elems * 4
    return RunCost(cpu_seconds=cpu, memory_mb=WORKER_BASE_MB + _RUN_FIXED_MB + run_bytes / 2**20,
                   open_ended=cfg.open_ended)


def _likely_fast_path(cfg: RunConfig, n_in: int) -> bool:
    """Whether the Trainer will probably take the numba fast path (its exact test needs the built model; this is
    the config-level approximation of nnlib.train.fast_mlp.worthwhile and the kernel's layer types)."""
    m = cfg.model
    if cfg.is_image or m.cnn is not None or m.dropout or m.norm != "none":
        return False
    if {m.activation, *m.layer_activations} & {"prelu", "maxout"}:
        return False
    sizes = mlp_layer_sizes(cfg, n_in)
    return cfg.train.batch_size * sum(a * b for a, b in zip(sizes[:-1], sizes[1:])) <= 2_000_000


def _prod(shape: tuple[int, ...]) -> int:
    out = 1
    for d in shape:
        out *= d
    return out
