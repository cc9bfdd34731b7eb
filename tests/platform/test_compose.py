"""compose.yaml stays a working school server: app + PostgreSQL + optional Ray, data on volumes, settings documented.

The same static check CI runs (no compose implementation here can `config` it: see tests/platform/compose_check.py).
"""

from __future__ import annotations

import os

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
