"""Turn a picture a student uploads (phone photo, drawing app export, scanner PNG) into the uint8 image a dataset's
model expects -- with Pillow's own tools, so orientation, bit depth and transparency mean what the student saw.

Plain Pillow + numpy (no torch, no streamlit): the page calls it, the tests feed it every odd case.
"""

from __future__ import annotations

import io
import warnings

import numpy as np

MAX_BYTES = 2 * 1024 * 1024
MAX_PIXELS = 4_000_000  # PIL refuses bigger images (decompression bombs)
FORMATS = ("PNG", "JPEG", "MPO")  # MPO: the multi-picture JPEG many phones write; its first frame is the photo


class PictureError(ValueError):
    """A sentence for the student saying why the file cannot be used (a ValueError, as callers catch)."""


def _to_8bit_rgba(img: object) -> np.ndarray:
    """Any Pillow mode -> float RGBA in 0..255, keeping 16-bit depth (scaled, not clipped) and transparency."""
    from PIL import Image

    assert isinstance(img, Image.Image)
    if img.mode in ("I;16", "I;16B", "I;16L", "I", "F"):  # 16/32-bit grey: scale the type's range to 0..255
        a = np.asarray(img, dtype=np.float64)
        top = 65535.0 if img.mode.startswith("I;16") or a.max() > 255 else 255.0
        grey = np.clip(a / top * 255.0, 0, 255)
        return np.dstack([grey, grey, grey, np.full_like(grey, 255.0)])
    return np.asarray(img.convert("RGBA"), dtype=np.float64)


def _flatten(rgba: np.ndarray) -> np.ndarray:
    """Composite transparency on the paper the strokes were drawn for: dark strokes on white, light ones on black
    (a black-on-transparent drawing must not turn all black), like an image viewer shows it."""
    alpha = rgba[..., 3:4] / 255.0
    rgb = rgba[..., :3]
    if alpha.min() >= 1.0:
        return rgb
    opaque = alpha[..., 0] > 0.5
    ink = rgb[opaque].mean() if opaque.any() else 0.0
    paper = 255.0 if ink < 128 else 0.0
    return rgb * alpha + paper * (1.0 - alpha)


def decode_picture(data: bytes, shape: tuple[int, int, int]) -> np.ndarray:
    """PNG/JPEG bytes -> uint8 [C, H, W] in the dataset's channels and size; ValueError with a reason."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    if len(data) > MAX_BYTES:
        raise PictureError(f"the file has {len(data) / 1e6:.1f} MB; the limit is {MAX_BYTES / 1e6:.0f} MB")
    c, h, w = shape
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                if img.format not in FORMATS:
                    raise PictureError(f"this is a {img.format or 'unknown'} image; upload a PNG or JPEG")
                if img.width * img.height > MAX_PIXELS:
                    raise PictureError(f"the image has too many pixels (limit {MAX_PIXELS:,})")
                img.seek(0)
                img.load()
                upright = ImageOps.exif_transpose(img)  # phones store portrait photos sideways + an EXIF flag
                rgb = _flatten(_to_8bit_rgba(upright))
    except PictureError:
        raise
    except UnidentifiedImageError:
        raise PictureError("this file is not a PNG or JPEG image (or it is damaged); upload a PNG or JPEG") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PictureError(f"the image has too many pixels (limit {MAX_PIXELS:,})") from None
    except Exception as e:  # Pillow's parsers raise many types (ValueError, struct.error, ...) on
        # damaged files; any of them means the same thing to the student
        raise PictureError(f"the image file is damaged or truncated ({type(e).__name__})") from None
    pic = Image.fromarray(np.rint(rgb).astype(np.uint8))  # H x W x 3 uint8: RGB
    if c == 1:
        pic = pic.convert("L")  # ITU-R 601 luma, as Pillow and torchvision's Grayscale do
    arr = np.asarray(pic.resize((w, h), Image.Resampling.BILINEAR), dtype=np.uint8)
    return arr[None] if arr.ndim == 2 else arr.transpose(2, 0, 1)
