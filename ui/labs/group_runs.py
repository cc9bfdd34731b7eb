"""Train a lab's experiment as one group run (nnlib.compare.group: N configs side by side in one job, one slot of
the student's quota) through the shared JobManager, and watch it live through the live route like the Playground:
Train / Stop, the overlaid curves patched in the browser while it trains, drawn statically once it is done."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import streamlit as st

from nnlib.compare.group import group_problems
from nnlib.compare.variants import VariantError
from nnlib.config import RunConfig
from nnlib.jobs.manager import JobLimitError, JobView
from ui import compare_store as store
from ui import session as S
from ui.labs.run_time import time_spent
from ui.labs.train_plots import PATCHERS, Figure, filled, waiting_figure
from ui.live import live_charts, register_patcher
from ui.run_controls import ACTIVE, finished_view, run_state


def register_lab_patchers() -> None:
    """Tell the live route how a lab's group snapshot becomes chart patches. Called where the app starts (app.py)
    and where a lab's panel renders (`group_panel`), not as a side effect of importing this module: an import
    registers only once per process, so a live route reset after it (a test, a reloaded ui.live) had no lab
    patchers, and whether a poll found one depended on which module happened to be imported first."""
    for kind, fn in PATCHERS.items():
        register_patcher(kind, fn)


def _start(slot: str, configs: list[RunConfig], labels: list[str], shown: dict[str, Any], watch: list[str],
           lab: str = "", lab_options: dict[str, Any] | None = None) -> None:
    """Train's callback: replace this lab's group by a new one (the old is stopped and forgotten)."""
    try:
        job_id, _ = S.start_group(slot, configs, labels, page=slot, watch=watch, lab=lab, lab_options=lab_options)
    except (VariantError, JobLimitError) as e:
        st.session_state[f"{slot}.error"] = str(e)
        return
    st.session_state[f"{slot}.shown"] = (job_id, shown)  # the figures this job's numbers go into
    store.remember_lab(S.person_id(), slot, job_id, S.session_id(), shown)  # for a reload of this page


def _restore(slot: str) -> None:
    """A session that has no job on this lab yet (a reload, a new tab) takes over the person's last experiment
    here, kept by the server per person like the Compare page's pins, as long as the job manager still has it
    (finished jobs are kept NNLIB_RESULT_TTL seconds, a forgotten session's jobs go with it)."""
    last = S.take_over_last(slot)
    if last is not None:
        st.session_state[f"{slot}.shown"] = last


def _stop(slot: str) -> None:
    S.command(slot, "stop")


def _experiment(kind: str, rows: list[list[str]], labels: Sequence[str]) -> str:
    """What an experiment is, apart from its values: its charts and the setting its runs vary ("width = 4" ->
    "width"). A lab page that switches experiments must not show the last one's results under the new one's
    title (a walkthrough saw data-size curves under the capacity question); new values of the same setting keep
    the last results on screen until Train."""
    varied = sorted({str(label).split(" = ")[0] for label in labels})
    return repr((kind, rows, varied))


def stale_note(shown: dict[str, Any], setup: list[dict[str, Any]], labels: Sequence[str]) -> str:
    """The sentence over results the controls no longer match ('' when they do, or when the record predates the
    setup it trained): a student who moved a slider after Train saw the old curves stay with no word that they
    were not of the new values."""
    if shown.get("setup") in (None, setup):
        return ""
    trained = ", ".join(str(label) for label in shown.get("labels") or [])
    changed = "" if list(labels) == list(shown.get("labels") or []) else f" (now {', '.join(map(str, labels))})"
    return (f"These results are for the settings you trained ({trained}); you have changed the controls since"
            f"{changed}. Press **Train** to see your new settings.")


def group_panel(slot: str, configs: Sequence[RunConfig], labels: Sequence[str], figures: dict[str, Figure],
                rows: list[list[str]], kind: str, opts: dict[str, str] | None = None,
                train_label: str = "Train", watch: Sequence[str] = (), lab: str = "",
                lab_options: dict[str, Any] | None = None) -> JobView | None:
    """Train / Stop for this experiment and its charts: live while the group trains, final when it is done, the
    empty figures before. `watch` asks the runs for extra columns (e.g. "dead_units"); `lab` names the group's
    prepare/finish hooks (nnlib.compare.group.LAB_HOOKS) and `lab_options` their settings. Returns the view of
    THIS experiment's job: None before its first Train, and None while the slot holds another experiment's runs (a
    page that wrote sentences from it showed the learning-rate verdicts under the schedules chart)."""
    register_lab_patchers()  # before Train can start a job whose polls need them (cheap: a few dict writes)
    problems = group_problems(list(configs))
    setup = [c.to_dict() for c in configs]  # what Train would start now; the shown results remember theirs
    if f"job_{slot}" not in st.session_state and f"imported_{slot}" not in st.session_state:
        _restore(slot)
    view = S.current_view(slot)
    running = view is not None and view.status in ACTIVE
    b1, b2, bar = st.columns([1, 1, 4], vertical_alignment="center")
    b1.button(train_label, key=f"{slot}.train", type="primary", icon=":material/play_arrow:", width="stretch",
              disabled=bool(problems), help="Train every run of this experiment side by side on the server (one "
              "job; a running one is replaced).", on_click=_start,
              args=(slot, list(configs), list(labels), {"figures": figures, "rows": rows, "kind": kind,
                                                        "opts": dict(opts or {}),
                                                        "experiment": _experiment(kind, rows, labels),
                                                        "setup": setup, "labels": list(labels)},
                    list(watch), lab,
                    dict(lab_options or {})))
    b2.button("Stop", key=f"{slot}.stop", icon=":material/stop:", width="stretch", disabled=not running,
              help="End the runs now; their curves stay.", on_click=_stop, args=(slot,))
    for p in problems:
        st.warning(f"Cannot train this: {p}.", icon=":material/error:")
    if st.session_state.get(f"{slot}.error"):
        st.error(st.session_state.pop(f"{slot}.error"))
    stored = st.session_state.get(f"{slot}.shown")
    if (view is None or stored is None or stored[0] != view.job_id
            or stored[1].get("experiment") != _experiment(kind, rows, labels)):  # results of another experiment
        bar.caption("Press **Train** to run this experiment on the server and watch the curves grow.")
        waiting = {fid: waiting_figure(fig, labels) for fid, fig in figures.items()}  # no axes without data
        finished_view(st.container(), slot, None, {}, waiting, rows)
        return None
    shown = stored[1]
    if running:
        bar.caption("Training on the server; changes to the controls apply to the next run.")
        live_charts(f"{slot}.live", shown["figures"], shown["rows"], view.job_id, shown["kind"], True,
                    view.snapshot_seq, view.status, shown["opts"])
    else:
        stale = stale_note(shown, setup, labels)
        if stale:
            st.info(stale, icon=":material/history:")
        snap = view.snapshot or {}
        final = filled(shown["figures"], PATCHERS[shown["kind"]](snap, shown["opts"]) if snap else {})
        box = st.container()
        state = run_state(view, snap, spent=time_spent(view, snap))  # computing time and time since Train
        box.progress(state.progress, text=state.text)
        if view.status == "failed":
            box.error(f"The run failed: {view.error}")
        finished_view(box, slot, None, {}, final, shown["rows"])
    return view
