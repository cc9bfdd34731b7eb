"""The cheap live channel: an HTTP route serving per-trace patches of a job's latest snapshot, and a browser
component that polls it and updates the plotly charts in place -- no Streamlit rerun per refresh.

The job id is an unguessable token handed only to the session that submitted the job; the route looks jobs up
by that token and answers 404 for anything else. A poll for a state the browser already has is held open
(long poll, up to HOLD_S) until the job publishes a newer one, so a browser sees every snapshot as soon as it
exists without asking in a tight loop; if nothing changes in that time it costs a 204 and no body.

One client must not be able to slow the server for everyone (the route shares Streamlit's event loop): polls are
rate-limited per job token and per client address (429 with Retry-After, sent only after a second, so a
client looping on the route is slowed to a few asks a second), a token may hold only a few polls at once, unknown
query parameters are dropped (so junk cannot defeat the answer cache), and building an answer (the costly part:
patches, JSON) runs in a small thread pool, off the event loop. A queued job's poll answers with its
queue position and expected wait as soon as that is news, so a waiting page says where it stands.

Each poll says whether its page is visible or in a background tab (`page=`), and a closing page sends a beacon
(POST .../page/<token>?page=closed): the job manager then gives a throttled background tab minutes before it
counts the page as gone, and a closed one only seconds (nnlib.jobs.records.Session.silent_too_long).
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from ui.metrics_route import LIVE_REQUESTS
from ui.rate_limit import RateLimiter  # live.RateLimiter: what the route and its tests build its limits with

PREFIX = "/nnlive"
POLL_MS = 40  # least gap between two polls of one browser (the route holds a poll until there is news)
HOLD_S = 2.0  # how long the route holds a poll that has nothing new
CHECK_S = 0.02  # how often a held poll of a composite view (ui.compare_store) looks for a newer snapshot
RECHECK_S = 0.5  # a held poll of a job wakes at its news (ui.live_news); it looks on its own only this often
SNAPSHOT_S = 0.05  # how often a running Playground job sends a snapshot (its payload's "interval")
QUEUED_POLL_MS = 1000  # least gap between two polls of a queued job's page (it waits for a free worker)
TOKEN_RATE, TOKEN_BURST = 60.0, 120.0  # polls/s of one job token: a tab needs <= 1 / POLL_MS, 2 tabs twice
# polls/s one address may make: a class behind one school NAT shares it. A watching page asks about as often as its
# job sends snapshots (~10/s at speed normal): 40 students are ~400/s, two tabs each ~800. At 200 a class of 40 got
# refused polls and ~6 updates/s each; a flood from one address is still bounded per token (TOKEN_RATE, HELD_PER_TOKEN)
ADDRESS_RATE = float(os.environ.get("NNLIB_LIVE_ADDRESS_RATE", "1000"))
CLASS_AT_ONE_ADDRESS = 40  # the class the default must serve at 10 updates/s each (tests/ui/test_live_route.py)
HELD_PER_TOKEN = 4  # polls of one token held open at once (a page holds one; a few tabs of one session more)
REFUSED_HOLD_S = 1.0  # a refused poll is answered (429) only after this: a flooding loop then asks ~1/s, not 800
REFUSED_HELD_MAX = 2000  # refused polls held at once, server-wide (a sleeping coroutine each); past it, answer now
OPTION_KEYS = ("have", "turn", "left", "disc", "data", "test")  # what a patcher may read; the rest is dropped
Patcher = Callable[[dict, dict[str, str]], dict[str, dict[int, dict]]]
KIND_MAX = 32  # a poll's kind is cut to this; at 12 "lab_schedules" became "lab_schedule" and drew nothing live
PATCHERS: dict[str, Patcher] = {}
FINAL = ("finished", "stopped", "failed")


TOKEN_LIMIT = RateLimiter(TOKEN_RATE, TOKEN_BURST)


def address_limiter(clock: Callable[[], float] = time.monotonic) -> RateLimiter:
    """The per-address limit as the route applies it (a test steps its clock)."""
    return RateLimiter(ADDRESS_RATE, 2 * ADDRESS_RATE, clock)


ADDRESS_LIMIT = address_limiter()
_HELD: dict[str, int] = {}  # job token -> polls held open right now (touched on the event loop only)
_REFUSED_HELD = [0]  # refused polls being held before their 429 (event loop only)
_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="nnlive")  # builds answers off the event loop
_ANSWERS: OrderedDict[tuple, tuple[int, bytes]] = OrderedDict()  # identical polls of one state share one answer
_ANSWERS_LOCK = threading.Lock()
ANSWERS_KEPT = 128


def register_patcher(kind: str, fn: Patcher) -> None:
    """A page kind ('playground', 'cnn') says how a snapshot becomes trace patches of its figures. A kind the
    poll's length cap would cut could never be found: refused here, not silently drawn empty."""
    if len(kind) > KIND_MAX:
        raise ValueError(f"patcher kind {kind!r} is longer than {KIND_MAX} characters")
    PATCHERS[kind] = fn


