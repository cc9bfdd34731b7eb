"""The job function a worker process runs: config in, snapshots out, obeying pause/step/stop between epochs."""

from __future__ import annotations

from typing import Any

from nnlib.config import RunConfig


def run_training(payload: dict[str, Any], ctl: Any) -> dict[str, Any]:
    """Train the run described by payload["config"]; publish snapshots through `ctl` at a bounded rate."""
    from nnlib.data.bundle import load_data
    from nnlib.train.callbacks import LiveSnapshot
    from nnlib.train.trainer import Trainer

    cfg = RunConfig.from_dict(payload["config"]).checked()
    interval = float(payload.get("interval", 0.1))
    data = load_data(cfg)
    build = payload_builder(cfg, int(payload.get("probe", 0)))
    trainer = Trainer(cfg, data, callbacks=[LiveSnapshot(lambda s, force: ctl.publish(s, force=force), build,
                                                         interval)])
    trainer.interrupt = ctl.should_stop
    ctl.publish(build(trainer, False), force=True)  # the untrained boundary shows at once
    trainer.run(gate=ctl.epoch_gate)
    if trainer.status == "paused":  # the gate stopped it while paused: still a user stop
        trainer.stop()
    snap = build(trainer, True)
    ctl.publish(snap, force=True)
    return {"status": trainer.status, "reason": trainer.stop_reason, "epochs": trainer.epoch,
            "weights": {k: v.detach().cpu().contiguous().numpy() for k, v in trainer.model.state_dict().items()}}


def payload_builder(cfg: RunConfig, probe: int = 0) -> Any:
    """The snapshot builder of the page that shows this kind of run."""
    from nnlib.inspect.snapshot import image_snapshot, playground_snapshot

    if cfg.is_image:
        return lambda trainer, final: image_snapshot(trainer, final, probe=probe)
    return playground_snapshot


def warmup() -> None:
    """Import what a run needs and load the fast path's compiled kernel (called once per worker process)."""
    from nnlib.config import RunConfig
    from nnlib.train import fast_mlp
    from nnlib.train.trainer import Trainer

    fast_mlp.warmup()
    trainer = Trainer(RunConfig().replace(train={"epochs": 1}))
    trainer.run()
    payload_builder(trainer.cfg)(trainer, True)
