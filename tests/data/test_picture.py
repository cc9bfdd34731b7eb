"""Uploaded pictures mean what the student saw: 16-bit depth scaled (not clipped), transparency composited, phone
rotation applied, phones' MPO JPEGs accepted; anything else gets a sentence."""

import io

import numpy as np
import pytest
from PIL import Image

from ui.cnn_predict import read_upload  # the page's entry point, so the page gets every fix below


def png(img: Image.Image, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG", **kw)
    return buf.getvalue()


def test_16_bit_png_is_scaled_not_clipped():
    a = np.zeros((28, 28), np.uint16)
    a[:, 14:] = 32768  # mid grey in 16 bits
    out = read_upload(png(Image.fromarray(a)), (1, 28, 28))[0]
    assert out[:, :12].max() == 0
    assert 120 <= out[:, 16:].mean() <= 136  # 32768/65535 of white, not clipped to 255


def test_black_drawing_on_transparent_background_keeps_its_strokes():
    rgba = np.zeros((28, 28, 4), np.uint8)  # transparent everywhere (RGB 0)...
    rgba[6:22, 13:15] = (0, 0, 0, 255)  # ...but an opaque black stroke: a "1" drawn in a paint app
    out = read_upload(png(Image.fromarray(rgba)), (1, 28, 28))[0]
    assert out[0, 0] == 255 and out[14, 3] == 255  # the paper shows as white
    assert out[14, 13:15].max() < 60  # the stroke stays dark
    assert out.std() > 50


def test_white_drawing_on_transparent_background_lands_on_black():
    rgba = np.zeros((28, 28, 4), np.uint8)
    rgba[6:22, 13:15] = (255, 255, 255, 255)
    out = read_upload(png(Image.fromarray(rgba)), (1, 28, 28))[0]
    assert out[0, 0] == 0 and out[14, 13:15].min() > 200


def test_exif_rotation_is_applied():
    a = np.zeros((20, 40, 3), np.uint8)  # 40 wide, 20 tall, left half white
    a[:, :20] = 255
    img = Image.fromarray(a)
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90 degrees clockwise to display
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif.tobytes(), quality=95)
    out = read_upload(buf.getvalue(), (1, 40, 20))[0]  # upright: 20 wide, 40 tall, the white half on top
    assert out[:18].mean() > 200 and out[22:].mean() < 50


def test_phone_mpo_jpeg_is_accepted():
    a = np.full((28, 28, 3), 200, np.uint8)
    img = Image.fromarray(a)
    buf = io.BytesIO()
    img.save(buf, "MPO", save_all=True, append_images=[Image.fromarray(255 - a)])
    assert Image.open(io.BytesIO(buf.getvalue())).format == "MPO"
    out = read_upload(buf.getvalue(), (3, 28, 28))
    assert out.shape == (3, 28, 28) and abs(int(out.mean()) - 200) <= 3  # the first frame


@pytest.mark.parametrize("data, words", [(b"GIF89a" + b"\0" * 20, "not a PNG or JPEG"),
                                         (b"\x89PNG\r\n\x1a\n" + b"\0" * 30, "PNG or JPEG"),
                                         (b"x" * (3 * 1024 * 1024), "limit is 2 MB")])
def test_bad_files_get_a_sentence(data, words):
    with pytest.raises(ValueError, match=words):
        read_upload(data, (1, 28, 28))


def test_a_gif_is_refused_by_name():
    buf = io.BytesIO()
    Image.new("L", (8, 8)).save(buf, "GIF")
    with pytest.raises(ValueError, match="GIF image; upload a PNG or JPEG"):
        read_upload(buf.getvalue(), (1, 8, 8))


@pytest.mark.parametrize("data", [b"\x89PNG\r\n\x1a\n\x00\x00\x00\x00IHDR",  # Pillow: ValueError 'Truncated IHDR chunk'
                                  b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x00\x00\x00\x00\x00\x00\x00\x08\x00\x00"
                                  b"\x00\x00\x00\x00\x00\x00"])
def test_a_damaged_png_header_gets_this_modules_sentence_not_pillows(data):
    """Found by tests/fuzz/test_fuzz_picture.py: Pillow's own ValueError text reached the page."""
    with pytest.raises(ValueError, match="damaged or truncated|PNG or JPEG"):
        read_upload(data, (1, 28, 28))
