"""The run bar both pages share: Train / Pause / Step / Stop / Reset and the core training knobs.

Buttons act through callbacks, which Streamlit runs before the page script, so the bar always renders in the
job's new state (Stop enabled right after Train). A callback starts the config the page stored at the end of its
previous run with `ready_to_run` -- the one the student saw validated.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import streamlit as st

from nnlib.idle_fields import OPTIMIZER_FIELDS
from nnlib.jobs.manager import JobLimitError, JobView
from nnlib.schedules import SCHEDULES
from nnlib.words import count
from ui import compare_store as store
from ui import controls as C
from ui import session as S

ACTIVE = ("queued", "running", "paused")


@dataclass(frozen=True)
class RunState:
    """What the run bar shows for a job: the status line, how full the progress bar is, which buttons work."""

    text: str
    progress: float
    enabled: frozenset[str]  # of: train, pause, resume, step, stop, reset


def run_state(view: JobView | None, snap: dict[str, Any] | None = None, spent: str = "") -> RunState:
    """The one mapping from a job's view to the run bar, used by both pages.

    A finished run's bar is full even when early stopping ended it before the last epoch (it did all it was going
    to do); a stopped or failed run's bar shows how far it got. Stop and Pause only work while a run is active.
    """
    from ui.status_line import status_text

    if view is None:
        return RunState("", 0.0, frozenset({"train", "step", "reset"}))
    snap = snap or view.snapshot or {}
    info = status_text(snap, view.status, view.queue_position, view.plan)
    open_ended = info["until_paused"]  # "until I pause": its horizon is the server's (or class's) cap, not a goal
    done = info["epoch"] / info["epochs"] if info["epochs"] else 0.0
    progress = 1.0 if view.status == "finished" or (open_ended and view.status != "queued") else min(1.0, done)
    why = view.error or info["reason"]
    where = f" (position {view.queue_position} in the queue)" if view.status == "queued" and view.queue_position else ""
    # an active run "until I pause" names its limit as a limit (an ended one's reason says if it reached it): the
    # horizon read as the student's goal ("Epoch 264 / 1000" with Epochs at 60)
    limit = f" (until you pause; limit {info['epochs']:,})" if info["epochs"] and view.status in ACTIVE else ""
    epochs = f"Epoch {info['epoch']}{limit}" if open_ended else f"Epoch {info['epoch']} / {info['epochs']}"
    # elapsed counts the time spent computing epochs, not the pauses between them that pace a run for watching
    # a reason that already says the status ("stopped by your teacher") replaces it: not "stopped: stopped by ..."
    state = why if why and why.startswith(view.status) else f"{view.status}{where}" + (f": {why}" if why else "")
    # `spent`: the time clause a page words its own way (a lab says computing time and time since Train)
    clause = spent or info["stage"] or training_time(info["elapsed"]) + " of training"  # stage: before epoch 1
    text = f"{epochs} · {clause} · {state}" + final_metrics(snap)
    enabled = {"train", "reset"}
    if view.status in ACTIVE:  # Step continues this run by one epoch: an ended run has no next one (it replaced the
        enabled |= {"step", "stop", "resume" if view.status == "paused" else "pause"}  # net by a new run's epoch 1)
    return RunState(text, progress, frozenset(enabled))


def training_time(seconds: float) -> str:
    """The computing time a run has spent, as the status line says it: a small net's first epochs take a few
    milliseconds, which "0.0 s" hid (the same rule as ui/live.js's trainingTime)."""
    return f"{seconds:.1f} s" if seconds >= 0.1 else f"{1000 * seconds:.0f} ms"


def final_metrics(snap: dict[str, Any]) -> str:
    """' · validation accuracy 97.0% · test accuracy 96.5%' (or RMSE) of a run's last epoch that has them: the
    numbers a finished run is judged by, in words (an image run measures its test split once, at the end)."""
    hist = snap.get("history") or {}
    parts = []
    for split, name in (("val", "validation"), ("test", "test")):
        acc, rmse = (hist.get(f"{split}_accuracy") or [None])[-1], (hist.get(f"{split}_rmse") or [None])[-1]
        if acc is not None:
            parts.append(f"{name} accuracy {100 * acc:.1f}%")
        elif rmse is not None:
            parts.append(f"{name} RMSE {rmse:.4g}")
    zeros = (hist.get("zero_weights") or [None])[-1]
    if zeros:  # L1 clamps a weight that crosses 0 to exactly 0: the sparse net the lecture promises, counted
        parts.append(f"{count(zeros, 'weight')} at exactly 0 (L1)")
    return "".join(f" · {p}" for p in parts)


def reconnect(prefix: str, slot: str) -> None:
    """A reloaded page (same browser, a new session that has not started or imported a run here) takes over the
    person's last run on this page while the job manager still has it, as the labs and Compare pins do: F5 during
    a run showed the untrained network, with the run out of reach of Pause and Stop. Once per session, so Reset
    leaves a clean page."""
    if st.session_state.get(f"{prefix}.reconnected"):
        return
    st.session_state[f"{prefix}.reconnected"] = True
    if f"job_{slot}" in st.session_state or f"imported_{slot}" in st.session_state:
        return
    last = S.take_over_last(slot)
    if last is not None:
        st.session_state[f"{prefix}.job_cfg"] = (last[0], last[1]["cfg"])


def ready_to_run(prefix: str, cfg: Any, payload: dict[str, Any] | None) -> None:
    """Remember what Train starts: (config, payload), or None while the setup is invalid. A Train or Step pressed
    before the page had ever got this far (the run bar is drawn first) is carried out now, with this setup."""
    st.session_state[f"{prefix}.ready"] = (cfg, payload) if payload is not None else None
    pending = st.session_state.pop(f"{prefix}.pending", None)
    if pending is not None:
        slot, cmd = pending
        _command(prefix, slot, cmd, running=False)
        st.rerun()  # redraw the run bar above with the run it started (or the sentence why it could not)


def _command(prefix: str, slot: str, cmd: str, running: bool) -> None:
    ready = st.session_state.get(f"{prefix}.ready")
    try:
        if cmd == "train" or (cmd == "step" and not running):
            if ready is None and f"{prefix}.ready" not in st.session_state:
                # pressed while the page's first drawing had not yet reached its setup (e.g. at once after joining a
                # class): nothing is wrong with the setup, so start as soon as the page has validated it
                st.session_state[f"{prefix}.pending"] = (slot, cmd)
                return
            if ready is None:
                st.session_state[f"{prefix}.cmd_error"] = ("This setup cannot train yet: fix the problems shown in "
                                                           "red on this page first.")
                return
            cfg, payload = ready
            job_id = S.start_job(slot, payload)
            st.session_state[f"{prefix}.job_cfg"] = (job_id, cfg.to_json())
            store.remember_lab(S.person_id(), slot, job_id, S.session_id(), {"cfg": cfg.to_json()})  # for a reload
            if cmd == "step":
                S.command(slot, "pause")
        if cmd in ("step", "pause", "resume", "stop"):
            S.command(slot, cmd)
        elif cmd == "reset":
            job_id = st.session_state.get(f"job_{slot}")
            if job_id:
                store.forget_lab(S.person_id(), slot, job_id)  # a reload after Reset shows the clean page it left
            S.reset(slot)
    except JobLimitError as e:
        st.session_state[f"{prefix}.cmd_error"] = str(e)


NO_RUN_YET = "Greyed because there is no run yet: press **Train** to start one."
RUN_ENDED = "Greyed because this run has ended: press **Train** for a new one."


def greyed_tip(tip: str, disabled: bool, has_run: bool) -> str:
    """A greyed run-bar button's tooltip says why it is greyed, not only what it would do: the run bar and "Pin
    to compare" of every page word it here, from one place (a student hovering a grey Pause before any run read
    only "Pause after the current epoch")."""
    if not disabled:
        return tip
    return f"{tip}\n\n{RUN_ENDED if has_run else NO_RUN_YET}"


def run_buttons(prefix: str, slot: str, view: JobView | None, cols: list[Any]) -> None:
    """Five buttons into five columns; errors of the last command (e.g. a job limit) shown once."""
    running = view is not None and view.status in ACTIVE
    paused = view is not None and view.status == "paused"
    enabled = run_state(view).enabled
    specs = [
        ("Train", "train", ":material/play_arrow:", "Start a new run with the settings below (a running "
         "one is replaced)."),
        ("Resume" if paused else "Pause", "resume" if paused else "pause",
         ":material/play_circle:" if paused else ":material/pause:", "Pause after the current epoch / continue."),
        ("Step", "step", ":material/skip_next:", "Train exactly one more epoch, then pause." if "step" in enabled
         else "This run has ended, so it has no next epoch: Train starts a new run (Reset, then Step, walks a new "
         "one from its first epoch)."),
        ("Stop", "stop", ":material/stop:", "End the run now; its curves and weights stay."),
        ("Reset", "reset", ":material/restart_alt:", "Forget the run and show the untrained network."),
    ]
    for col, (label, cmd, icon, tip) in zip(cols, specs, strict=True):
        col.button(label, key=f"{prefix}.{cmd if cmd != 'resume' else 'pause'}", icon=icon,
                   disabled=cmd not in enabled,
                   type="primary" if cmd == "train" else "secondary", width="stretch",
                   help=greyed_tip(tip, cmd not in enabled and cmd != "step", view is not None),
                   on_click=_command, args=(prefix, slot, cmd, running))
    if st.session_state.get(f"{prefix}.cmd_error"):
        st.error(st.session_state.pop(f"{prefix}.cmd_error"))


def grid_cells(n: int, per_row: int) -> list[Any]:
    """n cells for widgets, `per_row` columns a row, as many rows as needed."""
    return [c for _ in range(0, n, per_row) for c in st.columns(per_row)]


def core_training(prefix: str, per_row: int = 4) -> None:
    """Epochs, learning rate, batch size and early stopping: the knobs a student touches most (`per_row` of them
    side by side: 2 in a narrow column, where four would break 'Learning' across lines)."""
    tc = grid_cells(4, per_row)
    with tc[0]:
        C.number(prefix, "train", "epochs", "Epochs")
    with tc[1]:
        C.learning_rate(prefix)
    with tc[2]:
        C.number(prefix, "train", "batch_size", "Batch size")
    with tc[3]:
        C.number(prefix, "train", "patience", "Early stop patience")


def optimizer_extras(prefix: str, schedule: str, ncols: int) -> None:
    """Every optimizer hyper-parameter (momentum, betas, decay), those the chosen optimizer ignores greyed out with
    the reason (nnlib.idle_fields, marked by the page: ui.controls.mark_idle), and the chosen schedule's (step,
    gamma, ...). The optimizer's are always shown, so a student sees that plain SGD has no momentum to turn, where
    the field used to vanish; a schedule's appear with the schedule (no knob varies them)."""
    extra = [*OPTIMIZER_FIELDS, *SCHEDULES[schedule].params.get("uses", ())]
    cols = grid_cells(len(extra), ncols)  # more extras than columns wrap to the next row instead of vanishing
    for c, name in zip(cols, extra, strict=False):
        with c:
            C.number(prefix, "train", name, name.replace("lr_", "LR ").replace("_", " ").capitalize())


def widget_row(prefix: str, items: list[tuple[str, str, str]]) -> dict[str, Any]:
    """One row of config widgets from (section, field, label); registries/choices give selectboxes, numbers the
    rest. Returns the values by field name."""
    from dataclasses import fields

    values = {}
    for col, (section, name, label) in zip(st.columns(len(items)), items, strict=True):
        meta = next(f.metadata for f in fields(C.SECTIONS[section]) if f.name == name)
        with col:
            if name == "device":
                values[name] = C.device_choice(prefix, label)
            elif "choices" in meta:
                values[name] = C.choice(prefix, section, name, label)
            else:
                values[name] = C.number(prefix, section, name, label)  # decimals from the step
    return values


def finished_view(box: Any, prefix: str, view: JobView | None, snap: dict[str, Any],
                  figs: dict[str, dict], rows: list[list[str]]) -> None:
    """A run that is not running any more (or none yet): its status line and the figures, drawn statically."""
    if view is not None:
        state = run_state(view, snap)
        box.progress(state.progress, text=state.text)
        if view.status == "failed":
            box.error(f"The run failed: {view.error}")
    for row in rows:
        for col, fid in zip(box.columns(len(row)), row, strict=True):
            static_chart(col, figs[fid], f"{prefix}.fig.{fid}")


def static_chart(box: Any, fig: dict[str, Any], key: str) -> None:
    """Draw a figure as the live view draws it (ui/live.js): plotly.js with the figure's own layout (its style is
    ui.plots.TEMPLATE). Streamlit's default theme restyled titles, fonts, colours and grid, so a chart changed
    look the moment its run ended. An epoch axis ticks whole epochs on a short run, as live (ui.curve_style)."""
    from ui.curve_style import whole_epochs

    box.plotly_chart(whole_epochs(fig), key=key, config={"displayModeBar": False}, width="stretch", theme=None)


DROPOUT_LOSS_NOTE = (":material/info: With dropout, the **train** loss is averaged over the epoch's batches with "
                     "units dropped (training mode), while the **validation** loss is measured on the whole network "
                     "(dropout off, weights as they are at the end of the epoch) -- so train above validation is "
                     "expected here, not a bug.")


def has_dropout(config: dict[str, Any]) -> bool:
    """Whether a run (RunConfig.to_dict() form) drops units while training, so its train loss reads higher."""
    model = config.get("model") or {}
    cnn = model.get("cnn") if isinstance(model.get("cnn"), dict) else {}
    blocks = [b for b in cnn.get("blocks") or [] if isinstance(b, dict)]
    return bool(model.get("dropout") or cnn.get("dense_dropout") or any(b.get("dropout") for b in blocks))
