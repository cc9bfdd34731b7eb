"""Pins and the comparison's composite live view: survive sessions of one person, follow running jobs, keep a
forgotten job's last curves; the live route serves the composite under its token with the 'compare' patcher."""

from __future__ import annotations

import json

import numpy as np

from nnlib.jobs.records import JobView
from ui import compare_store as store
from ui.compare_plots import MAX_POINTS, compare_figures, compare_patches, final_row


def view(job_id: str, status: str, seq: int, snapshot: dict) -> JobView:
    return JobView(job_id, status, None, snapshot, seq, None, None, 0.0, None, None)


class FakeManager:
    """find(job_id) -> (session, view), like JobManager.find."""

    def __init__(self) -> None:
        self.views: dict[str, JobView] = {}

    def find(self, job_id: str):
        v = self.views.get(job_id)
        return None if v is None else ("s-job", v)

    touched: list[str] = []

    def touch(self, session: str) -> None:
        self.touched.append(session)


def hist(n: int) -> dict:
    return {"epoch": list(range(1, n + 1)), "train_loss": [1.0 / e for e in range(1, n + 1)],
            "val_loss": [1.2 / e for e in range(1, n + 1)], "val_accuracy": [0.5] * n}


def test_pins_follow_a_running_job_and_keep_a_forgotten_ones_curves() -> None:
    m, person = FakeManager(), "person-follow"
    m.views["j1"] = view("j1", "running", 3, {"epoch": 3, "history": hist(3)})
    assert store.pin(person, store.Pin("p1", "run 1", "Playground", {}, job_id="j1", status="running")) is None
    assert "already pinned" in store.pin(person, store.Pin("p2", "again", "Playground", {}, job_id="j1"))
    token = store.compare_token(person, "session-a")
    assert store.compare_token(person, "session-b") == token  # one comparison per person, across sessions/reloads
    t = [0.0]
    session, v = store.composite_view(token, m, clock=lambda: t[0])
    assert session == "session-b" and v.status == "running"
    assert "s-job" in m.touched  # a job watched on the Compare page is not idle (its own page may be closed)
    assert v.snapshot["runs"][0]["history"]["epoch"] == [1, 2, 3]
    m.views["j1"] = view("j1", "running", 4, {"epoch": 5, "history": hist(5)})
    assert store.composite_view(token, m, clock=lambda: t[0])[1] is v  # rebuilt at most every REFRESH_S
    t[0] += store.REFRESH_S
    v2 = store.composite_view(token, m, clock=lambda: t[0])[1]
    assert v2.snapshot_seq != v.snapshot_seq and v2.snapshot["runs"][0]["epoch"] == 5
    del m.views["j1"]  # the manager forgot the job: its last curves stay
    t[0] += store.REFRESH_S
    v3 = store.composite_view(token, m, clock=lambda: t[0])[1]
    assert v3.status == "finished" and v3.snapshot["runs"][0]["history"]["epoch"] == [1, 2, 3, 4, 5]
    assert [p.status for p in store.pins(person, m)] == ["stopped"]
    assert store.composite_view("no-such-token", m) is None


def test_group_members_read_their_own_run_of_the_group_snapshot() -> None:
    m, person = FakeManager(), "person-group"
    runs = [{"label": "dropout = 0", "status": "running", "epoch": 2, "history": hist(2)},
            {"label": "dropout = 0.5", "status": "finished", "epoch": 4, "history": hist(4)}]
    m.views["g"] = view("g", "running", 1, {"kind": "group", "runs": runs})
    for i in range(2):
        store.pin(person, store.Pin(f"g{i}", runs[i]["label"], "Playground", {}, job_id="g", member=i))
    pins = store.pins(person, m)
    assert [(p.status, p.epoch) for p in pins] == [("running", 2), ("finished", 4)]
    m.views["g"] = view("g", "stopped", 2, {"kind": "group", "runs": runs})  # the group was stopped
    assert [p.status for p in store.pins(person, m)] == ["stopped", "finished"]


def test_the_set_is_bounded_and_unpin_and_clear_work() -> None:
    person = "person-bounds"
    for i in range(store.MAX_PINS):
        assert store.pin(person, store.Pin(f"b{i}", f"r{i}", "Lab", {}, job_id=f"j{i}")) is None
    assert "At most" in store.pin(person, store.Pin("x", "x", "Lab", {}, job_id="jx"))
    store.unpin(person, "b0")
    assert len(store.pins(person, FakeManager())) == store.MAX_PINS - 1
    store.clear(person)
    assert store.pins(person, FakeManager()) == []


