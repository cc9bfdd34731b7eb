"""Predict with a finished CNN run: read an uploaded picture safely and show the class probabilities and the
feature maps it produces (streamlit widgets; the figures come from ui.cnn_plots)."""

from __future__ import annotations

import io
import warnings
from typing import Any

import numpy as np
import streamlit as st

from ui import cnn_plots as CP

MAX_UPLOAD = 2 * 1024 * 1024  # bytes
MAX_PIXELS = 4_000_000  # PIL refuses bigger images (decompression bombs)


def read_upload(data: bytes, shape: tuple[int, int, int]) -> np.ndarray:
    """PNG/JPEG bytes -> uint8 [C, H, W] in the dataset's channels and size; ValueError with a reason."""
    from PIL import Image, UnidentifiedImageError

    if len(data) > MAX_UPLOAD:
        raise ValueError(f"the file has {len(data) / 1e6:.1f} MB; the limit is {MAX_UPLOAD / 1e6:.0f} MB")
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                if img.format not in ("PNG", "JPEG"):
                    raise ValueError(f"this is a {img.format or 'unknown'} image; upload a PNG or JPEG")
                img.load()
                c, h, w = shape
                conv = img.convert("L" if c == 1 else "RGB").resize((w, h), Image.Resampling.BILINEAR)
                arr = np.asarray(conv, dtype=np.uint8)
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        if isinstance(e, UnidentifiedImageError):
            raise ValueError("this file is not a PNG or JPEG image (or it is damaged); upload a PNG or JPEG") from None
        raise ValueError(f"the image has too many pixels (limit {MAX_PIXELS:,})") from None
    except (OSError, SyntaxError) as e:
        raise ValueError(f"the image file is damaged or truncated ({e})") from None
    return arr[None] if arr.ndim == 2 else arr.transpose(2, 0, 1)


def show_prediction(model: Any, bund: Any, raw: np.ndarray, true: int | None, key: str) -> None:
    import torch

    from nnlib.inspect.filters import feature_maps, to_uint8_grid

    x = bund.standardizer.transform(raw.astype(np.float32)[None] / 255.0)
    with torch.no_grad():
        probs = torch.softmax(model(torch.from_numpy(x)), dim=1)[0].numpy()
    c1, c2 = st.columns([1, 2])
    img = CP.cap(raw[0]) if raw.shape[0] == 1 else raw.transpose(1, 2, 0)
    c1.plotly_chart(CP.picture_figure(img, "input" + (f" (true: {bund.class_names[true]})" if true is not None
                                                     else ""), height=240),
                    key=f"{key}.img", config={"displayModeBar": False}, width="stretch")
    c2.plotly_chart(CP.probabilities_figure(probs, bund.class_names, true), key=f"{key}.probs",
                    config={"displayModeBar": False}, width="stretch")
    if hasattr(model, "feature_maps"):
        maps = feature_maps(model, x[0])
        cols = st.columns(min(3, len(maps)))
        for i, (name, m) in enumerate(maps):
            g = to_uint8_grid(m[:, None], normalize="activation")
            grid = CP.retile(g, m.shape[1], m.shape[2], m.shape[0])
            cols[i % len(cols)].plotly_chart(CP.picture_figure(grid, f"Feature maps, {name}", 240, CP.MAPS),
                                             key=f"{key}.fm{i}", config={"displayModeBar": False}, width="stretch")
