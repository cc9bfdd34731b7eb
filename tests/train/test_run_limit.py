"""A run "until I pause" that reaches its horizon says it stopped at a limit -- the server's, or in a class the
class's -- not "all 20000 epochs done", which read as if the student had asked for that many epochs."""

from __future__ import annotations

from nnlib import validation
from nnlib.config import RunConfig
from nnlib.jobs.control import JobControl
from nnlib.train import job


def small(**train: object) -> RunConfig:
    return RunConfig().replace(model={"hidden": [4]}, train={"speed": "fast", **train})


def test_an_open_ended_run_at_the_servers_horizon_says_it_reached_the_servers_limit(monkeypatch) -> None:
    monkeypatch.setattr(validation, "MAX_LIVE_EPOCHS", 6)  # the server's horizon, small enough to reach here
    cfg = small(until_paused=True)
    assert cfg.open_ended and validation.run_epochs(cfg) == 6
    result = job.run_training({"config": cfg.to_dict(), "interval": 1e9}, JobControl())
    assert result["epochs"] == 6
    assert result["reason"] == ("stopped at the server's limit of 6 epochs (Until I pause runs until you pause, up "
                                "to that limit)"), result["reason"]


def test_a_class_bounded_run_until_i_pause_says_it_reached_the_classs_limit() -> None:
    """The class turned "until I pause" into a run of its max epochs (admission.within_class_epochs); the payload's
    plan (ui.classroom.admit) says so, and the run's snapshots are marked open-ended like any run until paused."""
    bounded = small(until_paused=False, epochs=5)
    plan = validation.run_plan(bounded, class_limit=True)
    ctl = JobControl()
    result = job.run_training({"config": bounded.to_dict(), "interval": 1e9, "plan": plan}, ctl)
    assert result["reason"].startswith("stopped at your class's limit of 5 epochs"), result["reason"]
    assert ctl.latest["until_paused"] is True


def test_a_bounded_run_the_student_set_keeps_its_own_reason() -> None:
    result = job.run_training({"config": small(until_paused=False, epochs=4).to_dict(), "interval": 1e9},
                              JobControl())
    assert result["reason"] == "all 4 epochs done"  # the student's own goal, reached


def _group(configs: list[RunConfig], plans: list[dict] | None = None) -> dict:
    from nnlib.compare.group import group_payload, run_group

    ctl = JobControl(min_interval=0.0)
    labels = [f"lr = {c.train.lr:g}" for c in configs]
    run_group(group_payload(configs, labels, plans=plans) if plans else group_payload(configs, labels), ctl)
    return ctl.latest


def test_a_group_until_i_pause_at_the_servers_horizon_says_each_run_reached_the_servers_limit(monkeypatch) -> None:
    """A Change-one-knob group of runs "until I pause" ended with each run's "all 20000 epochs done" (the server's
    horizon) where a single run says whose limit it reached."""
    monkeypatch.setattr(validation, "MAX_LIVE_EPOCHS", 6)
    final = _group([small(until_paused=True, lr=lr) for lr in (0.03, 0.3)])
    said = "stopped at the server's limit of 6 epochs (Until I pause runs until you pause, up to that limit)"
    assert [(r["epoch"], r["reason"], r["until_paused"]) for r in final["runs"]] == [(6, said, True)] * 2, final
    assert final["reason"] == said and final["status"] == "finished"  # the Compare page's group bar says it too


def test_a_class_bounded_group_until_i_pause_says_each_run_reached_the_classs_limit() -> None:
    """In a class, admit_group turns each run "until I pause" into a run of the class's max epochs; the plans it
    hands the group say so, as a single run's payload plan does."""
    bounded = [small(until_paused=False, epochs=5, lr=lr) for lr in (0.03, 0.3)]
    final = _group(bounded, [validation.run_plan(c, class_limit=True) for c in bounded])
    assert all(r["reason"].startswith("stopped at your class's limit of 5 epochs") for r in final["runs"]), final
    assert all(r["until_paused"] for r in final["runs"]) and final["until_paused"] is True


def test_a_bounded_group_keeps_its_runs_own_reason() -> None:
    final = _group([small(until_paused=False, epochs=4, lr=lr) for lr in (0.03, 0.3)])
    assert [r["reason"] for r in final["runs"]] == ["all 4 epochs done"] * 2
    assert final["reason"] == ""  # a goal reached is each run's own; the group bar says "finished"
