"""The fast path must train exactly like the autograd path: checked against a plain torch reference loop written
here by hand (torch.optim with its own defaults, AdamW decaying only weight matrices, L1's clamp at a sign flip)."""

from __future__ import annotations

import copy
import itertools

import numpy as np
import pytest
import torch
from torch import nn

from nnlib.config import TrainConfig
from nnlib.optimizers import optimizer_settings
from nnlib.train import fast_mlp
from nnlib.train.fast_mlp import ACTIVATIONS, LOSSES, OPTIMIZERS, FastMLP, supports

TORCH_ACT = {
    "linear": nn.Identity, "relu": nn.ReLU, "leaky_relu": lambda: nn.LeakyReLU(0.01), "elu": nn.ELU,
    "selu": nn.SELU, "gelu": nn.GELU, "silu": nn.SiLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid,
    "hard_sigmoid": nn.Hardsigmoid, "softplus": nn.Softplus, "softsign": nn.Softsign,
}
TORCH_LOSS = {"mse": nn.MSELoss, "l1": nn.L1Loss, "huber": nn.SmoothL1Loss, "bce": nn.BCEWithLogitsLoss,
              "cross_entropy": nn.CrossEntropyLoss}
LR = {"sgd": 0.1, "momentum": 0.05, "nesterov": 0.05, "adagrad": 0.05, "rmsprop": 0.005, "adam": 0.01,
      "adamw": 0.01}


def torch_optimizer(name: str, model: nn.Sequential, opt: dict) -> torch.optim.Optimizer:
    lr = opt["lr"]
    params = model.parameters()
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr)
    if name in ("momentum", "nesterov"):
        return torch.optim.SGD(params, lr=lr, momentum=opt.get("momentum", 0.9), nesterov=name == "nesterov")
    if name == "adagrad":
        return torch.optim.Adagrad(params, lr=lr)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr)
    betas = (opt.get("beta1", 0.9), opt.get("beta2", 0.999))
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, betas=betas)
    weights = [m.weight for m in linears(model)]
    biases = [m.bias for m in linears(model)]
    return torch.optim.AdamW([{"params": weights}, {"params": biases, "weight_decay": 0.0}], lr=lr, betas=betas,
                             weight_decay=opt.get("weight_decay", 0.01))


def kernel_hyper(optimizer: str, opt: dict) -> dict:
    """The kernel's torch-style keyword arguments, from the optimizer table as the Trainer gets them."""
    return optimizer_settings(TrainConfig(optimizer=optimizer, **opt))[1]


def make_model(sizes: list[int], activation: str, seed: int) -> nn.Sequential:
    torch.manual_seed(seed)
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(itertools.pairwise(sizes)):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(TORCH_ACT[activation]())
    return nn.Sequential(*layers)


def make_data(loss: str, n: int, n_in: int, n_out: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, n_in)).astype(np.float32)
    if loss == "cross_entropy":
        return x, rng.integers(0, n_out, size=n).astype(np.int64)
    if loss == "bce":
        return x, (x[:, :1] * x[:, 1:2] > 0).astype(np.float32)
    return x, (np.sin(2 * x[:, :1]) + 0.5 * rng.normal(size=(n, 1))).astype(np.float32)


def linears(model: nn.Sequential) -> list[nn.Linear]:
    return [m for m in model if isinstance(m, nn.Linear)]


def reference_epochs(model: nn.Sequential, loss: str, optimizer: str, opt: dict, l1: float, l2: float,
                     x: np.ndarray, y: np.ndarray, orders: list[np.ndarray], bs: int,
                     lrs: list[float] | None = None) -> list[tuple[float, float, list[float]]]:
    """The plain autograd loop the fast path must reproduce: the same batches, loss + penalty, torch.optim."""
    optim = torch_optimizer(optimizer, model, opt)
    loss_fn = TORCH_LOSS[loss]()
    xt = torch.from_numpy(x)
    yt = torch.from_numpy(y)
    weights = [lin.weight for lin in linears(model)]
    logs = []
    for e, order in enumerate(orders):
        if lrs is not None:
            for g in optim.param_groups:
                g["lr"] = lrs[e]
        total_loss, total_pen, n_batches = 0.0, 0.0, 0
        for i in range(0, len(order), bs):
            idx = torch.from_numpy(order[i:i + bs])
            optim.zero_grad()
            data_loss = loss_fn(model(xt[idx]), yt[idx])
            pen = sum(l1 * w.abs().sum() + l2 * 0.5 * (w * w).sum() for w in weights)
            (data_loss + pen).backward()
            before = [w.detach().clone() for w in weights]
            optim.step()
            if l1:  # TF Playground's L1 rule: a weight that crossed 0 stops at exactly 0
                with torch.no_grad():
                    for w, old in zip(weights, before, strict=True):
                        w[((old > 0) & (w < 0)) | ((old < 0) & (w > 0))] = 0.0
            total_loss += float(data_loss.detach())
            total_pen += float(pen.detach())
            n_batches += 1
        logs.append((total_loss / n_batches, total_pen / n_batches, [float(w.grad.norm()) for w in weights]))
    return logs


