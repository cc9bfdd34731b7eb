"""CSV uploads: good files load with the right problem type; each bad file gets a message naming the spot."""

import os
import subprocess
import sys

import numpy as np
import pytest

from nnlib.config import RunConfig
from nnlib.data import tabular
from nnlib.data.bundle import load_data
from nnlib.data.errors import DataError
from nnlib.data.tabular import csv_summary, parse_csv, save_upload

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    """Every test gets its own uploads folder ($NNLIB_DATA_DIR/uploads)."""
    monkeypatch.setenv("NNLIB_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def upload(text: str) -> str:
    """Store a CSV the way the page does and return what data.csv_path holds."""
    return save_upload(text.encode())


def table(n=30, cols=("x1", "x2"), label=lambda i: i % 2, seed=0) -> str:
    rng = np.random.default_rng(seed)
    rows = [",".join([*cols, "label"])]
    for i in range(n):
        rows.append(",".join([*(f"{v:.4f}" for v in rng.normal(size=len(cols))), str(label(i))]))
    return "\n".join(rows) + "\n"


def with_line(text: str, line: int, new: str) -> bytes:
    lines = text.splitlines()
    lines[line - 1] = new
    return ("\n".join(lines) + "\n").encode()


def test_binary_file(tmp_path):
    path = tmp_path / "two.csv"
    path.write_text(table(40, label=lambda i: [-1, 1][i % 2]))
    x, y, names = parse_csv(str(path))
    assert x.shape == (40, 2) and x.dtype == np.float32 and names == ["x1", "x2"]
    assert y.dtype == np.int64 and set(y) == {0, 1}
    s = csv_summary(upload(path.read_text()))
    assert s["problem"] == "binary" and s["n_classes"] == 2 and s["class_names"] == ["-1", "1"]
    assert s["n_features"] == 2 and s["n_rows"] == 40


def test_multiclass_regression_and_bytes():
    x, y, names = parse_csv(table(30, cols=("a", "b", "c"), label=lambda i: i % 3).encode())
    assert x.shape == (30, 3) and names == ["a", "b", "c"] and np.array_equal(np.bincount(y), [10, 10, 10])
    x, y, _ = parse_csv(table(30, label=lambda i: i * 0.5).encode())
    assert y.dtype == np.float32 and y[3] == 1.5
    _, y, _ = parse_csv(table(30, label=lambda i: i).encode())  # 30 distinct integers: regression
    assert y.dtype == np.float32


def test_label_column_anywhere_semicolons_bom_blank_lines():
    text = "\ufefflabel;x1;x2\n\n" + "\n".join(f"{i % 2};{i};{-i}" for i in range(25)) + "\n\n"
    x, y, names = parse_csv(text.encode())
    assert names == ["x1", "x2"] and x[3].tolist() == [3, -3] and y[3] == 1


GOOD = table(30)


@pytest.mark.parametrize("content, needle", [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "is not a CSV file"),
    (b"hello world\nthis is text\n", "is not a CSV with several columns"),
    (b"", "is empty"),
    (GOOD.replace("x1,x2,label", "x1,x2,target").encode(), "no 'label' column"),
    (GOOD.split("\n", 1)[1].encode(), "must be a header"),
    (with_line(GOOD, 17, "0.5,abc,1"), "line 17, column x2: 'abc' is not a number"),
    (with_line(GOOD, 5, "0.5,,1"), "line 5, column x2: is empty"),
    (with_line(GOOD, 9, "nan,1.0,0"), "line 9, column x1: 'nan' is not a finite number"),
    (with_line(GOOD, 9, "1.0,-inf,0"), "line 9, column x2: '-inf' is not a finite number"),
    (with_line(GOOD, 9, "1.0,2.0,x"), "line 9, column label: 'x' is not a number"),
    (with_line(GOOD, 6, "1.0,2.0"), "line 6 has 2 values but the header has 3 columns"),
    (table(5).encode(), "only 5 data row(s)"),
    (table(30, label=lambda i: 3).encode(), "every row has the same label (3)"),
    (table(30, cols=("x1",)).encode(), "1 feature column(s) besides 'label'; use 2 to 50"),
    (table(30, cols=tuple(f"f{i}" for i in range(51))).encode(), "51 feature column(s)"),
    (GOOD.replace("x1,x2,label", "x1,x1,label").encode(), "'x1' appears twice"),
])
def test_malformed_messages(content, needle):
    with pytest.raises(DataError) as e:
        parse_csv(content)
    assert needle in str(e.value)


