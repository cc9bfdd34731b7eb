"""Fuzzing the picture upload surface (`decode_picture`) permanently, in every `make test`.

Any file a student picks reaches Pillow, whose plugins raise many exception types on damaged input. Every byte string
must end in a uint8 image of the dataset's shape or a ValueError sentence of this module. Two strategies: arbitrary
bytes, and real small PNG/JPEG files (every common mode, odd sizes, EXIF orientations valid and not) -- intact,
truncated or with a flipped byte.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nnlib.data.picture import decode_picture

# Pillow warns (and carries on) about the damaged EXIF and APNG blocks this file makes on purpose
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:PIL")
FUZZ = settings(max_examples=500, deadline=2000, database=None, suppress_health_check=[HealthCheck.too_slow])
SHAPES = st.sampled_from([(1, 28, 28), (3, 32, 32), (1, 8, 8), (3, 5, 7)])
PNG_MODES = ["1", "L", "LA", "P", "RGB", "RGBA", "I;16"]
JPEG_MODES = ["L", "RGB", "CMYK"]
# decode_picture's own sentences; a raw Pillow message (or one from any other library) would be a leak
SENTENCES = ("upload a PNG or JPEG", "too many pixels", "damaged or truncated", "the limit is")


@st.composite
def picture_files(draw: st.DrawFn) -> bytes:
    """The bytes of a real small PNG or JPEG, maybe with an EXIF orientation, maybe damaged afterwards."""
    from PIL import Image

    fmt = draw(st.sampled_from(["PNG", "JPEG"]))
    mode = draw(st.sampled_from(PNG_MODES if fmt == "PNG" else JPEG_MODES))
    w, h = draw(st.integers(1, 40)), draw(st.integers(1, 40))
    seed = draw(st.integers(0, 2**32 - 1))
    pixels = np.random.default_rng(seed).integers(0, 256, size=(h, w, 4), dtype=np.uint8)
    img = Image.fromarray(pixels, "RGBA")
    img = img.convert(mode) if mode != "I;16" else img.convert("I").convert(mode)
    kwargs = {}
    if draw(st.booleans()):
        exif = Image.Exif()
        exif[0x0112] = draw(st.sampled_from([1, 2, 3, 4, 5, 6, 7, 8, 0, 9, 255, 65535]))  # Orientation
        kwargs["exif"] = exif.tobytes()
    buf = io.BytesIO()
    img.save(buf, fmt, **kwargs)
    data = bytearray(buf.getvalue())
    damage = draw(st.sampled_from(["none", "none", "truncate", "flip"]))
    if damage == "truncate":
        data = data[: draw(st.integers(0, len(data)))]
    elif damage == "flip" and data:
        i = draw(st.integers(0, len(data) - 1))
        data[i] ^= draw(st.integers(1, 255))
    return bytes(data)


def decoded_or_sentence(data: bytes, shape: tuple[int, int, int]) -> None:
    try:
        arr = decode_picture(data, shape)
    except ValueError as e:
        assert any(s in str(e) for s in SENTENCES), f"not this module's sentence: {e!r}"
        return
    assert arr.dtype == np.uint8 and arr.shape == shape


@FUZZ
@given(st.binary(max_size=400), SHAPES)
def test_arbitrary_bytes_decode_or_give_a_sentence(data, shape):
    decoded_or_sentence(data, shape)


@FUZZ
@given(picture_files(), SHAPES)
def test_real_pictures_intact_or_damaged_decode_or_give_a_sentence(data, shape):
    decoded_or_sentence(data, shape)


@st.composite
def chunked_files(draw: st.DrawFn) -> bytes:
    """A PNG signature and chunks, or a JPEG start and segments, with real chunk/segment names and random lengths and
    contents: past format sniffing into each parser's header and chunk code, where random bytes never get."""
    import struct
    import zlib

    body = draw(st.binary(max_size=40))
    if draw(st.booleans()):
        out = b"\x89PNG\r\n\x1a\n"
        for _ in range(draw(st.integers(1, 4))):
            name = draw(st.sampled_from([b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"eXIf", b"iCCP", b"acTL"]))
            data = draw(st.binary(max_size=20))
            length = draw(st.one_of(st.just(len(data)), st.integers(0, 2**31 - 1)))
            crc = zlib.crc32(name + data) if draw(st.booleans()) else draw(st.integers(0, 2**32 - 1))
            out += struct.pack(">I", length) + name + data + struct.pack(">I", crc)
        return out + body
    out = b"\xff\xd8"
    for _ in range(draw(st.integers(1, 4))):
        marker = draw(st.sampled_from([0xE0, 0xE1, 0xE2, 0xDB, 0xC0, 0xC2, 0xC4, 0xDD, 0xDA, 0xD9, 0xFE]))
        data = draw(st.binary(max_size=20))
        length = draw(st.one_of(st.just(len(data) + 2), st.integers(0, 0xFFFF)))
        out += bytes([0xFF, marker]) + struct.pack(">H", length) + data
    return out + body


@FUZZ
@given(chunked_files(), SHAPES)
def test_chunked_junk_decodes_or_gives_a_sentence(data, shape):
    decoded_or_sentence(data, shape)


@FUZZ
@given(st.sampled_from([b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF89a", b"BM", b"RIFF\x00\x00\x00\x00WEBP",
                        b"II*\x00", b"\x00\x00\x01\x00"]), st.binary(max_size=300), SHAPES)
def test_known_magic_numbers_with_junk_decode_or_give_a_sentence(magic, tail, shape):
    """Random bytes rarely get past Pillow's format sniffing: these reach each plugin's own header parser."""
    decoded_or_sentence(magic + tail, shape)
