"""Server-side pieces of the Playground page that are not widgets: data points to plot, the untrained preview,
and the downloads of a finished run."""

from __future__ import annotations

from typing import Any

import numpy as np
import streamlit as st

from nnlib.config import RunConfig


@st.cache_data(max_entries=64, show_spinner=False)
def data_view(data_json: str) -> dict[str, Any]:
    """Points of each split (raw 2D coordinates), domain and names, for the plots; numpy only, no torch."""
    from nnlib.data.bundle import load_data

    cfg = RunConfig.from_json(data_json)
    b = load_data(cfg)
    pts = {}
    for split in ("train", "test"):
        p, y = getattr(b, f"points_{split}"), getattr(b, f"y_{split}")
        if p is not None and len(p):
            pts[split] = (p[:, 0].astype(np.float32), p[:, 1].astype(np.float32), np.asarray(y))
    return {"points": pts, "domain": tuple(float(v) for v in b.domain), "features": list(b.feature_names),
            "n_classes": int(b.n_classes), "problem": b.problem, "sizes": b.sizes() if hasattr(b, "sizes") else {}}


@st.cache_data(max_entries=64, show_spinner=False)
def preview_snapshot(cfg_json: str) -> dict[str, Any]:
    """What the untrained network computes, so every change of architecture shows at once (autograd path,
    no training: ~50 ms)."""
    from nnlib.inspect.snapshot import playground_snapshot
    from nnlib.train.trainer import Trainer

    cfg = RunConfig.from_json(cfg_json)
    trainer = Trainer(cfg, fast=False)
    snap = playground_snapshot(trainer, False)
    snap["status"] = "ready"
    return snap


def history_csv(snap: dict[str, Any]) -> bytes:
    """The History (CSV) download: the snapshot's history columns in the same format as the CLI's history.csv."""
    from nnlib.train.callbacks import columns_csv

    return columns_csv(snap.get("history") or {}).encode()


def weights_safetensors(result: dict[str, Any] | None, cfg: RunConfig) -> bytes | None:
    """The trained weights as safetensors (a format that cannot run code when loaded), config in metadata."""
    if not result or not result.get("weights"):
        return None
    from safetensors.numpy import save

    tensors = {k: np.ascontiguousarray(v) for k, v in result["weights"].items() if isinstance(v, np.ndarray)}
    return save(tensors, metadata={"config": cfg.to_json(indent=None)})
