"""The labs' chart updaters (ui.labs.train_plots.PATCHERS) reach the live route because the app and a lab's page
register them, not because some module happened to be imported first: importing ui.labs.group_runs registered
them once per process, so a live route whose table was reset afterwards (a fresh ui.live in the same process, a
second AppTest) answered a lab's polls with no patches and its charts stayed empty."""

from __future__ import annotations

import os

from streamlit.testing.v1 import AppTest

import ui.labs.group_runs  # noqa: F401 - imported first, as any earlier page or test of this process would
from ui import live
from ui.labs.train_plots import PATCHERS

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")


def without_lab_patchers() -> dict:
    return {k: v for k, v in live.PATCHERS.items() if k not in PATCHERS}


def test_a_lab_page_registers_its_chart_updaters_when_it_renders(monkeypatch) -> None:
    monkeypatch.setattr(live, "PATCHERS", without_lab_patchers())  # the route's table, as a fresh ui.live has it
    at = AppTest.from_file(os.path.join(ROOT, "pages", "labs", "learning_rate.py"), default_timeout=120).run()
    assert not at.exception, at.exception
    assert set(PATCHERS) <= set(live.PATCHERS)
    assert all(live.PATCHERS[k] is fn for k, fn in PATCHERS.items())



def test_every_lab_kind_survives_the_polls_query_and_draws_its_curves() -> None:
    """The schedules' loss chart stayed empty for the whole run (a walkthrough, epoch 148 of 300) while "rates" drew
    live: the poll's kind was cut to 12 characters, "lab_schedules" became "lab_schedule", a kind with no patcher,
    and every answer carried no patches. Each lab kind must come through the query whole and patch its charts."""
    from ui.labs.group_runs import register_lab_patchers

    register_lab_patchers()
    run = {"label": "cosine", "status": "running",
           "history": {"epoch": [1, 2], "train_loss": [0.7, 0.5], "lr": [0.3, 0.29]}}
    for kind in PATCHERS:
        parsed = live.poll_arguments({"kind": kind, "seq": "3"})[2]
        assert parsed == kind and parsed in live.PATCHERS
    patches = live.PATCHERS[live.poll_arguments({"kind": "lab_schedules"})[2]]({"runs": [run]}, {})
    assert list(patches["loss"][0]["y"]) == [0.7, 0.5] and list(patches["lr"][0]["x"]) == [1, 2]
