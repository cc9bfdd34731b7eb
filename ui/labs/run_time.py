"""How long a lab's experiment took, in the two senses a student can mean (no streamlit here).

The run bar's "17.4 s of training" is the computing time the runs spent on their epochs, added up over the runs of
the group; a walkthrough student who had waited longer (in the queue, while the worker built the data, while a paced
run paused between epochs for watching) read it as the time they had waited. The labs' status line says both:
the computing time, named as such, and the time from pressing Train to the end, with the queue wait in it.
"""

from __future__ import annotations

from typing import Any

from nnlib.jobs.manager import JobView
from nnlib.words import count
from ui.run_controls import training_time

WAIT_SHOWN_S = 0.1  # a queue wait below this is not worth a clause


def _elapsed(snap: dict[str, Any]) -> float:
    return round(float(snap.get("elapsed", 0.0)), 3)  # as ui.status_line.status_text rounds it for the run bar


def seconds(s: float) -> str:
    """Wall-clock seconds as the status line says them: '0.4 s', '12 s', '2 min 5 s'."""
    if s < 10:
        return training_time(s)
    if s < 60:
        return f"{s:.0f} s"
    return f"{int(s // 60)} min {int(s % 60)} s"


def time_spent(view: JobView, snap: dict[str, Any]) -> str:
    """'9.8 s from pressing Train to the end, of which 5.5 s computing the 3 runs' epochs and 2.1 s waiting for a
    free worker' for an ended job; while it is queued or running, the computing time so far only. It said "3 runs
    trained in 65 ms of computing; 3.8 s since you pressed Train", two times side by side whose relation a student
    had to guess: now the wall time leads and the computing time is named as part of it."""
    runs = len(snap.get("runs") or []) or 1
    whose = f"the {count(runs, 'run')}'" if runs > 1 else "the run's"
    compute = training_time(_elapsed(snap))
    if view.finished_at is None:
        return f"{compute} computing {whose} epochs so far"
    text = (f"{seconds(max(0.0, view.finished_at - view.submitted_at))} from pressing Train to the end, of which "
            f"{compute} computing {whose} epochs")
    waited = (view.finished_at if view.started_at is None else view.started_at) - view.submitted_at
    if waited >= WAIT_SHOWN_S:
        text += f" and {seconds(waited)} waiting for a free worker"
    return text
