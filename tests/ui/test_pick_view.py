"""Which run the Playground's charts show after the controls change (ui.playground_views.pick_view)."""

from __future__ import annotations

from nnlib.config import RunConfig
from nnlib.jobs.records import JobView
from ui.playground_views import pick_view


def _ended(status: str = "finished") -> JobView:
    return JobView("j1", status, None, {"epoch": 300}, 3, {"status": status}, None, 0.0, 0.0, 1.0)


def test_changing_only_the_speed_keeps_the_finished_run_on_the_charts() -> None:
    # the walkthrough: a finished run went off the charts ("used other settings (speed fast -> slow)") when only the
    # pace changed, as if the student had asked for another net; speed sets how fast a run is shown, not what it learns
    ran = RunConfig().replace(train={"speed": "fast"})
    shown = pick_view(_ended(), ran, ran.replace(train={"speed": "slow"}), invalid=False)
    assert shown.view is not None and shown.view.job_id == "j1" and shown.note == ""


def test_changing_what_trains_still_takes_the_finished_run_off_with_a_note() -> None:
    ran = RunConfig().replace(train={"speed": "fast"})
    shown = pick_view(_ended(), ran, ran.replace(train={"speed": "slow", "lr": 0.3}), invalid=False)
    assert shown.view is None and "lr" in shown.note and "speed" not in shown.note
