"""Per-browser-session state: who this session is (an unguessable id) and which job it is watching (or which
imported run file it is looking at, shown like a finished job until Train or Reset)."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

import streamlit as st

from nnlib.config import MAX_LIVE_MINUTES, RunConfig
from nnlib.jobs.identity import person_key
from nnlib.jobs.manager import JobBudget, JobManager, JobNotFound, JobView
from nnlib.validation import RunCost, estimate_cost, run_epochs, run_plan
from ui.services import job_manager


def session_id() -> str:
    if "nn_session" not in st.session_state:
        st.session_state.nn_session = secrets.token_urlsafe(16)
    return st.session_state.nn_session


def person_id() -> str:
    """Whom this session's jobs count against (see nnlib.jobs.identity): the browser's XSRF cookie, else the client
    address, else the session. Computed once per session: every tab of one browser gets the same answer."""
    if "nn_person" not in st.session_state:
        try:
            cookies, address = dict(st.context.cookies), st.context.ip_address
        except Exception:  # noqa: BLE001 - no client context (bare script run): fall back to the session
            cookies, address = {}, None
        address = address if isinstance(address, str) else None  # AppTest's context gives a mock, not an address
        st.session_state.nn_person = person_key(cookies, address, session_id())
        st.session_state.nn_address = address or None
    return st.session_state.nn_person


def client_address() -> str | None:
    """The client address of this session (None where unknown): the per-address job ceiling counts it, so a client
    that invents a new browser cookie for every session still cannot take more than that."""
    person_id()
    return st.session_state.get("nn_address")


def manager() -> JobManager:
    m = job_manager()
    m.touch(session_id())
    return m


def _owner(slot: str) -> str:
    """The session that owns this slot's job: this one, or the earlier session of the same person whose job a
    reloaded page took over (`take_over`)."""
    return st.session_state.get(f"owner_{slot}") or session_id()


def take_over(slot: str, job_id: str, owner: str) -> JobView | None:
    """Watch a job an earlier session of this person started (the page was reloaded: same browser, new session) as
    this slot's job; its view, or None if the manager no longer has it. The job stays filed under its session,
    which this page keeps alive by watching it (and tells the manager its page is visible again: the reload's
    closing beacon said it was closed)."""
    try:
        view = manager().view(owner, job_id)
    except JobNotFound:
        return None
    manager().touch(owner, page="visible")
    st.session_state[f"job_{slot}"] = job_id
    if owner != session_id():
        st.session_state[f"owner_{slot}"] = owner
    return view


def take_over_last(slot: str) -> tuple[str, dict[str, Any]] | None:
    """(job id, what its page recorded) of the person's last job on this slot, now watched here, after a reload (a
    new session of the same browser); None when there is none or the manager no longer has it (its record goes).
    The record is kept per person on the server, next to the Compare pins (ui.compare_store.remember_lab)."""
    from ui import compare_store

    person = person_id()
    record = compare_store.lab_record(person, slot)
    if record is None:
        return None
    job_id, owner, shown = record
    if take_over(slot, job_id, owner) is None:
        compare_store.forget_lab(person, slot, job_id)
        return None
    return job_id, shown


def current_view(slot: str) -> JobView | None:
    """The job this page (slot) last started, else an imported run, else None (none, or it was cleaned up)."""
    job_id = st.session_state.get(f"job_{slot}")
    if not job_id:
        return st.session_state.get(f"imported_{slot}")
    try:
        view = manager().view(_owner(slot), job_id)
    except JobNotFound:
        st.session_state.pop(f"job_{slot}", None)
        st.session_state.pop(f"owner_{slot}", None)
        return st.session_state.get(f"imported_{slot}")
    st.session_state[f"shown_{slot}"] = view  # what the page draws: "Pin to compare" pins it if the job has left
    return view


def shown_view(slot: str, job_id: str | None) -> JobView | None:
    """The last view of job_id this page drew (None if another job's): a page left open longer than the job manager
    keeps a finished job still shows its curves and offers to pin them."""
    view = st.session_state.get(f"shown_{slot}")
    return view if view is not None and job_id is not None and view.job_id == job_id else None


def show_imported(slot: str, view: JobView) -> None:
    """Look at an imported run instead of this page's job (which is stopped and forgotten)."""
    reset(slot)
    st.session_state[f"imported_{slot}"] = view


def start_job(slot: str, payload: dict[str, Any]) -> str:
    """Replace this page's job by a new one (the old one is stored if it ended, then stopped and forgotten). A
    class member's payload gets the class preset and limits first (ui.classroom.admit: JobLimitError)."""
    from ui import classroom

    payload = classroom.admit(slot, payload)
    m = manager()
    st.session_state.pop(f"imported_{slot}", None)
    old, owner = st.session_state.get(f"job_{slot}"), _owner(slot)
    st.session_state.pop(f"owner_{slot}", None)
    if old:
        classroom.record_now(old)
        try:
            m.remove(owner, old)
        except JobNotFound:
            pass
    run = payload_run(payload)
    budget = expected = None
    if run is not None:
        cfg, cost = run
        payload = {"plan": run_plan(cfg), **payload}  # the status line's epochs before the first snapshot
        budget = JobBudget(cpu_seconds=cost.cpu_budget, memory_mb=cost.memory_ceiling_mb)
        expected = expected_seconds(cfg, cost)
    job_id = m.submit(session_id(), payload, person=person_id(), budget=budget, address=client_address(),
                      expected_s=expected)
    st.session_state[f"job_{slot}"] = job_id
    classroom.track(slot, job_id, payload)
    return job_id


def start_group(slot: str, configs: list[RunConfig], labels: list[str], page: str,
                watch: Sequence[str] = (), lab: str = "",
                lab_options: dict[str, Any] | None = None) -> tuple[str, list[RunConfig]]:
    """Replace this slot's job by one group job (N variants side by side, nnlib.compare.group) and return its id
    with the configs it trains (a class preset may have set fields); VariantError or JobLimitError with a sentence
    if it cannot run. The same gates as start_job: the class preset and limits (ui.classroom.admit_group), the
    per-address ceiling and the queue's expected wait."""
    from nnlib.compare.group import GROUP_FN, group_budget, group_payload
    from ui import classroom

    configs, plans = classroom.admit_group(page, configs)
    payload = group_payload(configs, labels, watch, lab, lab_options, plans)  # lab: nnlib.compare.group.LAB_HOOKS
    reset(slot)
    costs = [estimate_cost(c) for c in configs]
    # the members share one worker in lockstep: their CPU adds up, while a paced group lasts as its longest member
    expected = max(sum(c.cpu_seconds for c in costs), max(expected_seconds(c, k) for c, k in zip(configs, costs,
                                                                                                 strict=True)))
    job_id = manager().submit(session_id(), payload, GROUP_FN, person=person_id(), budget=group_budget(configs),
                              address=client_address(), expected_s=expected)
    st.session_state[f"job_{slot}"] = job_id
    classroom.track_group(slot, job_id, configs, labels)
    return job_id, configs


def payload_run(payload: dict[str, Any]) -> tuple[RunConfig, RunCost] | None:
    """The run's config and estimated cost (its job's ceilings are a margin over it, capped by the server's; queued
    jobs are told their wait from it); None if the payload is not a run."""
    config = payload.get("config")
    if not isinstance(config, dict):
        return None
    try:
        cfg = RunConfig.from_dict(config)
        return cfg, estimate_cost(cfg)
    except Exception:  # noqa: BLE001 - an unreadable config fails in the worker, with its own message
        return None


def expected_seconds(cfg: RunConfig, cost: RunCost) -> float:
    """Seconds the run probably holds a worker (what the queue's expected waits add up): its CPU estimate, or longer
    when the Playground paces it (epochs / epochs per second); a run "until I pause" at most the training clock
    that ends it (MAX_LIVE_MINUTES)."""
    pace = cfg.epochs_per_second
    seconds = max(cost.cpu_seconds, run_epochs(cfg) / pace if pace else 0.0)
    return min(seconds, 60.0 * MAX_LIVE_MINUTES) if cfg.open_ended else seconds


def command(slot: str, cmd: str) -> None:
    job_id = st.session_state.get(f"job_{slot}")
    if job_id:
        try:
            manager().command(_owner(slot), job_id, cmd)
        except JobNotFound:
            st.session_state.pop(f"job_{slot}", None)


def reset(slot: str) -> None:
    st.session_state.pop(f"imported_{slot}", None)
    st.session_state.pop(f"shown_{slot}", None)
    owner = _owner(slot)
    st.session_state.pop(f"owner_{slot}", None)
    job_id = st.session_state.pop(f"job_{slot}", None)
    if job_id:
        from ui import classroom

        classroom.record_now(job_id)
        try:
            manager().remove(owner, job_id)
        except JobNotFound:
            pass
