"""Autograd costs ~500 us per step, which dominates TF-Playground-sized nets: this trains them in one compiled
epoch (`fast_kernel`) with hand-derived gradients and the same float32 maths as the torch path (nn.Linear, losses,
torch.optim). Which models it may take is decided here, from the built torch modules themselves, so the kernel can
never train a different network than the one the student configured."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from nnlib.train.fast_eval import split_logs
from nnlib.train.fast_kernel import (
    _ALPHA,
    _BETA1,
    _BETA2,
    _BS,
    _EPS_I,
    _L1,
    _L2,
    _LOSS,
    _LR,
    _MOMENTUM,
    _NB,
    _OPT,
    _OUT_LOSS,
    _OUT_PEN,
    _STEP,
    _WD,
    ACTIVATIONS,
    HAVE_NUMBA,
    LOSSES,
    OPTIMIZERS,
)

if HAVE_NUMBA:
    from nnlib.train import fast_eval
    from nnlib.train.fast_kernel import _epoch
    from nnlib.train.lean_numba import skip_blas_probe

    # before any kernel loads (the first call does): spares the cold start scipy.linalg. Here, not in the kernels'
    # own files, whose every edit makes numba recompile them (a minute on a loaded 2-core box)
    skip_blas_probe()

if TYPE_CHECKING:
    from torch import nn

__all__ = ["ACTIVATIONS", "HAVE_NUMBA", "LOSSES", "OPTIMIZERS", "EvalSet", "FastMLP", "kernel_activations",
           "split_logs", "supports", "warmup", "worthwhile"]


def supports(activations: str | Sequence[str], optimizer: str, loss: str) -> bool:
    """Whether the fast path can train this combination exactly like the torch path (else: use autograd)."""
    names = [activations] if isinstance(activations, str) else list(activations)
    return HAVE_NUMBA and all(a in ACTIVATIONS for a in names) and optimizer in OPTIMIZERS and loss in LOSSES


def worthwhile(sizes: list[int], batch_size: int) -> bool:
    """Whether the fast path should beat 1-thread autograd here: yes until a batch needs ~2M multiply-adds
    (measured: 2-128-128-1 at batch 64 is still 1.3x faster, 2-256-256-1 at batch 64 is 0.6x)."""
    return batch_size * sum(a * b for a, b in zip(sizes[:-1], sizes[1:])) <= 2_000_000


def _kernel_activation(module: nn.Module) -> str | None:
    """The kernel's name for this torch activation module, or None when the kernel computes something else
    (another type, a subclass, or other constants than the ones `fast_kernel._act` hard-codes)."""
    from torch import nn

    exact = {nn.Identity: "linear", nn.ReLU: "relu", nn.SELU: "selu", nn.SiLU: "silu", nn.Tanh: "tanh",
             nn.Sigmoid: "sigmoid", nn.Hardsigmoid: "hard_sigmoid", nn.Softsign: "softsign"}
    kind = type(module)
    if kind in exact:
        return exact[kind]
    if kind is nn.LeakyReLU and module.negative_slope == 0.01:
        return "leaky_relu"
    if kind is nn.ELU and module.alpha == 1.0:
        return "elu"
    if kind is nn.GELU and module.approximate == "none":
        return "gelu"
    if kind is nn.Softplus and module.beta == 1.0 and module.threshold == 20.0:
        return "softplus"
    return None


def kernel_activations(mlp: nn.Module) -> list[str] | None:
    """The activation after each hidden layer, read from the built MLP's modules (not from the config), or None
    when some layer is anything but Linear -> activation the kernel reproduces (batch norm, dropout, PReLU,
    maxout, a Linear without bias...)."""
    from torch import nn

    from nnlib.models.mlp import MLP, HiddenLayer

    if type(mlp) is not MLP or type(mlp.out) is not nn.Linear or mlp.out.bias is None:
        return None
    names = []
    for layer in mlp.hidden:
        if (type(layer) is not HiddenLayer or type(layer.linear) is not nn.Linear or layer.linear.bias is None
                or type(layer.norm) is not nn.Identity or type(layer.drop) is not nn.Identity):
            return None
        name = _kernel_activation(layer.act)
        if name is None:
            return None
        names.append(name)
    return names


# the torch.optim keyword arguments each optimizer's kernel code reads; any other argument changes the maths
_HYPER_KEYS = {"sgd": (), "momentum": ("momentum",), "nesterov": ("momentum",), "adagrad": ("eps",),
               "rmsprop": ("alpha", "eps"), "adam": ("betas", "eps"), "adamw": ("betas", "eps", "weight_decay")}


def _hyper_slots(optimizer: str, hyper: dict[str, Any], l1: float, l2: float) -> np.ndarray:
    """The kernel's float64 hyper-parameter array from torch.optim keyword arguments; refuses missing ones and
    ones the kernel does not implement (amsgrad, dampening, centered...), rather than training something else."""
    needed = ("lr", *_HYPER_KEYS[optimizer])
    missing = [k for k in needed if k not in hyper]
    unknown = [k for k in hyper if k not in needed and not (k == "nesterov" and optimizer == "nesterov")]
    if missing or unknown:
        raise ValueError(f"fast path, {optimizer}: missing hyper-parameters {missing}, unsupported {unknown}")
    hp = np.zeros(11, np.float64)
    hp[_LR] = hyper["lr"]
    hp[_MOMENTUM] = hyper.get("momentum", 0.0)
    hp[_BETA1], hp[_BETA2] = hyper.get("betas", (0.0, 0.0))
    hp[_EPS_I] = hyper.get("eps", 0.0)
    hp[_ALPHA] = hyper.get("alpha", 0.0)
    hp[_WD] = hyper.get("weight_decay", 0.0)
    hp[_L1], hp[_L2] = l1, l2
    return hp


def _plain(a: np.ndarray, dtype: type) -> np.ndarray:
    """C-contiguous, writeable, of dtype (copying only if needed): any other array type would make numba
    compile another specialization of the kernel, seconds of latency."""
    a = np.ascontiguousarray(a, dtype=dtype)
    return a if a.flags.writeable else a.copy()


@dataclass
class EvalSet:
    """Splits prepared once for the per-epoch evaluation kernel, stacked so one forward pass covers them all:
    inputs, targets as the kernel reads them, each split's rows (bounds), and the buffers the kernels fill."""

    names: list[str]
    x: np.ndarray
    yf: np.ndarray
    yi: np.ndarray
    bounds: np.ndarray
    want_loss: np.ndarray
    za: np.ndarray
    res: np.ndarray
    out: np.ndarray  # the net's outputs in `za` (a view made once: the metrics kernel reads it every epoch)
    loss: int  # the loss's index in fast_kernel.LOSSES


