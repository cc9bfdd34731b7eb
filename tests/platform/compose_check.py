"""Static check of compose.yaml, what `docker compose config` would catch plus what a school server needs.

No compose implementation runs here (Debian's podman-compose 1.0.3 has neither `config` nor profiles, podman 4.3
has no `podman compose`), so CI validates the file with this check: YAML, interpolation, services, volumes,
dependencies, and that every setting it passes is documented in the README's one settings table.
Run as `python -m tests.platform.compose_check compose.yaml`; tests/platform/test_compose.py runs it in the suite.
"""

from __future__ import annotations

import os
import re
import sys
from typing import Any

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VARIABLE = re.compile(r"\$\{([A-Z0-9_]+)(?::?([-?])([^}]*))?\}")
COMPOSE_ONLY = {"POSTGRES_PASSWORD", "TORCH_INDEX", "NNLIB_PORT", "RAY_HEAD_CPUS", "RAY_WORKER_CPUS"}
REQUIRED_APP_ENV = {"NNLIB_DATA_DIR", "NNLIB_DATABASE_URL", "NNLIB_TEACHER_PASSWORD", "NNLIB_WORKERS",
                    "NNLIB_BACKEND", "RAY_ADDRESS", "NNLIB_METRICS"}


def interpolate(text: str, env: dict[str, str]) -> tuple[str, list[str]]:
    """Compose's ${VAR}, ${VAR:-default} and ${VAR:?error}; returns the text and the errors of unset required vars."""
    errors: list[str] = []

    def one(m: re.Match[str]) -> str:
        name, op, arg = m.group(1), m.group(2), m.group(3) or ""
        value = env.get(name, "")
        if value:
            return value
        if op == "?":
            errors.append(f"{name}: {arg or 'required'}")
        return arg if op == "-" else ""

    return VARIABLE.sub(one, text), errors


def documented_settings(readme: str) -> set[str]:
    """Variable names in the first column of the README's settings table."""
    return set(re.findall(r"^\|\s*`([A-Z][A-Z0-9_]+)`", readme, flags=re.M))


def problems(text: str, readme: str, env: dict[str, str]) -> list[str]:
    """Everything wrong with compose file `text` (empty when it is fine)."""
    found: list[str] = []
    for name in sorted({m.group(1) for m in VARIABLE.finditer(text)} - COMPOSE_ONLY - documented_settings(readme)):
        found.append(f"${{{name}}} is not in the README's settings table")
    expanded, errors = interpolate(text, env)
    found += [f"unset: {e}" for e in errors]
    try:
        doc: Any = yaml.safe_load(expanded)
    except yaml.YAMLError as e:
        return [*found, f"not valid YAML: {e}"]
    services = doc.get("services") or {}
    volumes = set((doc.get("volumes") or {}).keys())
    for need in ("app", "db"):
        if need not in services:
            found.append(f"no {need!r} service")
        elif services[need].get("profiles"):
            found.append(f"{need!r} must start without a profile")
    for name in ("ray-head", "ray-worker"):
        if name in services and services[name].get("profiles") != ["ray"]:
            found.append(f"{name!r} must be optional (profiles: [ray])")
    for name, svc in services.items():
        if "image" not in svc and "build" not in svc:
            found.append(f"{name}: neither image nor build")
        for dep in svc.get("depends_on") or []:
            if dep not in services:
                found.append(f"{name} depends on unknown service {dep!r}")
        for mount in svc.get("volumes") or []:
            source = str(mount).split(":")[0]
            if not source.startswith((".", "/")) and source not in volumes:
                found.append(f"{name}: volume {source!r} is not declared under volumes:")
    app = services.get("app") or {}
    env_keys = set((app.get("environment") or {}).keys())
    found += [f"app: no {k} in environment" for k in sorted(REQUIRED_APP_ENV - env_keys)]
    app_env = app.get("environment") or {}
    if "@db:" not in str(app_env.get("NNLIB_DATABASE_URL", "")):
        found.append("app: NNLIB_DATABASE_URL does not point at the db service")
    data_dir = str(app_env.get("NNLIB_DATA_DIR", ""))
    if not any(str(m).split(":")[1:2] == [data_dir] for m in app.get("volumes") or []):
        found.append(f"app: no volume mounted at NNLIB_DATA_DIR ({data_dir!r})")
    if "8501" not in " ".join(str(p) for p in app.get("ports") or []):
        found.append("app: port 8501 is not published")
    return found


def main(argv: list[str]) -> int:
    path = argv[1] if len(argv) > 1 else os.path.join(ROOT, "compose.yaml")
    with open(path, encoding="utf-8") as f:
        text = f.read()
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    env = {"POSTGRES_PASSWORD": "check", "NNLIB_TEACHER_PASSWORD": "check", **os.environ}
    found = problems(text, readme, env)
    for p in found:
        print(f"compose check: {p}", file=sys.stderr)
    if not found:
        print(f"compose check: {path} is fine")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