def fast_epochs(model: nn.Sequential, activation: str, loss: str, optimizer: str, opt: dict, l1: float,
                l2: float, x: np.ndarray, y: np.ndarray, orders: list[np.ndarray], bs: int,
                lrs: list[float] | None = None) -> list[tuple[float, float, list[float]]]:
    lins = linears(model)
    fast = FastMLP([m.weight.detach().numpy() for m in lins], [m.bias.detach().numpy() for m in lins],
                   activation, loss, optimizer, kernel_hyper(optimizer, opt), l1, l2)
    logs = []
    for e, order in enumerate(orders):
        if lrs is not None:
            fast.set_lr(lrs[e])
        data_loss, pen = fast.train_epoch(x, y if loss == "cross_entropy" else y.reshape(-1, 1), order, bs)
        logs.append((data_loss, pen, fast.grad_norms()))
    return logs


def run_pair(activation: str, loss: str, optimizer: str, l1: float, l2: float, epochs: int = 3,
             sizes: tuple[int, ...] = (3, 5, 4), n: int = 64, bs: int = 10, lrs: list[float] | None = None,
             opt_extra: dict | None = None) -> None:
    n_out = 3 if loss == "cross_entropy" else 1
    x, y = make_data(loss, n, sizes[0], n_out)
    y_torch = y if loss == "cross_entropy" else y.reshape(-1, 1)
    opt = {"lr": LR[optimizer], **(opt_extra or {})}
    ref = make_model([*sizes, n_out], activation, seed=1)
    fast = copy.deepcopy(ref)
    init = {k: v.clone() for k, v in ref.state_dict().items()}
    rng = np.random.default_rng(2)
    orders = [rng.permutation(n).astype(np.int64) for _ in range(epochs)]
    ref_logs = reference_epochs(ref, loss, optimizer, opt, l1, l2, x, y_torch, orders, bs, lrs)
    fast_logs = fast_epochs(fast, activation, loss, optimizer, opt, l1, l2, x, y, orders, bs, lrs)
    for (name, p_ref), p_fast in zip(ref.named_parameters(), fast.parameters(), strict=True):
        a, b = p_fast.detach().numpy(), p_ref.detach().numpy()
        assert not np.array_equal(b, init[name].numpy()), f"{name} did not train"
        scale = max(1.0, float(np.abs(b).max()))
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4 * scale, err_msg=name)
    for (ref_loss, ref_pen, ref_gn), (f_loss, f_pen, f_gn) in zip(ref_logs, fast_logs, strict=True):
        assert f_loss == pytest.approx(ref_loss, rel=1e-4, abs=1e-6)
        assert f_pen == pytest.approx(ref_pen, rel=1e-4, abs=1e-7)
        np.testing.assert_allclose(f_gn, ref_gn, rtol=1e-3, atol=1e-5)


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_matches_torch_with_penalty(activation: str, loss: str) -> None:
    """Every optimizer x activation x loss with both penalties on (one test per pair keeps the suite fast)."""
    failures = []
    for optimizer in OPTIMIZERS:
        try:
            run_pair(activation, loss, optimizer, l1=1e-3, l2=1e-2, epochs=2, n=48)
        except AssertionError as exc:
            failures.append(f"{optimizer}: {exc}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize("loss", LOSSES)
def test_matches_torch_without_penalty_deep(loss: str, optimizer: str) -> None:
    run_pair("tanh", loss, optimizer, l1=0.0, l2=0.0, sizes=(2, 8, 8, 8, 8), n=50, bs=7)


@pytest.mark.parametrize("loss", ["mse", "cross_entropy"])
def test_matches_torch_wide_layers(loss: str) -> None:
    """Widths past the SIMD vector length take the vectorized loop bodies."""
    run_pair("relu", loss, "adam", 1e-4, 1e-3, sizes=(37, 70, 33), n=80, bs=16)


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adagrad", "adam", "adamw"])
def test_lr_changes_between_epochs_and_custom_hyperparameters(optimizer: str) -> None:
    extra = {"momentum": 0.5, "beta1": 0.8, "beta2": 0.99, "weight_decay": 0.1}
    run_pair("relu", "mse", optimizer, 0.0, 1e-3, epochs=4, lrs=[0.05, 0.02, 0.01, 0.03], opt_extra=extra)


def test_single_layer_and_full_batch() -> None:
    run_pair("linear", "mse", "sgd", 1e-3, 0.0, sizes=(3,), bs=1000)


def test_deterministic_bit_identical() -> None:
    x, y = make_data("bce", 250, 2, 1)
    orders = [np.random.default_rng(e).permutation(250) for e in range(5)]
    results = []
    for _ in range(2):
        model = make_model([2, 8, 8, 1], "tanh", seed=3)
        logs = fast_epochs(model, "tanh", "bce", "adam", {"lr": 0.01}, 1e-3, 1e-3, x, y, orders, 10)
        results.append(([p.detach().numpy().copy() for p in model.parameters()], logs))
    (p1, l1), (p2, l2) = results
    assert l1 == l2
    for a, b in zip(p1, p2, strict=True):
        assert np.array_equal(a, b)


def test_trains_torch_memory_in_place() -> None:
    model = make_model([2, 4, 2, 1], "tanh", seed=0)
    lins = linears(model)
    fast = FastMLP([m.weight.detach().numpy() for m in lins], [m.bias.detach().numpy() for m in lins],
                   "tanh", "bce", "sgd", {"lr": 0.3})
    x, y = make_data("bce", 250, 2, 1)
    xt = torch.from_numpy(x)
    with torch.no_grad():
        before = float(nn.BCEWithLogitsLoss()(model(xt), torch.from_numpy(y)))
    for e in range(30):
        fast.train_epoch(x, y, np.random.default_rng(e).permutation(250), 10)
    with torch.no_grad():
        after = float(nn.BCEWithLogitsLoss()(model(xt), torch.from_numpy(y)))
    assert after < before - 0.05


def test_rejects_bad_input() -> None:
    model = make_model([2, 3, 1], "relu", seed=0)
    w = [m.weight.detach().numpy() for m in linears(model)]
    b = [m.bias.detach().numpy() for m in linears(model)]
    fast = FastMLP(w, b, "relu", "mse", "sgd", {"lr": 0.1})
    x, y = make_data("mse", 20, 2, 1)
    with pytest.raises(IndexError):
        fast.train_epoch(x, y, np.array([0, 1, 20]), 2)
    with pytest.raises(ValueError):
        fast.train_epoch(x[:, :1], y, np.arange(20), 2)
    with pytest.raises(ValueError):
        FastMLP(w, b, "maxout", "mse", "sgd", {"lr": 0.1})
    with pytest.raises(ValueError):
        FastMLP([w[0].T.copy(), w[1]], b, "relu", "mse", "sgd", {"lr": 0.1})
    ce = FastMLP(w, b, "relu", "cross_entropy", "sgd", {"lr": 0.1})
    with pytest.raises(IndexError):
        ce.train_epoch(x, np.full(20, 1, np.int64), np.arange(20), 2)  # one output -> only class 0 exists


def test_odd_input_arrays_reuse_the_one_compiled_kernel() -> None:
    """Read-only, float64, Fortran-order or strided inputs must not trigger a multi-second recompile."""
    model = make_model([2, 3, 1], "tanh", seed=0)
    lins = linears(model)
    fast = FastMLP([m.weight.detach().numpy() for m in lins], [m.bias.detach().numpy() for m in lins],
                   "tanh", "mse", "sgd", {"lr": 0.1})
    x = np.asfortranarray(np.random.default_rng(0).normal(size=(8, 2)))
    x.flags.writeable = False
    y = np.zeros(16, np.float32)[::2]
    order = torch.randperm(8).numpy()[::-1]
    fast.train_epoch(x, y, order, 3)
    kernel = getattr(fast_mlp._epoch, "direct", fast_mlp._epoch)  # the compiled kernel behind a group router
    assert len(kernel.signatures) == 1


def test_worthwhile() -> None:
    assert fast_mlp.worthwhile([2, 8, 8, 8, 8, 8, 8, 1], 10)
    assert not fast_mlp.worthwhile([784, 512, 512, 10], 64)


def test_supports() -> None:
    assert supports("tanh", "sgd", "mse")
    assert not supports("maxout", "sgd", "mse")
    assert not supports("prelu", "adam", "bce")
    assert not supports("tanh", "lbfgs", "mse")
    assert not supports("tanh", "sgd", "hinge")


def test_warmup_is_fast_once_compiled() -> None:
    fast_mlp.warmup()
    assert fast_mlp.warmup() < 0.5


def test_numba_is_installed():
    """numba is a pinned requirement: without it the Trainer silently falls back to autograd (~20x slower) and the
    fast-path tests would prove nothing, so its absence fails here instead of skipping them."""
    assert fast_mlp.HAVE_NUMBA
