"""Job workers as actors on a Ray cluster, so a large course can train on more machines than the web server's.

Each pool worker is one Ray actor (one CPU) running the very same worker loop as a local process
(nnlib.jobs.worker.worker_main), so pause/resume/step/stop, snapshots, results and their seeds are the same code.
The manager keeps what it knows -- a Connection and a process-like handle -- and two bridge threads per worker
carry messages between a local pipe and the actor: one pulls what the worker sent (blocking up to PULL_S, so a
snapshot arrives as soon as it exists), one pushes the manager's commands in order. The actor reports its own CPU
time and memory with every pull, so the manager's watchdog holds Ray jobs to the same budgets; when the actor dies
(a native crash, a killed process, a lost node, a kill by the watchdog) the handle's sentinel fires and the manager
fails that one job and starts a replacement, as it does for a local process.

Imported only when the Ray backend is configured; ray itself is imported inside functions.
"""

from __future__ import annotations

import os
import signal
import socket
import threading
import weakref
from collections import deque
from typing import Any

from nnlib.jobs.records import PROJECT_ROOT
from nnlib.jobs.watchdog import ProcessUsage, process_usage

CONNECT_S = 5.0  # how long the start waits for a TCP answer from the cluster's address before saying it is unreachable
PULL_S = 0.5  # longest a pull waits inside the actor for news (it returns at once when there is some)
NAMESPACE = "nnlib"


class ActorConnection:
    """The worker loop's end of the channel inside the actor: the send/recv/poll of a Connection, over two queues
    that the actor's push/pull methods fill and drain from other threads."""

    def __init__(self) -> None:
        self._inbox: deque[tuple] = deque()
        self._outbox: deque[tuple] = deque()
        self._cond = threading.Condition()
        self._finished = False

    # what worker_main and JobControl call
    def send(self, msg: tuple) -> None:
        with self._cond:
            self._outbox.append(msg)
            self._cond.notify_all()

    def poll(self, timeout: float | None = 0.0) -> bool:
        with self._cond:
            return bool(self._cond.wait_for(lambda: bool(self._inbox), timeout))

    def recv(self) -> tuple:
        with self._cond:
            self._cond.wait_for(lambda: bool(self._inbox))
            return self._inbox.popleft()

    def close(self) -> None:
        """Nothing to release: the queues go with the actor."""

    # what the actor's methods call
    def put(self, msg: tuple) -> None:
        with self._cond:
            self._inbox.append(msg)
            self._cond.notify_all()

    def take(self, timeout: float) -> tuple[list[tuple], bool]:
        """Messages the worker sent (waiting up to `timeout` for the first), and whether its loop has ended."""
        with self._cond:
            self._cond.wait_for(lambda: bool(self._outbox) or self._finished, timeout)
            msgs = list(self._outbox)
            self._outbox.clear()
            return msgs, self._finished and not self._outbox

    def finish(self) -> None:
        with self._cond:
            self._finished = True
            self._cond.notify_all()


class RemoteWorker:
    """The actor: runs worker_main in a thread and lets the app push commands in and pull messages out."""

    def __init__(self, worker_args: tuple) -> None:
        import ray

        self.node_id = ray.get_runtime_context().get_node_id()
        self.conn = ActorConnection()
        self.thread = threading.Thread(target=self._main, args=(worker_args,), name="nnlib-ray-worker", daemon=True)
        self.thread.start()

    def _main(self, worker_args: tuple) -> None:
        from nnlib.jobs.worker import worker_main

        try:
            worker_main(self.conn, *worker_args)  # type: ignore[arg-type]  (a Connection in all but name)
        finally:
            self.conn.finish()

    def push(self, msg: tuple) -> None:
        self.conn.put(msg)

    def pull(self, timeout: float) -> tuple[list[tuple], tuple[float, float] | None, bool, str]:
        """(messages, (CPU-seconds, RSS MB) of this process, whether the worker loop ended, this node's id)."""
        msgs, finished = self.conn.take(timeout)
        usage = process_usage(os.getpid())
        return msgs, (usage.cpu_seconds, usage.rss_mb) if usage else None, finished, self.node_id


