"""`python -m nnlib` ends without the interpreter's teardown (nnlib/__main__.py), yet as an ordinary exit would:
the exit handlers run, all output arrives, the command's exit code is the process's."""

import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run_module(args: list[str], before: str = "") -> subprocess.CompletedProcess:
    """`python -m nnlib *args`, after the Python statements `before` (runpy runs the module as -m does)."""
    code = (f"import runpy, sys\n{before}\nsys.argv = ['nnlib', *{args!r}]\n"
            "runpy.run_module('nnlib', run_name='__main__')\n")
    env = {**os.environ, "PYTHONPATH": ROOT, "NNLIB_ALLOW_DOWNLOAD": "0"}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env,
                          timeout=120)


def test_exit_handlers_run_after_the_output_of_the_command() -> None:
    r = run_module(["list", "--json"], before="import atexit\natexit.register(print, 'exit handler ran')")
    assert r.returncode == 0, r.stderr
    listing, handler = r.stdout.rstrip("\n").rsplit("\n", 1)
    assert json.loads(listing) and handler == "exit handler ran"


def test_the_commands_exit_code_is_the_processes(tmp_path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"train": {"optimizer": "newton"}}))
    r = run_module(["validate", "--config", str(bad)])
    assert r.returncode == 1 and "problem" in r.stdout
    r = run_module(["train", "--config", os.path.join(ROOT, "examples/xor.json"), "--epochs", "3", "--quiet",
                    "--out", str(tmp_path / "run")])
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[-1].startswith("wrote ") and (tmp_path / "run" / "model.safetensors").is_file()
