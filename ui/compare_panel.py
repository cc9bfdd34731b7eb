"""What a run's page adds for comparing: "Pin to compare" and "Change one knob" (N variants that differ in one
field, trained side by side as one group job), plus the group's own run bar. Labs reuse `start_group` and
`pin_job`; the Compare page itself is ui/compare_page.py."""

from __future__ import annotations

from typing import Any

import streamlit as st

from nnlib.compare import VariantError, knobs_for, variant_labels, variants
from nnlib.compare.knobs import KNOBS, Knob
from nnlib.config import RunConfig
from nnlib.jobs.manager import JobLimitError, JobNotFound, JobView
from ui import compare_store as store
from ui import run_controls as R
from ui import session as S
from ui.keepalive import keep_alive

GROUP_SLOT = "group"  # session_state["job_group"]: the session's variant group (ui.session.command works on it)
MSG = "compare.msg"
GROUP_EVERY_S = 2.0  # while the group trains, its status line on the page that started it redraws alone this often
GROUP_COMMANDS = (("Pause", "pause", ":material/pause:", "Pause every variant after the current epoch."),
                  ("Resume", "resume", ":material/play_circle:", "Continue every variant."),
                  ("Step", "step", ":material/skip_next:", "Train exactly one more epoch of every variant, then "
                                                          "pause."),
                  ("Stop", "stop", ":material/stop:", "End every variant now; their curves stay pinned."))


def compare_link(container: Any, label: str = "Open Compare") -> None:
    """A link to the Compare page that keeps the session (a plain link reloads it); plain text if the page runs
    outside the app's navigation (a page's own AppTest)."""
    try:
        container.page_link("pages/compare.py", label=label, icon=":material/compare_arrows:")
    except Exception:  # noqa: BLE001 - StreamlitAPIException / page not found outside st.navigation
        container.markdown(f"[{label}](/compare)")


def job_of(slot: str) -> str | None:
    """The job a page's slot started (not an imported run file: it has no job to follow)."""
    return st.session_state.get(f"job_{slot}")


def pin_job(job_id: str, label: str, page: str, config: RunConfig | dict[str, Any],
            member: int | None = None, shown: JobView | None = None) -> str | None:
    """Pin a job of this session (a group member by its index); a sentence if it cannot be pinned, else None.
    `shown` is the page's last view of the job: once the job manager has forgotten the job (a page left open for
    minutes), the pin is made from what the page still shows, its config and curves."""
    m = S.manager()
    try:
        view = m.view(S.session_id(), job_id)
    except JobNotFound:
        if shown is None or shown.job_id != job_id:
            return "That run is gone (it ended long ago, or was reset): train it again to pin it."
        view = shown
    cfg = config.to_dict() if isinstance(config, RunConfig) else config
    pin = store.Pin(store.new_pin_id(), label, page, cfg, job_id=job_id, member=member,
                    **store.run_of(view, member))
    return store.pin(S.person_id(), pin)


def _pin_clicked(prefix: str, slot: str, page: str) -> None:
    job_id = job_of(slot)
    stored = st.session_state.get(f"{prefix}.job_cfg")
    if not job_id or not stored or stored[0] != job_id:
        st.session_state[MSG] = ("warning", "Train a run first, then pin it.")
        return
    n = st.session_state.get(f"{prefix}.pin_count", 0) + 1
    st.session_state[f"{prefix}.pin_count"] = n
    problem = pin_job(job_id, f"{page} run {n}", page, RunConfig.from_json(stored[1]),
                      shown=S.shown_view(slot, job_id))
    st.session_state[MSG] = ("warning", problem) if problem else ("success", f"Pinned {page} run {n}.")


def pin_button(prefix: str, slot: str, page: str, container: Any) -> None:
    """'Pin to compare' for the page's current job (running or finished)."""
    job_id = job_of(slot)
    pinned = store.is_pinned(S.person_id(), job_id)
    container.button("Pinned" if pinned else "Pin to compare", key=f"{prefix}.pin", icon=":material/push_pin:",
                     disabled=not job_id or pinned, on_click=_pin_clicked, args=(prefix, slot, page),
                     help=R.greyed_tip("Add this run (running or finished) to the Compare page, where pinned runs' "
                                       "curves are overlaid and their settings compared.", not job_id, False)
                     + ("\n\nGreyed because this run is pinned already." if pinned else ""))


# ---------------------------------------------------------------- variant groups

def reconnect_group() -> None:
    """A reloaded page (the same browser, a new session) takes over the person's last variant group while the job
    manager still has it, as the Playground's own run does (ui.run_controls.reconnect): its Pause / Step / Stop and
    its keep-alive were only the starting session's, so a reload left the group running out of reach. Once per
    session, and only for a session without a group of its own."""
    if st.session_state.get("group.reconnected"):
        return
    st.session_state["group.reconnected"] = True
    if f"job_{GROUP_SLOT}" not in st.session_state:
        S.take_over_last(GROUP_SLOT)