def _playground_patcher(snap: dict, opts: dict[str, str]) -> dict[str, dict[int, dict]]:
    from ui.plots import playground_patches

    return playground_patches(snap, [], opts.get("disc") == "1", have=int(opts.get("have", "0") or 0),
                              show_test=show_test(opts))


def show_test(opts: dict[str, str]) -> bool:
    """Whether the Playground page that polls draws the test loss ("Show test data"; ui.plots.loss_traces): only
    when it says so -- a page that does not say (the teacher's watch) drew its figures without it."""
    return opts.get("test") == "1"


def _cnn_patcher(snap: dict, opts: dict[str, str]) -> dict[str, dict[int, dict]]:
    from ui.cnn_plots import live_patcher

    return live_patcher(snap, opts)


register_patcher("playground", _playground_patcher)
register_patcher("cnn", _cnn_patcher)
Source = Callable[[str, Any], "tuple[str, Any] | None"]
SOURCES: list[Source] = []  # token -> (session, view) of things that are not one job (the Compare page's pins)


def register_source(fn: Source) -> None:
    """A token the job manager does not know may name a composite view (e.g. a comparison of several jobs)."""
    SOURCES.append(fn)


def find_view(manager: Any, token: str) -> tuple[str, Any] | None:
    """The job (or registered composite) behind a token; None if nothing is."""
    found = manager.find(token)
    for source in SOURCES if found is None else ():
        found = source(token, manager)
        if found is not None:
            break
    return found


def _compare_patcher(snap: dict, opts: dict[str, str]) -> dict[str, dict[int, dict]]:
    from ui.compare_plots import compare_patches

    return compare_patches(snap)


def _compare_source(token: str, manager: Any) -> tuple[str, Any] | None:
    from ui.compare_store import composite_view

    return composite_view(token, manager)


register_patcher("compare", _compare_patcher)  # a variant group's job, or the pinned runs' composite
register_source(_compare_source)


NO_JOB = b'{"error": "no such job"}'
NUMERIC_OPTIONS = ("have", "turn", "left")


def _is_news(view: Any, seq: int, status: str, queue: int | None) -> bool:
    """Whether a browser that has (seq, status, queue position) must hear about `view`."""
    return view.snapshot_seq != seq or view.status != status or view.queue_position != queue


def snapshot_payload(job_id: str, seq: int, status: str, kind: str, opts: dict[str, str],
                     queue: int | None = None) -> tuple[int, bytes]:
    """(HTTP status, body) for one poll. 404 for unknown tokens, 204 when nothing changed for a browser that has
    snapshot `seq`, `status` and shows queue position `queue`. Identical polls of one state share one answer."""
    from ui.services import job_manager

    manager = job_manager()
    found = find_view(manager, job_id)
    if found is None:
        return 404, NO_JOB
    session, view = found
    manager.touch(session)
    if view.snapshot_seq != seq:  # a newer snapshot: a full update (the rest of the old one's pictures are moot)
        opts = {k: v for k, v in opts.items() if k != "left"}
    continuation = opts.get("left", "0") not in ("", "0")  # the rest of this snapshot's pictures (ui.cnn_plots)
    if not continuation and not _is_news(view, seq, status, queue):
        return 204, b""
    key = (job_id, view.snapshot_seq, id(view.snapshot), view.status, view.queue_position, view.error, kind,
           tuple(sorted(opts.items())), _wait_s(view))
    with _ANSWERS_LOCK:
        cached = _ANSWERS.get(key)
    if cached is not None:
        return cached
    answer = 200, _answer(view, kind, opts)
    with _ANSWERS_LOCK:
        _ANSWERS[key] = answer
        while len(_ANSWERS) > ANSWERS_KEPT:
            _ANSWERS.popitem(last=False)
    return answer


