"""JobControl semantics in-process (throttle, pause/step/stop), without spawning workers."""

from __future__ import annotations

import multiprocessing as mp
import threading
import time

import pytest

from nnlib.jobs.control import JobControl


def test_publish_is_throttled_and_latest_wins() -> None:
    ctl = JobControl(min_interval=10.0)
    for i in range(100):
        ctl.publish({"i": i})
        assert ctl.epoch_gate()  # the gate between epochs is where a due snapshot goes out
    assert ctl.sent == 1 and ctl.latest == {"i": 0}
    ctl.publish({"i": 100}, force=True)
    assert ctl.sent == 2 and ctl.latest == {"i": 100}
    ctl.publish({"i": 101})
    ctl.flush()
    assert ctl.latest == {"i": 101}


def test_pipe_commands_pause_step_resume_stop() -> None:
    parent, child = mp.Pipe()
    ctl = JobControl(child, "job-1", min_interval=0.0)
    passed: list[int] = []

    def job() -> None:
        while ctl.epoch_gate():
            passed.append(1)
            ctl.publish({"epoch": len(passed)})
            time.sleep(0.005)

    t = threading.Thread(target=job, daemon=True)
    t.start()
    parent.send(("cmd", "other-job", "stop"))  # stale command for another job: ignored
    parent.send(("cmd", "job-1", "pause"))
    time.sleep(0.1)
    frozen = len(passed)
    time.sleep(0.1)
    assert len(passed) == frozen and ctl.paused
    parent.send(("cmd", "job-1", "step"))
    deadline = time.monotonic() + 2
    while len(passed) == frozen and time.monotonic() < deadline:
        time.sleep(0.005)
    time.sleep(0.1)
    assert len(passed) == frozen + 1
    parent.send(("cmd", "job-1", "resume"))
    while len(passed) < frozen + 5 and time.monotonic() < deadline:
        time.sleep(0.005)
    assert len(passed) >= frozen + 5
    parent.send(("cmd", "job-1", "stop"))
    t.join(timeout=2)
    assert not t.is_alive() and ctl.stop_requested
    msgs = []
    while parent.poll():
        msgs.append(parent.recv())
    assert msgs and all(m[0] == "snap" and m[1] == "job-1" for m in msgs)


def test_manager_gone_stops_the_job() -> None:
    parent, child = mp.Pipe()
    ctl = JobControl(child, "j")
    parent.close()
    assert ctl.should_stop() and ctl.exit_requested


def test_unknown_command() -> None:
    with pytest.raises(ValueError):
        JobControl().apply("explode")
