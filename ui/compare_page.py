"""The body of the Compare page: the pinned runs' curves overlaid (live while any runs, through the live route's
"compare" patcher, no rerun per update), the variant group's run bar, a table of their settings with the fields
that differ highlighted, their final metrics, unpin / clear, and the CSV / JSON export."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pandas as pd
import streamlit as st

from nnlib.classroom.presets import field_label
from nnlib.compare import comparison_csv, comparison_json, config_diff
from nnlib.compare.variants import blocks_text, flat_fields, ignored_in, same_effect
from ui import classroom as CR
from ui import compare_store as store
from ui import run_controls as R
from ui import session as S
from ui.compare_panel import GROUP_EVERY_S, GROUP_SLOT, group_buttons, group_text, reconnect_group
from ui.compare_plots import compare_figures, compare_rows, final_row
from ui.keepalive import keep_alive
from ui.live import live_charts

HIGHLIGHT = "background-color: #fff3cd; font-weight: 600"
MAX_SETTING_COLUMNS = 3  # differing settings the results table adds as columns; more (a Playground run beside an
# image run differs in ~15) made it wider than a 1280 px screen, so they go to a table of their own, one row each
TABLE_FIT_PX = 930  # what the Runs table may estimate it needs: a 1024 px window gives it ~974 px. Wider, it scrolled
# sideways and its last column (test accuracy) was cut; settings columns that would not fit go to their own table
CHAR_PX, CELL_PAD_PX, MIN_COLUMN_PX = 7.0, 16, 60  # a 14 px character (measured: 5.7 to 6.8), a cell's padding
# The Runs table's columns as headed on screen (short: the full names made it ~1,070 px wide) and their tooltips
RESULT_COLUMNS = {
    "run": ("run", "The run's name: the page and number it was pinned as, or the value its variant group gives the "
                   "one knob it changes."),
    "page": ("page", "The page that trained it: Playground (points in the plane) or CNN (Images & CNNs)."),
    "status": ("status", "queued, running, paused, finished or stopped."),
    "epochs": ("epochs", "Epochs trained so far."),
    "train loss": ("train loss", "Loss on the training data at the last epoch (with dropout: units dropped)."),
    "validation loss": ("val loss", "Validation loss at the last epoch: data the network never trains on."),
    "best validation loss": ("best val", "The lowest validation loss of any epoch so far (what early stopping "
                                         "keeps)."),
    "at epoch": ("at epoch", "The epoch of the best validation loss."),
    "train accuracy": ("train acc", "Accuracy on the training data at the last epoch."),
    "validation accuracy": ("val acc", "Accuracy on the validation data at the last epoch."),
    "test accuracy": ("test acc", "Accuracy on the test data, measured when the run ends."),
    "validation RMSE": ("val RMSE", "Root mean squared error on the validation data at the last epoch (lower is "
                                    "better)."),
    "test RMSE": ("test RMSE", "Root mean squared error on the test data, measured when the run ends."),
}
PERCENT = ("train accuracy", "validation accuracy", "test accuracy")  # as the run bar says them: 97.4%
PAGE_TITLES = {"CNN": "Images & CNNs"}  # a pin's page as the navigation names it, for the Runs heading
NUMBERS = frozenset(RESULT_COLUMNS) - {"run", "page", "status"}  # ui.compare_plots.final_row's
TABLE_EVERY_S = 2.0  # while runs train, the Runs table reruns alone this often: ~10 ms of a core per refresh (a
# fragment: pins, table, nothing else), well under 1 % of a core per viewer; the charts are live regardless
def run_dicts(pins: list[store.Pin]) -> list[dict[str, Any]]:
    """Pins as the export's runs (label, status, config, history)."""
    return [{"label": p.label, "status": p.status, "config": p.config, "history": p.history} for p in pins]


def same_settings(pins: list[store.Pin]) -> list[list[str]]:
    """Labels of runs that train the same (equal but for settings each ignores, nnlib.compare.variants.same_effect):
    their curves coincide, and a student should not think one is missing."""
    return [[pins[i].label for i in group] for group in same_effect([p.config for p in pins])]


