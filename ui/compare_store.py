"""The pinned runs of each person, kept on the server (not in a session) so they survive page switches and
reloads, and the composite "job" the Compare page's live charts poll: every pinned run's curves in one snapshot.
Each lab's last experiment is kept here too, per person, so a reloaded lab page finds it again (`remember_lab`).

A pin refers to a job by its unguessable token (and, for a variant group, the member's index) and keeps the last
curves it saw, so a run the job manager has forgotten stays comparable. No Streamlit here: the live route reads it.
"""

from __future__ import annotations

import secrets
import threading
import time
import zlib
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from typing import Any

from nnlib.jobs.records import ACTIVE, JobView

MAX_PINS = 8  # overlaid curves stay readable, and one composite snapshot stays small
MAX_PEOPLE = 2000  # people whose pins are kept (the least recently seen are forgotten first)
ENDED = ("finished", "stopped", "failed", "diverged", "early_stopped")  # how a group member can end on its own
REFRESH_S = 0.25  # least seconds between two composite snapshots of one comparison (each carries every curve)


@dataclass(frozen=True)
class Pin:
    """One pinned run: where it came from, its config (a RunConfig dict) and its last known curves and status."""

    pin_id: str
    label: str
    page: str
    config: dict[str, Any]
    job_id: str | None = None
    member: int | None = None  # index of the run in a variant group's snapshot
    status: str = "queued"
    reason: str = ""
    epoch: int = 0
    elapsed: float = 0.0  # seconds of training
    history: dict[str, list] = field(default_factory=dict)
    epochs: int = 0  # where the run ends: its epochs, or for a run "until I pause" its limit (0: not known)
    until_paused: bool = False  # an open-ended run: `epochs` is a limit, not a goal

    @property
    def active(self) -> bool:
        return self.status in ACTIVE


@dataclass
class _PinSet:
    pins: list[Pin] = field(default_factory=list)
    token: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    session_id: str = ""  # the session of the last Compare page that looked (its live polls keep it alive)
    references: list[Pin] = field(default_factory=list)  # a class's shared runs: shown after the pins, not pins
    composite: tuple[float, JobView] | None = None
    labs: dict[str, tuple[str, str, dict[str, Any]]] = field(default_factory=dict)  # slot -> (job, session, shown)


_lock = threading.RLock()
_people: OrderedDict[str, _PinSet] = OrderedDict()
_tokens: dict[str, str] = {}  # composite token -> person


def _set(person: str) -> _PinSet:
    with _lock:
        s = _people.get(person)
        if s is None:
            s = _people[person] = _PinSet()
            _tokens[s.token] = person
            while len(_people) > MAX_PEOPLE:
                _, old = _people.popitem(last=False)
                _tokens.pop(old.token, None)
        _people.move_to_end(person)
        return s


def run_of(view: JobView, member: int | None) -> dict[str, Any]:
    """A job's (or a group member's) status, reason, epoch, horizon and curves, from its latest snapshot (a single
    job's plan before its first one: ui.status_line reads both, as the run's own status line does)."""
    from ui.status_line import status_text

    snap = view.snapshot or {}
    if member is not None:
        runs = snap.get("runs") or []
        snap = runs[member] if member < len(runs) else {}
        status = snap.get("status", view.status)
        if status not in ENDED:  # not ended on its own: as active (or ended) as its group ("ready" = no epoch yet)
            status = view.status
    else:
        status = view.status
    reason = view.error or snap.get("reason", "")
    line = status_text(snap, status, plan=view.plan if member is None else None)  # a group's plan is not a member's
    return {"status": status, "reason": reason, "epoch": int(snap.get("epoch", 0) or 0),
            "elapsed": float(snap.get("elapsed", 0.0) or 0.0), "history": snap.get("history") or {},
            "epochs": int(line["epochs"] or 0), "until_paused": line["until_paused"]}


def _refreshed(pin: Pin, manager: Any) -> Pin:
    if pin.job_id is None or not pin.active:
        return pin
    found = manager.find(pin.job_id)
    if found is None:  # forgotten by the manager: keep the last curves, say it ended
        return replace(pin, status="stopped" if pin.active else pin.status)
    return replace(pin, **run_of(found[1], pin.member))


def pin(person: str, new: Pin) -> str | None:
    """Add a pin; a sentence if it cannot be added (already pinned, or the set is full), else None."""
    with _lock:
        s = _set(person)
        if any(p.job_id == new.job_id and p.member == new.member for p in s.pins if p.job_id):
            return f"{new.label} is already pinned."
        if len(s.pins) >= MAX_PINS:
            return f"At most {MAX_PINS} runs can be compared at once: unpin one on the Compare page first."
        s.pins.append(new)
        s.composite = None
        return None


def new_pin_id() -> str:
    return secrets.token_urlsafe(6)


def unpin(person: str, pin_id: str) -> None:
    with _lock:
        s = _set(person)
        s.pins = [p for p in s.pins if p.pin_id != pin_id]
        s.composite = None


def clear(person: str) -> None:
    with _lock:
        s = _set(person)
        s.pins, s.composite = [], None


def pins(person: str, manager: Any) -> list[Pin]:
    """The person's pins with their curves brought up to date from the running jobs."""
    with _lock:
        s = _set(person)
        s.pins = [_refreshed(p, manager) for p in s.pins]
        return list(s.pins)


def is_pinned(person: str, job_id: str | None, member: int | None = None) -> bool:
    with _lock:
        return any(p.job_id == job_id and p.member == member for p in _set(person).pins) if job_id else False