def test_size_and_row_limits(monkeypatch, tmp_path):
    monkeypatch.setattr(tabular, "MAX_ROWS", 25)
    with pytest.raises(DataError, match="30 rows; the limit is 25"):
        parse_csv(GOOD.encode())
    monkeypatch.setattr(tabular, "MAX_BYTES", 100)
    with pytest.raises(DataError, match="MB; the limit is"):
        parse_csv(GOOD.encode())
    path = tmp_path / "big.csv"
    path.write_text(GOOD)
    with pytest.raises(DataError, match="MB; the limit is"):
        parse_csv(str(path))
    with pytest.raises(DataError, match="does not exist"):
        parse_csv(str(tmp_path / "nope.csv"))


def test_summary_cache_follows_file_changes(tmp_path):
    name = upload(table(30))
    path = tabular.upload_path(name)
    assert csv_summary(name)["problem"] == "binary"
    with open(path, "w") as f:
        f.write(table(30, label=lambda i: i % 4))
    os.utime(path, (1e9, 1e9))  # a different mtime, whatever the clock resolution
    s = csv_summary(name)
    assert s["problem"] == "multiclass" and s["n_classes"] == 4


def test_run_config_problem_from_csv_without_torch(tmp_path):
    name = upload(table(30, label=lambda i: i * 0.1))
    code = ("import sys; from nnlib.config import RunConfig; "
            f"c = RunConfig().replace(data={{'dataset': 'csv', 'csv_path': {name!r}}}); "
            "print(c.problem, c.n_classes, c.loss, c.validate()); assert 'torch' not in sys.modules")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60,
                         env=dict(os.environ))
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("regression 1 mse []")
    cfg = RunConfig().replace(data={"dataset": "csv", "csv_path": upload(table(30, label=lambda i: i % 3))})
    assert cfg.problem == "multiclass" and cfg.n_classes == 3 and cfg.loss == "cross_entropy"


def test_save_upload(data_dir):
    folder = str(data_dir / "uploads")
    p1 = save_upload(GOOD.encode())
    p2 = save_upload(GOOD.encode())
    assert p1 == p2 and p1.endswith(".csv") and len(p1) == 68 and os.sep not in p1
    with open(os.path.join(folder, p1), "rb") as f:
        assert f.read() == GOOD.encode()
    with pytest.raises(DataError, match="no 'label' column"):
        save_upload(b"a,b\n1,2\n")
    assert os.listdir(folder) == [p1]


SECRET = "Name:\tpython\nsecret-token,42\n"


@pytest.mark.parametrize("ref", ["/proc/self/status", "/proc/self/mem", "../../etc/passwd", "data/uploads/../x.csv",
                                 "/etc/hostname", "{secret}", "uploads/{hash}.csv", "/tmp/{hash}.csv",
                                 "data/uploads/../../{hash}.csv", "{hash}.csv/", "{hash}.CSV"])
def test_a_link_cannot_make_the_server_open_a_file(ref, tmp_path, monkeypatch):
    """Only names of this server's uploads are opened: any other path in a link is refused before any file is
    touched, and no message echoes a file's content."""
    secret = tmp_path / "secret.csv"
    secret.write_text(SECRET)
    h = "a" * 64
    (tmp_path / f"{h}.csv").write_text(SECRET)
    ref = ref.format(secret=secret, hash=h)
    opened = []
    real_open = open

    def spy(path, *a, **kw):
        opened.append(str(path))
        return real_open(path, *a, **kw)

    monkeypatch.setattr("builtins.open", spy)
    cfg = RunConfig.from_query(f"data.dataset=csv&data.csv_path={ref}")
    errs = cfg.validate()
    assert any("must be the name of a CSV uploaded to this server" in e for e in errs), errs
    assert not any("secret" in e or "Name:" in e or "python" in e for e in errs)
    assert cfg.problem == "binary" and cfg.csv_summary is None
    with pytest.raises(DataError, match="uploaded to this server"):
        load_data(cfg)
    assert opened == []


def test_an_upload_from_another_server_is_named_not_opened():
    cfg = RunConfig().replace(data={"dataset": "csv", "csv_path": "b" * 64 + ".csv"})
    errs = cfg.validate()
    assert any("is not on this server" in e and "upload the file again" in e for e in errs), errs


def test_links_with_the_old_uploads_path_still_work(data_dir):
    name = upload(GOOD)
    legacy = os.path.join(str(data_dir / "uploads"), name)
    cfg = RunConfig().replace(data={"dataset": "csv", "csv_path": legacy})
    assert cfg.validate() == [] and cfg.csv_summary["n_rows"] == 30