def start_group(configs: list[RunConfig], labels: list[str], page: str, source: str) -> str | None:
    """Submit configs as one group job (replacing this session's previous group) and pin every member; returns a
    sentence if that cannot be done, else None. `page` names the pins; `source` is the job slot of the page the
    variants come from ("playground", "cnn"), which decides the class rules they are held to."""
    person, m = S.person_id(), S.manager()
    old = st.session_state.get(f"job_{GROUP_SLOT}")
    if old:
        for p in store.pins(person, m):
            if p.job_id == old:
                store.unpin(person, p.pin_id)
    try:
        job_id, configs = S.start_group(GROUP_SLOT, configs, labels, page=source)
    except VariantError as e:
        return "These variants cannot train: " + "; ".join(e.problems) + "."
    except JobLimitError as e:
        return str(e)
    store.remember_lab(person, GROUP_SLOT, job_id, S.session_id(), {})  # a reload gets its controls back
    problems = [p for i, (c, lab) in enumerate(zip(configs, labels, strict=True))
                if (p := pin_job(job_id, lab, page, c, member=i))]
    return problems[0] if problems else None


def parse_values(knob: Knob, text: str) -> list[str]:
    """'0, 0.2, 0.5' -> ['0', '0.2', '0.5']; hidden layers are separated by ';' ('4; 8,8; 16,16,16')."""
    seps = ";" if knob.name == "hidden" else ",;"
    for s in seps[1:]:
        text = text.replace(s, seps[0])
    return [v.strip() for v in text.split(seps[0]) if v.strip()]


def _knob_submitted(prefix: str, page: str, source: str) -> None:
    ready = st.session_state.get(f"{prefix}.ready")
    if ready is None:
        st.session_state[MSG] = ("error", "This setup cannot train yet: fix the problems shown in red first.")
        return
    cfg: RunConfig = ready[0]
    knob = KNOBS[st.session_state[f"{prefix}.knob"]]
    raw = st.session_state.get(f"{prefix}.knob_values.{knob.name}")
    values = [knob.shown(v) for v in raw] if isinstance(raw, list) else parse_values(knob, str(raw or ""))
    try:
        configs = variants(cfg, knob.name, values)
    except VariantError as e:
        st.session_state[MSG] = ("error", "These variants cannot train: " + "; ".join(e.problems) + ".")
        return
    problem = start_group(configs, variant_labels(knob.name, configs), page, source)
    st.session_state[MSG] = (("error", problem) if problem else
                             ("success", f"{len(configs)} variants of {knob.label.lower()} are training side by "
                                         "side (one job): watch them on the Compare page."))


def knob_values_widget(prefix: str, knob: Knob, cfg: RunConfig) -> None:
    key = f"{prefix}.knob_values.{knob.name}"
    if knob.choices and not isinstance(knob.suggested[0], bool):
        st.multiselect("Values", knob.choices, default=list(knob.suggested), key=key, max_selections=6,
                       help=f"{knob.help_for(cfg)} One run per value (2 to 6).")
    else:
        sep = "; " if knob.name == "hidden" else ", "
        st.text_input("Values", value=sep.join(knob.shown(v) for v in knob.suggested), key=key,
                      help=f"{knob.help_for(cfg)} One run per value (2 to 6), separated by '{sep.strip()}'.")


def knob_popover(bar: Any) -> Any:
    """The 'Change one knob' popover in the run bar, empty: the page fills it with `knob_choices` once it has built
    its setup further down (Streamlit draws into a container created earlier)."""
    return bar.popover("Change one knob", icon=":material/tune:",
                       help="Train 2 to 6 copies of this setup that differ in one setting only (same seed, same "
                            "data), side by side, and overlay their curves on the Compare page.")