def set_references(person: str, references: list[Pin]) -> None:
    """The reference runs (a teacher's shared runs) drawn after this person's pins, live charts included."""
    with _lock:
        s = _set(person)
        if s.references != references:
            s.references, s.composite = list(references), None


def shown(person: str, manager: Any) -> list[Pin]:
    """What the comparison draws, in the order the live route patches it: the pins, then the references."""
    current = pins(person, manager)
    with _lock:
        return current + list(_set(person).references)


def compare_token(person: str, session_id: str) -> str:
    """The token the Compare page's live charts poll (the route serves `composite_view(token)` under it)."""
    with _lock:
        s = _set(person)
        s.session_id = session_id
        return s.token


def run_kind(config: dict[str, Any]) -> str:
    """"image" for a run on images (the Images & CNNs page's), else "playground": an image run's epoch passes over
    thousands of images, a Playground run's over a few hundred points, so the Compare page never puts their curves
    on one epoch axis (ui.compare_plots.compare_figures)."""
    from nnlib.data.catalog import DATASETS

    entry = DATASETS.get(str((config.get("data") or {}).get("dataset")))
    return "image" if entry is not None and entry.params.get("kind") == "image" else "playground"


def composite_snapshot(current: list[Pin]) -> dict[str, Any]:
    """Every pin's curves as the runs of one snapshot (the shape a variant group's snapshot has)."""
    runs = [{"label": p.label, "status": p.status, "reason": p.reason, "epoch": p.epoch, "history": p.history,
             "kind": run_kind(p.config), "regression": is_regression(p.config)} for p in current]
    # the status line's epoch and time follow the runs that are training now (a paused or finished pin's count
    # would stand still while the variants beside it move on), and so does its end: "Epoch 172 / 300" while they
    # have a fixed number of epochs, "runs until you pause or stop" only while one of them is open-ended (it said
    # so for every comparison, a group of 300-epoch runs too)
    moving = [p for p in current if p.status == "running"] or current
    return {"kind": "compare", "runs": runs, "epoch": max((p.epoch for p in moving), default=0),
            "epochs": max((p.epochs for p in moving), default=0),
            "elapsed": max((p.elapsed for p in moving), default=0.0),
            "until_paused": any(p.until_paused for p in moving), "history": {}, "status": composite_status(current)}


def is_regression(config: dict[str, Any]) -> bool:
    """Whether the run's dataset is a regression by the catalog (a CSV's task is known only once it is loaded): its
    history says so only from the first epoch, and a live chart keeps the words it was first drawn with, so a
    regression group opened before its first epoch plotted RMSE under "Accuracy", on a 0..1 axis."""
    from nnlib.data.catalog import DATASETS

    entry = DATASETS.get(str((config.get("data") or {}).get("dataset")))
    return entry is not None and entry.params.get("problem") == "regression"


def composite_status(current: list[Pin]) -> str:
    """What the comparison as a whole is doing, for its status line and bar: "running" while any run trains, else
    "queued" while one waits for a worker, "paused" while one is paused, else "finished" (nothing will move: the
    live view stops). A paused pin beside stopped and finished runs used to read "running · runs until you pause"."""
    states = {p.status for p in current}
    return next((s for s in ("running", "queued", "paused") if s in states), "finished")


def composite_view(token: str, manager: Any, clock: Any = time.monotonic) -> tuple[str, JobView] | None:
    """(session, view) of a comparison for the live route, or None for an unknown token. Rebuilt at most every
    REFRESH_S; its sequence number changes whenever a pinned run's does; it is "running" while any pin is active."""
    with _lock:
        person = _tokens.get(token)
        if person is None or person not in _people:
            return None
        s = _people[person]
        now = clock()
        if s.composite is not None and now - s.composite[0] < REFRESH_S:
            return s.session_id, s.composite[1]
        s.pins = [_refreshed(p, manager) for p in s.pins]
        seqs = []
        for p in s.pins:
            found = manager.find(p.job_id) if p.job_id and p.active else None
            if found is not None:  # watched here: not idle, even if the page that started it was closed/reloaded
                manager.touch(found[0])
            seqs.append((p.pin_id, p.status, p.epoch, found[1].snapshot_seq if found else -1))
        seqs.append(("references", tuple(p.pin_id for p in s.references)))
        seq = zlib.crc32(repr(seqs).encode()) & 0x7FFFFFFF
        view = JobView(job_id=token, status=composite_status(s.pins), queue_position=None,
                       snapshot=composite_snapshot(s.pins + s.references), snapshot_seq=seq, result=None,
                       error=None, submitted_at=0.0, started_at=None, finished_at=None)
        s.composite = (now, view)
        return s.session_id, view


def remember_lab(person: str, slot: str, job_id: str, session_id: str, shown: dict[str, Any]) -> None:
    """The lab experiment this person last started on the page `slot`: its job, the session that owns it and what
    the page needs to draw it (its figures as they were at Train). A reload starts a new session with empty state;
    the person (the browser) is what stays, as for the pins."""
    with _lock:
        _set(person).labs[slot] = (job_id, session_id, shown)


def lab_record(person: str, slot: str) -> tuple[str, str, dict[str, Any]] | None:
    """(job id, owning session, shown) of the person's last experiment on `slot`, or None."""
    with _lock:
        return _set(person).labs.get(slot)


def forget_lab(person: str, slot: str, job_id: str) -> None:
    """Drop the record if it still names `job_id` (the manager has forgotten that job)."""
    with _lock:
        s = _set(person)
        if slot in s.labs and s.labs[slot][0] == job_id:
            del s.labs[slot]
