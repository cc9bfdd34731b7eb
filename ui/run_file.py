"""A whole run in one file: export (config + history + weights) and import it back to look at it.

The file is safetensors: raw tensors plus a JSON header, so loading it cannot run code (unlike pickle or a
torch.load checkpoint). The config and the history travel as JSON strings in the header's metadata. An imported
file is untrusted: its size, config, history and every tensor name and shape are checked against the model the
config builds, and each problem becomes a sentence. The run's final view is then computed from the weights without
training, and shown as a finished run (a JobView no worker ever ran).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from nnlib.config import ConfigError, RunConfig, parse_json
from nnlib.jobs.manager import JobView

FORMAT = "nnlib-run/1"
MAX_RUN_FILE = 2 * 1024 * 1024  # bytes, like the other uploads
STATUS_KEYS = ("status", "reason", "epoch", "epochs", "elapsed", "best_epoch")


class RunFileError(ValueError):
    """A run file that cannot be shown; the message is a sentence for the student."""


@dataclass(frozen=True)
class ImportedRun:
    cfg: RunConfig
    history: dict[str, list[float | None]]
    weights: dict[str, np.ndarray]
    status: dict[str, Any]
    digest: str  # identifies the file (cache keys, job id of the view)
    notes: list[str]  # what was adjusted to fit this server


def export_run(cfg: RunConfig, snapshot: dict[str, Any], weights: dict[str, np.ndarray]) -> bytes:
    """One safetensors file: the weights as tensors, the config, history and final status as metadata."""
    from safetensors.numpy import save

    from nnlib.inspect.snapshot import SCALAR_KEYS

    history = {k: list(v) for k, v in (snapshot.get("history") or {}).items() if k in SCALAR_KEYS or
               k == "weight_norm"}
    status = {k: snapshot.get(k) for k in STATUS_KEYS}
    tensors = {k: np.ascontiguousarray(v) for k, v in weights.items() if isinstance(v, np.ndarray)}
    return save(tensors, metadata={"format": FORMAT, "config": cfg.to_json(indent=None),
                                   "history": json.dumps(history, allow_nan=False),
                                   "status": json.dumps(status, allow_nan=False)})


def _header(data: bytes) -> dict[str, Any]:
    """The safetensors JSON header (8-byte little-endian length, then JSON), read without trusting it."""
    if len(data) < 8:
        raise RunFileError("this file is too short to be a run file (safetensors)")
    n = int.from_bytes(data[:8], "little")
    if n > len(data) - 8 or n > MAX_RUN_FILE:
        raise RunFileError("this is not a safetensors run file (its header does not fit in the file)")
    try:
        header = parse_json(data[8:8 + n].decode("utf-8"), "header", MAX_RUN_FILE)
    except ValueError:  # UnicodeDecodeError included
        raise RunFileError("this is not a safetensors run file (its header is not JSON)") from None
    if not isinstance(header, dict):
        raise RunFileError("this is not a safetensors run file (its header is not a JSON object)")
    return header


def _metadata(data: bytes) -> dict[str, str]:
    meta = _header(data).get("__metadata__") or {}
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise RunFileError("this safetensors file is not a run exported by this app (Run (safetensors) button): "
                           "it has no run metadata")
    missing = [k for k in ("config", "history", "status") if not isinstance(meta.get(k), str)]
    if missing:
        raise RunFileError(f"the run file lacks its {', '.join(missing)}")
    return meta


def _history(text: str, epochs: int) -> dict[str, list[float | None]]:
    from nnlib.inspect.snapshot import SCALAR_KEYS

    try:
        hist = parse_json(text, "history", MAX_RUN_FILE)
    except ValueError as e:
        raise RunFileError(f"the run file's history cannot be read: {e}") from None
    if not isinstance(hist, dict) or not all(isinstance(v, list) for v in hist.values()):
        raise RunFileError("the run file's history must map metric names to lists of numbers")
    unknown = sorted(set(hist) - set(SCALAR_KEYS) - {"weight_norm"})
    if unknown:
        raise RunFileError(f"the run file's history has unknown metrics: {', '.join(unknown[:5])}")
    lengths = {len(v) for k, v in hist.items() if k != "weight_norm"}  # weight_norm also has the start
    n = max(lengths, default=0)
    if len(lengths) > 1 or n > epochs or len(hist.get("weight_norm", [])) not in (0, n, n + 1):
        raise RunFileError(f"the run file's history columns must have one value per epoch (at most {epochs})")
    for name, col in hist.items():
        if not all(v is None or (isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v))
                   for v in col):
            raise RunFileError(f"the run file's history column {name!r} holds something that is not a number")
    return {k: [None if v is None else float(v) for v in col] for k, col in hist.items()}


def _status(text: str, n_epochs: int, cfg: RunConfig) -> dict[str, Any]:
    try:
        raw = parse_json(text, "status")
    except ValueError as e:
        raise RunFileError(f"the run file's status cannot be read: {e}") from None
    raw = raw if isinstance(raw, dict) else {}
    reason = raw.get("reason") if isinstance(raw.get("reason"), str) else ""
    best = raw.get("best_epoch")
    elapsed = raw.get("elapsed")
    return {"status": "finished", "epoch": n_epochs, "epochs": n_epochs if cfg.open_ended else cfg.train.epochs,
            "until_paused": cfg.open_ended,
            "elapsed": float(elapsed) if isinstance(elapsed, float) and math.isfinite(elapsed) or (
                isinstance(elapsed, int) and not isinstance(elapsed, bool) and 0 <= elapsed < 10**9) else 0.0,
            "reason": "imported from a file" + (f" ({reason[:200]})" if reason else ""),
            "best_epoch": best if isinstance(best, int) and 1 <= best <= n_epochs else None}


def wrong_page(cfg: RunConfig, what: str) -> str:
    """Where a run or config of the other page belongs."""
    return (f"this {what} is for " + ("images: import it on the Images & CNNs page" if cfg.is_image
                                      else "2D points: import it on the Playground"))


def read_run(data: bytes, image_page: bool) -> ImportedRun:
    """Check an uploaded run file from top to bottom; RunFileError with a sentence at the first problem."""
    from safetensors import SafetensorError
    from safetensors.numpy import load

    from ui.links import fit_to_server

    if len(data) > MAX_RUN_FILE:
        raise RunFileError(f"the file has {len(data) / 1e6:.1f} MB; the limit is {MAX_RUN_FILE / 1e6:.0f} MB")
    meta = _metadata(data)
    try:
        cfg = RunConfig.from_json(meta["config"]).checked()
    except ConfigError as e:
        shown = "; ".join(e.errors[:3]) + (f"; and {len(e.errors) - 3} more problems" if len(e.errors) > 3 else "")
        raise RunFileError("the run's config cannot be used: " + shown) from None  # a sentence, not a page
    if cfg.is_image != image_page:
        raise RunFileError(wrong_page(cfg, "run"))
    cfg, notes = fit_to_server(cfg)
    from nnlib.validation import run_epochs

    history = _history(meta["history"], run_epochs(cfg))  # an "until I pause" run may pass `epochs`
    n_epochs = max((len(v) for k, v in history.items() if k != "weight_norm"), default=0)
    try:
        weights = load(data)
    except (SafetensorError, ValueError, OverflowError) as e:
        raise RunFileError(f"the run file's tensors cannot be read ({str(e)[:120]})") from None
    return ImportedRun(cfg, history, weights, _status(meta["status"], n_epochs, cfg),
                       hashlib.sha1(data).hexdigest()[:16], notes)


def _load_weights(model: Any, weights: dict[str, np.ndarray]) -> None:
    """Copy the file's tensors into the model; every name, shape and value checked first."""
    import torch

    want = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    missing, extra = sorted(set(want) - set(weights)), sorted(set(weights) - set(want))
    if missing or extra:
        parts = ([f"missing {', '.join(missing[:4])}"] if missing else []) + (
            [f"unexpected {', '.join(extra[:4])}"] if extra else [])
        raise RunFileError("the weights do not belong to the network the config describes: " + "; ".join(parts))
    wrong = [f"{k} is {'x'.join(map(str, weights[k].shape))}, expected {'x'.join(map(str, s))}"
             for k, s in want.items() if tuple(weights[k].shape) != s]
    if wrong:
        raise RunFileError("the weights have the wrong shapes for the network the config describes: "
                           + "; ".join(wrong[:4]))
    bad = [k for k, v in weights.items() if v.dtype.kind == "f" and not np.isfinite(v).all()]
    if bad:
        raise RunFileError(f"the weights hold NaN or infinite values ({', '.join(bad[:4])})")
    ref = model.state_dict()
    model.load_state_dict({k: torch.from_numpy(np.ascontiguousarray(v)).to(ref[k].dtype) for k, v in
                           weights.items()})


def imported_view(run: ImportedRun, data: Any = None, probe: int = 0) -> JobView:
    """The run's final view from its weights, computed without training, shown like a finished job."""
    from nnlib.inspect.snapshot import image_snapshot, playground_snapshot
    from nnlib.train.trainer import Trainer

    trainer = Trainer(run.cfg, data, fast=False)
    _load_weights(trainer.model, run.weights)
    trainer.model.eval()
    snap = image_snapshot(trainer, True, probe=probe) if run.cfg.is_image else playground_snapshot(trainer, True)
    snap.update(run.status, history=run.history, final=True)
    return JobView(f"imported-{run.digest}", "finished", None, snap, 1, {"weights": run.weights}, None, 0.0, None,
                   None)