def _answer(view: Any, kind: str, opts: dict[str, str]) -> bytes:
    """The JSON body of a 200: the snapshot as trace patches, plus the status line's numbers."""
    from ui.live_parts import patches_json
    from ui.plots import SWEEP, encode
    from ui.status_line import status_text

    ready = patches_json(view, kind, opts)  # the worker's ready pictures and this browser's curves, if it can
    patcher = PATCHERS.get(kind) if ready is None else None
    patches = patcher(view.snapshot, opts) if (patcher and view.snapshot) else {}
    sweep = patches.pop(SWEEP, None)
    info = status_text(view.snapshot, view.status, view.queue_position, view.plan)
    info["wait_s"] = _wait_s(view)
    if view.error:
        info["reason"] = view.error
    msg = {"seq": view.snapshot_seq, "status": view.status, "info": encode(info), "patches": encode(patches)}
    if sweep is not None:
        msg["sweep"] = sweep
    body = json.dumps(msg, separators=(",", ":"), allow_nan=False).encode()
    return body if ready is None else body[:-len(b'"patches":{}}')] + b'"patches":' + ready + b"}"


async def held_payload(job_id: str, seq: int, status: str, kind: str, opts: dict[str, str],
                       hold_s: float = HOLD_S, queue: int | None = None) -> tuple[int, bytes]:
    """snapshot_payload, but a 204 is held back (without blocking the server) until there is news or hold_s.
    While held, the poll sleeps until the job manager says its job changed (ui.live_news), looking again only
    every RECHECK_S (every CHECK_S for a token that is not one job, or a manager that says nothing); an answer is
    built in the thread pool, unless the worker's ready pictures (ui.live_parts) leave only the curves to do."""
    from ui.live_news import NewsWait, listen_to
    from ui.live_parts import has_ready_pictures
    from ui.services import job_manager

    manager = job_manager()
    announced = listen_to(manager)
    loop = asyncio.get_running_loop()
    deadline = time.monotonic() + hold_s
    continuation = opts.get("left", "0") not in ("", "0")
    while True:
        with NewsWait(job_id) as news:  # registered before the look: news arriving after it still wakes us
            found = manager.find(job_id)
            one_job = found is not None
            found = found or find_view(manager, job_id)
            if found is None:
                return 404, NO_JOB
            left = deadline - time.monotonic()
            if not (continuation or _is_news(found[1], seq, status, queue) or left <= 0):
                await news.wait(min(left, RECHECK_S if announced and one_job else CHECK_S))
                continue
        if has_ready_pictures(found[1], kind, opts):
            return snapshot_payload(job_id, seq, status, kind, opts, queue)  # ready pictures: ~0.1 ms, < a thread hop
        return await loop.run_in_executor(_POOL, snapshot_payload, job_id, seq, status, kind, opts, queue)


def _wait_s(view: Any) -> int | None:
    """A queued job's expected wait in whole seconds (None: not queued, or unknown)."""
    wait = getattr(view, "expected_wait_s", None)
    return None if view.status != "queued" or wait is None else round(wait)


def page_state(query: Any) -> str | None:
    """What a poll or beacon says of its page ("visible", "hidden", "closed"); None if it says nothing known."""
    from nnlib.jobs.records import PAGE_STATES

    page = query.get("page")
    return page if page in PAGE_STATES else None


def note_page(job_id: str, page: str | None) -> bool:
    """Tell the job manager what the page watching `job_id` says of itself; False if there is no such job."""
    from ui.services import job_manager

    manager = job_manager()
    found = manager.find(job_id)
    if found is not None and page is not None:
        manager.touch(found[0], page=page)
    return found is not None


def _number(text: str | None) -> int | None:
    """A plain ASCII decimal ('²' and '٣' are digits to str.isdigit, not to us) or None."""
    return int(text) if text and len(text) <= 12 and text.isascii() and text.isdigit() else None


