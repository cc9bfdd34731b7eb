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
        ctl.publish({"epoch": done, "pid": os.getpid(), **({"epochs": payload["total"]} if "total" in payload else {})},
                    force=True)
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


def hog_memory(payload: dict, ctl: JobControl) -> None:
    """Grows its resident memory by 20 MB per step (pages touched, so they are really resident) and holds it."""
    held = []
    while ctl.epoch_gate():
        held.append(bytearray(b"x" * (20 * 2**20)))
        ctl.publish({"mb": 20 * len(held)}, force=True)
        time.sleep(0.02)


def burn_cpu(payload: dict, ctl: JobControl) -> None:
    """Spins on the CPU and never checks its control: only the CPU budget can end it."""
    ctl.publish({"pid": os.getpid()}, force=True)
    x = 0
    while True:
        x = (x * 31 + 7) % 1_000_003


def with_weights(payload: dict, ctl: JobControl) -> dict:
    """Finishes at once with a result shaped like a training run's (weights plus a summary)."""
    return {"status": "finished", "epochs": 1, "weights": {"w": [0.5] * 1000}}


def with_live_pictures(payload: dict, ctl: JobControl) -> dict:
    """Publishes one snapshot carrying ready live-view pictures (as nnlib.train.job does when a page asks), then
    waits for stop."""
    from nnlib.jobs.records import LIVE_PICTURES

    ctl.publish({"epoch": 1, LIVE_PICTURES: b'"boundary":{}'}, force=True)
    while ctl.epoch_gate():
        time.sleep(0.01)
    return {}
