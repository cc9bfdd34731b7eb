"""Predict with a finished CNN run: read an uploaded picture safely and show the class probabilities and the
feature maps it produces (streamlit widgets; the figures come from ui.cnn_plots)."""

from __future__ import annotations

from typing import Any

import numpy as np
import streamlit as st

from nnlib.data.picture import MAX_BYTES, decode_picture
from ui import cnn_plots as CP
from ui.run_controls import static_chart

MAX_UPLOAD = MAX_BYTES


def read_upload(data: bytes, shape: tuple[int, int, int]) -> np.ndarray:
    """PNG/JPEG bytes -> uint8 [C, H, W] in the dataset's channels and size; ValueError with a reason."""
    return decode_picture(data, shape)


def show_prediction(model: Any, bund: Any, raw: np.ndarray, true: int | None, key: str) -> None:
    import torch

    from nnlib.inspect.filters import feature_maps, to_uint8_grid

    x = bund.standardizer.transform(raw.astype(np.float32)[None] / 255.0)
    with torch.no_grad():
        probs = torch.softmax(model(torch.from_numpy(x)), dim=1)[0].numpy()
    c1, c2 = st.columns([1, 2])
    img = CP.cap(raw[0]) if raw.shape[0] == 1 else raw.transpose(1, 2, 0)
    static_chart(c1, CP.picture_figure(img, "input" + (f" (true: {bund.class_names[true]})" if true is not None
                                                      else ""), height=240), f"{key}.img")
    static_chart(c2, CP.probabilities_figure(probs, bund.class_names, true), f"{key}.probs")
    if hasattr(model, "feature_maps"):
        maps = feature_maps(model, x[0])
        cols = st.columns(min(3, len(maps)))
        for i, (name, m) in enumerate(maps):
            g = to_uint8_grid(m[:, None], normalize="activation")
            grid = CP.retile(g, m.shape[1], m.shape[2], m.shape[0])
            static_chart(cols[i % len(cols)], CP.picture_figure(grid, f"Feature maps, {name}", 240, CP.MAPS),
                         f"{key}.fm{i}")
