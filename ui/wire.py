"""Figures on the wire: numpy arrays as plotly.js typed-array specs and maps quantized to bytes (no streamlit).
Moved out of ui.plots (which re-exports both) when the chart builders there reached the 400-line limit."""

from __future__ import annotations

import base64
import math
from typing import Any

import numpy as np


def to_u8(a: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Quantize to 0..255 over [lo, hi]: a 100x100 map becomes 10 KB instead of 80. NaN maps to the middle, +-inf
    to the ends (clipped). The live route calls it ~12 times per update, so no np.nan_to_num (3x the cost)."""
    a = np.asarray(a, dtype=np.float32)
    nan = np.isnan(a)
    if nan.any():
        a = np.where(nan, np.float32((lo + hi) / 2), a)
    scaled = np.rint((a - lo) / (hi - lo) * 255.0)
    return np.minimum(np.maximum(scaled, 0, out=scaled), 255, out=scaled).astype(np.uint8)


_PLAIN = frozenset({float, int, str, bool, type(None)})  # list items encode() returns as they are (NaN/inf: None)


def encode(obj: Any) -> Any:
    """JSON-ready copy: numpy arrays become plotly.js typed-array specs {dtype, bdata, shape}."""
    if isinstance(obj, np.ndarray):
        arr = np.ascontiguousarray(obj)
        if arr.dtype == np.float64:
            arr = arr.astype(np.float32)
        dt = {"u1": "u1", "i1": "i1", "u2": "u2", "i2": "i2", "i4": "i4", "f4": "f4", "u4": "u4"}.get(
            arr.dtype.str[1:], None)
        if dt is None:
            arr, dt = arr.astype(np.float32), "f4"
        spec = {"dtype": dt, "bdata": base64.b64encode(arr.tobytes()).decode("ascii")}
        if arr.ndim > 1:
            spec["shape"] = ",".join(map(str, arr.shape))
        return spec
    if isinstance(obj, dict):
        return {k: encode(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        if all(type(v) in _PLAIN for v in obj):  # e.g. the diagram's link coordinates: ~200 per live update
            return [None if type(v) is float and not math.isfinite(v) else v for v in obj]
        return [encode(v) for v in obj]
    if isinstance(obj, (np.floating, float)):
        v = float(obj)
        return v if math.isfinite(v) else None
    if isinstance(obj, np.integer):
        return int(obj)
    return obj
