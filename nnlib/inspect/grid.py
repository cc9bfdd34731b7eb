"""The model evaluated on a grid over the 2D input plane: decision boundary, regression surface, neuron maps.

A live view asks for these ~10 times a second. When the fast path trains the model (`trainer.fast`), they come
from its compiled forward pass (`nnlib.train.fast_eval.forward`) on the same parameter memory, with the grid's
model inputs computed once per run; otherwise torch evaluates the model. Both give the same numbers to float32
tolerance (tests/inspect/test_grid_fast.py). A fast-path run is read from the kernel's arrays alone, so a torch-free
run (`nnlib.train.fast_run.FastRun`) is drawn without importing torch.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def grid_points(domain: tuple[float, float, float, float], resolution: int) -> tuple[np.ndarray, np.ndarray,
                                                                                      np.ndarray]:
    """xs, ys and the [res*res, 2] points, row-major with y as rows (heatmap layout)."""
    x0, x1, y0, y1 = domain
    xs = np.linspace(x0, x1, resolution, dtype=np.float32)
    ys = np.linspace(y0, y1, resolution, dtype=np.float32)
    gx, gy = np.meshgrid(xs, ys)
    return xs, ys, np.stack([gx.ravel(), gy.ravel()], axis=1)


def grid_inputs(trainer: Any, resolution: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """xs, ys and the model inputs (featurized, standardized) of the grid's points; computed once per trainer
    and resolution (the data and domain of a run never change), so a snapshot only runs the network."""
    cache = trainer.__dict__.setdefault("_grid_inputs", {})
    if resolution not in cache:
        xs, ys, pts = grid_points(trainer.data.domain, resolution)
        cache[resolution] = (xs, ys, np.ascontiguousarray(trainer.data.inputs_for_points(pts), dtype=np.float32))
    return cache[resolution]


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return (0.5 * np.tanh(0.5 * z) + 0.5).astype(np.float32)  # = 1 / (1 + e^-z), without overflow warnings


def output_grid(trainer: Any, resolution: int = 100) -> dict[str, Any]:
    """What the playground paints behind the points: P(class 1), the winning class, or the regression value."""
    xs, ys, inputs = grid_inputs(trainer, resolution)
    if trainer.fast is not None:
        n_out = trainer.fast.dims[-1]
        out = trainer.fast.layer_outputs(inputs)[-1, :n_out].T  # [points, outputs]
    else:
        import torch

        with torch.no_grad():
            out = trainer.predict(inputs).cpu().numpy()
    res: dict[str, Any] = {"xs": xs, "ys": ys}
    shape = (resolution, resolution)
    if trainer.cfg.problem == "regression":
        res["value"] = np.ascontiguousarray(out[:, 0], dtype=np.float32).reshape(shape)
    elif trainer.loss_name == "cross_entropy":
        e = np.exp(out - out.max(axis=1, keepdims=True))
        probs = (e / e.sum(axis=1, keepdims=True)).astype(np.float32)
        cls = probs.argmax(axis=1)
        res["cls"] = cls.reshape(shape).astype(np.int16)
        res["confidence"] = probs[np.arange(len(cls)), cls].reshape(shape)
        if probs.shape[1] == 2:
            res["prob"] = np.ascontiguousarray(probs[:, 1]).reshape(shape)
    else:
        res["prob"] = _sigmoid(out[:, 0]).reshape(shape)
    return res


def neuron_grids(trainer: Any, resolution: int = 24) -> list[np.ndarray]:
    """Per hidden layer an array [neurons, res, res] of each neuron's activation over the plane (thumbnails)."""
    if trainer.fast is not None:  # the fast path trains only plain MLPs
        _, _, inputs = grid_inputs(trainer, resolution)
        za = trainer.fast.layer_outputs(inputs)
        dims = trainer.fast.dims
        return [za[layer, :dims[layer]].reshape(dims[layer], resolution, resolution).copy()
                for layer in range(1, len(dims) - 1)]
    import torch

    from nnlib.models.build import core_mlp

    mlp = core_mlp(trainer.model)
    if mlp is None:
        return []
    _, _, inputs = grid_inputs(trainer, resolution)

    x = torch.as_tensor(inputs, device=trainer.device)
    was = mlp.training
    mlp.eval()
    with torch.no_grad():
        _, hidden = mlp.forward_with_hidden(x)
    mlp.train(was)
    return [h.T.reshape(h.shape[1], resolution, resolution).cpu().numpy() for h in hidden]


def input_grids(trainer: Any, resolution: int = 24) -> np.ndarray:
    """Each input feature (x1, x2, x1^2, ...) over the plane: the input column of the network diagram."""
    _, _, feats = grid_inputs(trainer, resolution)
    return feats.T.reshape(feats.shape[1], resolution, resolution).copy()


def mlp_weights(trainer: Any) -> list[dict[str, np.ndarray]]:
    """Weights [out, in] and biases per dense layer, for the link colours and widths of the diagram (on the fast
    path the kernel's arrays: the torch Trainer's are views of its parameters, a FastRun's its only copy)."""
    if trainer.fast is not None:
        return [{"weight": w.copy(), "bias": b.copy()} for w, b in trainer.fast.layers]
    from nnlib.models.build import core_mlp

    mlp = core_mlp(trainer.model)
    if mlp is None:
        return []
    return [{"weight": lin.weight.detach().cpu().numpy().copy(), "bias": lin.bias.detach().cpu().numpy().copy()}
            for lin in mlp.linears()]
