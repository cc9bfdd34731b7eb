"""The model evaluated on a grid over the 2D input plane: decision boundary, regression surface, neuron maps."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from nnlib.models.build import core_mlp


def grid_points(domain: tuple[float, float, float, float], resolution: int) -> tuple[np.ndarray, np.ndarray,
                                                                                      np.ndarray]:
    """xs, ys and the [res*res, 2] points, row-major with y as rows (heatmap layout)."""
    x0, x1, y0, y1 = domain
    xs = np.linspace(x0, x1, resolution, dtype=np.float32)
    ys = np.linspace(y0, y1, resolution, dtype=np.float32)
    gx, gy = np.meshgrid(xs, ys)
    return xs, ys, np.stack([gx.ravel(), gy.ravel()], axis=1)


@torch.no_grad()
def output_grid(trainer: Any, resolution: int = 100) -> dict[str, Any]:
    """What the playground paints behind the points: P(class 1), the winning class, or the regression value."""
    data = trainer.data
    xs, ys, pts = grid_points(data.domain, resolution)
    out = trainer.predict(data.inputs_for_points(pts)).cpu()
    res: dict[str, Any] = {"xs": xs, "ys": ys}
    if trainer.cfg.problem == "regression":
        res["value"] = out.view(resolution, resolution).numpy()
    elif trainer.loss_name == "cross_entropy":
        probs = torch.softmax(out, 1)
        conf, cls = probs.max(1)
        res["cls"] = cls.view(resolution, resolution).numpy().astype(np.int16)
        res["confidence"] = conf.view(resolution, resolution).numpy()
        if probs.shape[1] == 2:
            res["prob"] = probs[:, 1].view(resolution, resolution).numpy()
    else:
        res["prob"] = torch.sigmoid(out).view(resolution, resolution).numpy()
    return res


@torch.no_grad()
def neuron_grids(trainer: Any, resolution: int = 24) -> list[np.ndarray]:
    """Per hidden layer an array [neurons, res, res] of each neuron's activation over the plane (thumbnails)."""
    mlp = core_mlp(trainer.model)
    if mlp is None:
        return []
    data = trainer.data
    _, _, pts = grid_points(data.domain, resolution)
    x = torch.as_tensor(data.inputs_for_points(pts), device=trainer.device)
    was = mlp.training
    mlp.eval()
    _, hidden = mlp.forward_with_hidden(x)
    mlp.train(was)
    return [h.T.reshape(h.shape[1], resolution, resolution).cpu().numpy() for h in hidden]


@torch.no_grad()
def input_grids(trainer: Any, resolution: int = 24) -> np.ndarray:
    """Each input feature (x1, x2, x1^2, ...) over the plane: the input column of the network diagram."""
    _, _, pts = grid_points(trainer.data.domain, resolution)
    feats = trainer.data.inputs_for_points(pts)
    return feats.T.reshape(feats.shape[1], resolution, resolution)


def mlp_weights(trainer: Any) -> list[dict[str, np.ndarray]]:
    """Weights [out, in] and biases per dense layer, for the link colours and widths of the diagram."""
    mlp = core_mlp(trainer.model)
    if mlp is None:
        return []
    return [{"weight": lin.weight.detach().cpu().numpy().copy(), "bias": lin.bias.detach().cpu().numpy().copy()}
            for lin in mlp.linears()]
