"""A group run: up to MAX_VARIANTS configs trained side by side in ONE job, lockstep epoch by epoch in one worker.

A variant group costs one slot of the person's job quota and one worker, whatever its size. Each variant keeps its
own model, optimizer, data and torch RNG state (saved and restored around its epochs), so every variant's history
is exactly what training it alone with the same seed gives. Pause, step and stop act on the whole group; one
snapshot carries every variant's curves.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nnlib.compare.variants import MAX_VARIANTS, MIN_VARIANTS, VariantError, check_all, from_dicts
from nnlib.config import MAX_LIVE_MINUTES, RunConfig
from nnlib.jobs.watchdog import JobBudget
from nnlib.validation import MAX_RUN_CPU_SECONDS, MAX_RUN_MEMORY_MB, WORKER_BASE_MB, RunCost, estimate_cost
from nnlib.words import count

GROUP_FN = "nnlib.compare.group:run_group"
GROUP_INTERVAL_S = 0.2  # least seconds between two snapshots of a group (each carries every variant's curves)
# A lab whose runs need more than training: `prepare(members, options)` runs once the members are built (e.g. load
# pretrained weights, freeze layers), `finish(members, options)` returns what the final snapshot adds (e.g.
# predictions computed from the trained models, so weights never leave the worker). Named here, imported lazily.
LAB_HOOKS = {"transfer": "nnlib.labs.transfer_lab", "mc_dropout": "nnlib.labs.mc_dropout"}
CURVE_KEYS = ("epoch", "train_loss", "val_loss", "test_loss", "train_accuracy", "val_accuracy", "test_accuracy",
              "train_rmse", "val_rmse", "test_rmse", "lr", "dead_fraction")


def group_cost(configs: Sequence[RunConfig]) -> RunCost:
    """The group's estimated cost: the sum of its runs' (one worker's own memory counted once)."""
    costs = [estimate_cost(c) for c in configs]
    return RunCost(cpu_seconds=sum(c.cpu_seconds for c in costs),
                   memory_mb=WORKER_BASE_MB + sum(c.memory_mb - WORKER_BASE_MB for c in costs),
                   open_ended=any(c.open_ended for c in costs))


def group_problems(configs: Sequence[RunConfig]) -> list[str]:
    """Why this group cannot run (sentences), or []: its size, each run's own checks, and the summed cost."""
    if not MIN_VARIANTS <= len(configs) <= MAX_VARIANTS:
        return [f"a group trains {MIN_VARIANTS} to {MAX_VARIANTS} runs side by side, not {len(configs)}"]
    problems = check_all(configs)
    if problems:
        return problems
    if len({c.is_image for c in configs}) > 1:
        return ["a group cannot mix image runs with 2D runs"]
    cost = group_cost(configs)
    if not cost.open_ended and cost.cpu_seconds > MAX_RUN_CPU_SECONDS:
        problems.append(f"together these runs would need about {cost.cpu_seconds / 60:,.0f} minutes of CPU time; "
                        f"a group may use {MAX_RUN_CPU_SECONDS / 60:.0f}: use fewer values, fewer epochs or a "
                        "smaller model")
    if cost.memory_mb - WORKER_BASE_MB > MAX_RUN_MEMORY_MB:
        problems.append(f"together these runs would need about {cost.memory_mb - WORKER_BASE_MB:,.0f} MB of memory; "
                        f"a group may use {MAX_RUN_MEMORY_MB:,.0f} MB: use fewer values or a smaller model")
    return problems


def group_payload(configs: Sequence[RunConfig], labels: Sequence[str], watch: Sequence[str] = (), lab: str = "",
                  lab_options: dict[str, Any] | None = None,
                  plans: Sequence[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The job payload of a group (plain data); VariantError if the group cannot run. `watch` names extra
    per-epoch columns to record (nnlib.train.callbacks.WATCHERS, e.g. "dead_units"); `lab` names LAB_HOOKS that
    prepare the members before training and add results to the final snapshot, with `lab_options` (plain data).
    `plans`: each run's plan (nnlib.validation.run_plan), when a class bounded a run "until I pause" to its epoch
    limit (ui.classroom.admit_group): that run still ends at a limit, not at a goal of the student's."""
    problems = group_problems(configs)
    if lab and lab not in LAB_HOOKS:
        problems.append(f"unknown lab experiment {lab!r}")
    if len(labels) != len(configs):
        problems.append(f"{len(labels)} labels for {len(configs)} runs")
    from nnlib.train.callbacks import WATCHERS

    problems += [f"unknown column {w!r} to watch" for w in watch if w not in WATCHERS]
    if plans is not None and len(plans) != len(configs):
        problems.append(f"{len(plans)} plans for {len(configs)} runs")
    if problems:
        raise VariantError(problems)
    return {"configs": [c.to_dict() for c in configs], "labels": list(labels), "interval": GROUP_INTERVAL_S,
            "watch": list(watch), "lab": lab, "lab_options": dict(lab_options or {}),
            "plans": [dict(p) for p in plans] if plans is not None else None, "plan": group_plan(configs, plans)}


def group_plan(configs: Sequence[RunConfig], plans: Sequence[dict[str, Any]] | None = None) -> dict[str, Any]:
    """What the group announces before its first snapshot, as a single run does (nnlib.validation.run_plan): the
    status line read "Epoch 0 / 0 · 0 ms of training · running" for 10 s and more while a lab's worker loaded
    PyTorch and the data on a busy box; with this it reads "Epoch 0 / 15 · Preparing 3 runs: loading ...". The
    horizon is the longest run's (the group's epoch is its furthest run's, group_snapshot)."""
    from nnlib.validation import run_plan

    each = list(plans) if plans is not None else [run_plan(c) for c in configs]
    first = each[0].get("preparing") or "Preparing: loading the data…"
    what = first.removeprefix("Preparing: ") if first.startswith("Preparing: ") else first
    return {"epochs": max(int(p.get("epochs") or 0) for p in each),
            "until_paused": any(p.get("until_paused") for p in each),
            "limit": next((p.get("limit") for p in each if p.get("limit")), None),
            "preparing": f"Preparing {count(len(each), 'run')}: {what}" if len(each) > 1 else first}


def group_budget(configs: Sequence[RunConfig]) -> JobBudget:
    """The ceilings the group's job is held to (as a single run's, from the summed cost)."""
    cost = group_cost(configs)
    return JobBudget(cpu_seconds=cost.cpu_budget, memory_mb=cost.memory_ceiling_mb)


class _Member:
    """One variant of a running group: its trainer, its own torch RNG stream, and its plan (whether it runs "until
    I pause", and whose limit then ends it: nnlib.validation.run_plan), as a single run's job has."""

    def __init__(self, cfg: RunConfig, label: str, data_cache: dict[str, Any], watch: Sequence[str] = (),
                 plan: dict[str, Any] | None = None) -> None:
        import torch

        from nnlib.data.bundle import load_data
        from nnlib.train.callbacks import WATCHERS
        from nnlib.train.trainer import Trainer
        from nnlib.validation import run_epochs, run_plan

        self.cfg, self.label = cfg, label
        horizon = run_epochs(cfg)
        self.plan = {**run_plan(cfg), **(plan or {}), "epochs": horizon}
        self.at_limit = False  # ended at the limit of a run "until I pause"
        run_cfg = cfg if horizon == cfg.train.epochs else cfg.replace(train={"epochs": horizon})
        key = _data_key(cfg)
        if key not in data_cache:
            data_cache[key] = load_data(cfg)
        callbacks = [WATCHERS[w]() for w in watch if w in WATCHERS]
        self.trainer = Trainer(run_cfg, data_cache[key], callbacks)  # seeds torch's global RNG and draws the weights
        self.rng = torch.get_rng_state()  # dropout draws from here, as it would in a run of its own

    def epoch(self) -> None:
        """Train one epoch with this variant's RNG stream in place."""
        import torch

        from nnlib.validation import limit_reason

        torch.set_rng_state(self.rng)
        self.trainer.run(epochs=1)
        self.rng = torch.get_rng_state()
        t = self.trainer
        if self.plan["until_paused"] and t.status == "finished" and t.epoch >= self.plan["epochs"]:
            t.stop_reason = limit_reason(self.plan)  # a limit reached, not "all 20000 epochs done" (as a single run)
            self.at_limit = True

    def stop(self) -> None:
        """End an unfinished variant as a stopped run (its end-of-training callbacks run, as when stopped alone)."""
        if not self.trainer.done:
            self.trainer.run(gate=lambda: False)

    def snapshot(self) -> dict[str, Any]:
        from nnlib.inspect.snapshot import history_columns, status_of

        t = self.trainer
        status = status_of(t, t.done)
        if status["status"] in ("ready", "paused"):  # before or between two lockstep epochs: the group runs
            status["status"] = "running"
        cols = history_columns(t.history.records, t.history.columns)
        return {**status, "label": self.label, "config": self.cfg.to_dict(),
                "until_paused": bool(self.plan["until_paused"]),
                "history": {k: v for k, v in cols.items() if k in CURVE_KEYS}}


def _data_key(cfg: RunConfig) -> str:
    """Variants with equal data settings share one loaded dataset."""
    import json

    return json.dumps(cfg.to_dict()["data"], sort_keys=True)


def group_snapshot(members: Sequence[_Member], final: bool, status: str = "") -> dict[str, Any]:
    """Every variant's status and curves; the top level summarizes the group for the run bar and status line."""
    runs = [m.snapshot() for m in members]
    statuses = {r["status"] for r in runs}
    overall = status or ("running" if "running" in statuses or "ready" in statuses else "finished")
    reasons = {r["reason"] for r in runs}  # every run stopped at the same limit: the group did (its bar says so)
    reason = reasons.pop() if final and len(reasons) == 1 and all(m.at_limit for m in members) else ""
    return {"kind": "group", "runs": runs, "status": overall, "reason": reason, "final": final,
            "epoch": max((r["epoch"] for r in runs), default=0), "epochs": max((r["epochs"] for r in runs), default=0),
            "elapsed": sum(r["elapsed"] for r in runs), "device": runs[0]["device"] if runs else "",
            "fast_path": all(r["fast_path"] for r in runs), "best_epoch": None,
            "until_paused": any(r["until_paused"] for r in runs), "history": {}}


def _lab_hooks(lab: str) -> Any:
    """The module holding a lab's prepare/finish hooks, or None for a plain group."""
    if not lab:
        return None
    if lab not in LAB_HOOKS:
        raise VariantError([f"unknown lab experiment {lab!r}"])
    import importlib

    return importlib.import_module(LAB_HOOKS[lab])


def run_group(payload: dict[str, Any], ctl: Any) -> dict[str, Any]:
    """The job function: train payload["configs"] lockstep, one epoch of each per round, under one control."""
    from nnlib.train.job import TrainingClock

    configs = from_dicts(payload["configs"])
    labels = list(payload.get("labels") or [f"run {i}" for i in range(1, len(configs) + 1)])
    problems = group_problems(configs)
    if problems:
        raise VariantError(problems)
    ctl.configure(interval=payload.get("interval", GROUP_INTERVAL_S), epochs_per_second=configs[0].epochs_per_second)
    data_cache: dict[str, Any] = {}
    watch = list(payload.get("watch") or ())
    plans = payload.get("plans") or [None] * len(configs)
    members = [_Member(c, lab, data_cache, watch, plan) for c, lab, plan in zip(configs, labels, plans, strict=True)]
    for m in members:
        m.trainer.interrupt = ctl.should_stop
    hooks = _lab_hooks(payload.get("lab") or "")
    options = dict(payload.get("lab_options") or {})
    if hooks is not None:
        ctl.publish(group_snapshot(members, False), force=True)  # the page shows the runs while they are prepared
        hooks.prepare(members, options)
    ctl.publish(group_snapshot(members, False), force=True)
    open_ended = any(c.open_ended for c in configs)  # the training clock: the server's, as for a single run
    clock = TrainingClock(60.0 * MAX_LIVE_MINUTES if open_ended else float("inf"))
    while any(not m.trainer.done for m in members):
        if not clock.gate(ctl.epoch_gate):
            break
        for m in members:
            if not m.trainer.done:
                m.epoch()
            if ctl.stop_requested:
                break
        ctl.offer(lambda: group_snapshot(members, False))
    for m in members:
        m.stop()
        if clock.expired and m.trainer.status == "stopped":
            m.trainer.stop_reason = (f"the server ends a group after {MAX_LIVE_MINUTES} minutes of training "
                                     f"({count(m.trainer.epoch, 'epoch')})")
    stopped = ctl.stop_requested or clock.expired
    final = group_snapshot(members, True, "stopped" if stopped else "finished")
    if hooks is not None:
        final.update(hooks.finish(members, options))
    ctl.publish(final, force=True)
    return {"statuses": [m.trainer.status for m in members], "epochs": [m.trainer.epoch for m in members]}
