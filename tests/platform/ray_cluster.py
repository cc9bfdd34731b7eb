"""A real two-node Ray cluster on loopback for the Ray backend tests: a head and a second node, one CPU each.

Both nodes are `ray start --block` processes this module starts and ends itself (never `ray stop`, which would stop
every Ray process on the machine), in their own temp dir, on free ports, so other Ray users are left alone.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

RAY = os.path.join(os.path.dirname(sys.executable), "ray")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LocalRayCluster:
    """`address` of the head; `processes` the two `ray start --block` processes; `temp` their shared temp dir."""

    address: str = ""
    temp: str = ""
    processes: list[subprocess.Popen] = field(default_factory=list)
    logs: list = field(default_factory=list)

    def start(self, timeout: float = 180.0, attempts: int = 3) -> LocalRayCluster:
        """Head, then the second node; a node that times out starting (Ray allows a raylet 30 s, which a loaded
        machine can miss) is started again, up to `attempts` times. On failure everything started is stopped."""
        self.temp = tempfile.mkdtemp(prefix="nnray")  # short: Ray's socket paths must stay under 108 bytes
        port = free_port()
        self.address = f"127.0.0.1:{port}"
        common = ["--num-cpus=1", "--node-ip-address=127.0.0.1", "--disable-usage-stats", "--block",
                  f"--object-store-memory={200 * 2**20}"]
        try:
            self._node_with_retries(["--head", f"--port={port}", "--include-dashboard=false",
                                     f"--dashboard-port={free_port()}", f"--temp-dir={self.temp}", *common], "head",
                                    1, timeout, attempts)
            self._node_with_retries([f"--address={self.address}", *common], "node2", 2, timeout, attempts)
        except BaseException:
            self.stop()
            raise
        return self

    def _node_with_retries(self, args: list[str], name: str, nodes: int, timeout: float, attempts: int) -> None:
        for attempt in range(1, attempts + 1):
            self._node([*args, *self._ports()], f"{name}-{attempt}")
            try:
                self._wait_nodes(nodes, timeout)
                return
            except RuntimeError:
                self._end(self.processes.pop())
                if attempt == attempts:
                    raise

    def _ports(self) -> list[str]:
        return [f"--dashboard-agent-listen-port={free_port()}", f"--dashboard-agent-grpc-port={free_port()}",
                f"--metrics-export-port={free_port()}", f"--runtime-env-agent-port={free_port()}",
                f"--node-manager-port={free_port()}", f"--object-manager-port={free_port()}"]

    def _node(self, args: list[str], name: str) -> None:
        log = open(os.path.join(self.temp, f"{name}.log"), "w")  # noqa: SIM115 - closed in stop()
        self.logs.append(log)
        env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
        env.pop("RAY_ADDRESS", None)
        self.processes.append(subprocess.Popen([RAY, "start", *args], stdout=log, stderr=subprocess.STDOUT, env=env,
                                               start_new_session=True))

    def _wait_nodes(self, count: int, timeout: float) -> None:
        """Until the cluster reports `count` live nodes (asked through `ray status`)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(p.poll() is not None for p in self.processes):
                raise RuntimeError(f"a ray node exited at start; see {self.temp}/*.log")
            if count > 1 and self.processes[0].poll() is not None:
                raise RuntimeError("the head exited")
            r = subprocess.run([RAY, "status", f"--address={self.address}"], capture_output=True, text=True,
                               timeout=60)
            if r.returncode == 0 and r.stdout.count("node_") >= count:
                return
            time.sleep(1.0)
        raise RuntimeError(f"the ray cluster did not reach {count} nodes in {timeout:.0f} s")

    def stop(self) -> None:
        """End each node's process group (its raylet, GCS, workers), the second node first."""
        while self.processes:
            self._end(self.processes.pop())
        for log in self.logs:
            log.close()
        shutil.rmtree(self.temp, ignore_errors=True)

    @staticmethod
    def _end(p: subprocess.Popen) -> None:
        """SIGTERM the node's own process group (start_new_session), SIGKILL whatever is left after a grace."""
        for sig, grace in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
            try:
                os.killpg(p.pid, sig)
            except ProcessLookupError:
                break
            try:
                p.wait(grace)
            except subprocess.TimeoutExpired:
                continue
            if sig == signal.SIGTERM:  # `ray start` is gone; its children may linger a moment: make sure
                time.sleep(1.0)