def test_load_data_csv_two_columns_uses_features(tmp_path):
    rng = np.random.default_rng(0)
    pts = rng.uniform(-3, 3, (200, 2))
    rows = ["x1,x2,label"] + [f"{a:.5f},{b:.5f},{int(a * b > 0)}" for a, b in pts]
    feats = ("x1", "x2", "x1*x2")
    cfg = RunConfig().replace(data={"dataset": "csv", "csv_path": upload("\n".join(rows)), "features": feats})
    b = load_data(cfg)
    assert b.kind == "csv" and b.problem == "binary" and b.input_shape == (3,)
    assert b.feature_names == ["x1", "x2", "x1*x2"] and b.class_names == ["0", "1"]
    assert np.allclose(b.inputs_for_points(b.points_train), b.x_train, atol=1e-5)
    x0, x1, y0, y1 = b.domain
    assert x0 < pts[:, 0].min() and x1 > pts[:, 0].max() and y0 < pts[:, 1].min()
    assert sum(b.sizes().values()) == 200


def test_load_data_csv_many_columns(tmp_path):
    name = upload(table(100, cols=("a", "b", "c", "d"), label=lambda i: i * 0.25))
    b = load_data(RunConfig().replace(data={"dataset": "csv", "csv_path": name}))
    assert b.problem == "regression" and b.n_classes == 1 and b.input_shape == (4,)
    assert b.feature_names == ["a", "b", "c", "d"] and b.y_train.dtype == np.float32
    grid = b.inputs_for_points(np.zeros((5, 2), np.float32))
    assert grid.shape == (5, 4) and np.allclose(grid[:, 2:], 0, atol=1e-5)  # other columns at their mean


def test_load_data_csv_errors(tmp_path):
    with pytest.raises(DataError, match="needs a file"):
        load_data(RunConfig().replace(data={"dataset": "csv"}))
    name = upload(table(30))
    with open(tabular.upload_path(name), "w") as f:  # an upload that went bad on disk after it was checked
        f.write("x1,x2,label\n1,2\n")
    with pytest.raises(DataError, match="line 2 has 2 values"):
        load_data(RunConfig().replace(data={"dataset": "csv", "csv_path": name}))


def test_windows_1252_headers_are_read_right():
    text = "température,pression,label\n" + "\n".join(f"{i * 0.1:.1f},{i % 7:.1f},{i % 2}" for i in range(30))
    x, y, names = parse_csv(text.encode("cp1252"))
    assert names == ["température", "pression"] and x.shape == (30, 2)


def test_utf16_with_bom_is_read():
    text = "größe,x2,label\n" + "\n".join(f"{i * 0.1:.1f},{i % 7:.1f},{i % 2}" for i in range(30))
    _, _, names = parse_csv(text.encode("utf-16"))
    assert names == ["größe", "x2"]


@pytest.mark.parametrize("codec", ["shift_jis", "gbk"])
def test_east_asian_encodings_are_refused_not_garbled(codec):
    text = "温度,圧力,label\n" + "\n".join(f"{i * 0.1:.1f},{i % 7:.1f},{i % 2}" for i in range(30))
    with pytest.raises(DataError, match="not UTF-8 text.*CSV UTF-8"):
        parse_csv(text.encode(codec))


@pytest.mark.parametrize("content", [b",", b",,,\n,,,\n", b";;;;\n;;\n", b" , \n , ,\n", b'"",""\n'])
def test_a_csv_of_only_separators_is_refused_with_a_sentence(content, data_dir):
    """Found by the fuzz suite: these raised IndexError (a traceback on the page) in parse_csv and save_upload."""
    for call in (parse_csv, save_upload):
        with pytest.raises(DataError, match="has separators but no values"):
            call(content)
    assert not (data_dir / "uploads").exists() or os.listdir(data_dir / "uploads") == []


def test_old_mac_line_endings_are_read_like_any_other():
    """Found by the CSV fuzz test: lines ending in a lone '\\r' (Excel's "CSV (Macintosh)") were refused with
    Python's 'new-line character seen in unquoted field - do you need to open the file in universal-newline mode?'."""
    x, y, names = parse_csv(GOOD.replace("\n", "\r").encode())
    x_unix, y_unix, _ = parse_csv(GOOD.encode())
    assert names == ["x1", "x2"] and np.array_equal(x, x_unix) and np.array_equal(y, y_unix)
    with pytest.raises(DataError, match="line 9, column x2: 'abc' is not a number"):
        parse_csv(with_line(GOOD, 9, "1.0,abc,0").replace(b"\n", b"\r"))
