"""Factories that import torch only when called, so config validation and the UI skeleton stay torch-free."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def torch_class(path: str, **fixed: Any) -> Callable[..., Any]:
    """Return a factory for `torch.<path>` (e.g. "nn.ReLU", "optim.SGD") with `fixed` keyword arguments."""

    def factory(*args: Any, **kwargs: Any) -> Any:
        import torch

        obj: Any = torch
        for part in path.split("."):
            obj = getattr(obj, part)
        return obj(*args, **{**fixed, **kwargs})

    factory.__qualname__ = f"torch.{path}"
    return factory