def group_bar(pins: list[store.Pin]) -> None:
    """Status and Pause / Resume / Step / Stop of this person's variant group, while it exists: this session's, or
    after a reload the one an earlier session of the same browser started (kept alive from here, as the page that
    started it did)."""
    reconnect_group()
    view = S.current_view(GROUP_SLOT)
    if view is None:
        return
    active = view.status in store.ACTIVE
    if st.session_state.get(f"owner_{GROUP_SLOT}") and active:
        keep_alive("cmp.keep_group", [view.job_id])  # its session is the reloaded page's old one: say it is open
    # drawn once, its line said "Epoch 0 ... Training epoch 1" while the curves below were at epoch 60: while the
    # group trains it redraws alone every GROUP_EVERY_S, as on the page that started it (the page reruns at the end)
    st.fragment(run_every=GROUP_EVERY_S if active else None)(_group_line)(pins)


def _group_line(pins: list[store.Pin]) -> None:
    """The group bar's buttons and status line, from the group's job as it is now."""
    view = S.current_view(GROUP_SLOT)
    if view is None:
        return
    n = sum(p.job_id == view.job_id for p in pins)
    with st.container(border=True, key="cmp-groupbar"):
        bar = st.container(horizontal=True, gap="small", vertical_alignment="center")
        group_buttons(bar, view, "cmp.group")
        bar.markdown(f"**Variant group** ({n} pinned runs trained in one job): {group_text(view, pins)}")


def settings_table(pins: list[store.Pin], differs: list[str], all_fields: bool) -> Any:
    """Rows: settings; columns: runs. Differing settings highlighted (all of them, or only those)."""
    flats = [flat_fields(p.config) for p in pins]
    keys = list(dict.fromkeys(k for f in flats for k in f)) if all_fields else differs  # an image run has more
    ignored = ignored_in([p.config for p in pins])
    cells = [[_cell(f, k, i) for k in keys] for f, i in zip(flats, ignored, strict=True)]
    df = pd.DataFrame(dict(enumerate(cells)), index=keys)  # by position: a dict by label kept one of equal labels
    df.columns = [p.label for p in pins]
    if df.columns.duplicated().any():
        df.columns = [f"{c} ({i})" for i, c in enumerate(df.columns, start=1)]
    marked = {field_label(k) for k in differs}
    df.index = [field_label(k) for k in keys]
    return df.style.apply(lambda row: [HIGHLIGHT if row.name in marked else ""] * len(row), axis=1)


def _cell(flat: dict[str, Any], k: str, ignored: dict[str, str]) -> str:
    """A run's value of a setting, "0.5 (ignored: Optimizer sgd)" where the runs differ in it and this run ignores it
    (nnlib.idle_fields): a plain-SGD run's momentum beside a momentum run's is no cause of their difference."""
    return _shown(flat.get(k)) + (f" (ignored: {ignored[k]})" if k in ignored else "")


def _shown(v: Any) -> str:
    if isinstance(v, (list, tuple)):
        return blocks_text(v) if any(isinstance(x, dict) for x in v) else ",".join(str(x) for x in v) or "none"
    return f"{v:g}" if isinstance(v, float) else str(v)


def _number(column: str, v: Any) -> str:
    """How the Runs table writes a final number: accuracy in percent, a loss or RMSE to 3 significant digits (0.0827,
    0.656, 2.31: four decimals said 0.0000 of a well-fitted loss and made every column wider), "–" for none yet (a
    run before its first epoch: its column, of None and numbers, said "None")."""
    if v is None or (isinstance(v, float) and v != v):
        return "–"
    if column in ("epochs", "at epoch"):
        return str(int(v))
    return f"{v:.1%}" if column in PERCENT else f"{v:#.3g}"  # "#": 0.690, not 0.69 beside 0.661


def _rows(pins: list[store.Pin], columns: list[str]) -> pd.DataFrame:
    """The Runs table's rows; a page column only when the runs come from more than one page (the heading names the
    one page otherwise: a column saying "Playground" in every row took 86 px of a 1024 px window)."""
    rows = []
    pages = len({p.page for p in pins}) > 1
    for p, ignored in zip(pins, ignored_in([p.config for p in pins]), strict=True):
        flat = flat_fields(p.config)
        row = {"run": p.label, **({"page": p.page} if pages else {}), "status": p.status}
        row.update({field_label(k): _cell(flat, k, ignored) for k in columns})
        row.update(final_row({"history": p.history}))
        rows.append(row)
    return pd.DataFrame(rows)


def _width_px(df: pd.DataFrame) -> float:
    """The Runs table's width as the browser will lay it out, roughly: each column as wide as its header or its
    widest cell, written as the table writes them."""
    total = 0.0
    for c in df.columns:
        cells = [len(_number(c, v)) if c in NUMBERS else len(str(v)) for v in df[c]]
        total += max(MIN_COLUMN_PX, CHAR_PX * max([len(RESULT_COLUMNS.get(c, (c,))[0]), *cells]) + CELL_PAD_PX)
    return total


