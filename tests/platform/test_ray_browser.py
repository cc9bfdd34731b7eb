"""The whole app on the Ray backend in a real browser: a server started with RAY_ADDRESS pointing at the two-node
loopback cluster says healthy once an actor has loaded the engine, and a Playground run trains to the end in
Chromium with its live view fed from an actor; /nnlive/metrics counts it under backend="ray"."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from tests.browser.conftest import ARTIFACTS, ROOT
from tests.platform.container_playground import train_once
from tests.platform.ray_cluster import LocalRayCluster, free_port

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(600)]


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


@pytest.fixture
def ray_server(cluster: LocalRayCluster) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "RAY_ADDRESS": cluster.address, "NNLIB_WORKERS": "2", "NNLIB_METRICS": "1",
           "NNLIB_ALLOW_DOWNLOAD": "0", "PYTHONPATH": ROOT}
    os.makedirs(ARTIFACTS, exist_ok=True)
    with open(os.path.join(ARTIFACTS, "ray_server.log"), "w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                                 "--server.address", "127.0.0.1", "--server.port", str(port),
                                 "--browser.gatherUsageStats", "false"], cwd=ROOT, env=env, stdout=log,
                                stderr=subprocess.STDOUT)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)


def test_the_playground_trains_on_the_ray_cluster_in_a_browser(ray_server: str, browser) -> None:
    deadline, answer = time.monotonic() + 300, (0, "")
    while time.monotonic() < deadline:
        try:
            answer = get(f"{ray_server}/nnlive/health")
        except OSError:  # not listening yet
            answer = (0, "down")
        if answer == (200, "ok"):
            break
        time.sleep(1.0)
    assert answer == (200, "ok")
    live = train_once(ray_server, ARTIFACTS, shot="ray_playground", browser=browser)
    assert live["status"] == "finished" and live["epoch"] == "60"
    code, text = get(f"{ray_server}/nnlive/metrics")
    assert code == 200
    assert 'nnlib_jobs{state="finished",backend="ray"} 1' in text
    loaded_line = 'nnlib_workers{condition="engine_loaded",backend="ray"}'
    (loaded,) = [ln for ln in text.splitlines() if ln.startswith(loaded_line)]
    assert int(loaded.rsplit(" ", 1)[1]) >= 1  # the actor that trained it, at least
