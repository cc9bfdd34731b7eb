"""Torch-free job functions that the pool tests run inside spawned workers (tests.jobs.sample_jobs)."""

from __future__ import annotations

import os
import time

from nnlib.jobs.control import JobControl


def count(payload: dict, ctl: JobControl) -> dict:
    """One 'epoch' = a short sleep; publishes the epoch counter after each one."""
    done = 0
    for _ in range(payload.get("epochs", 10**9)):
        if not ctl.epoch_gate():
            break
        time.sleep(payload.get("dt", 0.01))
        done += 1
        ctl.publish({"epoch": done, "pid": os.getpid()}, force=True)
    return {"epochs": done, "pid": os.getpid()}


def boom(payload: dict, ctl: JobControl) -> None:
    raise ValueError("boom")


def exit_hard(payload: dict, ctl: JobControl) -> None:
    """Simulates a native crash: the process vanishes without reporting."""
    ctl.publish({"pid": os.getpid()}, force=True)
    os._exit(3)


def ignore_stop(payload: dict, ctl: JobControl) -> None:
    """Never looks at its control: only killing the worker ends it."""
    ctl.publish({"pid": os.getpid()}, force=True)
    while True:
        time.sleep(0.01)


def whoami(payload: dict, ctl: JobControl) -> dict:
    return {"pid": os.getpid(), "echo": payload}
