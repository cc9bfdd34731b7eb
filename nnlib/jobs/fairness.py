"""Round-robin queue across people, so one person's many tabs (or scripted sessions) cannot starve the others.

A plain FIFO across jobs let one browser with six tabs take six workers while a classmate waited; here each person
has their own FIFO and the next free worker goes to the person whose turn it is.
"""

from __future__ import annotations

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
