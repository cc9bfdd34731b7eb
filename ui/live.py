"""The cheap live channel: an HTTP route serving per-trace patches of a job's latest snapshot, and a browser
component that polls it and updates the plotly charts in place -- no Streamlit rerun per refresh.

The job id is an unguessable token handed only to the session that submitted the job; the route looks jobs up
by that token and answers 404 for anything else. A poll for a state the browser already has is held open
(long poll, up to HOLD_S) until the job publishes a newer one, so a browser sees every snapshot as soon as it
exists without asking in a tight loop; if nothing changes in that time it costs a 204 and no body.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

PREFIX = "/nnlive"
POLL_MS = 40  # least gap between two polls of one browser (the route holds a poll until there is news)
HOLD_S = 2.0  # how long the route holds a poll that has nothing new
CHECK_S = 0.02  # how often a held poll looks for a newer snapshot
SNAPSHOT_S = 0.05  # how often a running Playground job sends a snapshot (its payload's "interval")
Patcher = Callable[[dict, dict[str, str]], dict[str, dict[int, dict]]]
PATCHERS: dict[str, Patcher] = {}
FINAL = ("finished", "stopped", "failed")


def register_patcher(kind: str, fn: Patcher) -> None:
    """A page kind ('playground', 'cnn') says how a snapshot becomes trace patches of its figures."""
    PATCHERS[kind] = fn


def _playground_patcher(snap: dict, opts: dict[str, str]) -> dict[str, dict[int, dict]]:
    from ui.plots import playground_patches

    return playground_patches(snap, [], opts.get("disc") == "1", have=int(opts.get("have", "0") or 0))


def _cnn_patcher(snap: dict, opts: dict[str, str]) -> dict[str, dict[int, dict]]:
    from ui.cnn_plots import live_patcher

    return live_patcher(snap, opts)


register_patcher("playground", _playground_patcher)
register_patcher("cnn", _cnn_patcher)


def snapshot_payload(job_id: str, seq: int, status: str, kind: str, opts: dict[str, str]) -> tuple[int, bytes]:
    """(HTTP status, body) for one poll. 404 for unknown tokens, 204 when nothing changed."""
    from ui.plots import SWEEP, encode, status_text
    from ui.services import job_manager

    manager = job_manager()
    found = manager.find(job_id)
    if found is None:
        return 404, b'{"error": "no such job"}'
    session, view = found
    manager.touch(session)
    if view.snapshot_seq != seq:  # a newer snapshot: a full update (the rest of the old one's pictures are moot)
        opts = {k: v for k, v in opts.items() if k != "left"}
    continuation = opts.get("left", "0") not in ("", "0")  # the rest of this snapshot's pictures (ui.cnn_plots)
    if view.snapshot_seq == seq and view.status == status and not continuation:
        return 204, b""
    patcher = PATCHERS.get(kind)
    patches = patcher(view.snapshot, opts) if (patcher and view.snapshot) else {}
    sweep = patches.pop(SWEEP, None)
    info = status_text(view.snapshot, view.status, view.queue_position)
    info["until_paused"] = bool((view.snapshot or {}).get("until_paused"))
    if view.error:
        info["reason"] = view.error
    msg = {"seq": view.snapshot_seq, "status": view.status, "info": encode(info), "patches": encode(patches)}
    if sweep is not None:
        msg["sweep"] = sweep
    return 200, json.dumps(msg, separators=(",", ":"), allow_nan=False).encode()


async def held_payload(job_id: str, seq: int, status: str, kind: str, opts: dict[str, str],
                       hold_s: float = HOLD_S) -> tuple[int, bytes]:
    """snapshot_payload, but a 204 is held back (without blocking the server) until there is news or hold_s."""
    deadline = time.monotonic() + hold_s
    while True:
        code, body = snapshot_payload(job_id, seq, status, kind, opts)
        if code != 204 or time.monotonic() >= deadline:
            return code, body
        await asyncio.sleep(CHECK_S)


def routes() -> list[Any]:
    """Starlette routes mounted by app.py's st.App."""
    from starlette.requests import Request
    from starlette.responses import FileResponse, Response

    async def snap(request: Request) -> Response:
        q = request.query_params
        try:
            seq = int(q.get("seq", "-1"))
        except ValueError:
            seq = -1
        opts = {k: v[:20] for k, v in list(q.items())[:12] if k not in ("seq", "status", "kind", "hold")}
        if not opts.get("have", "0").isdigit():
            opts["have"] = "0"
        hold = HOLD_S if q.get("hold", "1") == "1" else 0.0
        code, body = await held_payload(request.path_params["job_id"], seq, q.get("status", ""),
                                        q.get("kind", "playground"), opts, hold)
        return Response(body, status_code=code, media_type="application/json",
                        headers={"Cache-Control": "no-store"})

    async def plotly_js(request: Request) -> Response:
        return FileResponse(plotly_path(), media_type="text/javascript",
                            headers={"Cache-Control": "public, max-age=604800, immutable"})

    from starlette.routing import Route

    return [Route(f"{PREFIX}/snap/{{job_id}}", snap), Route(f"{PREFIX}/plotly-{plotly_version()}.min.js", plotly_js)]


def plotly_path() -> str:
    import plotly

    return os.path.join(os.path.dirname(plotly.__file__), "package_data", "plotly.min.js")


def plotly_version() -> str:
    import plotly

    return plotly.__version__


_JS = (Path(__file__).with_name("live.js")).read_text(encoding="utf-8")
_CSS = (Path(__file__).with_name("live.css")).read_text(encoding="utf-8")
_component: Any = None


def live_charts(key: str, figures: dict[str, dict], layout: list[list[str]], job_id: str | None, kind: str,
                active: bool, seq: int, status: str, opts: dict[str, str] | None = None,
                on_done: Callable[[], None] | None = None) -> Any:
    """Mount the charts in the browser; while `active`, poll the route and patch them in place.

    `layout` is a list of rows of figure ids (each row is split evenly). When the job reaches a final state the
    component triggers one rerun (`on_done`) so the page can show results and downloads.
    """
    import streamlit as st

    from ui.plots import encode

    global _component
    if _component is None:
        _component = st.components.v2.component("nn_live_charts", html="<div class='nnlive'></div>", js=_JS,
                                                css=_CSS, isolate_styles=False)
    data = {"figures": encode(figures), "rows": layout, "url": f"{PREFIX}/snap/{job_id}" if job_id else None,
            "plotly": f"{PREFIX}/plotly-{plotly_version()}.min.js", "kind": kind, "active": active, "seq": seq,
            "status": status, "opts": opts or {}, "poll": POLL_MS}
    return _component(key=key, data=data, on_done_change=on_done or (lambda: None))