def setting_columns(pins: list[store.Pin], differs: list[str]) -> list[str]:
    """The differing settings the Runs table shows beside the results: all of them if they are few and the table
    still fits a 1024 px window, else none (they then have a table of their own, one row each)."""
    if not differs or len(differs) > MAX_SETTING_COLUMNS:
        return []
    return differs if _width_px(_rows(pins, differs)) <= TABLE_FIT_PX else []


def results_table(pins: list[store.Pin], differs: list[str]) -> Any:
    """One row per run: what differs (if it fits beside the rest), its status and its final numbers."""
    columns = setting_columns(pins, differs)
    df = _rows(pins, columns)
    fmt = {c: (lambda v, c=c: _number(c, v)) for c in df.columns if c in NUMBERS}
    return df.style.format(fmt).set_properties(subset=[field_label(k) for k in columns],
                                                           **{"background-color": "#fff3cd"})


def result_columns(columns: list[str]) -> dict[str, Any]:
    """The Runs table's headers: short, each with its full meaning as a tooltip; a setting's says it differs."""
    shown = {c: RESULT_COLUMNS.get(c, (c, f"{c}: a setting that differs between the runs (highlighted)."))
             for c in columns}
    return {c: st.column_config.Column(label, help=tip) for c, (label, tip) in shown.items()}


def runs_table(person: str, manager: Any, hidden: frozenset[str]) -> None:
    """The "Runs" table, read from the pins as they are now. The charts above follow every snapshot through the
    live route, but this table is the script's: drawn once, it said epoch 53 while the curves were at 172. While
    runs train it reruns alone every TABLE_EVERY_S (a fragment) and says which epoch its numbers are of."""
    drawn = visible(store.shown(person, manager), hidden)
    differs = differing(drawn, hidden)
    pages = list(dict.fromkeys(p.page for p in drawn))
    runs = f"**Runs** of the {PAGE_TITLES.get(pages[0], pages[0])} page" if len(pages) == 1 else "**Runs**"
    st.markdown(f"{runs} — settings that differ are highlighted" if differs else f"{runs} — same settings")
    if any(p.active for p in drawn):
        epoch = store.composite_snapshot(drawn)["epoch"]  # the status line's count: the runs training now
        st.caption(f":material/update: As of epoch {epoch}: this table is updated every {TABLE_EVERY_S:g} s while "
                   "runs train; the charts above follow every epoch.")
    table = results_table(drawn, differs)
    st.dataframe(table, hide_index=True, width="stretch", key="cmp.results",
                 column_config=result_columns(list(table.data.columns)))


def _choices(pins: list[store.Pin]) -> dict[str, str]:
    """'2. Dropout = 0.2' -> pin id: what the unpin list shows (numbered, so equal labels stay apart)."""
    return {f"{i}. {p.label}": p.pin_id for i, p in enumerate(pins, start=1)}


def _unpin_selected(choices: dict[str, str]) -> None:
    person = S.person_id()
    for shown in st.session_state.get("cmp.unpin_choice") or []:
        if shown in choices:
            store.unpin(person, choices[shown])
    st.session_state["cmp.unpin_choice"] = []


def _clear() -> None:
    store.clear(S.person_id())


def manage(pins: list[store.Pin]) -> None:
    """Unpin chosen runs, or clear the comparison."""
    choices = _choices(pins)
    c1, c2, c3 = st.columns([3, 1, 1], vertical_alignment="bottom")
    c1.multiselect("Runs to unpin", list(choices), key="cmp.unpin_choice",
                   help="Remove runs from the comparison (their jobs go on).")
    c2.button("Unpin", key="cmp.unpin", icon=":material/remove_circle:", on_click=_unpin_selected,
              args=(choices,), width="stretch", help="Unpin the runs chosen on the left.")
    c3.button("Clear all", key="cmp.clear", icon=":material/delete_sweep:", on_click=_clear, width="stretch",
              help="Unpin every run.")


def visible(pins: list[store.Pin], hidden: frozenset[str]) -> list[store.Pin]:
    """The pins as a class member may see them: Playground configs without the fields the class preset hides (their
    own runs carry the preset's value too), so no table, caption or export shows them. A pin's page is what the
    table shows ("Playground"); a stored run's is its slot ("playground"): both are Playground configs."""
    from nnlib.classroom.presets import redact

    if not hidden:
        return pins
    return [replace(p, config=redact(p.config, hidden)) if p.page.lower() == "playground" else p for p in pins]


