"""The labs' status line says how long an experiment took in both senses: the computing time its runs spent (named
so) and the time since the student pressed Train, with the queue wait in it. '17.4 s of training' alone read as the
time waited, while the student had waited longer (walkthrough)."""

from __future__ import annotations

from nnlib.jobs.manager import JobView
from ui.labs.run_time import seconds, time_spent
from ui.run_controls import run_state

SNAP = {"epoch": 300, "epochs": 300, "elapsed": 5.5, "reason": "", "history": {},
        "runs": [{"label": "a"}, {"label": "b"}, {"label": "c"}]}


def job(status: str, submitted: float, started: float | None, finished: float | None) -> JobView:
    return JobView("j", status, None, SNAP, 9, None, None, submitted, started, finished)


def test_a_finished_experiment_says_its_computing_time_and_the_time_since_train():
    v = job("finished", 100.0, 102.1, 109.8)
    text = run_state(v, SNAP, spent=time_spent(v, SNAP)).text
    assert "of training" not in text  # the old words, which read as the time waited
    assert text.startswith("Epoch 300 / 300 · 9.8 s from pressing Train to the end, of which 5.5 s computing the 3 "
                           "runs' epochs and 2.1 s waiting for a free worker · finished")


def test_no_queue_clause_without_a_wait_and_none_of_the_wall_time_before_the_end():
    assert time_spent(job("finished", 100.0, 100.02, 100.4), SNAP).endswith("computing the 3 runs' epochs")
    assert time_spent(job("running", 100.0, 100.0, None), SNAP) == "5.5 s computing the 3 runs' epochs so far"
    one = {**SNAP, "runs": [{"label": "a"}], "elapsed": 0.04}
    assert time_spent(job("stopped", 0.0, 0.0, 75.0), one) == ("1 min 15 s from pressing Train to the end, of which "
                                                                "40 ms computing the run's epochs")
    assert [seconds(s) for s in (0.4, 12.4, 125.0)] == ["0.4 s", "12 s", "2 min 5 s"]
