"""The live route's logic in-process, without a server or a browser: unknown tokens, "nothing new", the
continuation of a snapshot's pictures, the held (long) poll, and real Playground patches of a real snapshot."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace

import pytest

from nnlib.jobs.manager import JobView
from tests.async_run import run_async
from ui import live
from ui.plots import SWEEP


class FakeManager:
    """find/touch like JobManager, over views the test sets."""

    def __init__(self) -> None:
        self.views: dict[str, JobView] = {}
        self.touched: list[str] = []

    def find(self, job_id: str) -> tuple[str, JobView] | None:
        view = self.views.get(job_id)
        return None if view is None else ("session-a", view)

    def touch(self, session: str) -> None:
        self.touched.append(session)


def _view(seq: int = 3, status: str = "running", snapshot: dict | None = None) -> JobView:
    snap = snapshot if snapshot is not None else {"epoch": 7, "epochs": 100, "history": {"train_loss": [0.5]}}
    return JobView("tok", status, None, snap, seq, None, None, 0.0, 0.0, None)


@pytest.fixture
def manager(monkeypatch: pytest.MonkeyPatch) -> FakeManager:
    fake = FakeManager()
    monkeypatch.setattr("ui.services.job_manager", lambda: fake)
    calls: list[dict] = []

    def patcher(snap: dict, opts: dict[str, str]) -> dict:
        calls.append(dict(opts))
        left = int(opts.get("left", "0") or 0)
        return {"loss": {0: {"y": [snap["epoch"]]}}, SWEEP: {"next": 1, "left": max(0, left - 1)}}

    live.register_patcher("fake", patcher)
    fake.calls = calls  # type: ignore[attr-defined]
    yield fake
    live.PATCHERS.pop("fake", None)


def test_unknown_token_is_404_and_touches_no_session(manager: FakeManager) -> None:
    code, body = live.snapshot_payload("nope", -1, "", "fake", {})
    assert (code, json.loads(body)) == (404, {"error": "no such job"}) and manager.touched == []


def test_news_is_200_then_nothing_new_is_204(manager: FakeManager) -> None:
    manager.views["tok"] = _view()
    code, body = live.snapshot_payload("tok", -1, "", "fake", {})
    msg = json.loads(body)
    assert code == 200 and (msg["seq"], msg["status"], msg["info"]["epoch"]) == (3, "running", 7)
    assert msg["sweep"] == {"next": 1, "left": 0} and SWEEP not in msg["patches"]
    assert live.snapshot_payload("tok", 3, "running", "fake", {}) == (204, b"")
    manager.views["tok"] = _view(status="paused")  # same snapshot, new status: news
    assert live.snapshot_payload("tok", 3, "running", "fake", {})[0] == 200
    assert manager.touched == ["session-a"] * 3  # every poll keeps its session alive


def test_continuation_sends_the_rest_of_a_snapshots_pictures(manager: FakeManager) -> None:
    manager.views["tok"] = _view()
    code, body = live.snapshot_payload("tok", 3, "running", "fake", {"left": "2", "turn": "1"})
    assert code == 200 and json.loads(body)["sweep"] == {"next": 1, "left": 1}
    assert manager.calls[-1]["left"] == "2"  # type: ignore[attr-defined]
    manager.views["tok"] = _view(seq=4)  # a newer snapshot: the old one's pictures are moot, a full update
    assert live.snapshot_payload("tok", 3, "running", "fake", {"left": "2"})[0] == 200
    assert "left" not in manager.calls[-1]  # type: ignore[attr-defined]


def test_final_states_say_so_and_carry_the_reason(manager: FakeManager) -> None:
    manager.views["tok"] = replace(_view(status="failed"), error="ValueError: boom")
    info = json.loads(live.snapshot_payload("tok", 3, "running", "fake", {})[1])["info"]
    assert info["status"] == "failed" and info["reason"] == "ValueError: boom" and info["until_paused"] is False
    manager.views["tok"] = _view(snapshot={"epoch": 9, "epochs": 50_000, "until_paused": True, "history": {}})
    info = json.loads(live.snapshot_payload("tok", -1, "", "fake", {})[1])["info"]
    assert info["until_paused"] is True and info["epoch"] == 9


def test_a_held_poll_answers_as_soon_as_there_is_news(manager: FakeManager) -> None:
    manager.views["tok"] = _view()

    async def scenario() -> tuple[tuple[int, bytes], tuple[int, bytes]]:
        quiet = await live.held_payload("tok", 3, "running", "fake", {}, hold_s=0.1)
        waiting = asyncio.create_task(live.held_payload("tok", 3, "running", "fake", {}, hold_s=60))
        await asyncio.sleep(0.05)
        manager.views["tok"] = _view(seq=4)  # the job publishes: the held poll returns it (not after 60 s)
        return quiet, await asyncio.wait_for(waiting, 30)

    quiet, news = run_async(scenario())
    assert quiet == (204, b"") and news[0] == 200 and json.loads(news[1])["seq"] == 4


def test_a_held_poll_sleeps_until_the_manager_says_its_job_has_news(manager: FakeManager,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Not a look at the job every CHECK_S (2000 look-ups/s for a class of 40): one look, then a wait that the job
    manager's news (nnlib.jobs.news, announced from its drain thread) ends."""
    import threading

    from nnlib.jobs.news import JobNews

    monkeypatch.setattr(live, "RECHECK_S", 60.0, raising=False)  # only the news can wake it here
    manager.news = JobNews()  # type: ignore[attr-defined]
    looks: list[str] = []
    find = manager.find
    monkeypatch.setattr(manager, "find", lambda job_id: (looks.append(job_id), find(job_id))[1])
    manager.views["tok"] = _view()

    def publish() -> None:  # what the drain thread does when a snapshot arrives
        manager.views["tok"] = _view(seq=4)
        manager.news.note("tok")  # type: ignore[attr-defined]
        manager.news.announce()  # type: ignore[attr-defined]

    async def scenario() -> tuple[int, tuple[int, bytes]]:
        waiting = asyncio.create_task(live.held_payload("tok", 3, "running", "fake", {}, hold_s=60))
        await asyncio.sleep(0.3)  # nothing new meanwhile
        quiet_looks = len(looks)
        threading.Thread(target=publish).start()
        return quiet_looks, await asyncio.wait_for(waiting, 30)

    quiet_looks, news = run_async(scenario())
    assert quiet_looks == 1 and news[0] == 200 and json.loads(news[1])["seq"] == 4


