"""Fuzzing the command line (`python -m nnlib ...`) permanently, in every `make test`, in-process.

Generated argv (known options with odd values, stray tokens, odd paths) and generated config files (arbitrary bytes,
and JSON that is almost a run config). Every case must end with exit code 0 (done), 1 (validate found problems,
or a run that failed), 2 (bad argument, file or config: one sentence) or 3 (data cannot be loaded) -- never an
exception escaping `main`, a traceback, a hang, or text the terminal cannot print.
"""

from __future__ import annotations

import io
import json
import os
from contextlib import redirect_stderr, redirect_stdout

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nnlib.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

FUZZ = settings(max_examples=500, deadline=20_000, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

SECTIONS = {"data": ["dataset", "n_samples", "noise", "features", "csv_path", "seed", "bogus"],
            "model": ["hidden", "activation", "dropout", "initializer", "cnn", "bogus"],
            "train": ["optimizer", "lr", "batch_size", "epochs", "loss", "schedule", "device", "bogus"],
            "extra": ["x"]}
JSON_LEAVES = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 3), st.integers(), st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["circle", "xor", "spiral", "gauss", "relu", "tanh", "sgd", "adam", "cpu", "cuda", "mnist",
                     "csv", "../../etc/passwd", "/proc/self/status", ""]),
    st.text(max_size=8),
)
JSON_VALUES = st.recursive(JSON_LEAVES, lambda inner: st.lists(inner, max_size=4), max_leaves=8)
EPOCHS = st.one_of(st.sampled_from(["0", "-1", "1", "2", "1e3", "", " 2", "10001", "9" * 30, "x"]),
                   st.integers(-3, 3).map(str), st.text(max_size=5))
THREADS = st.one_of(st.sampled_from(["0", "-1", "1", "2", "257", "x", ""]), st.text(max_size=5))
# JSON that text does not encode on its own: deep nesting, long numbers, NaN, a BOM, a non-UTF-8 byte
ODD_JSON = st.sampled_from([b"[" * 50_000, b'{"train": {"epochs": ' + b"9" * 5000 + b"}}", b'{"train": {"lr": NaN}}',
                            b'{"train": {"lr": 1e999}}', b'\xef\xbb\xbf{"train": {"epochs": 2}}', b'{"x": "\xe9"}',
                            b"{}", b"null", b"[]", b'"text"', b""])


@st.composite
def near_configs(draw: st.DrawFn) -> bytes:
    """A JSON object shaped like a run config: known and unknown sections and keys with any JSON values. Training
    stays short: train.epochs, when it is a valid count, is at most 3."""
    config: dict = {}
    for section, keys in SECTIONS.items():
        if draw(st.booleans()):
            picked = draw(st.lists(st.sampled_from(keys), max_size=4, unique=True))
            config[section] = {k: draw(JSON_VALUES) for k in picked}
    train = config.get("train")
    if isinstance(train, dict) and isinstance(train.get("epochs"), int) and train["epochs"] > 3:
        train["epochs"] = 3
    if "train" in config and draw(st.booleans()):
        config["train"] = draw(JSON_VALUES)  # a section that is not an object
    return json.dumps(config).encode()


CONFIG_FILES = st.one_of(near_configs(), st.binary(max_size=200), ODD_JSON)


PATHS = st.sampled_from(["{config}"] * 6 + ["/dev/zero", "/dev/urandom", "/dev/null", "{folder}", "{missing}",
                                            "{fifo}", "bad\x00path", "\udcff.json", "a\nb.json"])
OUTS = st.sampled_from(["{folder}/run", "{folder}/run", "{config}", "{config}/sub", "{folder}", "", "\udcff"])


@st.composite
def command_lines(draw: st.DrawFn) -> tuple[list[str], bytes]:
    """An argv for main() -- mostly a well-formed command with odd values, sometimes a malformed one -- and the
    content of the config file '{config}' in it stands for."""
    cmd = draw(st.sampled_from(["train", "train", "train", "validate", "validate", "validate", "list", "download",
                                "nope", "--help", ""]))
    argv = [cmd]
    if cmd in ("train", "validate"):
        argv += ["--config", draw(PATHS)]
    if cmd == "train":
        argv += ["--epochs", draw(EPOCHS) if draw(st.booleans()) else "2"]  # a valid run stays short
        for flag, values in (("--out", OUTS), ("--threads", THREADS)):
            if draw(st.booleans()):
                argv += [flag, draw(values)]
        argv += ["--quiet"] * draw(st.integers(0, 1))
    if cmd == "list":
        argv += ["--json"] * draw(st.integers(0, 1))
    if cmd == "download":
        argv += [draw(st.sampled_from(["mnist", "cifar10", "imagenet", ""])), "--root",
                 draw(st.sampled_from(["{folder}", "{config}", "{missing}"]))]
    if draw(st.integers(0, 9)) == 0:  # malformed: a stray token, a missing value, a dropped option
        token = draw(st.one_of(st.sampled_from(["--bogus", "--config", "--epochs", "-h", "--"]), st.text(max_size=6)))
        argv.insert(draw(st.integers(0, len(argv))), token)
    return argv, draw(CONFIG_FILES)


def terminal() -> io.TextIOWrapper:
    """A UTF-8 stream that refuses what a real terminal cannot print (lone surrogates from argv, for example)."""
    return io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="strict")


@pytest.fixture(scope="module")
def warm(tmp_path_factory):
    """One real short run first: torch/torchvision imports and numba's cache load (seconds, once) must not count
    against the first generated case's deadline."""
    out = tmp_path_factory.mktemp("warm")
    with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
        assert main(["train", "--config", os.path.join(ROOT, "examples/xor.json"), "--epochs", "1", "--quiet",
                     "--out", str(out)]) == 0
        main(["download", "mnist", "--root", str(out)])


@pytest.fixture
def workdir(tmp_path, monkeypatch, warm):
    """A scratch folder as the current directory: default output folders (runs/...) land there."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NNLIB_ALLOW_DOWNLOAD", "0")
    os.mkfifo(tmp_path / "fifo")
    return tmp_path


@FUZZ
@given(case=command_lines())
def test_any_command_line_ends_in_a_result_or_one_sentence(case, workdir):
    argv, content = case
    config = workdir / "config.json"
    config.write_bytes(content)
    places = {"{config}": str(config), "{folder}": str(workdir), "{missing}": str(workdir / "missing.json"),
              "{fifo}": str(workdir / "fifo")}
    for key, path in places.items():
        argv = [a.replace(key, path) for a in argv]
    out, err = terminal(), terminal()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            rc = main(argv)
        except SystemExit as e:  # argparse: --help (0) or a bad argument (2)
            rc = e.code
            assert rc in (0, 2), rc
        out.flush()
        err.flush()
    assert rc in (0, 1, 2, 3), rc
    errors = err.buffer.getvalue().decode()
    assert "Traceback" not in errors
    if rc == 2 and not errors.startswith("invalid config"):
        lines = [line for line in errors.splitlines() if "epoch/s" not in line]
        assert len(lines) == 1, errors
