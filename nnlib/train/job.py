"""The job function a worker process runs: config in, snapshots out, obeying pause/step/stop between epochs."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from nnlib.config import MAX_LIVE_MINUTES, RunConfig
from nnlib.words import count


class TrainingClock:
    """Training time of a job, not counting time spent paused or waiting out the pace; ends an open-ended run."""

    def __init__(self, limit_s: float) -> None:
        self.limit_s, self.used, self._since = limit_s, 0.0, None
        self.expired = False

    def gate(self, inner: Any) -> bool:
        """Wraps the control's epoch gate: the time between two gate calls is one epoch of training."""
        if self._since is not None:
            self.used += time.monotonic() - self._since
        if self.used >= self.limit_s:
            self.expired = True
            return False
        if not inner():
            return False
        self._since = time.monotonic()
        return True


def run_training(payload: dict[str, Any], ctl: Any) -> dict[str, Any]:
    """Train the run described by payload["config"]; snapshots go out when `ctl` decides (see JobControl)."""
    from nnlib.data.bundle import load_data
    from nnlib.train.live_snapshot import LiveSnapshot
    from nnlib.validation import limit_reason, run_epochs, run_plan

    cfg = RunConfig.from_dict(payload["config"]).checked()
    ctl.configure(interval=payload.get("interval"), epochs_per_second=cfg.epochs_per_second)
    horizon = run_epochs(cfg)
    plan = {**run_plan(cfg), **(payload.get("plan") or {}), "epochs": horizon}  # a class's cap: ui.classroom.admit
    run_cfg = cfg if horizon == cfg.train.epochs else cfg.replace(train={"epochs": horizon})
    data = load_data(cfg)
    open_ended = bool(plan["until_paused"])
    build = with_pictures(payload_builder(run_cfg, int(payload.get("probe", 0)), open_ended=open_ended),
                          payload.get("live_pictures"))
    trainer = make_trainer(run_cfg, data, [LiveSnapshot(ctl.offer, build)])
    trainer.interrupt = ctl.should_stop
    ctl.publish(build(trainer, False), force=True)  # the untrained boundary shows at once
    clock = TrainingClock(60.0 * MAX_LIVE_MINUTES if cfg.open_ended else float("inf"))
    trainer.run(gate=lambda: clock.gate(ctl.epoch_gate), burst=getattr(ctl, "burst_plan", None))
    if trainer.status == "paused":  # the gate stopped it while paused: still a user stop
        trainer.stop()
    if plan["until_paused"] and trainer.status == "finished" and trainer.epoch >= horizon:
        trainer.stop_reason = limit_reason(plan)
    if clock.expired:
        trainer.stop_reason = (f"the server ends a run after {MAX_LIVE_MINUTES} minutes of training "
                               f"({count(trainer.epoch, 'epoch')}); press Train to start again")
    ctl.publish(build(trainer, True), force=True)  # the final state: built and sent once, here
    return {"status": trainer.status, "reason": trainer.stop_reason, "epochs": trainer.epoch,
            "weights": {k: as_array(v) for k, v in trainer.model.state_dict().items()}}


def make_trainer(cfg: RunConfig, data: Any, callbacks: list[Any]) -> Any:
    """A torch-free FastRun when the run qualifies (a plain MLP on the fast path), else the torch Trainer: the same
    history, snapshots and weights either way, and a fresh worker's first epoch then never waits for `import torch`
    (~2 s of a ~3 s cold start)."""
    from nnlib.train.fast_run import FastRun, torch_free_layers

    layers = torch_free_layers(cfg, data, callbacks)
    if layers is not None:
        return FastRun(cfg, data, layers, callbacks)
    from nnlib.train.trainer import Trainer

    return Trainer(cfg, data, callbacks=callbacks)


def as_array(value: Any) -> Any:
    """A parameter as an own numpy array, whether a torch tensor or a FastRun's numpy array."""
    if isinstance(value, np.ndarray):
        return value.copy()
    return value.detach().cpu().contiguous().numpy()


def payload_builder(cfg: RunConfig, probe: int = 0, open_ended: bool = False) -> Any:
    """The snapshot builder of the page that shows this kind of run; an open-ended run's snapshots say so. Its
    history lists are the trainer's own, not copies: the job's control sends only their new rows, at once
    (nnlib.jobs.history_tail), so copying 10,000 epochs of history per update would be wasted."""
    from nnlib.inspect.snapshot import image_snapshot, playground_snapshot

    if cfg.is_image:
        return lambda trainer, final: image_snapshot(trainer, final, probe=probe, share_history=True)

    def build(trainer: Any, final: bool) -> dict[str, Any]:
        snap = playground_snapshot(trainer, final, share_history=True)
        return {**snap, "until_paused": True} if open_ended else snap

    return build


PICTURE_BUILDERS = ("ui.live_parts:picture_fragment",)  # what a payload's "live_pictures" may name


def with_pictures(build: Any, pictures: Any) -> Any:
    """`build`, whose snapshots also carry their live view's pictures as ready JSON when the page's payload asks
    for them (a function named in PICTURE_BUILDERS; nnlib.jobs.records.LIVE_PICTURES): the worker builds them once
    per snapshot, so the server's live route serves them without building or even decoding them."""
    if pictures not in PICTURE_BUILDERS:
        return build
    import importlib

    from nnlib.jobs.records import LIVE_PICTURES

    module, _, name = str(pictures).partition(":")
    picture = getattr(importlib.import_module(module), name)

    def build_with_pictures(trainer: Any, final: bool) -> dict[str, Any]:
        snap = build(trainer, final)
        return {**snap, LIVE_PICTURES: picture(snap)}

    return build_with_pictures


def warmup() -> None:
    """Import what a run needs and load the fast path's compiled kernel (called once per worker process that
    preloads torch): one epoch and snapshot of the torch Trainer and of the torch-free FastRun."""
    from nnlib.config import RunConfig
    from nnlib.data.bundle import load_data
    from nnlib.train import fast_mlp
    from nnlib.train.trainer import Trainer

    fast_mlp.warmup()
    cfg = RunConfig().replace(train={"epochs": 1})
    data = load_data(cfg)
    for trainer in (Trainer(cfg, data), make_trainer(cfg, data, [])):
        trainer.run()
        payload_builder(cfg)(trainer, True)
