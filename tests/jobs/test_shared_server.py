"""What a class server owes its visitors beyond the first pass of issue 9: a queued job is told its expected wait
(item 6), forged cookies cannot multiply one client's jobs (item 2), and a background tab's job survives the
browser's timer throttling while a closed tab's job still stops within seconds (item 2)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from nnlib.jobs import JobLimitError, JobManager
from nnlib.jobs.fairness import expected_wait, time_left
from nnlib.jobs.records import CLOSED_STOP_S, Session
from tests.jobs.test_lifetimes import FakeClock
from tests.jobs.test_manager import J, ready, wait_for

pytestmark = pytest.mark.timeout(90)


# ---------------------------------------------------------------- item 6: the expected wait of a queued job
def test_time_left_uses_epochs_done_else_the_time_run() -> None:
    assert time_left(100.0, running_s=10.0, epoch=30, epochs=40) == pytest.approx(25.0)
    assert time_left(100.0, running_s=30.0) == pytest.approx(70.0)  # an open-ended run: the time it has run
    assert time_left(100.0, running_s=300.0) == 0.0  # over its estimate: due any moment
    assert time_left(None, running_s=1.0) is None


def test_expected_wait_runs_the_queue_on_the_pool_in_order() -> None:
    assert expected_wait([], [], workers=2) == 0.0  # an idle worker: no wait
    assert expected_wait([30.0], [], workers=2) == 0.0  # one of two workers is free
    assert expected_wait([30.0, 10.0], [], workers=2) == 10.0  # the first worker to free up
    # ahead of it: a 50 s job (takes the worker free at 10 s, until 60 s) and a 5 s one (the 30 s worker, to 35 s)
    assert expected_wait([30.0, 10.0], [50.0, 5.0], workers=2) == 35.0
    assert expected_wait([30.0], [20.0, 20.0, 20.0], workers=1) == 90.0
    assert expected_wait([30.0, None], [5.0], workers=2) is None  # a cost nobody knows: say nothing


@pytest.fixture
def one_worker() -> Iterator[JobManager]:
    m = JobManager(max_workers=1, preload_torch=False, max_jobs_per_session=5, max_jobs_per_person=5,
                   stop_grace=1.0)
    yield ready(m)
    m.shutdown()


def test_a_queued_job_is_told_its_wait_from_the_costs_and_progress_ahead(one_worker: JobManager) -> None:
    m = one_worker
    running = m.submit("s1", {"epochs": 20, "dt": 0.5, "total": 20}, J + "count", expected_s=100.0)
    wait_for(lambda: m.view("s1", running).snapshot, what="the running job's first epoch")
    first = m.submit("s2", {"epochs": 1}, J + "count", expected_s=40.0)
    second = m.submit("s3", {"epochs": 1}, J + "count", expected_s=7.0)
    view1, view2 = m.view("s2", first), m.view("s3", second)
    assert (view1.queue_position, view2.queue_position) == (1, 2)
    # the running job has done 1 or 2 of its 20 epochs: 90-95 s left; the second waits for the first's 40 s too
    assert 85.0 <= view1.expected_wait_s <= 95.0
    assert view2.expected_wait_s == pytest.approx(view1.expected_wait_s + 40.0)
    unknown = m.submit("s4", {"epochs": 1}, J + "count")  # no estimate for it: those behind it are not told
    behind = m.submit("s5", {"epochs": 1}, J + "count", expected_s=1.0)
    assert m.view("s4", unknown).expected_wait_s is not None and m.view("s5", behind).expected_wait_s is None
    assert m.view("s1", running).expected_wait_s is None  # only queued jobs wait


# ---------------------------------------------------------------- item 2: forged cookies, one address
def test_new_cookies_per_session_cannot_pass_the_address_ceiling() -> None:
    m = JobManager(max_workers=1, preload_torch=False, max_jobs_per_address=3)
    try:
        for i in range(3):  # three "people" (a fresh forged cookie each), one client address
            m.submit(f"forged-{i}", {"epochs": 1}, J + "count", person=f"browser:{i}", address="10.0.0.66")
        with pytest.raises(JobLimitError, match="address"):
            m.submit("forged-3", {"epochs": 1}, J + "count", person="browser:3", address="10.0.0.66")
        m.submit("neighbour", {"epochs": 1}, J + "count", person="browser:n", address="10.0.0.67")  # not affected
    finally:
        m.shutdown()


# ---------------------------------------------------------------- item 2: background tabs and closed tabs
def test_the_idle_rule_per_page_state() -> None:
    s = Session(last_seen=0.0)
    assert not s.silent_too_long(29.0, idle_stop=30.0, hidden_stop=180.0)
    assert s.silent_too_long(31.0, idle_stop=30.0, hidden_stop=180.0)
    s.page = "hidden"  # Chrome wakes a hidden tab's timers once a minute: a 61 s gap is a page still open
    assert not s.silent_too_long(61.0, idle_stop=30.0, hidden_stop=180.0)
    assert s.silent_too_long(181.0, idle_stop=30.0, hidden_stop=180.0)
    s.page = "closed"
    assert s.silent_too_long(CLOSED_STOP_S + 0.1, idle_stop=30.0, hidden_stop=180.0)


@pytest.fixture
def clocked() -> Iterator[tuple[JobManager, FakeClock]]:
    clock = FakeClock()
    m = JobManager(max_workers=2, preload_torch=False, stop_grace=1.0, idle_stop=30.0, hidden_stop=180.0,
                   result_ttl=600.0, session_timeout=900.0, clock=clock)
    yield ready(m), clock
    m.shutdown()


def test_a_background_tab_keeps_its_job_and_a_closed_tab_loses_it_within_seconds(clocked) -> None:
    m, clock = clocked
    hidden = m.submit("hidden-tab", {"dt": 0.01}, J + "count")
    closed = m.submit("closed-tab", {"dt": 0.01}, J + "count")
    for sid, job in (("hidden-tab", hidden), ("closed-tab", closed)):
        wait_for(lambda sid=sid, job=job: m.view(sid, job).status == "running", what="running")
    m.touch("hidden-tab", page="hidden")
    for _ in range(4):  # a throttled background tab polls once a minute, for four minutes; the other tab is open
        clock.now += 60.0
        m.touch("closed-tab", page="visible")  # a visible tab polls all the time
        m.sweep()  # the janitor's pass just before the hidden tab's next poll: 60 s of silence
        m.touch("hidden-tab", page="hidden")
    assert m.find(hidden)[1].status == "running" and m.find(closed)[1].status == "running"
    m.touch("closed-tab", page="closed")  # its pagehide beacon
    m.touch("closed-tab")  # a poll held since before the beacon ends after it: the page is still closed
    clock.now += CLOSED_STOP_S + 0.5
    m.sweep()
    wait_for(lambda: m.find(closed)[1].status == "stopped", what="the closed tab's job stopped")
    assert m.find(closed)[1].error == "stopped because its page was closed" and m.find(hidden)[1].status == "running"
    clock.now += 181.0  # the hidden tab went silent for good (frozen or gone without a beacon)
    m.sweep()
    wait_for(lambda: m.find(hidden)[1].status == "stopped", what="the silent hidden tab's job stopped")


def test_a_runs_expected_seconds_count_its_pace_and_the_training_clock() -> None:
    """What a queued job's wait adds up: an unpaced run's CPU estimate; a paced Playground run's epochs / pace; an
    open-ended one at most the training clock that ends it."""
    from nnlib.config import MAX_LIVE_MINUTES, SPEEDS, RunConfig
    from nnlib.validation import estimate_cost
    from ui.session import expected_seconds

    def seconds(**train: object) -> float:
        cfg = RunConfig().replace(train={"until_paused": False, **train})
        return expected_seconds(cfg, estimate_cost(cfg))

    fast = RunConfig().replace(train={"until_paused": False, "epochs": 300, "speed": "fast"})
    assert seconds(epochs=300, speed="fast") == pytest.approx(estimate_cost(fast).cpu_seconds)
    assert seconds(epochs=300, speed="normal") == pytest.approx(300 / SPEEDS["normal"])
    assert seconds(epochs=300, speed="slow") == pytest.approx(300 / SPEEDS["slow"])
    assert seconds(until_paused=True, speed="normal") == 60.0 * MAX_LIVE_MINUTES
