"""Fuzzing the CSV upload surface (`parse_csv`, `save_upload`) permanently, in every `make test`.

A student's file reaches the parser straight from the browser, so every byte string must end in a parsed table or a
DataError sentence -- never another exception (a traceback on the page) and never a hang. Two strategies: arbitrary
bytes, and tables that are almost right (the cases a person actually makes: a stray cell, a missing value, another
separator, another encoding), which reach the deeper checks that random bytes never get past.
"""

from __future__ import annotations

import os

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nnlib.data.errors import DataError
from nnlib.data.tabular import MAX_CLASSES, parse_csv, save_upload

FUZZ = settings(max_examples=500, deadline=2000, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

CELLS = st.one_of(
    st.sampled_from(["", " ", "0", "1", "2", "-1.5", "3.25", "1e5", "1e31", "1e400", "nan", "inf", "-inf", "NaN",
                     "1_0", "0x1F", "abc", '"1"', '"1,5"', '"', "label", "x1", "x2", "\ufeff", " 7 ", "1,5"]),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-5, 12).map(str),
    st.text(max_size=6),
)
HEADERS = st.one_of(
    st.just(["x1", "x2", "label"]),
    st.just(["label", "a", "b", "c"]),
    st.lists(st.sampled_from(["x1", "x2", "x3", "label", "LABEL", "", " ", "x1 ", "ünï", "1", "y"]), max_size=5),
)


@st.composite
def near_valid_tables(draw: st.DrawFn) -> bytes:
    """A header and 0-40 rows of numbers, some cells replaced by odd ones, joined by one separator, in one encoding."""
    header = draw(HEADERS)
    n_rows = draw(st.integers(0, 40))
    width = len(header)
    rows = [[str(v) for v in draw(st.lists(st.integers(0, 3), min_size=width, max_size=width))]
            for _ in range(n_rows)]
    for _ in range(draw(st.integers(0, 4))):  # mutations: an odd cell, a short or long row
        if rows:
            row = rows[draw(st.integers(0, len(rows) - 1))]
            kind = draw(st.sampled_from(["cell", "drop", "add"]))
            if kind == "cell" and row:
                row[draw(st.integers(0, len(row) - 1))] = draw(CELLS)
            elif kind == "drop" and row:
                row.pop()
            else:
                row.append(draw(CELLS))
    sep = draw(st.sampled_from([",", ";", "\t", "|", " "]))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = newline.join(sep.join(r) for r in [header, *rows])
    if draw(st.booleans()):
        text = draw(st.sampled_from(["\ufeff", "\n\n", " ", sep * 3 + "\n"])) + text
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252", "shift_jis", "latin-1"]))
    return text.encode(encoding, "replace")


def check_parsed(x: np.ndarray, y: np.ndarray, names: list[str]) -> None:
    """What a parse that succeeded must give: a finite float32 table, one target per row, named features."""
    assert x.dtype == np.float32 and x.ndim == 2 and x.shape == (len(y), len(names))
    assert np.isfinite(x).all() and len(set(names)) == len(names)
    if y.dtype == np.int64:
        assert 0 <= y.min() and y.max() < MAX_CLASSES
    else:
        assert y.dtype == np.float32 and np.isfinite(y).all()


def parse_or_sentence(content: bytes) -> None:
    try:
        result = parse_csv(content)
    except DataError as e:
        assert str(e) and "\n" not in str(e) and "Traceback" not in str(e)
        return
    check_parsed(*result)


@FUZZ
@given(st.binary(max_size=300))
def test_arbitrary_bytes_parse_or_give_a_sentence(content):
    parse_or_sentence(content)


@FUZZ
@given(near_valid_tables())
def test_near_valid_tables_parse_or_give_a_sentence(content):
    parse_or_sentence(content)


@FUZZ
@given(content=st.one_of(near_valid_tables(), st.binary(max_size=100)))
def test_save_upload_stores_only_what_parses(content, tmp_path):
    """The page's own entry point: a stored upload is one parse_csv accepts, a refused one leaves no file."""
    folder = str(tmp_path / "uploads")
    try:
        name = save_upload(content, folder)
    except DataError:
        assert not os.path.exists(folder) or not any(f.endswith(".tmp") for f in os.listdir(folder))
        return
    with open(os.path.join(folder, name), "rb") as f:
        check_parsed(*parse_csv(f.read()))