def differing(pins: list[store.Pin], hidden: frozenset[str]) -> list[str]:
    """The settings that differ between the pins, never one the class preset hides (a run of another page, the
    CNN's, keeps its own activation: it must not be flagged against a Playground run that shows none)."""
    return [k for k in config_diff([p.config for p in pins]) if k not in hidden]


def export(person: str, manager: Any, hidden: frozenset[str] = frozenset()) -> None:
    """CSV and JSON downloads, built when clicked from the pins as they are then (the live charts do not rerun the
    page, so anything built at render time would miss the epochs trained since)."""
    def runs() -> list[dict[str, Any]]:
        return run_dicts(visible(store.shown(person, manager), hidden))  # the teacher's references too

    c1, c2 = st.columns(2)
    c1.download_button("Export CSV", lambda: comparison_csv(runs(), hidden), "comparison.csv", "text/csv",
                       key="cmp.csv",
                       icon=":material/download:", width="stretch", on_click="ignore",
                       help="One row per run and epoch: the differing settings, then every metric.")
    c2.download_button("Export JSON", lambda: comparison_json(runs(), hidden), "comparison.json", "application/json",
                       key="cmp.json", icon=":material/download:", width="stretch", on_click="ignore",
                       help="Every run's full config and history.")


def compare_body() -> None:
    """The whole page below its title."""
    from ui import classroom_shared as shared_runs

    person, manager = S.person_id(), S.manager()
    references = shared_runs.reference_runs()  # a class member: what the teacher shows to everyone
    store.set_references(person, shared_runs.reference_pins(references))
    pins = store.pins(person, manager)
    token = store.compare_token(person, S.session_id())
    group_bar(pins)
    shared_runs.references_bar(references)
    if not pins:
        st.info("Nothing pinned yet. On the Playground or the Images & CNNs page, press **Train**, then **Pin to "
                "compare**, or use **Change one knob** to train variants side by side.", icon=":material/push_pin:")
    drawn = store.shown(person, manager)  # the pins, then the teacher's references
    active = any(p.active for p in drawn)
    snap = store.composite_snapshot(drawn)
    figs = compare_figures(snap)
    if active:  # the browser polls the composite of the pins and patches the curves in place, no rerun
        live_charts("cmp.live", figs, compare_rows(figs), token, "compare", True, -1, "running")
        return _below_charts(person, manager, pins, drawn)
    live_charts("cmp.live", {}, [], None, "compare", False, 0, "")  # the page's style (ui/live.css) and plotly.js
    if not drawn:
        return None
    for row in compare_rows(figs):
        for col, fid in zip(st.columns(len(row)), row, strict=True):
            R.static_chart(col, figs[fid], f"cmp.fig.{fid}")
    return _below_charts(person, manager, pins, drawn)


def _below_charts(person: str, manager: Any, pins: list[store.Pin], drawn: list[store.Pin]) -> None:
    """The notes, tables, unpin and export under the charts."""
    if len({store.run_kind(p.config) for p in drawn}) > 1:
        st.caption(":material/info: Playground and Images & CNNs runs are drawn in charts of their own: an image "
                   "run's epoch passes over thousands of images, a Playground run's over a few hundred points, so "
                   "their epochs do not line up.")
    hidden = CR.hidden_fields()
    drawn = visible(drawn, hidden)
    if any(R.has_dropout(p.config) for p in drawn):
        st.caption(R.DROPOUT_LOSS_NOTE)
    differs = differing(drawn, hidden)
    for twins in same_settings(drawn):
        st.caption(f":material/info: {' and '.join(twins)} have the same settings in effect (same seed, same data), "
                   "so their curves lie on top of each other.")
    live = any(p.active for p in drawn)  # the table then reruns on its own (a fragment), the page does not
    st.fragment(run_every=TABLE_EVERY_S if live else None)(runs_table)(person, manager, hidden)
    if differs and not setting_columns(drawn, differs):  # not beside the results: a table of their own
        st.markdown(f"**Settings that differ** ({len(differs)})")
        st.dataframe(settings_table(drawn, differs, all_fields=False), width="stretch", key="cmp.differs")
    with st.expander("All settings, side by side", expanded=False):
        st.dataframe(settings_table(drawn, differs, all_fields=True), width="stretch", key="cmp.settings")
    if pins:
        manage(pins)  # only the person's own pins: a teacher's reference cannot be unpinned, only hidden
    export(person, manager, hidden)
