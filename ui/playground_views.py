"""Server-side pieces of the Playground page that are not widgets: which run or preview the charts show, data
points to plot, the untrained preview, and the downloads of a finished run."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
import streamlit as st

from nnlib.config import RunConfig
from nnlib.jobs.manager import JobView

ACTIVE = ("queued", "running", "paused")
# the figures' arrangement: the boundary and the loss curve side by side on top, so both are in the first screen
ROWS = [["boundary", "loss"], ["network", "metric"], ["penalty"]]


@dataclass(frozen=True)
class ShownView:
    """What the Playground's charts show: a job's snapshot (`view`) or, with `view` None, the untrained preview of
    `config`; `config` None means nothing can be drawn. `note` tells the student why the picture is what it is."""

    view: JobView | None
    config: RunConfig | None
    note: str = ""


def changed_settings(old: RunConfig, new: RunConfig, limit: int = 4) -> str:
    """'dataset circle → xor, noise 0.0 → 30.0': the settings that differ, spelled as in a link."""
    was, now = old.to_query_dict(only_changed=False), new.to_query_dict(only_changed=False)
    keys = [k for k in now if was.get(k) != now[k]]
    parts = [f"{k.split('.', 1)[1].replace('_', ' ')} {was.get(k, '')} → {now[k]}" for k in keys[:limit]]
    if len(keys) > limit:
        parts.append(f"and {len(keys) - limit} more")
    return ", ".join(parts)


def _at_pace(cfg: RunConfig, pace_of: RunConfig) -> RunConfig:
    """`cfg` at `pace_of`'s speed: the speed sets how fast a run is shown, not what it learns, so a finished run
    stays on the charts when only the speed changed (discretize and show-test are page options, not config)."""
    return cfg.replace(train={"speed": pace_of.train.speed})


def pick_view(view: JobView | None, run_cfg: RunConfig | None, cfg: RunConfig, invalid: bool) -> ShownView:
    """A running (or paused) job stays on screen; a finished one only while the controls still equal its config.
    Otherwise the charts show the current controls' data and untrained network, and say that the last run differs,
    so a student never reads an old run's boundary as the answer to the new setup."""
    if view is not None and view.status in ACTIVE:
        note = ""
        if run_cfg is not None and run_cfg != cfg:
            note = (f"The controls no longer match the run in progress ({changed_settings(run_cfg, cfg)}): the charts "
                    "show that run; press Train to start one with the new settings.")
        return ShownView(view, run_cfg or cfg, note)
    if view is not None and run_cfg is not None and _at_pace(run_cfg, cfg) == cfg and view.snapshot:
        return ShownView(view, run_cfg)
    if view is None:
        return ShownView(None, None if invalid else cfg)
    diff = f" ({changed_settings(_at_pace(run_cfg, cfg), cfg)})" if run_cfg is not None else ""
    if invalid:
        return ShownView(None, None, f"The last run ({view.status}) used other settings{diff}; fix the setup above "
                                     "to see its data and untrained network.")
    return ShownView(None, cfg, f"The last run ({view.status}) used other settings{diff}. The charts show the current "
                                "setup's data and its untrained network: press Train to train it.")


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


_warm = threading.Event()  # set once an untrained snapshot was built in this process: torch is imported


def is_warm() -> bool:
    """False until the first preview was built (by `warm_up` or a page): a preview now may wait seconds."""
    return _warm.is_set()


def untrained_snapshot(cfg_json: str) -> dict[str, Any]:
    """What the untrained network computes (autograd path, no training: ~50 ms once torch is imported)."""
    from nnlib.inspect.snapshot import playground_snapshot
    from nnlib.train.trainer import Trainer

    cfg = RunConfig.from_json(cfg_json)
    trainer = Trainer(cfg, fast=False)
    snap = playground_snapshot(trainer, False)
    snap["status"] = "ready"
    _warm.set()
    return snap


@st.cache_data(max_entries=64, show_spinner=False)
def preview_snapshot(cfg_json: str) -> dict[str, Any]:
    """The untrained preview, cached: every change of architecture shows at once."""
    return untrained_snapshot(cfg_json)


def warm_up() -> threading.Thread:
    """Pay at server start what the first visitor's preview would: importing torch and the Trainer (which pulls in
    torch._dynamo through torch.optim) took ~2.3 s of the script thread on an idle box, far more under load. A
    daemon thread, so the server answers at once; a page that needs torch meanwhile waits on the import lock."""
    thread = threading.Thread(target=untrained_snapshot, args=(RunConfig().to_json(),), name="warm-preview",
                              daemon=True)
    thread.start()
    return thread


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
