"""`python -m nnlib`: train learns XOR and writes its files; validate and list speak plainly."""

import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def nnlib(*args, cwd=None):
    env = {**os.environ, "PYTHONPATH": ROOT, "NNLIB_ALLOW_DOWNLOAD": "0"}
    return subprocess.run([sys.executable, "-m", "nnlib", *args], capture_output=True, text=True, cwd=cwd or ROOT,
                          env=env, timeout=120)


@pytest.mark.slow
def test_train_learns_xor_and_writes_history_and_weights(tmp_path):
    out = tmp_path / "run"
    r = nnlib("train", "--config", os.path.join(ROOT, "examples/xor.json"), "--out", str(out), "--quiet")
    assert r.returncode == 0, r.stderr
    history = json.loads((out / "history.json").read_text())
    assert len(history) == 100
    for key in ("epoch", "train_loss", "val_loss", "val_accuracy", "lr", "wall_time"):
        assert key in history[-1]
    assert history[-1]["val_accuracy"] >= 0.95
    assert (out / "history.csv").read_text().startswith("epoch,")
    from safetensors.torch import load_file

    state = load_file(out / "model.safetensors")
    assert any(k.endswith("weight") for k in state)


def test_validate_prints_every_problem_and_fails(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"model": {"hidden": [4, 0]}, "train": {"lr": 50, "optimizer": "newton"}}))
    r = nnlib("validate", "--config", str(bad))
    assert r.returncode == 1
    assert "hidden layer 2 has 0 neurons" in r.stdout and "train.lr is 50" in r.stdout and "'newton'" in r.stdout
    assert nnlib("validate", "--config", os.path.join(ROOT, "examples/spiral.json")).returncode == 0


def test_every_example_config_is_valid():
    from nnlib.config import RunConfig

    for name in os.listdir(os.path.join(ROOT, "examples")):
        with open(os.path.join(ROOT, "examples", name)) as f:
            assert RunConfig.from_json(f.read()).validate() == [], name


def test_list_json_has_every_registry_with_params():
    r = nnlib("list", "--json")
    regs = json.loads(r.stdout)
    for kind in ("datasets", "activations", "initializers", "losses", "optimizers", "schedules", "regularizers"):
        assert regs[kind], kind
    names = {e["name"] for e in regs["activations"]}
    assert {"relu", "tanh", "maxout", "prelu", "gelu", "silu"} <= names
    assert all(e["description"] for e in regs["activations"])
    assert next(e for e in regs["datasets"] if e["name"] == "digits")["params"]["classes"] == 10


def test_offline_download_gives_the_fetch_command(tmp_path):
    r = nnlib("download", "mnist", "--root", str(tmp_path))
    assert r.returncode == 3
    assert "python -m nnlib download mnist" in r.stderr


# ---------- hostile input: one line on stderr, exit code 2, never a traceback (issue 9, item 9) ----------

XOR = os.path.join(ROOT, "examples/xor.json")


def run_in_process(argv: list[str]) -> tuple[int, str, str]:
    """main(argv) in this process: exit code, stdout, stderr (argparse's SystemExit counted as an exit code)."""
    from contextlib import redirect_stderr, redirect_stdout
    from io import StringIO

    from nnlib.cli import main

    out, err = StringIO(), StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            rc = main(argv)
        except SystemExit as e:
            rc = e.code if isinstance(e.code, int) else 2
    return rc, out.getvalue(), err.getvalue()


def assert_one_line_error(rc: int, err: str, needle: str) -> None:
    assert rc == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert needle in err, err


@pytest.mark.parametrize("content, needle", [
    (b'{"train": {"lr": 1\xe9}}', "is not UTF-8 text (byte 18 is 0xe9)"),
    (b"\xff\xfe{\x00}\x00", "is not UTF-8 text"),
])
def test_a_config_that_is_not_utf8_is_one_line(tmp_path, content, needle):
    bad = tmp_path / "bad.json"
    bad.write_bytes(content)
    for cmd in ("train", "validate"):
        rc, _, err = run_in_process([cmd, "--config", str(bad)])
        assert_one_line_error(rc, err, needle)


@pytest.mark.parametrize("text, needle", [
    ("[" * 100_000, "nested too deeply"),
    ('{"train": {"epochs": ' + "9" * 5000 + "}}", "a number with 5000 digits"),
    ('{"train": {"lr": 1' + "0" * 5000 + ".5}}", "is too large"),
    ('{"train": {"lr": NaN}}', "NaN is not a number a setting can take"),
])
def test_configs_python_cannot_parse_are_config_problems(tmp_path, text, needle):
    bad = tmp_path / "bad.json"
    bad.write_text(text)
    rc, out, _ = run_in_process(["validate", "--config", str(bad)])
    assert rc == 1 and needle in out, out
    rc, _, err = run_in_process(["train", "--config", str(bad), "--out", str(tmp_path / "run")])
    assert rc == 2 and needle in err and "Traceback" not in err, err


