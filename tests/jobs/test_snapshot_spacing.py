"""A group job's live snapshots are spaced by the CPU their building costs, not by the wall time it took.

In a group worker 20 job threads share one GIL and, in a class, a busy 2-core box: building one snapshot may take
0.4 ms of CPU but 20 ms of wall time (the thread waits for the GIL or the core). Spacing by wall time stretched the
gap to ~1 s -- a class saw its charts update about once a second. These tests drive a GroupControl with a fake clock
(wall and thread-CPU time advance only when the test says), so they are deterministic.
"""

from __future__ import annotations

import threading
from types import SimpleNamespace

import pytest

import nnlib.jobs.batched as batched
import nnlib.jobs.control as control
from nnlib.jobs.batched import GROUP_SNAPSHOT_SHARE, GroupControl

PEERS = 20  # a full group (NNLIB_GROUP_SIZE's default)
EPOCH_S = 1 / 30  # speed "normal"


class FakeClock:
    """Wall time (monotonic/perf_counter) and this thread's CPU time, advanced by the test."""

    def __init__(self) -> None:
        self.wall = 1000.0
        self.cpu = 5.0

    def spend(self, wall_s: float, cpu_s: float) -> None:
        self.wall += wall_s
        self.cpu += cpu_s

    def namespace(self) -> SimpleNamespace:
        return SimpleNamespace(monotonic=lambda: self.wall, perf_counter=lambda: self.wall,
                               thread_time=lambda: self.cpu, sleep=lambda s: self.spend(s, 0.0))


@pytest.fixture()
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(control, "time", fake.namespace())
    monkeypatch.setattr(batched, "time", fake.namespace())
    return fake


def _run(clock: FakeClock, seconds: float, build_wall_s: float, build_cpu_s: float,
         peers: int = PEERS) -> tuple[int, float]:
    """A job of a group training at normal pace for `seconds`: (snapshots sent, CPU seconds spent building)."""
    ctl = GroupControl(None, "job", set(), lambda: peers, min_interval=0.05)
    spent = [0.0]

    def build() -> dict:
        clock.spend(build_wall_s, build_cpu_s)
        spent[0] += build_cpu_s
        return {"epoch": 0}

    end = clock.wall + seconds
    while clock.wall < end:
        clock.spend(EPOCH_S, 0.0)  # the epoch itself
        ctl.offer(build)
        assert ctl.epoch_gate()
    return ctl.sent, spent[0]


def test_contention_does_not_stretch_the_gap(clock: FakeClock) -> None:
    """0.4 ms of CPU that took 20 ms of wall time: the job still sends about every 1/12 s (a full group's
    share of updates). Spaced by wall time, the gap was 10 x 20 ms x 20 / 4 = 1 s: 2 snapshots in 2 s, not ~15."""
    sent, _ = _run(clock, 2.0, build_wall_s=0.020, build_cpu_s=0.0004)
    assert sent >= 12


def test_the_group_share_of_a_core_still_holds(clock: FakeClock) -> None:
    """A costly snapshot (5 ms of CPU) is spaced so that the group's 20 jobs together spend at most
    GROUP_SNAPSHOT_SHARE of a core building them (one build of slack for the first, sent at once)."""
    seconds, build_cpu = 5.0, 0.005
    sent, cpu = _run(clock, seconds, build_wall_s=build_cpu, build_cpu_s=build_cpu)
    assert 1 < sent < seconds / 0.05
    assert PEERS * (cpu - build_cpu) / seconds <= GROUP_SNAPSHOT_SHARE


def test_a_full_group_sends_at_most_its_share_of_updates(clock: FakeClock) -> None:
    """20 jobs of a group each send at most GROUP_UPDATES_PER_S / 20 = 12 updates/s (the server answers every one
    of them): every 3rd epoch at normal pace, 10/s. Before, every other epoch, 15/s: 600/s for a class of 40."""
    seconds = 3.0
    sent, _ = _run(clock, seconds, build_wall_s=0.0004, build_cpu_s=0.0004)
    assert 9 <= sent / seconds <= 12


def test_a_small_group_keeps_the_page_interval(clock: FakeClock) -> None:
    """Two jobs in a group update as often as a job alone: every other epoch at normal pace (min_interval 0.05)."""
    seconds = 3.0
    sent, _ = _run(clock, seconds, build_wall_s=0.0004, build_cpu_s=0.0004, peers=2)
    assert sent / seconds >= 14


GROUP_OF = 5
_TOGETHER = threading.Barrier(GROUP_OF, timeout=20)


def peers_seen(payload: dict, ctl: GroupControl) -> int:
    """A group job that reports how many peers its control divides the snapshot budgets by, once all have started
    (and before any has ended)."""
    _TOGETHER.wait()
    peers = ctl._peers()
    _TOGETHER.wait()
    return peers


def test_the_group_counts_its_jobs_that_wait_out_their_pace() -> None:
    """At speed normal a job trains ~1 ms and waits ~32 ms for its next epoch: at any instant most of a group is
    waiting. The snapshot budgets are shared by every live job of the group, waiting or not (they counted only
    the jobs training at that instant: the budgets were divided by ~1-3, not 20)."""
    sent: list[tuple] = []
    host = batched.GroupHost(SimpleNamespace(send=sent.append), torch_threads=1, min_interval=0.05)  # type: ignore[arg-type]
    for i in range(GROUP_OF):
        host._start(("gjob", f"job{i}", f"{__name__}:peers_seen", {}, False, None, None))
    host.waiting.update(s.thread.ident for s in host.slots.values() if s.thread is not None)  # all pacing
    for slot in list(host.slots.values()):
        assert slot.thread is not None
        slot.thread.join(30)
    done = [m for m in sent if m[0] == "done"]
    assert [(m[2], m[3]) for m in done] == [("finished", GROUP_OF)] * GROUP_OF
