"""The "Share, import and export" panel both pages show: the link to the setup, the config, the history and the
whole run as downloads, and the import of a config (JSON) or a run (safetensors) -- with a sentence, never a
traceback, for a file that cannot be used."""

from __future__ import annotations

from typing import Any

import streamlit as st

from nnlib.config import ConfigError, RunConfig
from nnlib.jobs.manager import JobView
from nnlib.words import count
from ui import session as S


def pending_import(prefix: str) -> RunConfig | None:
    """The config an import asked the page to show (read once, at the top of the next run)."""
    return st.session_state.pop(f"{prefix}.import", None)


def import_message(prefix: str) -> None:
    """What the last import did (shown once, near the top of the page, where the student looks)."""
    msg = st.session_state.pop(f"{prefix}.import_msg", None)
    if msg:
        st.success(msg, icon=":material/upload_file:")


def _imported(prefix: str, cfg: RunConfig, message: str) -> None:
    """Hand an imported setup to the top of the next run (which seeds the widgets) and say what happened."""
    st.session_state[f"{prefix}.import"] = cfg
    st.session_state.pop(f"{prefix}.url_errors", None)  # the page no longer shows the link's setup
    st.session_state[f"{prefix}.import_msg"] = message
    st.rerun()


def _merged(base: Any, given: Any) -> Any:
    """`given` over `base`, dict by dict: what `given` leaves out keeps its `base` value (lists are replaced whole;
    anything that is not a dict on both sides is `given`'s, so a malformed file still gets from_dict's sentence)."""
    if not isinstance(base, dict) or not isinstance(given, dict):
        return given
    return {**base, **{k: _merged(base.get(k), v) if k in base else v for k, v in given.items()}}


def config_over(base: RunConfig, text: str) -> RunConfig:
    """A config file applied over the page's current setup. A file may name only some settings (a teacher's
    handout: dataset, layers, lr, epochs); filling the rest from RunConfig's defaults silently switched on settings
    the file never mentioned (e.g. "Until I pause"), so the rest keeps what the page shows. Raises ConfigError."""
    from nnlib.config import parse_json

    try:
        given = parse_json(text)
    except ValueError as e:
        raise ConfigError([str(e)]) from None
    model = given.get("model") if isinstance(given, dict) else None
    start = base.to_dict()
    if isinstance(model, dict) and "batch_norm" in model and "norm" not in model:
        start["model"]["norm"] = "none"  # a file from before `norm`: its batch_norm alone says which norm it meant
    if isinstance(model, dict) and {"hidden", "activation"} & model.keys() and "layer_activations" not in model:
        start["model"]["layer_activations"] = []  # the page's per-layer list would override (or not fit) the file's
    return RunConfig.from_dict(_merged(start, given))


def _import_config(prefix: str, base: RunConfig, data: bytes, image_page: bool) -> None:
    from ui.links import fit_to_server
    from ui.run_file import wrong_page

    try:
        cfg = config_over(base, data.decode("utf-8", errors="replace")).checked()
    except ConfigError as e:
        st.error("This config cannot be used:\n\n" + "\n".join(f"- {x}" for x in e.errors))
        return
    if cfg.is_image != image_page:
        st.error(f"This config cannot be used here: {wrong_page(cfg, 'config')}.")
        return
    cfg, notes = fit_to_server(cfg)
    _imported(prefix, cfg, "Config imported" + (f" ({'; '.join(notes)})" if notes else "") + ".")


def _import_run(prefix: str, slot: str, data: bytes, image_page: bool, probe: int) -> None:
    from ui.run_file import RunFileError, imported_view, read_run

    try:
        run = read_run(data, image_page)
        with st.spinner("Computing the run's final view from its weights…"):
            view = imported_view(run, probe=probe)
    except RunFileError as e:
        st.error(f"This run file cannot be used: {e}.")
        return
    except Exception as e:  # noqa: BLE001 - e.g. a dataset this server cannot load: a sentence, no traceback
        st.error(f"This run cannot be shown on this server: {str(e)[:300]}")
        return
    S.show_imported(slot, view)
    st.session_state[f"{prefix}.job_cfg"] = (view.job_id, run.cfg.to_json())
    _imported(prefix, run.cfg, f"Run imported: {count(run.status['epoch'], 'epoch')} of training, shown from its "
              "weights (press Train to train this setup again)" + (f"; {'; '.join(run.notes)}" if run.notes else "")
              + ".")


