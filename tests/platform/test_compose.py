"""compose.yaml stays a working school server: app + PostgreSQL + optional Ray, data on volumes, settings documented.

Two checks: a real `compose config` (PyPI's podman-compose, which needs no container engine for it), and the static
check of tests/platform/compose_check.py (named volumes, profiles, every setting in the README's table).
"""

from __future__ import annotations

import os
import subprocess
import sys

from tests.platform.compose_check import ROOT, problems


def read(name: str) -> str:
    with open(os.path.join(ROOT, name), encoding="utf-8") as f:
        return f.read()


ENV = {"POSTGRES_PASSWORD": "pw", "NNLIB_TEACHER_PASSWORD": "teach"}


def test_compose_yaml_passes_the_check() -> None:
    assert problems(read("compose.yaml"), read("README.md"), ENV) == []


def test_the_check_catches_what_compose_config_would() -> None:
    good, readme = read("compose.yaml"), read("README.md")
    assert any("POSTGRES_PASSWORD" in p for p in problems(good, readme, {"NNLIB_TEACHER_PASSWORD": "t"}))
    assert any("not declared" in p for p in problems(good.replace("  nn-data:\n", ""), readme, ENV))
    assert any("profiles: [ray]" in p for p in problems(good.replace('profiles: ["ray"]', "profiles: []"), readme,
                                                          ENV))
    assert any("NNLIB_NEW_KNOB" in p for p in problems(good + "# ${NNLIB_NEW_KNOB}\n", readme, ENV))
    assert any("not valid YAML" in p for p in problems(good + "\n  bad: [\n", readme, ENV))


def _compose_config(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run a real compose implementation's `config` (podman-compose from PyPI; it needs no engine for this)."""
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    return subprocess.run([sys.executable, "-m", "podman_compose", "-f", os.path.join(ROOT, "compose.yaml"), *args,
                           "config"], capture_output=True, text=True, timeout=120, env={**keep, **env}, cwd=ROOT)


def test_compose_config_resolves_the_school_server_with_and_without_ray() -> None:
    plain = _compose_config(env=ENV)
    assert plain.returncode == 0, plain.stderr[-2000:]
    assert "app:" in plain.stdout and "db:" in plain.stdout and "ray-head" not in plain.stdout
    with_ray = _compose_config("--profile", "ray", env=ENV)
    assert with_ray.returncode == 0, with_ray.stderr[-2000:]
    assert "ray-head:" in with_ray.stdout and "ray-worker:" in with_ray.stdout


def test_compose_config_refuses_a_missing_password() -> None:
    missing = _compose_config(env={"NNLIB_TEACHER_PASSWORD": "teach"})
    assert missing.returncode != 0 and "POSTGRES_PASSWORD" in missing.stderr
