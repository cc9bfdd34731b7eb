"""Challenge kinds and their leaderboards, computed from a class's stored runs (best entry per student).

- fewest_params: validation accuracy >= threshold at the end of the run; fewer parameters rank higher.
- lowest_val_loss: the lowest validation loss reached within the first `max_epochs` epochs; lower ranks higher.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nnlib.words import count

KINDS = {
    "fewest_params": "Validation accuracy at least the threshold, with the fewest parameters",
    "lowest_val_loss": "Lowest validation loss within the epoch limit",
}


@dataclass(frozen=True)
class Entry:
    rank: int
    owner: str
    run_id: int
    score: float  # what the ranking sorts by (parameters, or validation loss)
    shown: str  # the score in words
    config: str  # RunConfig JSON: anyone can reproduce the entry from it


def _score(kind: str, threshold: float | None, max_epochs: int | None, history: dict[str, list[Any]],
           metrics: dict[str, Any]) -> tuple[float, str] | None:
    """(score, words) for one run, or None if it does not qualify."""
    if kind == "fewest_params":
        acc = metrics.get("val_accuracy")
        if acc is None or acc < (threshold or 0.0) or metrics.get("params") is None:
            return None
        return float(metrics["params"]), f"{int(metrics['params'])} parameters (val accuracy {100 * acc:.1f}%)"
    if kind == "lowest_val_loss":
        losses = [v for v in (history.get("val_loss") or [])[: max_epochs or None] if v is not None]
        if not losses:
            return None
        return min(losses), f"val loss {min(losses):.4g}"
    raise ValueError(f"unknown challenge kind {kind!r}; expected one of {sorted(KINDS)}")


def leaderboard(kind: str, threshold: float | None, max_epochs: int | None, runs: list[Any],
                limit: int = 20) -> list[Entry]:
    """Best qualifying run per owner, ranked (ties: the earlier run first). `runs` are nnlib.store RunRows."""
    best: dict[str, tuple[float, float, Any, str]] = {}
    for run in runs:
        scored = _score(kind, threshold, max_epochs, run.history, run.metrics)
        if scored is None:
            continue
        key = (scored[0], run.finished_at)
        if run.owner not in best or key < best[run.owner][:2]:
            best[run.owner] = (*key, run, scored[1])
    ordered = sorted(best.values(), key=lambda b: b[:2])[:limit]
    return [Entry(i + 1, run.owner, run.id, score, shown, run.config)
            for i, (score, _, run, shown) in enumerate(ordered)]


def describe(kind: str, threshold: float | None, max_epochs: int | None) -> str:
    if kind == "fewest_params":
        return f"validation accuracy >= {100 * (threshold or 0):.0f}% with the fewest parameters"
    return f"lowest validation loss within {count(max_epochs, 'epoch') if max_epochs else 'any number of epochs'}"
