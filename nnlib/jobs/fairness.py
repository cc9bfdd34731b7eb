"""Round-robin queue across client addresses, then people, so one person's many tabs (or scripted sessions, or a
client that invents a new browser cookie for each) cannot starve the others; and the expected wait of a queued job.

A plain FIFO across jobs let one browser with six tabs take six workers while a classmate waited; here each person
has their own FIFO, the people of one client address take turns among themselves, and the next free worker goes to
the address whose turn it is. A class on one LAN has one address per person (the same as people in turn); a class
behind one NAT is one address, whose people take turns; a forger's invented people share their address's turn.
"""

from __future__ import annotations

import copy
import heapq
from collections import deque


class FairQueue:
    """Queued job ids by client address and person; `pop` serves addresses in turn, each address's people in turn,
    each person's own jobs oldest first. A job with no address is its person's own group."""

    def __init__(self) -> None:
        self._lines: dict[str, dict[str, deque[str]]] = {}  # address -> person -> job ids, oldest first
        self._people: dict[str, deque[str]] = {}  # address -> its people with queued jobs, whose turn is first
        self._turns: deque[str] = deque()  # addresses with queued jobs, whose turn is first
        self._order: list[str] | None = None  # order()'s answer until the queue changes (pages ask it often)

    def __len__(self) -> int:
        return sum(len(line) for lines in self._lines.values() for line in lines.values())

    def __bool__(self) -> bool:
        return bool(self._turns)

    def push(self, person: str, job_id: str, address: str | None = None) -> None:
        """Append a job at the end of its person's line; a person (an address) new to the queue takes the last
        turn among their address's people (among the addresses)."""
        self._order = None
        group = address or "person:" + person
        if group not in self._lines:
            self._lines[group], self._people[group] = {}, deque()
            self._turns.append(group)
        if person not in self._lines[group]:
            self._lines[group][person] = deque()
            self._people[group].append(person)
        self._lines[group][person].append(job_id)

    def pop(self) -> str:
        """The next job to run: the oldest of the person whose turn it is at the address whose turn it is."""
        self._order = None
        group = self._turns.popleft()
        person = self._people[group].popleft()
        line = self._lines[group][person]
        job_id = line.popleft()
        if line:
            self._people[group].append(person)  # their next job waits for everyone else's turn
        else:
            del self._lines[group][person]
        if self._people[group]:
            self._turns.append(group)
        else:
            del self._lines[group], self._people[group]
        return job_id

    def remove(self, job_id: str) -> None:
        """Drop a queued job (stopped or forgotten before it started); unknown ids are ignored."""
        for group, lines in self._lines.items():
            for person, line in lines.items():
                if job_id in line:
                    self._order = None
                    line.remove(job_id)
                    if not line:
                        del lines[person]
                        self._people[group].remove(person)
                    if not lines:
                        del self._lines[group], self._people[group]
                        self._turns.remove(group)
                    return

    def clear(self) -> None:
        self._order = None
        self._lines.clear()
        self._people.clear()
        self._turns.clear()

    def order(self) -> list[str]:
        """Every queued job in the order `pop` would hand them out (for 1-based queue positions); read-only."""
        if self._order is None:
            rehearsal = copy.deepcopy(self)
            self._order = [rehearsal.pop() for _ in range(len(rehearsal))]
        return self._order

def time_left(expected_s: float | None, running_s: float, epoch: int = 0, epochs: int = 0) -> float | None:
    """Seconds a running job probably still needs: its estimated cost less its progress -- the share of epochs done
    when the snapshot says so (a run with a set length), else the time it has run so far. None if no estimate."""
    if expected_s is None:
        return None
    if epochs > 0 and 0 < epoch <= epochs:
        return expected_s * (1.0 - epoch / epochs)
    return max(0.0, expected_s - running_s)


def expected_wait(running_left: list[float | None], ahead: list[float | None], workers: int) -> float | None:
    """Seconds until a worker is free for the job behind `ahead` (the queued jobs served before it, in order): the
    pool's `workers` finish the running jobs (`running_left`: their time left) and then take the queue in order,
    each job going to the worker that frees first. None when any of those jobs' costs is unknown."""
    if any(t is None for t in (*running_left, *ahead)):
        return None
    free = sorted([float(t) for t in running_left] + [0.0] * max(0, workers - len(running_left)))[:max(1, workers)]
    heapq.heapify(free)
    for cost in ahead:
        heapq.heappush(free, heapq.heappop(free) + float(cost))  # type: ignore[arg-type]
    return free[0]


def progress_of(snapshot: dict | None) -> tuple[int, int]:
    """(epoch, epochs) of a run with a set length, from its latest snapshot; (0, 0) if unknown or open-ended."""
    snap = snapshot or {}
    if snap.get("until_paused"):
        return 0, 0
    try:
        return int(snap.get("epoch") or 0), int(snap.get("epochs") or 0)
    except (TypeError, ValueError):
        return 0, 0
