"""Students' own data: a CSV with feature columns (x1, x2, ...) and a `label` column, checked with messages
naming the line and column of each problem. Torch-free, so RunConfig can cheaply ask a CSV run's problem type.

A config (and so a share link) names a CSV only by the content-hash name `save_upload` gave it: the server opens
files of its own uploads folder and nothing else, whatever a link says.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
from typing import Any

import numpy as np

from nnlib.data.errors import DataError

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 100_000
MIN_ROWS = 20
MIN_FEATURES, MAX_FEATURES = 2, 50
MAX_CLASSES = 10
LABEL = "label"
EXAMPLE = "x1,x2,label"

_SUMMARY_CACHE: dict[tuple[str, float, int], dict[str, Any]] = {}
_UPLOAD_NAME = re.compile(r"[0-9a-f]{64}\.csv")


def uploads_dir() -> str:
    """Where uploaded CSVs live: $NNLIB_DATA_DIR/uploads (default data/uploads)."""
    return os.path.join(os.environ.get("NNLIB_DATA_DIR") or "data", "uploads")


def upload_name(ref: str) -> str | None:
    """The upload a config's `data.csv_path` names -- its content-hash file name, alone or inside the uploads
    folder (older links carry `data/uploads/<hash>.csv`) -- or None when it names anything else."""
    base = os.path.basename(ref)
    if not _UPLOAD_NAME.fullmatch(base):
        return None
    head = os.path.dirname(ref)
    if head and os.path.normpath(head) != os.path.normpath(uploads_dir()):
        return None
    return base


def upload_path(ref: str) -> str:
    """The file behind an upload reference; DataError (never the file's content) for anything else."""
    if not ref:
        raise DataError("the csv dataset needs a file: upload one")
    name = upload_name(ref)
    if name is None:
        raise DataError("data.csv_path must be the name of a CSV uploaded to this server (64 hex digits + '.csv'); "
                        "a link or config cannot name other files")
    path = os.path.join(uploads_dir(), name)
    if not os.path.isfile(path):
        raise DataError(f"the uploaded CSV {name[:12]}... is not on this server (uploads stay on the server that "
                        "received them): upload the file again")
    return path


def _read(data: bytes | str | os.PathLike[str]) -> tuple[bytes, str]:
    """Bytes of an upload or a file, refusing big ones before reading them; also a name for messages."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        raw = bytes(data)
        where = "the uploaded file"
    else:
        path = os.fspath(data)
        if not os.path.isfile(path):
            raise DataError(f"the CSV file {path!r} does not exist")
        if os.path.getsize(path) > MAX_BYTES:
            raise DataError(f"the CSV file is {os.path.getsize(path) / 2**20:.1f} MB; the limit is "
                            f"{MAX_BYTES // 2**20} MB")
        with open(path, "rb") as f:
            raw = f.read()
        where = os.path.basename(path)
    if len(raw) > MAX_BYTES:
        raise DataError(f"{where} is {len(raw) / 2**20:.1f} MB; the limit is {MAX_BYTES // 2**20} MB")
    return raw, where


# cp1252 maps bytes 0x80-0x9F to these rare symbols; in a real Windows CSV they almost never appear, but they are
# exactly what Shift-JIS, GBK or Big5 text turns into when read as cp1252 (e.g. katakana -> "ƒ")
_MOJIBAKE = set("ƒ‚„†‡ˆ‰Š‹ŒŽšœžŸ˜™›\x81\x8d\x8f\x90\x9d")
SAVE_AS_UTF8 = "save it again as 'CSV UTF-8' (Excel, LibreOffice and Google Sheets all offer it)"


def _decode(raw: bytes, where: str) -> str:
    """Text of a CSV: UTF-8 (with or without BOM), UTF-16 with BOM, or Windows-1252 (what Excel writes in Western
    Europe); anything else is refused with how to fix it -- never decoded into garbled column names."""
    if b"\x00" in raw[:4096] and not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DataError(f"{where} is not a CSV file (it looks binary); save your table as CSV text, e.g. "
                        f"'{EXAMPLE}'")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            raise DataError(f"{where} says it is UTF-16 text but is not; {SAVE_AS_UTF8}") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        text = raw.decode("cp1252")
    except UnicodeDecodeError:
        text = ""
    if not text or _MOJIBAKE & set(text):
        raise DataError(f"{where} is not UTF-8 text (it looks like another encoding, e.g. Shift-JIS); "
                        f"{SAVE_AS_UTF8}")
    return text


def _is_number(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


def _delimiter(header: str) -> str:
    counts = {d: header.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def parse_csv(data: bytes | str | os.PathLike[str]) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """X float32 [n, F], y and the feature column names; y is int64 class indices 0..K-1 for classification
    (labels are whole numbers with at most 10 distinct values) else float32. DataError names the bad spot."""
    x, y, names, _ = _parse(data)
    return x, y, names


def _parse(data: bytes | str | os.PathLike[str]) -> tuple[np.ndarray, np.ndarray, list[str], dict[str, Any]]:
    raw, where = _read(data)
    text = _decode(raw, where)
    lines = text.splitlines()
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        raise DataError(f"{where} is empty; it needs a header line like '{EXAMPLE}' and one row per example")
    delim = _delimiter(lines[first])
    # newline=None: lines may end in \n, \r\n or a lone \r (what "CSV (Macintosh)" in Excel writes)
    rows = csv.reader(io.StringIO(text, newline=None), delimiter=delim)
    try:
        records = [(rows.line_num, r) for r in rows if r and any(c.strip() for c in r)]
    except csv.Error as e:
        raise DataError(f"{where} is not a valid CSV: line {rows.line_num}: {e}") from None
    if not records:  # e.g. a file of only commas or semicolons: lines, but not one value in them
        raise DataError(f"{where} has separators but no values; it needs a header line like '{EXAMPLE}' and one "
                        "row per example")
    header_line, header = records[0]
    header = [h.strip() for h in header]
    if len(header) < 2:
        raise DataError(f"{where} is not a CSV with several columns: the first line has one column. Separate "
                        f"columns by commas, e.g. '{EXAMPLE}'")
    if all(_is_number(h) for h in header):
        raise DataError(f"line {header_line} is numbers, but the first line must be a header naming the "
                        f"columns, e.g. '{EXAMPLE}'")
    lower = [h.lower() for h in header]
    if LABEL not in lower:
        raise DataError(f"no '{LABEL}' column: the header has {', '.join(repr(h) for h in header)}; name the "
                        f"column with the targets '{LABEL}', e.g. '{EXAMPLE}'")
    if lower.count(LABEL) > 1:
        raise DataError(f"the header has more than one '{LABEL}' column")
    for i, h in enumerate(header):
        if not h:
            raise DataError(f"line {header_line}, column {i + 1} has no name in the header")
        if lower.count(h.lower()) > 1:
            raise DataError(f"line {header_line}: the column name {h!r} appears twice in the header")
    label_col = lower.index(LABEL)
    names = [h for i, h in enumerate(header) if i != label_col]
    if not MIN_FEATURES <= len(names) <= MAX_FEATURES:
        raise DataError(f"{len(names)} feature column(s) besides '{LABEL}'; use {MIN_FEATURES} to "
                        f"{MAX_FEATURES} (e.g. '{EXAMPLE}')")
    body = records[1:]
    if len(body) > MAX_ROWS:
        raise DataError(f"{len(body):,} rows; the limit is {MAX_ROWS:,}: use a sample of your data")
    for line, r in body:
        if len(r) != len(header):
            raise DataError(f"line {line} has {len(r)} values but the header has {len(header)} columns")
    if len(body) < MIN_ROWS:
        raise DataError(f"only {len(body)} data row(s); a CSV needs at least {MIN_ROWS} examples to split "
                        "into training, validation and test data")
    cells = [[c.strip() for c in r] for _, r in body]
    try:
        table = np.array(cells, dtype=np.float64)
    except ValueError:
        table = None
    if table is None:  # find the first bad cell to name it
        for (line, _), r in zip(body, cells, strict=True):
            for j, c in enumerate(r):
                if not _is_number(c):
                    shown = c if len(c) <= 20 else c[:20] + "..."
                    what = "is empty" if not c else f"'{shown}' is not a number"
                    raise DataError(f"line {line}, column {header[j]}: {what}")
        raise DataError(f"{where}: a value is not a number")  # pragma: no cover
    bad = ~np.isfinite(table)
    if bad.any():
        i, j = map(int, np.argwhere(bad)[0])
        raise DataError(f"line {body[i][0]}, column {header[j]}: {cells[i][j]!r} is not a finite number (NaN "
                        "and infinity cannot be learned from); remove or fill that row")
    if np.abs(table).max() > 1e30:
        i, j = map(int, np.argwhere(np.abs(table) > 1e30)[0])
        raise DataError(f"line {body[i][0]}, column {header[j]}: {cells[i][j]!r} is too large")
    x = np.ascontiguousarray(np.delete(table, label_col, axis=1), dtype=np.float32)
    labels = table[:, label_col]
    values = np.unique(labels)
    if len(values) < 2:
        raise DataError(f"every row has the same {LABEL} ({labels[0]:g}); a model needs at least two "
                        "different targets to learn from")
    is_int = bool(np.all(labels == np.round(labels)))
    if is_int and len(values) <= MAX_CLASSES:
        y = np.searchsorted(values, labels).astype(np.int64)
        class_names = [f"{v:g}" for v in values]
        problem = "binary" if len(values) == 2 else "multiclass"
        n_classes = len(values)
    else:
        y = labels.astype(np.float32)
        class_names, problem, n_classes = [], "regression", 1
    info = {"n_rows": len(x), "n_features": len(names), "feature_names": names, "problem": problem,
            "n_classes": n_classes, "class_names": class_names}
    return x, y, names, info


def csv_summary(ref: str) -> dict[str, Any]:
    """n_rows, n_features, feature_names, problem, n_classes, class_names of an uploaded CSV; cached by (path,
    mtime, size) so RunConfig can ask often without re-reading."""
    path = upload_path(ref)
    st = os.stat(path)
    key = (os.path.abspath(path), st.st_mtime, st.st_size)
    if key not in _SUMMARY_CACHE:
        if len(_SUMMARY_CACHE) > 64:
            _SUMMARY_CACHE.clear()
        _SUMMARY_CACHE[key] = _parse(path)[3]
    return dict(_SUMMARY_CACHE[key])


def load_csv_dataset(ref: str) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """The catalog target: X float32, y and the summary dict (problem, class names, feature names)."""
    x, y, _, info = _parse(upload_path(ref))
    return x, y, info


def save_upload(content: bytes, folder: str | None = None) -> str:
    """Validate an uploaded CSV, store it as <sha256>.csv in the uploads folder and return that name -- what
    `data.csv_path` holds (same content, same name, so a link that names it works for everyone on this server)."""
    _parse(content)
    name = hashlib.sha256(content).hexdigest() + ".csv"
    folder = folder or uploads_dir()
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, name)
    if not os.path.isfile(path):
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "wb") as f:
            f.write(content)
        os.replace(tmp, path)
    return name
