"""The model summary table of the lecture (layer, output shape, parameters spelled out, multiply-adds),
computed without torch from `shapes.cnn_layers`, plus the check that the built module really matches it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nnlib.activations import widen_factor
from nnlib.config import CNNSpec
from nnlib.models.shapes import cnn_layers

Row = dict[str, Any]


def _shape_text(shape: Sequence[int]) -> str:
    return " x ".join(str(d) for d in shape)


def _row(layer: str, kind: str, shape: Sequence[int], params: int = 0, macs: int = 0, formula: str = "",
         size: str = "") -> Row:
    """One table row; `formula` is the parameter count spelled out and ends in '= params'."""
    return {"layer": layer, "kind": kind, "shape": tuple(shape), "output": _shape_text(shape),
            "params": params, "formula": f"{formula} = {params:,}" if formula else "", "size": size,
            "macs": macs}


def _total(rows: list[Row]) -> Row:
    params, macs = sum(r["params"] for r in rows), sum(r["macs"] for r in rows)
    return {"layer": "total", "kind": "total", "shape": (), "output": "", "params": params, "formula": "",
            "size": "", "macs": macs}


def summarize(spec: CNNSpec, input_shape: tuple[int, int, int], n_outputs: int, activation: str) -> list[Row]:
    """Rows: the input, every layer of the spec and a final 'total' row (parameters, multiply-adds/example).

    Keys: layer, kind, shape (tuple), output (e.g. '8 x 28 x 28'), params, formula (e.g. '3 x 3 x 1 x 8 + 8 =
    80'), size (e.g. '(28 - 3 + 2*1) / 1 + 1 = 28'), macs. Raises ShapeError for a spec that cannot be built.
    """
    layers = cnn_layers(spec, tuple(input_shape), n_outputs, widen_factor(activation), activation)
    rows = [_row("input", "input", input_shape)]
    rows += [_row(li.name, li.kind, li.out_shape, li.params, li.macs, li.formula, li.size_formula)
             for li in layers]
    return rows + [_total(rows)]


def mlp_summary(layer_sizes: Sequence[int], activations: str | Sequence[str] = "relu",
                norm: str = "none") -> list[Row]:
    """The same table for a dense net [inputs, hidden..., outputs] built like `nnlib.models.mlp.MLP`.

    `activations` is one name for all hidden layers or one per layer; maxout widens a layer's Linear (and its
    batch or layer norm) k times, PReLU adds one learned slope per neuron; `norm` is ModelConfig.norm.
    """
    sizes = list(layer_sizes)
    n_hidden = len(sizes) - 2
    acts = [activations] * n_hidden if isinstance(activations, str) else list(activations)
    if len(acts) != n_hidden:
        raise ValueError(f"{len(acts)} activations for {n_hidden} hidden layers")
    rows = [_row("input", "input", (sizes[0],))]
    for j, (n, width, act) in enumerate(zip(sizes[:-2], sizes[1:-1], acts), start=1):
        k = widen_factor(act)
        formula = f"{n} x {width} + {width}" if k == 1 else f"({n} x {width} + {width}) x {k}"
        rows.append(_row(f"hidden {j} ({act})", "dense", (width,), n * width * k + width * k, n * width * k,
                         formula))
        if norm != "none":
            rows.append(_row(f"hidden {j} {norm} norm", "norm", (width,), 2 * width * k, 0,
                             f"2 x {width * k} (gamma, beta)"))
        if act == "prelu":
            rows.append(_row(f"hidden {j} prelu", "activation", (width,), width, 0, f"1 x {width} (slopes)"))
    n, m = sizes[-2], sizes[-1]
    rows.append(_row("output", "output", (m,), n * m + m, n * m, f"{n} x {m} + {m}"))
    return rows + [_total(rows)]


def _row_modules(model: Any) -> dict[str, Any]:
    """Summary row name -> the submodule whose output has that row's shape."""
    out: dict[str, Any] = dict(model.conv_layers())
    for block in model.blocks:
        out[f"{block.tag} {block.norm_kind} norm"] = block.last_norm()
        out[f"{block.tag} prelu"] = block.last_activation()
        out[block.tag + " pool"] = block.pool
    for j, layer in enumerate(model.dense, start=1):
        out[f"dense {j}"] = layer
        out[f"dense {j} prelu"] = layer.act
    out["head"] = model.head
    out["output"] = model.out
    return out


def check_against_module(spec: CNNSpec, input_shape: tuple[int, int, int], n_outputs: int, activation: str,
                         model: Any = None) -> list[str]:
    """Differences between the summary and the real module (empty when they agree).

    Runs a forward pass on a dummy batch of 2 with hooks on the module behind each row and compares output
    shapes, then compares the parameter total with sum(p.numel()).
    """
    import torch

    from nnlib.models.cnn import build_cnn

    rows = summarize(spec, input_shape, n_outputs, activation)
    if model is None:
        model = build_cnn(spec, input_shape, n_outputs, activation)
    modules = _row_modules(model)
    seen: dict[str, tuple[int, ...]] = {}
    hooks, problems = [], []
    for r in rows[1:-1]:
        key = "head" if r["kind"] == "head" else r["layer"]
        if r["kind"] == "pool":
            key = r["layer"].rsplit(" ", 3)[0] + " pool"  # 'block 1 (conv) max pool 2x2' -> '... pool'
        mod = modules.get(key)
        if mod is None:
            problems.append(f"{r['layer']}: no module found for this row")
            continue

        def hook(_m: Any, _i: Any, out: Any, name: str = r["layer"]) -> None:
            seen[name] = tuple(out.shape[1:])

        hooks.append(mod.register_forward_hook(hook))
    was = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(torch.zeros(2, *input_shape))
    finally:
        for h in hooks:
            h.remove()
        model.train(was)
    for r in rows[1:-1]:
        if r["layer"] in seen and seen[r["layer"]] != r["shape"]:
            got = _shape_text(seen[r["layer"]])
            problems.append(f"{r['layer']}: summary says {r['output']}, the module gives {got}")
    n_params = sum(p.numel() for p in model.parameters())
    if n_params != rows[-1]["params"]:
        problems.append(f"parameters: summary says {rows[-1]['params']:,}, the module has {n_params:,}")
    return problems
