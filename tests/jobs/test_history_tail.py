"""Live snapshots carry only the history rows appended since the job's previous one, and the manager's merge gives
back exactly the full snapshot: over a Playground run with pauses and steps, over a Compare group
(nnlib.compare.group), and through a real pool whose group worker trains several jobs at once."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from nnlib.config import RunConfig
from nnlib.jobs import JobManager
from nnlib.jobs.control import JobControl
from nnlib.jobs.history_tail import TailEncoder, merge_tails
from tests.jobs.test_manager import ready

pytestmark = pytest.mark.timeout(600)
RUN = "nnlib.train.job:run_training"


class ScriptedPipe:
    """The worker's end of the pipe, in-process: keeps what the job sends and answers the n-th snapshot with the
    commands `script(n)` names (how a student's pause / step / resume reach a running job)."""

    def __init__(self, job_id: str, script: Callable[[int], list[str]]) -> None:
        self.job_id, self.script = job_id, script
        self.sent: list[tuple] = []
        self.inbox: deque[tuple] = deque()

    def send(self, msg: tuple) -> None:
        self.sent.append(msg)
        self.inbox.extend(("cmd", self.job_id, cmd) for cmd in self.script(len(self.sent)))

    def poll(self, timeout: float = 0.0) -> bool:
        return bool(self.inbox)

    def recv(self) -> tuple:
        return self.inbox.popleft()


def pause_step_resume(n: int) -> list[str]:
    """Pause at the 3rd snapshot, step twice, resume; pause again at the 12th and resume at once."""
    return {3: ["pause"], 4: ["step"], 5: ["step"], 6: ["resume"], 12: ["pause"], 13: ["resume"]}.get(n, [])


def histories(snapshot: dict) -> list[dict]:
    """Every history a snapshot carries (its own, and each Compare variant's)."""
    found = [snapshot["history"]] if "history" in snapshot else []
    return found + [run["history"] for run in snapshot.get("runs", [])]


def recording(build: Callable[..., dict], full: list[dict]) -> Callable[..., dict]:
    """`build`, keeping a copy of each snapshot as built (its history's lists are the trainer's own, still growing)."""

    def wrapped(*args: Any, **kwargs: Any) -> dict:
        snap = build(*args, **kwargs)
        copy = {**snap, "history": {k: list(v) for k, v in snap.get("history", {}).items()}}
        if "runs" in snap:
            copy["runs"] = [{**r, "history": {k: list(v) for k, v in r["history"].items()}} for r in snap["runs"]]
        full.append(copy)
        return snap

    return wrapped


def check_round_trip(sent: list[tuple], full: list[dict]) -> None:
    """Merging the sent snapshots in order rebuilds each full one; each carried at most the rows new since the
    previous one plus the last row again (which History.update_last may rewrite)."""
    assert len(sent) == len(full) > 3
    merged: Any = None
    rows_before = [0] * len(histories(full[0]))
    for (kind, _, encoded), expected in zip(sent, full, strict=True):
        assert kind == "snap"
        rows_in_transit = [max((len(t) for t in h.tails.values()), default=0) for h in histories(encoded)]
        rows_now = [len(next(iter(h.values()), [])) for h in histories(expected)]
        for carried, before, now in zip(rows_in_transit, rows_before, rows_now, strict=True):
            assert carried <= now - before + 1, (carried, before, now)
        rows_before = rows_now
        merged = merge_tails(merged, encoded)
        assert merged.keys() == expected.keys()
        assert histories(merged) == histories(expected)
        assert all(merged[k] is expected[k] for k in expected if k not in ("history", "runs"))
    assert merged["final"]
    for part in [merged, *merged.get("runs", [])]:  # one row per epoch trained, in every history
        assert {len(column) for column in part["history"].values()} <= {part["epoch"]}


def test_a_playground_run_with_pauses_and_steps_sends_tails_that_merge_into_the_full_snapshots(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import nnlib.train.job as job

    full: list[dict] = []
    original = job.payload_builder
    monkeypatch.setattr(job, "payload_builder", lambda *a, **k: recording(original(*a, **k), full))
    pipe = ScriptedPipe("j1", pause_step_resume)
    ctl = JobControl(pipe, "j1", min_interval=0.0)  # type: ignore[arg-type]
    cfg = RunConfig().replace(train={"epochs": 40, "until_paused": False, "speed": "fast"})
    job.run_training({"config": cfg.to_dict()}, ctl)
    check_round_trip(pipe.sent, full)
    assert ctl.holds >= 2  # it did settle into both pauses


def test_a_compare_group_sends_tails_of_every_variant(monkeypatch: pytest.MonkeyPatch) -> None:
    import nnlib.compare.group as group

    full: list[dict] = []
    monkeypatch.setattr(group, "group_snapshot", recording(group.group_snapshot, full))
    configs = [RunConfig().replace(train={"epochs": 40 + 10 * i, "lr": 0.03 * (i + 1), "until_paused": False,
                                          "speed": "fast"}) for i in range(3)]
    payload = {**group.group_payload(configs, ["a", "b", "c"]), "interval": 0.0}
    pipe = ScriptedPipe("g1", pause_step_resume)
    group.run_group(payload, JobControl(pipe, "g1", min_interval=0.0))  # type: ignore[arg-type]
    check_round_trip(pipe.sent, full)


def test_a_rewritten_last_row_a_new_column_and_a_shorter_history_all_arrive() -> None:
    encoder, merged = TailEncoder(), None
    steps = [
        {"epoch": [1, 2], "loss": [0.9, 0.8]},
        {"epoch": [1, 2, 3], "loss": [0.9, 0.8, 0.7]},
        {"epoch": [1, 2, 3], "loss": [0.9, 0.8, 0.7], "test_loss": [None, None, 0.75]},  # update_last
        {"epoch": [1, 2, 3, 4], "loss": [0.9, 0.8, 0.7, None]},  # a column gone
        {"epoch": [1], "loss": [0.5]},  # a different, shorter history
    ]
    for history in steps:
        encoded, lengths = encoder.encode({"history": {k: list(v) for k, v in history.items()}, "epoch": 0})
        encoder.commit(lengths)
        merged = merge_tails(merged, encoded)
        assert merged["history"] == history


def test_a_snapshot_that_was_never_delivered_is_sent_again() -> None:
    encoder = TailEncoder()
    first, lengths = encoder.encode({"history": {"epoch": [1, 2, 3]}})
    encoder.commit(lengths)
    encoder.encode({"history": {"epoch": [1, 2, 3, 4, 5]}})  # its send failed: no commit
    third, _ = encoder.encode({"history": {"epoch": [1, 2, 3, 4, 5, 6]}})
    assert merge_tails(merge_tails(None, first), third)["history"] == {"epoch": [1, 2, 3, 4, 5, 6]}


@pytest.fixture(autouse=True)
def every_epoch_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process runs send a snapshot after every epoch (no throttle by build time): the sends are the same on a
    busy machine as on a quiet one."""
    import nnlib.jobs.control as control

    monkeypatch.setattr(control, "BUILD_BUDGET", 0.0)


@pytest.fixture(scope="module")
def pool() -> Iterator[JobManager]:
    m = JobManager(max_workers=1, preload_torch=True, group_size=4, max_jobs_per_session=2)
    yield ready(m)
    m.shutdown()


def test_a_group_workers_jobs_reach_the_manager_whole(pool: JobManager) -> None:
    """Three runs in one group worker: every snapshot a page reads has one history row per epoch trained, the
    rows never change once read, and the last snapshot's history is the one the same run gives in this process."""
    from nnlib.inspect.snapshot import history_columns
    from nnlib.train.trainer import Trainer

    configs = [RunConfig().replace(train={"seed": 7 + i, "epochs": 150 + 25 * i, "until_paused": False,
                                          "speed": "fast"}) for i in range(3)]
    jobs = {f"s{i}": pool.submit(f"s{i}", {"config": c.to_dict(), "interval": 0.0}, RUN)
            for i, c in enumerate(configs)}
    seen: dict[str, list[dict]] = {s: [] for s in jobs}
    pool.command("s1", jobs["s1"], "pause")
    while any(pool.view(s, j).status in ("queued", "running", "paused") for s, j in jobs.items()):
        for s, j in jobs.items():
            snap = pool.view(s, j).snapshot
            if snap is not None and (not seen[s] or seen[s][-1] is not snap):
                seen[s].append(snap)
        if pool.view("s1", jobs["s1"]).status == "paused" and len(seen["s1"]) < 40:
            pool.command("s1", jobs["s1"], "step")
        elif pool.view("s1", jobs["s1"]).status == "paused":
            pool.command("s1", jobs["s1"], "resume")
        time.sleep(0.01)
    for (s, j), cfg in zip(jobs.items(), configs, strict=True):
        assert pool.view(s, j).status == "finished"
        snaps = seen[s] + [pool.view(s, j).snapshot]
        assert len(snaps) > 3
        last = snaps[-1]["history"]
        for snap in snaps:
            history = snap["history"]
            assert {len(v) for v in history.values()} <= {snap["epoch"]}
            assert all(v == last[k][:len(v)] for k, v in history.items())  # rows once read never change
        alone = Trainer(cfg)
        alone.run()
        expected = history_columns(alone.history.records, alone.history.columns)
        assert last.keys() == expected.keys()
        assert all(last[k] == expected[k] for k in expected if k != "wall_time")