def link_heading(hidden: frozenset[str] = frozenset()) -> str:
    """What the share link is, in words for who reads it. A class member's is a link to their own run's setup (it
    read "copy it for your class", words for the teacher); the teacher's is for their class; anyone else's is to
    share or to come back to. `hidden`: the fields the class preset hides, which the link leaves out."""
    from nnlib.store.db import StoreError
    from ui import classroom as CR
    from ui.classroom_teacher import is_teacher

    try:
        member = CR.context() is not None
    except StoreError:  # the class database is unreachable: the page still shows its link
        member = False
    if member:
        return ("**Link to your run's setup** (your settings, to come back to or to send a classmate: Train there "
                "trains this run again, same seeds" + ("; the settings your teacher hides are left out"
                                                       if hidden else "") + "):")
    if is_teacher():
        return "**Link to this exact setup** (copy it for your class: it opens the Playground with these settings):"
    return "**Link to this exact setup** (copy it to share it, or to come back to it later):"


def share_import_export(prefix: str, slot: str, cfg: RunConfig, link: str, view: JobView | None,
                        run_cfg: RunConfig, image_page: bool, probe: int = 0,
                        hidden: frozenset[str] = frozenset()) -> None:
    """The panel's contents (call inside the page's expander). `hidden`: the fields a class preset hides from this
    student, left out of the config download; a run file holds the whole config, so it is not offered then."""
    import json

    from nnlib.classroom.presets import redact
    from ui.playground_views import history_csv
    from ui.run_file import MAX_RUN_FILE, export_run

    st.markdown(link_heading(hidden))
    st.code(link, language=None, wrap_lines=True)
    d1, d2, d3 = st.columns(3)
    config_text = json.dumps(redact(cfg.to_dict(), hidden), indent=2) if hidden else cfg.to_json()
    d1.download_button("Config (JSON)", config_text, "run_config.json", "application/json", key=f"{prefix}.dl_cfg",
                       help="The settings on this page, to import later or share.")
    finished = view is not None and view.snapshot and view.status not in ("queued", "running", "paused")
    if view is not None and view.snapshot:
        d2.download_button("History (CSV)", history_csv(view.snapshot), "history.csv", "text/csv",
                           key=f"{prefix}.dl_hist", help="One row per epoch: losses, metrics, learning rate.")
    if finished and view.result and view.result.get("weights") and hidden:
        d3.caption("Your teacher hides some settings of this class, so runs are not offered as files.")
    elif finished and view.result and view.result.get("weights"):
        d3.download_button("Run (safetensors)", export_run(run_cfg, view.snapshot, view.result["weights"]),
                           "run.safetensors", "application/octet-stream", key=f"{prefix}.dl_run",
                           help="The whole run in one file: config, history and trained weights (safetensors "
                                "cannot run code when opened). Import it here to look at it again.")
    up = st.file_uploader(f"Import a config (JSON) or a run (safetensors, at most {MAX_RUN_FILE // 2**20} MB)",
                          type=["json", "safetensors"], key=f"{prefix}.import_file",
                          help="A config sets the controls it names (the others keep their values); a run also "
                               "shows its curves and what its weights compute, without training.")
    if up is None or st.session_state.get(f"{prefix}.imported") == up.file_id:
        return
    st.session_state[f"{prefix}.imported"] = up.file_id
    data = up.getvalue()
    if up.name.lower().endswith(".safetensors"):
        _import_run(prefix, slot, data, image_page, probe)
    else:
        _import_config(prefix, cfg, data, image_page)