def test_only_regular_files_of_at_most_1_mb_are_read(tmp_path):
    from nnlib.cli import MAX_CONFIG_BYTES

    big = tmp_path / "big.json"
    big.write_text('{"train": {}}' + " " * MAX_CONFIG_BYTES)
    assert_one_line_error(*run_in_process(["validate", "--config", str(big)])[::2], "larger than 1,000,000 bytes")
    assert_one_line_error(*run_in_process(["validate", "--config", str(tmp_path)])[::2], "is not a regular file")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)  # opening it for reading would wait for a writer forever
    assert_one_line_error(*run_in_process(["train", "--config", str(fifo)])[::2], "is not a regular file")
    assert_one_line_error(*run_in_process(["train", "--config", str(tmp_path / "none.json")])[::2],
                          "No such file or directory")


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_endless_devices_are_refused_not_read(device):
    """Before: /dev/zero grew until MemoryError, /dev/urandom never ended. Run in a child with a 1 GiB address-space
    limit so the old behaviour fails fast instead of eating the machine's memory."""
    import resource

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (2**30, 2**30))

    env = {**os.environ, "PYTHONPATH": ROOT}
    try:
        r = subprocess.run([sys.executable, "-m", "nnlib", "train", "--config", device], capture_output=True,
                           text=True, cwd=ROOT, env=env, timeout=60, preexec_fn=limit)
    except subprocess.TimeoutExpired:
        pytest.fail(f"reading {device} did not end")
    assert_one_line_error(r.returncode, r.stderr, "is not a regular file")


@pytest.mark.parametrize("args, needle", [
    (["--threads", "-1"], "argument --threads: -1 threads; use 1 to 256"),
    (["--threads", "0"], "argument --threads: 0 threads"),
    (["--threads", "many"], "expected a whole number of threads"),
    (["--epochs", "1e3"], "expected a whole number of epochs"),
    (["--epochs", "9" * 5000], "expected a whole number of epochs"),
    (["--out", "{file}"], "it is a file, not a folder"),
    (["--out", "{file}/sub"], "Not a directory"),
    (["--out", "bad\0name"], "cannot use --out"),
    (["--bogus"], "unrecognized arguments: --bogus"),
])
def test_bad_train_arguments_are_one_line(tmp_path, args, needle):
    (tmp_path / "file").write_text("x")
    args = [a.replace("{file}", str(tmp_path / "file")) for a in args]
    assert_one_line_error(*run_in_process(["train", "--config", XOR, *args])[::2], needle)


def test_epochs_0_is_refused_not_ignored(tmp_path):
    rc, _, err = run_in_process(["train", "--config", XOR, "--epochs", "0", "--out", str(tmp_path / "run")])
    assert rc == 2 and "train.epochs is 0; use 1 to 10,000" in err, err
    assert not (tmp_path / "run").exists()


def test_validate_lists_every_problem_not_just_the_unknown_keys(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"bogus": 1, "model": {"hidden": [4, 0], "zzz": 2},
                               "train": {"lr": 50, "optimizer": "newton", "epochs": "x"}}))
    rc, out, _ = run_in_process(["validate", "--config", str(bad)])
    assert rc == 1
    for needle in ("6 problem(s)", "unknown setting 'bogus'", "unknown setting 'model.zzz'",
                   "train.epochs must be a whole number", "'newton'", "train.lr is 50", "hidden layer 2 has 0 neurons"):
        assert needle in out, out


def test_history_json_stays_valid_json_when_a_metric_is_nan(tmp_path):
    from nnlib.cli import write_history
    from nnlib.train.callbacks import History

    history = History()
    history.append({"epoch": 1, "train_loss": 0.5, "val_loss": 0.6})
    history.append({"epoch": 2, "train_loss": float("nan"), "val_loss": float("inf"), "norms": [1.0, float("-inf")]})
    write_history(history, str(tmp_path))

    def refuse(constant: str) -> None:
        raise ValueError(f"{constant} is not JSON")

    records = json.loads((tmp_path / "history.json").read_text(), parse_constant=refuse)
    assert records[1] == {"epoch": 2, "train_loss": None, "val_loss": None, "norms": [1.0, None]}
    assert records[0]["train_loss"] == 0.5


def test_control_characters_in_arguments_cannot_break_the_one_line(tmp_path):
    """Found by tests/fuzz/test_fuzz_cli.py: a carriage return in an unknown argument split the error in two."""
    rc, _, err = run_in_process(["list", "--threads", "\r", "x\ny"])
    assert_one_line_error(rc, err, "unrecognized arguments: --threads \\r x\\ny")
    rc, _, err = run_in_process(["validate", "--config", str(tmp_path / "a\nb.json")])
    assert_one_line_error(rc, err, "a\\nb.json: No such file or directory")


def test_download_into_a_file_is_one_line(tmp_path):
    """Found by tests/fuzz/test_fuzz_cli.py: `download mnist --root <a file>` raised FileExistsError."""
    (tmp_path / "file").write_text("x")
    rc, _, err = run_in_process(["download", "mnist", "--root", str(tmp_path / "file")])
    assert_one_line_error(rc, err, "cannot use --root")


def test_an_out_folder_name_that_is_not_utf8_is_printed_not_crashed_on(tmp_path):
    """Found by tests/fuzz/test_fuzz_cli.py: a run into a folder whose name is not UTF-8 (bytes argv carries as lone
    surrogates) trained, then raised UnicodeEncodeError printing where it wrote."""
    out = os.path.join(os.fsencode(str(tmp_path)), b"run-\xff")
    env = {**os.environ, "PYTHONPATH": ROOT, "PYTHONIOENCODING": "utf-8:strict"}
    r = subprocess.run([sys.executable, "-m", "nnlib", "train", "--config", os.fsencode(XOR), "--epochs", "1",
                        "--quiet", "--out", out], capture_output=True, cwd=ROOT, env=env, timeout=120)
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    assert b"wrote " in r.stdout and b"run-\\udcff/history.json" in r.stdout
    assert os.path.isfile(os.path.join(out, b"history.json"))
