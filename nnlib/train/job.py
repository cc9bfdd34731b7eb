"""The job function a worker process runs: config in, snapshots out, obeying pause/step/stop between epochs."""

from __future__ import annotations

import time
from typing import Any

from nnlib.config import MAX_LIVE_MINUTES, RunConfig


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
    from nnlib.train.trainer import Trainer
    from nnlib.validation import run_epochs

    cfg = RunConfig.from_dict(payload["config"]).checked()
    ctl.configure(interval=payload.get("interval"), epochs_per_second=cfg.epochs_per_second)
    horizon = run_epochs(cfg)
    run_cfg = cfg if horizon == cfg.train.epochs else cfg.replace(train={"epochs": horizon})
    data = load_data(cfg)
    build = payload_builder(run_cfg, int(payload.get("probe", 0)), open_ended=cfg.open_ended)
    trainer = Trainer(run_cfg, data, callbacks=[LiveSnapshot(ctl.offer, build)])
    trainer.interrupt = ctl.should_stop
    ctl.publish(build(trainer, False), force=True)  # the untrained boundary shows at once
    clock = TrainingClock(60.0 * MAX_LIVE_MINUTES if cfg.open_ended else float("inf"))
    trainer.run(gate=lambda: clock.gate(ctl.epoch_gate), burst=getattr(ctl, "burst_plan", None))
    if trainer.status == "paused":  # the gate stopped it while paused: still a user stop
        trainer.stop()
    if clock.expired:
        trainer.stop_reason = (f"the server ends a run after {MAX_LIVE_MINUTES} minutes of training "
                               f"({trainer.epoch} epochs); press Train to start again")
    ctl.publish(build(trainer, True), force=True)  # the final state: built and sent once, here
    return {"status": trainer.status, "reason": trainer.stop_reason, "epochs": trainer.epoch,
            "weights": {k: v.detach().cpu().contiguous().numpy() for k, v in trainer.model.state_dict().items()}}


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


def warmup() -> None:
    """Import what a run needs and load the fast path's compiled kernel (called once per worker process)."""
    from nnlib.config import RunConfig
    from nnlib.train import fast_mlp
    from nnlib.train.trainer import Trainer

    fast_mlp.warmup()
    trainer = Trainer(RunConfig().replace(train={"epochs": 1}))
    trainer.run()
    payload_builder(trainer.cfg)(trainer, True)