class RayWorkerProcess:
    """What the manager holds instead of a multiprocessing.Process: pid, sentinel, kill/terminate, join, exitcode.

    `pid` is the actor's process id on its node (known once it says "ready"); `node_id` the Ray node it runs on.
    """

    def __init__(self, actor: Any, bridge: Any) -> None:
        self.pid: int | None = None
        self.node_id: str | None = None
        self.exitcode: int | None = None
        self._actor, self._bridge = actor, bridge
        self._killed = False
        self._usage: ProcessUsage | None = None
        self.sentinel, self._sentinel_w = os.pipe()  # readable (EOF) once the actor has ended, like a process's
        weakref.finalize(self, os.close, self.sentinel)
        self._pull = threading.Thread(target=self._pull_loop, name="nnlib-ray-pull", daemon=True)
        self._push = threading.Thread(target=self._push_loop, name="nnlib-ray-push", daemon=True)
        self._pull.start()
        self._push.start()

    def usage(self) -> ProcessUsage | None:
        """CPU time and memory as the actor last reported them (the watchdog and the metrics read this)."""
        return self._usage if self._pull.is_alive() else None

    def kill(self) -> None:
        import ray

        self._killed = True
        try:
            ray.kill(self._actor, no_restart=True)
        except Exception:  # noqa: BLE001 - already gone
            pass

    terminate = kill

    def join(self, timeout: float | None = None) -> None:
        self._pull.join(timeout)

    def is_alive(self) -> bool:
        return self._pull.is_alive()

    def _pull_loop(self) -> None:
        import ray

        try:
            while True:
                msgs, usage, finished, self.node_id = ray.get(self._actor.pull.remote(PULL_S))
                if usage is not None:
                    self._usage = ProcessUsage(cpu_seconds=usage[0], rss_mb=usage[1])
                for msg in msgs:
                    if msg[0] == "ready":
                        self.pid = msg[1]
                    self._bridge.send(msg)
                if finished:  # the worker loop returned ("exit"): end the actor and free its CPU
                    self.exitcode = 0
                    ray.kill(self._actor, no_restart=True)
                    return
        except Exception:  # noqa: BLE001 - the actor died (crash, killed process, lost node) or the bridge closed
            self.exitcode = -signal.SIGKILL if self._killed else None
        finally:
            os.close(self._sentinel_w)

    def _push_loop(self) -> None:
        import ray

        try:
            while True:
                msg = self._bridge.recv()  # EOF when the manager closes its end (the worker was buried)
                ray.get(self._actor.push.remote(msg))  # one at a time: commands keep their order
        except Exception:  # noqa: BLE001 - EOF, or the actor is gone (the pull loop reports that)
            pass
        finally:
            self._bridge.close()


class RayUnreachable(RuntimeError):
    """The configured Ray address does not answer: the server stops at start with this sentence."""


def check_reachable(address: str | None, timeout: float = CONNECT_S) -> None:
    """Fail in seconds, with a sentence, when RAY_ADDRESS names a host:port that nothing listens on. ray.init
    itself retries such an address for minutes, so a typo kept the whole app (and its first page) hanging.
    Addresses Ray resolves itself ("auto", "local", none) are left to it."""
    if not address or address.strip().lower() in ("auto", "local"):
        return
    target = address.strip().split("://", 1)[-1]
    host, sep, port = target.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise RayUnreachable(f"RAY_ADDRESS {address!r} is not host:port (for example 10.0.0.5:6379); fix or unset it")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
            pass
    except OSError as err:
        raise RayUnreachable(
            f"Cannot reach the Ray cluster at {address} (RAY_ADDRESS): {err.strerror or err}. Start it "
            f"(`ray start --head --port {port}` on that machine) or unset RAY_ADDRESS to train on this server's "
            "own workers") from None


class RayBackend:
    """Starts pool workers as Ray actors: connects to the cluster once (RAY_ADDRESS, or the address given)."""

    def __init__(self, ctx: Any, worker_args: tuple, address: str | None = None) -> None:
        import ray

        self._ctx, self._worker_args = ctx, worker_args
        address = address or os.environ.get("RAY_ADDRESS") or None
        if not ray.is_initialized():
            check_reachable(address)
            ray.init(address=address, namespace=NAMESPACE, log_to_driver=False)
        # every node needs the project importable at the same path (the same image, or a shared checkout)
        self._actor_class = ray.remote(num_cpus=1, max_concurrency=4, max_restarts=0)(RemoteWorker).options(
            runtime_env={"env_vars": {"PYTHONPATH": PROJECT_ROOT}}
        )

    def spawn(self) -> tuple[RayWorkerProcess, Any]:
        """(process-like handle, the manager's Connection) of a new actor."""
        parent, child = self._ctx.Pipe(duplex=True)
        actor = self._actor_class.remote(self._worker_args)
        return RayWorkerProcess(actor, child), parent