def poll_arguments(query: Any) -> tuple[int, str, str, dict[str, str], int | None, bool]:
    """(seq, status, kind, patcher options, queue position shown, hold) from a poll's query; unknown parameters
    are ignored and malformed numbers fall back to their defaults, so no query can make the route fail."""
    seq = _number(query.get("seq"))
    opts = {k: query[k][:20] for k in OPTION_KEYS if k in query}
    for k in NUMERIC_OPTIONS:
        if k in opts and _number(opts[k]) is None:
            opts[k] = "0"
    opts.setdefault("have", "0")
    return (-1 if seq is None else seq, query.get("status", "")[:12], query.get("kind", "playground")[:KIND_MAX], opts,
            _number(query.get("queue")), query.get("hold", "1") == "1")


def admit(job_id: str, address: str) -> float | None:
    """None if this poll may go on, else the seconds the client should wait (per address, per token, held)."""
    if not ADDRESS_LIMIT.allow(address):
        return ADDRESS_LIMIT.retry_after(address)
    if not TOKEN_LIMIT.allow(job_id):
        return TOKEN_LIMIT.retry_after(job_id)
    if _HELD.get(job_id, 0) >= HELD_PER_TOKEN:
        return CHECK_S * 10
    return None


def routes() -> list[Any]:
    """Starlette routes mounted by app.py's st.App."""
    from starlette.requests import Request
    from starlette.responses import FileResponse, Response

    async def refused(request: Request) -> Response | None:
        """A 429 (after REFUSED_HOLD_S) if this request is over a limit, else None."""
        wait = admit(request.path_params["job_id"][:64], request.client.host if request.client else "")
        if wait is None:
            return None
        if _REFUSED_HELD[0] < REFUSED_HELD_MAX:  # slow the asker down: each refusal costs it a second
            _REFUSED_HELD[0] += 1
            try:
                await asyncio.sleep(REFUSED_HOLD_S)
            finally:
                _REFUSED_HELD[0] -= 1
        return Response(b'{"error": "too many requests"}', status_code=429, media_type="application/json",
                        headers={"Retry-After": str(max(1, round(wait))), "Cache-Control": "no-store"})

    async def snap(request: Request) -> Response:
        LIVE_REQUESTS.hit()  # /nnlive/metrics reports polls per second
        job_id = request.path_params["job_id"][:64]
        too_many = await refused(request)
        if too_many is not None:
            return too_many
        page = page_state(request.query_params)
        if page is not None:
            note_page(job_id, page)
        seq, status, kind, opts, queue, hold = poll_arguments(request.query_params)
        _HELD[job_id] = _HELD.get(job_id, 0) + 1
        try:
            code, body = await held_payload(job_id, seq, status, kind, opts, HOLD_S if hold else 0.0, queue)
        finally:
            _HELD[job_id] -= 1
            if not _HELD[job_id]:
                del _HELD[job_id]
        return Response(body, status_code=code, media_type="application/json",
                        headers={"Cache-Control": "no-store"})

    async def plotly_js(request: Request) -> Response:
        return FileResponse(plotly_path(), media_type="text/javascript",
                            headers={"Cache-Control": "public, max-age=604800, immutable"})

    async def page(request: Request) -> Response:  # the closing page's beacon (navigator.sendBeacon: a POST)
        too_many = await refused(request)
        if too_many is not None:
            return too_many
        known = note_page(request.path_params["job_id"][:64], page_state(request.query_params))
        return Response(b"" if known else NO_JOB, status_code=204 if known else 404, media_type="application/json")

    from starlette.routing import Route

    from ui.health_route import routes as health_routes
    from ui.metrics_route import routes as metrics_routes

    # `:path` (any rest of the path, slashes too): a token with a trailing slash is a 404 here, not Starlette's
    # slash redirect, which fails (500) on a query string that is not UTF-8
    return [Route(f"{PREFIX}/snap/{{job_id:path}}", snap),
            Route(f"{PREFIX}/page/{{job_id:path}}", page, methods=["POST"]),
            Route(f"{PREFIX}/plotly-{plotly_version()}.min.js", plotly_js),
            *health_routes(), *metrics_routes()]


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
            "status": status, "opts": opts or {}, "poll": POLL_MS, "queuedPoll": QUEUED_POLL_MS}
    return _component(key=key, data=data, on_done_change=on_done or (lambda: None))