def test_real_playground_patches_of_a_real_snapshot(manager: FakeManager) -> None:
    from nnlib.config import RunConfig
    from nnlib.inspect.snapshot import playground_snapshot
    from nnlib.train.trainer import Trainer

    trainer = Trainer(RunConfig().replace(train={"epochs": 6}))
    trainer.run()
    manager.views["tok"] = _view(snapshot=playground_snapshot(trainer, True), status="finished")
    full = json.loads(live.snapshot_payload("tok", -1, "", "playground", {"have": "0"})[1])
    tail = json.loads(live.snapshot_payload("tok", -1, "", "playground", {"have": "4"})[1])
    assert set(full["patches"]) == {"boundary", "network", "loss", "metric", "penalty"}
    assert full["info"]["epoch"] == 6 and full["status"] == "finished"
    x_full, x_tail = full["patches"]["loss"]["0"]["x"], tail["patches"]["loss"]["0"]["x"]
    assert len(str(x_tail)) < len(str(x_full))  # only the epochs the browser does not have yet


# ---------------------------------------------------------------- a shared server: limits, queue, junk, off the loop
class SteppedClock:
    """A clock the test moves by hand: the rate limiter is checked without sleeping or timing anything."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_rate_limiter_allows_a_burst_then_the_rate_per_key() -> None:
    clock = SteppedClock()
    limit = live.RateLimiter(rate=8, burst=5, clock=clock)
    assert [limit.allow("a") for _ in range(6)] == [True] * 5 + [False]
    assert limit.allow("b")  # another key has its own bucket
    assert limit.retry_after("a") == pytest.approx(0.125)
    clock.now += 0.125  # one token back (a step exact in binary)
    assert limit.allow("a") and not limit.allow("a")
    clock.now += 100  # refilled, but never past the burst
    assert sum(limit.allow("a") for _ in range(10)) == 5


def test_rate_limiter_forgets_idle_keys_first_and_stays_bounded() -> None:
    clock = SteppedClock()
    limit = live.RateLimiter(rate=1, burst=3, clock=clock, max_keys=10)
    for _ in range(3):
        limit.allow("flooder")
    for i in range(30):
        clock.now += 0.01
        limit.allow(f"idle-{i}")
    assert len(limit._buckets) <= 10
    assert not limit.allow("flooder")  # its empty bucket was kept: forgetting it would have refilled it


def test_a_queued_job_says_its_position_at_the_first_poll_and_when_it_moves(manager: FakeManager) -> None:
    manager.views["tok"] = replace(_view(seq=0, status="queued", snapshot={}), queue_position=3)
    code, body = live.snapshot_payload("tok", 0, "queued", "fake", {})  # the page knows "queued", not where
    assert code == 200 and json.loads(body)["info"]["queue"] == 3
    assert live.snapshot_payload("tok", 0, "queued", "fake", {}, queue=3) == (204, b"")
    manager.views["tok"] = replace(manager.views["tok"], queue_position=2)
    assert json.loads(live.snapshot_payload("tok", 0, "queued", "fake", {}, queue=3)[1])["info"]["queue"] == 2


def test_unknown_parameters_are_ignored_and_odd_numbers_fall_back() -> None:
    seq, status, kind, opts, queue, hold = live.poll_arguments({
        "seq": "²", "status": "running", "kind": "playground", "have": "٣", "turn": "-1", "left": "7",
        "utm_source": "mail", "disc": "1", "queue": "4", "hold": "0"})
    assert (seq, status, kind, queue, hold) == (-1, "running", "playground", 4, False)
    assert opts == {"have": "0", "turn": "0", "left": "7", "disc": "1"}  # no junk key: it cannot defeat the cache


def _request(job: str, query: str, client: str = "10.0.0.1") -> object:
    from starlette.requests import Request

    scope = {"type": "http", "method": "GET", "path": f"{live.PREFIX}/snap/{job}", "query_string": query.encode(),
             "headers": [], "client": (client, 5000), "path_params": {"job_id": job}}
    return Request(scope)


def test_the_route_limits_one_token_and_one_address(manager: FakeManager, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = SteppedClock()
    monkeypatch.setattr(live, "TOKEN_LIMIT", live.RateLimiter(5, 5, clock))
    monkeypatch.setattr(live, "ADDRESS_LIMIT", live.RateLimiter(8, 8, clock))
    monkeypatch.setattr(live, "REFUSED_HOLD_S", 0.0)  # a refusal is held a second in the app; not here
    manager.views["tok"] = _view()
    manager.views["tok2"] = _view()
    snap = live.routes()[0].endpoint

    async def codes(job: str, n: int, client: str = "10.0.0.1") -> list[int]:
        return [(await snap(_request(job, "seq=3&status=running&kind=fake&hold=0", client))).status_code
                for _ in range(n)]

    assert run_async(codes("tok", 6)) == [204] * 5 + [429]  # the token's burst, then "too many"
    # the address's burst (8) is spent by all six asks, refused ones included: two left for its other token
    assert run_async(codes("tok2", 4)) == [204] * 2 + [429] * 2
    assert run_async(codes("tok2", 1, client="10.0.0.2")) == [204]  # another address is not affected
    answer = run_async(snap(_request("tok", "seq=3&hold=0")))
    assert answer.status_code == 429 and int(answer.headers["Retry-After"]) >= 1


def test_a_token_may_hold_only_a_few_polls_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(live, "_HELD", {"tok": live.HELD_PER_TOKEN})
    assert live.admit("tok", "10.0.0.9") is not None
    assert live.admit("other", "10.0.0.9") is None


def test_answers_are_built_off_the_event_loop(manager: FakeManager) -> None:
    import threading

    seen: list[str] = []

    def patcher(snap: dict, opts: dict[str, str]) -> dict:
        seen.append(threading.current_thread().name)
        return {}

    live.register_patcher("threads", patcher)
    manager.views["tok"] = _view(seq=9)
    try:
        code, _ = run_async(live.held_payload("tok", 3, "running", "threads", {}, hold_s=1))
    finally:
        live.PATCHERS.pop("threads", None)
    assert code == 200 and seen and seen[0] != threading.main_thread().name


def test_a_class_behind_one_address_is_served_at_ten_updates_a_second(monkeypatch: pytest.MonkeyPatch) -> None:
    """A school NAT: 40 students' pages, one address, each polling 10 times a second (its job's snapshot rate) for
    a minute. The default limit let 200 polls/s through, so the class lost about a third of its updates to 429s."""
    clock = SteppedClock()
    monkeypatch.setattr(live, "ADDRESS_LIMIT", live.address_limiter(clock))
    monkeypatch.setattr(live, "TOKEN_LIMIT", live.RateLimiter(live.TOKEN_RATE, live.TOKEN_BURST, clock))
    students = [f"job{i}" for i in range(live.CLASS_AT_ONE_ADDRESS)]
    refused = 0
    for _ in range(600):  # 60 s in steps of 0.1 s
        clock.now += 0.1
        refused += sum(live.admit(job, "203.0.113.7") is not None for job in students)
    assert refused == 0
    # and one address flooding with one token is still refused after the token's burst
    assert any(live.admit("job0", "203.0.113.7") is not None for _ in range(int(live.TOKEN_BURST) + 1))


def test_the_server_parses_http_and_runs_its_loop_in_c() -> None:
    """uvicorn picks httptools and uvloop when they are installed (requirements.txt pins them): with pure-Python
    h11 and asyncio's loop a live poll cost the server ~40% more (bench/live.py)."""
    from uvicorn.loops.auto import auto_loop_factory
    from uvicorn.protocols.http.auto import AutoHTTPProtocol

    assert AutoHTTPProtocol.__name__ == "HttpToolsProtocol"
    assert auto_loop_factory(use_subprocess=False).__module__ == "uvloop"
