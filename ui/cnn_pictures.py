"""The picture primitives of the Images & CNNs figures: uint8 tilings, their colours, PNG image traces and the note
a panel shows before its first data. Pure functions (no streamlit); ui.cnn_plots builds the page's figures on them
and re-exports the names tests and pages use (CP.SEP, CP.cap, CP.retile...)."""

from __future__ import annotations

import base64
import io
from typing import Any

import numpy as np

from ui.plots import FONT, TEMPLATE

SEP = 255  # uint8 value of separators and empty tiles; pictures are capped at 254 so it gets its own colour
SEP_COLOUR = "#c9d3df"
GREYS = [[0.0, "#000000"], [254 / 255, "#ffffff"], [1.0, SEP_COLOUR]]
MAPS = [[0.0, "#440154"], [0.25 * 254 / 255, "#3b528b"], [0.5 * 254 / 255, "#21918c"],
        [0.75 * 254 / 255, "#5ec962"], [254 / 255, "#fde725"], [1.0, SEP_COLOUR]]  # viridis + separator


def _layout(**kw: Any) -> dict[str, Any]:
    base = {"template": TEMPLATE, "margin": {"l": 10, "r": 10, "t": 30, "b": 10}, "font": FONT,
            "paper_bgcolor": "rgba(0,0,0,0)",
            "plot_bgcolor": "rgba(0,0,0,0)", "uirevision": "keep", "showlegend": False}
    base.update(kw)
    return base


def _image_axes(**kw: Any) -> dict[str, Any]:
    """Axes for pictures: no ticks, y pointing down, square pixels."""
    return {"xaxis": {"visible": False, "constrain": "domain"},
            "yaxis": {"visible": False, "autorange": "reversed", "scaleanchor": "x", "constrain": "domain"}, **kw}


# ---------------------------------------------------------------- tiles

def retile(grid: np.ndarray, tile_h: int, tile_w: int, n: int, ncols: int | None = None,
           separator: int = 255) -> np.ndarray:
    """Re-arrange a uint8 tiling (1 px separators, any column count) of n tiles into `ncols` columns (default
    about square). Grey [H, W] or RGB [H, W, 3] grids; the snapshot tiles grey filters/maps in one column."""
    g = np.asarray(grid)
    gh, gw = g.shape[:2]
    rows, cols = (gh + 1) // (tile_h + 1), (gw + 1) // (tile_w + 1)
    if rows * cols < n or rows * (tile_h + 1) - 1 != gh or cols * (tile_w + 1) - 1 != gw:
        return g  # not the tiling we expected: show it as is
    tiles = [g[r * (tile_h + 1):r * (tile_h + 1) + tile_h, c * (tile_w + 1):c * (tile_w + 1) + tile_w]
             for r in range(rows) for c in range(cols)][:n]
    ncols = max(1, min(ncols or int(np.ceil(np.sqrt(n))), n))
    nrows = -(-n // ncols)
    out = np.full((nrows * (tile_h + 1) - 1, ncols * (tile_w + 1) - 1, *g.shape[2:]), separator, dtype=np.uint8)
    for i, t in enumerate(tiles):
        r, c = divmod(i, ncols)
        t = np.minimum(t, separator - 1) if g.ndim == 2 and separator == SEP else t
        out[r * (tile_h + 1):r * (tile_h + 1) + tile_h, c * (tile_w + 1):c * (tile_w + 1) + tile_w] = t
    return out


def cap(z: np.ndarray) -> np.ndarray:
    """A grey uint8 picture with 255 lowered to 254, so it is never drawn in the separator colour."""
    z = np.asarray(z, dtype=np.uint8)
    return np.minimum(z, SEP - 1) if z.ndim == 2 else z


def _hex(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def palette(colorscale: Any) -> list[int]:
    """The 256 RGB entries (flat) a plotly colorscale gives the values 0..255 of a uint8 picture."""
    stops = [float(s) * 255 for s, _ in colorscale]
    rgb = np.array([_hex(c) for _, c in colorscale], dtype=np.float64)
    v = np.arange(256, dtype=np.float64)
    table = np.stack([np.interp(v, stops, rgb[:, k]) for k in range(3)], axis=1)
    table[255] = rgb[-1]  # the separator value keeps its own colour (no blend with the last pixel value)
    return np.rint(table).astype(np.uint8).ravel().tolist()


def png_uri(z: np.ndarray, colorscale: Any = GREYS) -> str:
    """A uint8 picture as a PNG data URI: grey [H, W] through the colorscale as a 256-colour palette, RGB [H, W, 3]
    as is. PNG's deflate makes feature maps about half the size of raw bytes in base64, and the browser decodes it
    natively."""
    from PIL import Image

    z = np.ascontiguousarray(z, dtype=np.uint8)
    if z.ndim == 3:
        img = Image.fromarray(z)  # [H, W, 3] uint8 is RGB
    elif colorscale is GREYS and (z.size == 0 or z.max() < SEP):
        img = Image.fromarray(z)  # plain grey: no 768-byte palette, which would triple a 28x28 picture
    else:
        img = Image.frombytes("P", (z.shape[1], z.shape[0]), z.tobytes())
        img.putpalette(palette(colorscale))
    buf = io.BytesIO()
    img.save(buf, "PNG", compress_level=6)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _picture_trace(z: np.ndarray, name: str, colorscale: Any = GREYS, **kw: Any) -> dict[str, Any]:
    """A uint8 picture as an `image` trace whose pixels come as a PNG (see `png_uri`)."""
    return {"type": "image", "source": png_uri(z, colorscale), "name": name, "hoverinfo": "skip", **kw}


NOT_YET = "appear after the first epoch"  # the subjects are plural: the filters, the maps, the counts


def _note_trace(text: str, shown: bool, x: Any = 0, y: Any = 0) -> dict[str, Any]:
    """What a panel says before the run's first data: a blank grey square or a grid of 0s read as "the model
    predicts nothing" (22_cnn_training_tall.png). A trace, not a layout annotation, because live patches restyle
    traces only: the first patch with data hides it (`_shown`)."""
    return {"type": "scatter", "mode": "text", "x": [x], "y": [y], "text": [f"<i>{text}</i>"],
            "textposition": "middle center", "textfont": {"size": 12, "color": "#6b7785"}, "hoverinfo": "skip",
            "name": "note", "visible": shown}


def _shown(source: str) -> dict[int, dict[str, Any]]:
    """The patch of a picture panel with data: its picture, shown, and its waiting note hidden."""
    return {0: {"source": source, "visible": True}, 1: {"visible": False}}
