"""A group job's control plans its bursts (`GroupControl.burst_plan`): one epoch at a time whenever the gate must
act between epochs (paused with a step, stopping, paced), else a burst of about half a snapshot gap; and a command
that arrives for the job sets the flag that ends its burst at the next epoch boundary, cleared when its gate runs."""

from __future__ import annotations

import nnlib.jobs.batched as batched
from nnlib.jobs.batched import BURST_GAP_SHARE, MAX_BURST_EPOCHS, GroupControl, JobPipe

PEERS = 16


def control(sent: list, **kwargs: object) -> tuple[GroupControl, JobPipe]:
    pipe = JobPipe(sent.append)
    return GroupControl(pipe, "job", set(), lambda: PEERS, min_interval=0.05, **kwargs), pipe  # type: ignore[arg-type]


def test_an_unpaced_running_job_bursts_for_about_its_snapshot_gap() -> None:
    ctl, pipe = control([])
    assert ctl.epoch_gate()
    most, seconds, abort = ctl.burst_plan()
    assert most == MAX_BURST_EPOCHS and abort is pipe.abort and abort[0] == 0
    assert seconds == BURST_GAP_SHARE * ctl._gap() and ctl._gap() >= PEERS / batched.GROUP_UPDATES_PER_S


def test_paused_stepping_stopping_or_paced_jobs_train_one_epoch_between_gates() -> None:
    paused, _ = control([], paused=True)
    paused.apply("step")
    assert paused.epoch_gate()
    assert paused.burst_plan()[0] == 1  # the one epoch the step let through
    paced, _ = control([])
    paced.configure(epochs_per_second=30.0)
    assert paced.epoch_gate() and paced.burst_plan()[0] == 1
    stopping, _ = control([])
    stopping.apply("stop")
    assert stopping.burst_plan()[0] == 1
    assert control([])[0].burst_plan()[0] == MAX_BURST_EPOCHS


def test_a_command_sets_the_abort_flag_and_the_gate_clears_it_when_it_handles_the_command() -> None:
    ctl, pipe = control([])
    assert ctl.epoch_gate()
    pipe.put(("cmd", "job", "pause"))
    assert pipe.abort[0] == 1  # a burst running now ends at its next epoch boundary
    ctl.offer(lambda: {"epoch": 7})
    steps = []
    ctl._wait = lambda seconds: (steps.append(seconds), ctl.apply("stop"))  # type: ignore[method-assign]
    assert not ctl.epoch_gate()  # the gate saw the pause (and sent the paused state), then our stop
    assert pipe.abort[0] == 0 and ctl.sent == 1 and steps


def test_an_exit_for_the_group_ends_every_burst() -> None:
    sent: list = []
    host = batched.GroupHost(type("Conn", (), {"send": sent.append})(), torch_threads=1, min_interval=0.05)  # type: ignore[arg-type]
    pipes = [JobPipe(sent.append) for _ in range(3)]
    for i, pipe in enumerate(pipes):
        host.slots[f"j{i}"] = batched._Slot(f"j{i}", None, pipe)
    host._route(("exit",))
    assert [p.abort[0] for p in pipes] == [1, 1, 1]
