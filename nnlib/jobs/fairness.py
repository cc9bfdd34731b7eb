"""Round-robin queue across people, so one person's many tabs (or scripted sessions) cannot starve the others.

A plain FIFO across jobs let one browser with six tabs take six workers while a classmate waited; here each person
has their own FIFO and the next free worker goes to the person whose turn it is.
"""

from __future__ import annotations

import heapq
from collections import deque


class FairQueue:
    """Queued job ids grouped by person; `pop` serves people in turn, each person's own jobs oldest first."""

    def __init__(self) -> None:
        self._by_person: dict[str, deque[str]] = {}
        self._turns: deque[str] = deque()  # people with queued jobs, whose turn is first

    def __len__(self) -> int:
        return sum(len(q) for q in self._by_person.values())

    def __bool__(self) -> bool:
        return bool(self._turns)

    def push(self, person: str, job_id: str) -> None:
        """Append a job at the end of its person's line; a person new to the queue takes the last turn."""
        if person not in self._by_person:
            self._by_person[person] = deque()
            self._turns.append(person)
        self._by_person[person].append(job_id)

    def pop(self) -> str:
        """The next job to run: the oldest of the person whose turn it is (IndexError when empty)."""
        person = self._turns.popleft()
        line = self._by_person[person]
        job_id = line.popleft()
        if line:
            self._turns.append(person)  # their next job waits for everyone else's turn
        else:
            del self._by_person[person]
        return job_id

    def remove(self, job_id: str) -> None:
        """Drop a queued job (stopped or forgotten before it started); unknown ids are ignored."""
        for person, line in self._by_person.items():
            if job_id in line:
                line.remove(job_id)
                if not line:
                    del self._by_person[person]
                    self._turns.remove(person)
                return

    def clear(self) -> None:
        self._by_person.clear()
        self._turns.clear()

    def order(self) -> list[str]:
        """Every queued job in the order `pop` would hand them out (for 1-based queue positions)."""
        lines = [list(self._by_person[p]) for p in self._turns]
        out: list[str] = []
        depth = 0
        while True:
            row = [line[depth] for line in lines if depth < len(line)]
            if not row:
                return out
            out += row
            depth += 1


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