class FastMLP:
    """Trains a Linear/activation stack in place through numpy views of its torch parameters.

    Same update as the torch path (nn.Sequential + loss + penalty + torch.optim) in float32, deterministic,
    with no autograd or tensor dispatch per step, which is what dominates for TF-Playground-sized nets.
    """

    def __init__(self, weights: list[np.ndarray], biases: list[np.ndarray], activations: str | Sequence[str],
                 loss: str, optimizer: str, hyper: dict[str, Any], l1: float = 0.0, l2: float = 0.0) -> None:
        """`activations`: one name per hidden layer (or one for all); `hyper`: the torch.optim keyword arguments
        of `optimizer` as `nnlib.optimizers.optimizer_settings` gives them (lr, momentum, betas, eps, ...)."""
        if not supports(activations, optimizer, loss):
            raise ValueError(f"fast path cannot train activations={activations!r} optimizer={optimizer!r} "
                             f"loss={loss!r}{'' if HAVE_NUMBA else ' (numba is not installed)'}")
        if not weights or len(weights) != len(biases):
            raise ValueError("need one bias per weight matrix and at least one layer")
        acts = [activations] * (len(weights) - 1) if isinstance(activations, str) else list(activations)
        if len(acts) != len(weights) - 1:
            raise ValueError(f"need one activation per hidden layer ({len(weights) - 1}), got {len(acts)}")
        dims = [int(weights[0].shape[1])] + [int(w.shape[0]) for w in weights]
        params: list[np.ndarray] = []
        for i, (w, b) in enumerate(zip(weights, biases)):
            if w.shape != (dims[i + 1], dims[i]) or b.shape != (dims[i + 1],):
                raise ValueError(f"layer {i}: weight {w.shape} / bias {b.shape} do not chain with {dims}")
            for p in (w, b):
                if p.dtype != np.float32 or not p.flags.c_contiguous or not p.flags.writeable:
                    raise ValueError("parameters must be writeable C-contiguous float32 arrays (torch views)")
            params += [w, b]
        self._params = params  # keeps the parameter memory alive: the kernel writes through raw addresses
        self._addrs = np.array([p.ctypes.data for p in params], dtype=np.int64)
        self._dims = np.array(dims, dtype=np.int64)
        self._poff = np.concatenate([[0], np.cumsum([p.size for p in params])]).astype(np.int64)
        self._state = np.zeros((3, int(self._poff[-1])), np.float32)  # gradient, optimizer state 1 and 2
        self._wt = np.zeros(max(w.size for w in weights), np.float32)
        self._acts = np.array([ACTIVATIONS.index(a) for a in acts], dtype=np.int64)
        self._ctl = np.zeros(5, np.int64)
        self._ctl[_LOSS] = LOSSES.index(loss)
        self._ctl[_OPT] = OPTIMIZERS.index(optimizer)
        self._hp = _hyper_slots(optimizer, hyper, l1, l2)
        self._scratch: tuple[np.ndarray, np.ndarray] | None = None
        self._data: tuple[Any, Any, tuple[np.ndarray, np.ndarray, np.ndarray]] | None = None
        self._stats_out = np.zeros(len(self._params) + 1, np.float64)  # weight_stats' buffer
        self._no_int = np.zeros(0, np.int64)
        self._no_float = np.zeros((0, dims[-1]), np.float32)

    @property
    def lr(self) -> float:
        return float(self._hp[_LR])

    def set_lr(self, lr: float) -> None:
        """The Trainer sets each epoch's rate from the schedule (`nnlib.schedules.lr_at`); optimizer state is
        kept, as when a torch scheduler changes a param group's lr."""
        self._hp[_LR] = lr

    @property
    def weights(self) -> list[np.ndarray]:
        """The weight matrices (no biases) as numpy views of the torch parameters the kernel trains."""
        return self._params[0::2]

    @property
    def layers(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """(weight, bias) of every layer, the arrays the kernel trains in place (views of the torch parameters)."""
        return list(zip(self._params[0::2], self._params[1::2]))

    @property
    def dims(self) -> list[int]:
        """Units per layer, inputs first: [inputs, hidden..., outputs]."""
        return self._dims.tolist()

    @property
    def steps(self) -> int:
        """Optimizer steps taken so far (torch's state['step'])."""
        return int(self._ctl[_STEP])

    def _buffers(self, batch_size: int) -> tuple[np.ndarray, np.ndarray]:
        """Activation and delta scratch for one batch, reused across epochs while the batch size stays."""
        if self._scratch is None or self._scratch[1].shape[1] != batch_size:
            width = int(self._dims.max())
            self._scratch = (np.zeros((2, len(self._dims), batch_size, width), np.float32),
                             np.zeros((2, batch_size, width), np.float32))
        return self._scratch

    def train_epoch(self, x: np.ndarray, y: np.ndarray, order: np.ndarray,
                    batch_size: int) -> tuple[float, float]:
        """One epoch over x[order] in mini-batches; returns (mean batch data loss, mean batch penalty)."""
        x, yf, yi = self._checked_data(x, y)
        order = _plain(order, np.int64)
        if batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        bs = min(int(batch_size), max(1, len(order)))
        self._ctl[_BS] = bs
        za, dd = self._buffers(bs)
        _epoch(self._addrs, self._dims, self._acts, self._poff, x, yf, yi, order, self._hp, self._ctl, self._state, za,
               dd, self._wt)
        n_batches = int(self._ctl[_NB])
        if n_batches < 0:
            raise IndexError("order holds an index outside x, or y holds a class id outside the outputs")
        n = max(1, n_batches)
        return float(self._hp[_OUT_LOSS]) / n, float(self._hp[_OUT_PEN]) / n

    def _checked_data(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """x, y as the kernel reads them, checked; remembered for the arrays last seen (the Trainer passes the
        same training set every epoch, and these checks cost about as much as a small net's epoch)."""
        if self._data is not None and self._data[0] is x and self._data[1] is y:
            return self._data[2]
        xk = _plain(x, np.float32)
        if xk.ndim != 2 or xk.shape[1] != self._dims[0]:
            raise ValueError(f"x must be [n, {self._dims[0]}], got {xk.shape}")
        if self._ctl[_LOSS] == 4:
            yi, yf = _plain(y, np.int64).reshape(-1), self._no_float
            n_y = len(yi)
        else:
            yf, yi = _plain(y, np.float32).reshape(len(y), -1), self._no_int
            n_y = len(yf)
            if yf.shape[1] != self._dims[-1]:
                raise ValueError(f"y must have {self._dims[-1]} column(s), got {yf.shape}")
        if n_y != len(xk):
            raise ValueError(f"x has {len(xk)} rows but y has {n_y}")
        yk = yi if self._ctl[_LOSS] == 4 else yf
        if xk is not x or not (yk is y or yk.base is y):  # converted copies: the caller's arrays may still change
            return xk, yf, yi
        self._data = (x, y, (xk, yf, yi))  # holding x and y keeps their ids from being reused
        return xk, yf, yi

    def grad_norms(self) -> list[float]:
        """L2 norm of each weight matrix's gradient (data + penalty) at the last step, like w.grad.norm()."""
        return self.norms()[1]

    def norms(self) -> tuple[list[float], list[float]]:
        """(L2 norm of each weight matrix, of its gradient at the last step), in one compiled pass."""
        weights, grads, _ = self.weight_stats()
        return weights, grads

    def weight_stats(self) -> tuple[list[float], list[float], int]:
        """(weight norms, gradient norms, weights exactly 0) of the weight matrices, in one compiled pass."""
        out = self._stats_out  # reused: the kernel writes every slot
        fast_eval.norms(self._addrs, self._poff, self._state[0], out)
        half = len(self._params) // 2
        return out[:half].tolist(), out[half:2 * half].tolist(), int(out[-1])

    def layer_outputs(self, x: np.ndarray) -> np.ndarray:
        """Every layer's output for the rows of x, unit-major [layers + 1, widest layer, rows]: [0] the inputs, [-1]
        the net's output (logits or values), the rest the hidden activations (the live view's neuron maps)."""
        x = _plain(x, np.float32)
        if x.ndim != 2 or x.shape[1] != self._dims[0]:
            raise ValueError(f"x must be [n, {self._dims[0]}], got {x.shape}")
        za = np.zeros((len(self._dims), int(self._dims.max()), len(x)), np.float32)
        fast_eval.forward(self._addrs, self._dims, self._acts, x, za)
        return za

    def eval_set(self, splits: dict[str, tuple[np.ndarray, np.ndarray]]) -> EvalSet:
        """Prepare named (x, y) splits for `evaluate` (y: class ids for cross entropy, else values). A split
        named "train" gets no loss, as in `Trainer.evaluate`."""
        names = list(splits)
        xs = [_plain(x, np.float32).reshape(len(x), -1) for x, _ in splits.values()]
        x = _plain(np.concatenate(xs), np.float32) if xs else np.zeros((0, int(self._dims[0])), np.float32)
        if x.shape[1] != self._dims[0]:
            raise ValueError(f"x must be [n, {self._dims[0]}], got {x.shape}")
        ys = [np.asarray(y) for _, y in splits.values()]
        if self._ctl[_LOSS] == 4:
            yi, yf = _plain(np.concatenate([y.reshape(-1) for y in ys]), np.int64), self._no_float
            if len(yi) and (yi.min() < 0 or yi.max() >= self._dims[-1]):
                raise ValueError("y holds a class id outside the outputs")
        else:
            yf = _plain(np.concatenate([y.reshape(len(y), -1) for y in ys]), np.float32)
            yi = self._no_int
            if yf.shape != (len(x), self._dims[-1]):
                raise ValueError(f"y must be [{len(x)}, {self._dims[-1]}], got {yf.shape}")
        bounds = np.concatenate([[0], np.cumsum([len(v) for v in xs])]).astype(np.int64)
        za = np.zeros((len(self._dims), int(self._dims.max()), len(x)), np.float32)
        want_loss = np.array([name != "train" for name in names], np.int64)  # see fast_eval.metrics
        return EvalSet(names, x, yf, yi, bounds, want_loss, za, np.zeros((len(names), 7), np.float64),
                       za[-1, :self._dims[-1]], int(self._ctl[_LOSS]))

    def evaluate(self, prepared: EvalSet) -> np.ndarray:
        """One forward pass over every prepared split and their metric sums, [splits, 7] (see
        `fast_eval.split_logs` for the log entries)."""
        fast_eval.forward(self._addrs, self._dims, self._acts, prepared.x, prepared.za)
        fast_eval.metrics(prepared.out, prepared.yf, prepared.yi, prepared.loss, prepared.bounds, prepared.want_loss,
                          prepared.res)
        return prepared.res


def warmup() -> float:
    """Compile (or load from numba's on-disk cache) the epoch kernel; returns the seconds it took.

    A worker calls this at start so the user's first Train click does not wait for the compiler.
    """
    start = time.perf_counter()
    if HAVE_NUMBA:
        w = [np.zeros((2, 2), np.float32), np.zeros((1, 2), np.float32)]
        b = [np.zeros(2, np.float32), np.zeros(1, np.float32)]
        fast = FastMLP(w, b, "tanh", "mse", "sgd", {"lr": 0.0})
        x, y = np.zeros((2, 2), np.float32), np.zeros((2, 1), np.float32)
        fast.train_epoch(x, y, np.arange(2), 2)
        fast.evaluate(fast.eval_set({"train": (x, y)}))
        fast.norms()
        from nnlib.train.batch_order import BatchOrder

        BatchOrder(0).permutation(2)
    return time.perf_counter() - start