def test_figures_overlay_train_and_validation_per_run_and_patches_are_thinned() -> None:
    snap = {"runs": [{"label": "a", "history": hist(3)}, {"label": "b", "history": hist(5000)}]}
    figs = compare_figures(snap)
    loss = figs["cmp_loss"]["data"]
    assert [t["name"] for t in loss] == ["a · train", "a · validation", "b · train", "b · validation"]
    assert loss[0]["line"]["color"] == loss[1]["line"]["color"] != loss[2]["line"]["color"]
    assert loss[1]["line"]["dash"] == "dash"
    assert figs["cmp_metric"]["layout"]["yaxis"]["range"] == [0, 1.02]
    patches = compare_patches(snap)
    x = patches["cmp_loss"][2]["x"]
    assert len(x) <= MAX_POINTS + 1 and x[-1] == 5000 and x[0] == 1  # the curve's end is current
    assert np.allclose(patches["cmp_loss"][0]["y"], [1.0, 0.5, 1 / 3])
    regression = compare_figures({"runs": [{"label": "r", "history": {"epoch": [1], "val_rmse": [0.3]}}]})
    assert regression["cmp_metric"]["layout"]["title"]["text"].startswith("RMSE")


def test_final_row_has_the_best_validation_epoch() -> None:
    row = final_row({"history": {"epoch": [1, 2, 3], "train_loss": [3, 2, 1], "val_loss": [2.0, 1.0, 1.5],
                                 "val_accuracy": [0.5, 0.7, 0.6]}})
    assert row["best validation loss"] == 1.0 and row["at epoch"] == 2 and row["validation accuracy"] == 0.6


def test_the_live_route_serves_the_comparison_under_its_token(monkeypatch) -> None:
    import ui.services
    from ui import live

    m, person = FakeManager(), "person-route"
    m.views["j"] = view("j", "running", 7, {"epoch": 2, "history": hist(2)})
    store.pin(person, store.Pin("r1", "run 1", "Playground", {}, job_id="j", status="running"))
    token = store.compare_token(person, "session-r")
    monkeypatch.setattr(ui.services, "job_manager", lambda: m)
    code, body = live.snapshot_payload(token, -1, "", "compare", {"have": "0"})
    msg = json.loads(body)
    assert code == 200 and msg["status"] == "running"
    assert set(msg["patches"]) == {"cmp_loss", "cmp_metric"} and set(msg["patches"]["cmp_loss"]) == {"0", "1"}
    assert live.snapshot_payload(token, msg["seq"], "running", "compare", {"have": "0"}) == (204, b"")
    assert live.snapshot_payload("unknown-token", -1, "", "compare", {})[0] == 404


def test_a_member_seen_before_its_first_epoch_keeps_following_the_group() -> None:
    """The group's first snapshot says 'ready' (no epoch yet): a pin refreshed then must not stop following it
    (it did: the Compare page then showed the variants without a single point while they trained)."""
    m, person = FakeManager(), "person-ready"
    first = [{"label": "a", "status": "ready", "epoch": 0, "history": {}}]
    m.views["g"] = view("g", "running", 1, {"kind": "group", "runs": first})
    store.pin(person, store.Pin("r", "a", "Playground", {}, job_id="g", member=0, status="running"))
    assert store.pins(person, m)[0].active
    later = [{"label": "a", "status": "running", "epoch": 5, "history": hist(5)}]
    m.views["g"] = view("g", "running", 2, {"kind": "group", "runs": later})
    assert store.pins(person, m)[0].epoch == 5


def test_the_status_line_follows_the_runs_that_are_training() -> None:
    """A walkthrough saw "Epoch 276" stand still on the Compare page: it was a paused pin's count, while the three
    variants beside it trained from 120 to 205 epochs."""
    paused = store.Pin("a", "Playground run 1", "playground", {}, status="paused", epoch=276, elapsed=9.0)
    variants = [store.Pin(f"v{i}", f"dropout = {d}", "playground", {}, status="running", epoch=120 + i, elapsed=2.0)
                for i, d in enumerate((0, 0.2, 0.5))]
    snap = store.composite_snapshot([paused, *variants])
    assert (snap["epoch"], snap["elapsed"]) == (122, 2.0)
    done = store.composite_snapshot([paused])  # nothing trains: the pins' own count
    assert done["epoch"] == 276


def test_a_lab_record_is_per_person_and_per_lab_and_only_forgotten_for_its_own_job():
    store.remember_lab("p-lab", "lab_fitting", "job-1", "session-1", {"kind": "lab_remedies"})
    assert store.lab_record("p-lab", "lab_fitting") == ("job-1", "session-1", {"kind": "lab_remedies"})
    assert store.lab_record("p-lab", "lab_activations") is None
    assert store.lab_record("p-other", "lab_fitting") is None
    store.remember_lab("p-lab", "lab_fitting", "job-2", "session-2", {})  # a newer experiment replaces it
    store.forget_lab("p-lab", "lab_fitting", "job-1")  # a stale job id must not drop the newer record
    assert store.lab_record("p-lab", "lab_fitting")[0] == "job-2"
    store.forget_lab("p-lab", "lab_fitting", "job-2")
    assert store.lab_record("p-lab", "lab_fitting") is None


