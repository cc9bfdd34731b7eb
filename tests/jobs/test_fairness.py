"""Quotas per person and a round-robin queue across people (issue 9, item 2), in-process and with real workers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from nnlib.jobs import JobLimitError, JobManager
from nnlib.jobs.fairness import FairQueue
from tests.jobs.test_manager import J, ready, wait_for

pytestmark = pytest.mark.timeout(60)


def test_fair_queue_serves_people_in_turn() -> None:
    q = FairQueue()
    for job in ("a1", "a2", "a3"):
        q.push("alice", job)
    q.push("bob", "b1")
    q.push("carol", "c1")
    q.push("bob", "b2")
    assert q.order() == ["a1", "b1", "c1", "a2", "b2", "a3"]
    q.remove("c1")
    assert len(q) == 5 and q.order() == ["a1", "b1", "a2", "b2", "a3"]
    popped = [q.pop() for _ in range(len(q))]
    assert popped == ["a1", "b1", "a2", "b2", "a3"] and not q
    q.push("dave", "d1")
    q.remove("d1")
    q.remove("unknown")


def test_people_invented_at_one_address_share_its_turn() -> None:
    """A client sending a new cookie per session is a new "person" each time, but all at one address: addresses take
    turns first, so its four jobs get one turn per round, like each classmate's (people of one address -- a class
    behind a NAT -- take turns among themselves)."""
    q = FairQueue()
    for i in range(4):
        q.push(f"browser:forged-{i}", f"f{i}", address="10.0.0.66")
    q.push("browser:alice", "a1", address="10.0.0.1")
    q.push("browser:alice", "a2", address="10.0.0.1")
    q.push("browser:bob", "b1", address="10.0.0.2")
    q.push("browser:carol", "c1", address="10.0.0.2")  # bob and carol share a NAT: they take turns
    q.push("session:x", "x1")  # no address known: its own group
    assert q.order() == ["f0", "a1", "b1", "x1", "f1", "a2", "c1", "f2", "f3"]
    q.remove("a2")
    q.remove("f0")
    expected = ["f1", "a1", "b1", "x1", "f2", "c1", "f3"]  # a removed job does not cost its address its turn
    assert q.order() == expected
    assert [q.pop() for _ in range(len(q))] == expected and not q
    assert not q and q.order() == []


def test_a_person_returning_after_the_others_waits_their_turn() -> None:
    q = FairQueue()
    q.push("alice", "a1")
    q.push("alice", "a2")
    q.push("bob", "b1")
    assert q.pop() == "a1"
    q.push("carol", "c1")  # carol arrives after alice's first job started: bob, then alice, then carol
    assert q.order() == ["b1", "a2", "c1"]


@pytest.fixture
def one_worker() -> Iterator[JobManager]:
    m = JobManager(max_workers=1, preload_torch=False, max_jobs_per_session=3, max_jobs_per_person=3,
                   stop_grace=1.0)
    yield ready(m)
    m.shutdown()


def test_quota_counts_a_person_across_tabs(one_worker: JobManager) -> None:
    m = one_worker
    for tab in ("tab1", "tab2", "tab3"):
        m.submit(tab, {}, J + "count", person="browser-A")
    with pytest.raises(JobLimitError, match="per person"):
        m.submit("tab4", {}, J + "count", person="browser-A")
    m.submit("tab5", {"epochs": 1}, J + "count", person="browser-B")  # someone else is not affected


def test_queue_is_round_robin_across_people_not_fifo(one_worker: JobManager) -> None:
    m = one_worker
    blocker = m.submit("x", {}, J + "count", person="teacher")
    wait_for(lambda: m.stats()["busy"] == 1, what="the worker busy")
    a = [m.submit(f"a{i}", {"epochs": 1}, J + "whoami", person="many-tabs") for i in range(3)]
    b = m.submit("b", {"epochs": 1}, J + "whoami", person="classmate")
    positions = [m.view(f"a{i}", j).queue_position for i, j in enumerate(a)]
    assert positions == [1, 3, 4] and m.view("b", b).queue_position == 2
    m.command("x", blocker, "stop")
    wait_for(lambda: all(m.view(s, j).status == "finished" for s, j in [("b", b)] + list(zip(("a0", "a1", "a2"), a))),
             what="all queued jobs")
    started = sorted([("b", b), *zip(("a0", "a1", "a2"), a)], key=lambda sj: m.view(*sj).started_at)
    assert [s for s, _ in started] == ["a0", "b", "a1", "a2"]