def knob_choices(prefix: str, slot: str, page: str, popover: Any, cfg: RunConfig) -> None:
    """Fill 'Change one knob': choose a field and its values; Train trains them side by side as one job. The knobs
    offered are those that mean something for `cfg`, the setup the page's widgets describe in this very run (the
    list used to come from the setup validated the run before, so it lagged one change: Momentum was still offered
    right after choosing sgd), less those a class preset locks or hides (the server refuses to vary them anyway:
    ui.classroom.admit_group)."""
    from ui import classroom
    with popover:
        fixed = classroom.fixed_fields(slot)
        options = [k.name for k in knobs_for(cfg) if not _fixed(k, fixed)]
        if not options:
            st.caption("Your class's preset fixes every setting that could be varied here.")
            return
        if st.session_state.get(f"{prefix}.knob") not in options:  # e.g. width, kept from a dense net, on a CNN
            st.session_state.pop(f"{prefix}.knob", None)
        first = next((n for n in ("dropout", "dense_dropout") if n in options), options[0])
        name = st.selectbox("Knob", options, index=options.index(first), key=f"{prefix}.knob",
                            format_func=lambda n: KNOBS[n].label,
                            help="The one setting the variants differ in; everything else is this page's setup.")
        knob = KNOBS[name]
        st.caption(f"{knob.help_for(cfg)} Now: **{knob.shown(knob.get(cfg))}**.")
        knob_values_widget(prefix, knob, cfg)
        st.button("Train the variants", key=f"{prefix}.knob_train", type="primary", icon=":material/play_arrow:",
                  on_click=_knob_submitted, args=(prefix, page, slot),
                  help="Start one job that trains every variant lockstep, epoch by epoch (it counts as one of "
                       "your two jobs); a previous group is replaced.")


def _fixed(knob: Knob, fixed: frozenset[str]) -> bool:
    """Whether a class preset locks or hides what this knob turns (width and depth reshape model.hidden)."""
    return knob.path in fixed or (knob.path in ("model.width", "model.depth") and "model.hidden" in fixed)


def messages(container: Any) -> None:
    """The last pin / group message, shown once, with a link to the Compare page."""
    msg = st.session_state.pop(MSG, None)
    if msg:
        kind, text = msg
        getattr(container, kind)(text)
        if kind == "success":
            compare_link(container)


def group_text(view: JobView, pins: list[store.Pin]) -> str:
    """The group's status line in the run bar's words: "Epoch 3 / 8 · 1.2 s of training · running", "Epoch 0 / 8 ·
    waiting for a free worker · queued (position 2 in the queue)", "Epoch 0 / 8 · Preparing the run… · running".
    Before its first snapshot a group knows no horizon: its pins' give it ("Epoch 0 / 0" read as broken)."""
    horizon = max((p.epochs or (p.config.get("train") or {}).get("epochs", 0) for p in pins
                   if p.job_id == view.job_id), default=0)  # a queued pin knows its config only
    wait = f", about {view.expected_wait_s:.0f} s" if view.expected_wait_s else ""
    spent = f"waiting for a free worker{wait}" if view.status == "queued" else ""
    return R.run_state(view, {"epochs": horizon, **(view.snapshot or {})}, spent).text


def group_buttons(bar: Any, view: JobView, key: str) -> None:
    """Pause (or Resume), Step and Stop of the session's variant group, greyed once it has ended."""
    active = view.status in store.ACTIVE
    for label, cmd, icon, tip in GROUP_COMMANDS:
        if cmd == ("pause" if view.status == "paused" else "resume"):
            continue
        bar.button(label, key=f"{key}.{cmd}", icon=icon, help=tip, disabled=not active,
                   on_click=S.command, args=(GROUP_SLOT, cmd))


def group_status(prefix: str, was_active: bool) -> None:
    """The variant group on the page that started it: its epoch, queue place or preparation, and its controls. The
    page said only "3 variants ... are training" while its own bar (Train, greyed Pause / Stop) was about the
    page's single run, and nothing moved for minutes while the group waited behind another session's. Redrawn
    alone every GROUP_EVERY_S while active (a fragment); the page once more when it ends, which stops the polling."""
    view = S.current_view(GROUP_SLOT)
    if view is None:
        return
    pins = store.pins(S.person_id(), S.manager())
    with st.container(border=True, key=f"{prefix}-groupbar"):
        bar = st.container(horizontal=True, gap="small", vertical_alignment="center")
        group_buttons(bar, view, f"{prefix}.group")
        n = sum(p.job_id == view.job_id for p in pins)
        bar.markdown(f"**Variant group** ({n} runs side by side): {group_text(view, pins)}")
        compare_link(bar)
    if was_active and view.status not in store.ACTIVE:
        st.rerun()  # the whole page: the fragment stops polling, the page's own run bar is current again


def compare_tools(prefix: str, slot: str, page: str, bar: Any, below: Any) -> Any:
    """The page hook: Pin and Change-one-knob in the run bar, their messages and the variant group's status line
    below it. Returns the knob popover, which the page fills (`knob_choices`) once its setup is built."""
    pin_button(prefix, slot, page, bar)
    popover = knob_popover(bar)
    messages(below)
    reconnect_group()
    group = S.current_view(GROUP_SLOT)
    active = group is not None and group.status in store.ACTIVE
    with below:
        if active:  # the page's charts poll only its own run: say for the group that this page is still open
            keep_alive(f"{prefix}.keep_group", [group.job_id])
        st.fragment(run_every=GROUP_EVERY_S if active else None)(group_status)(prefix, active)
    return popover