def test_the_comparison_says_paused_when_nothing_trains() -> None:
    """Compare's status line read "running · runs until you pause or stop" (with a moving bar) while its group was
    stopped, its pin paused and the teacher's reference finished: the composite's state follows the runs'."""
    m, person = FakeManager(), "person-states"
    m.views["run"] = view("run", "paused", 3, {"epoch": 3, "history": hist(3)})
    m.views["grp"] = view("grp", "stopped", 2, {"kind": "group", "runs": [
        {"label": "lr = 0.1", "status": "stopped", "epoch": 720, "history": hist(5)}]})
    store.pin(person, store.Pin("a", "run 1", "Playground", {}, job_id="run", status="paused"))
    store.pin(person, store.Pin("b", "lr = 0.1", "Playground", {}, job_id="grp", member=0, status="running"))
    token = store.compare_token(person, "session-states")
    _, v = store.composite_view(token, m)
    assert v.status == "paused" and v.snapshot["status"] == "paused"
    m.views["run"] = view("run", "running", 4, {"epoch": 4, "history": hist(4)})
    assert store.composite_status(store.pins(person, m)) == "running"
    m.views["run"] = view("run", "finished", 5, {"epoch": 5, "history": hist(5)})
    assert store.composite_status(store.pins(person, m)) == "finished"


def test_the_live_route_tells_a_paused_comparison_as_paused(monkeypatch) -> None:
    from ui import live, services

    m, person = FakeManager(), "person-route-paused"
    m.views["p"] = view("p", "paused", 3, {"epoch": 3, "history": hist(3)})
    store.pin(person, store.Pin("p", "run 1", "Playground", {}, job_id="p", status="paused"))
    token = store.compare_token(person, "session-route-paused")
    monkeypatch.setattr(services, "job_manager", lambda: m)
    code, body = live.snapshot_payload(token, -1, "running", "compare", {"have": "0"})
    msg = json.loads(body)
    assert code == 200 and msg["status"] == "paused"


def test_a_bounded_group_reads_epoch_n_of_its_epochs_and_only_an_open_ended_run_runs_until_paused() -> None:
    """A walkthrough's group of three 300-epoch runs read "running · runs until you pause or stop" on the Compare
    page, with no "/ 300": the composite said until_paused for every comparison. Its end is the running runs' own."""
    from ui.status_line import status_text

    m, person = FakeManager(), "person-horizon"
    runs = [{"label": f"lr = {lr}", "status": "running", "epoch": 172, "epochs": 300, "until_paused": False,
             "history": hist(3)} for lr in (0.003, 0.03, 0.3)]
    m.views["grp"] = view("grp", "running", 7, {"kind": "group", "runs": runs, "epochs": 300})
    for i, r in enumerate(runs):
        store.pin(person, store.Pin(f"m{i}", r["label"], "Playground", {}, job_id="grp", member=i, status="running"))
    _, v = store.composite_view(store.compare_token(person, "session-horizon"), m)
    line = status_text(v.snapshot, v.status)
    assert (line["epoch"], line["epochs"], line["until_paused"]) == (172, 300, False)

    # an open-ended single run pinned beside it ("until I pause", its snapshot's epochs is the server's limit)
    m.views["run"] = view("run", "running", 4, {"epoch": 180, "epochs": 20000, "until_paused": True,
                                                 "history": hist(4)})
    store.pin(person, store.Pin("a", "Playground run 1", "Playground", {}, job_id="run", status="running"))
    store._people[person].composite = None  # the next poll rebuilds it (REFRESH_S)
    _, v = store.composite_view(store.compare_token(person, "session-horizon"), m)
    assert status_text(v.snapshot, v.status)["until_paused"] is True

    # once the open-ended run is paused, the bounded ones still training decide again
    m.views["run"] = view("run", "paused", 5, {"epoch": 181, "epochs": 20000, "until_paused": True,
                                                "history": hist(4)})
    store._people[person].composite = None
    _, v = store.composite_view(store.compare_token(person, "session-horizon"), m)
    assert (v.snapshot["epochs"], v.snapshot["until_paused"]) == (300, False)


def test_a_single_run_pinned_before_its_first_snapshot_takes_its_horizon_from_its_plan() -> None:
    """A queued job has no snapshot yet: its plan says where it will end (as its own status line reads it)."""
    queued = JobView("q", "queued", 1, None, 0, None, None, 0.0, None, None, plan={"epochs": 40, "until_paused": False})
    run = store.run_of(queued, None)
    assert (run["epochs"], run["until_paused"]) == (40, False)
