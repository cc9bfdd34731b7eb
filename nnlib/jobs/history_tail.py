"""Live snapshots carry only the history a job appended since its previous snapshot; the manager merges them back.

A snapshot's history grows by one row per epoch: at 10,000 epochs the full history is ~1 MB pickled, and sending it
~10 times a second cost the worker 3.4 ms per update and the server more to unpickle it. The job's control
(nnlib.jobs.control.JobControl) replaces each history by its tails (`TailEncoder`) at the moment it sends; the
manager (nnlib.jobs.pool) merges them into the job's previous snapshot (`merge_tails`), so every reader -- pages,
the live route, run files, the class recorder -- sees the same full snapshot as when the whole history travelled.

Where histories are: a snapshot's top-level "history" (Playground and image runs) and each "runs" entry's "history"
(a Compare group). Both are dicts of per-epoch column lists that only grow, except that the LAST row may be
rewritten after its epoch ended (History.update_last: image runs add their test metrics), so each tail re-sends the
last row the manager already has. A column that shrank (or appeared) is sent whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Location = tuple[str, ...] | tuple[str, int]  # ("history",) or ("runs", i)


@dataclass(frozen=True)
class HistoryTail:
    """One history in transit: column k is the receiver's previous column up to `starts[k]`, then `tails[k]`.
    Columns are in the sender's order; a column the sender no longer has is absent (and dropped)."""

    starts: dict[str, int]
    tails: dict[str, list]

    def merged(self, previous: Any) -> dict[str, list]:
        """The full history, from the one the receiver held (None or not a dict: nothing held yet)."""
        old = previous if isinstance(previous, dict) else {}
        columns: dict[str, list] = {}
        for key, tail in self.tails.items():
            start = self.starts[key]
            prev = old.get(key)
            column = prev[:start] if start and isinstance(prev, list) else []
            if len(column) < start:  # only if a snapshot went missing: keep the epochs aligned with their rows
                column += [None] * (start - len(column))
            column.extend(tail)
            columns[key] = column
        return columns


def _is_columns(history: Any) -> bool:
    return isinstance(history, dict) and all(isinstance(v, list) for v in history.values())


class TailEncoder:
    """The sender's side, one per job: remembers how many rows of each column the receiver has (after a send that
    succeeded: `commit`), and turns a full snapshot into one that carries only what is new."""

    def __init__(self) -> None:
        self._sent: dict[Location, dict[str, int]] = {}

    def encode(self, snapshot: Any) -> tuple[Any, dict[Location, dict[str, int]]]:
        """(the snapshot to send, the column lengths the receiver will have once it arrives). The snapshot given
        is not modified, and the one returned shares no history list with it (the builder may hand over the
        trainer's live columns: they keep growing after this returns)."""
        if not isinstance(snapshot, dict):
            return snapshot, {}
        lengths: dict[Location, dict[str, int]] = {}
        out = dict(snapshot)
        if _is_columns(snapshot.get("history")):
            out["history"], lengths[("history",)] = self._tail(("history",), snapshot["history"])
        runs = snapshot.get("runs")
        if isinstance(runs, list):
            out["runs"] = []
            for i, run in enumerate(runs):
                if isinstance(run, dict) and _is_columns(run.get("history")):
                    run = dict(run)
                    run["history"], lengths[("runs", i)] = self._tail(("runs", i), run["history"])
                out["runs"].append(run)
        return out, lengths

    def commit(self, lengths: dict[Location, dict[str, int]]) -> None:
        """The encoded snapshot was delivered: later ones are tails from here."""
        self._sent = lengths

    def _tail(self, where: Location, history: dict[str, list]) -> tuple[HistoryTail, dict[str, int]]:
        sent = self._sent.get(where, {})
        starts: dict[str, int] = {}
        tails: dict[str, list] = {}
        for key, column in history.items():
            have = sent.get(key, 0)
            start = have - 1 if 0 < have <= len(column) else 0  # re-send the last row the receiver has
            starts[key], tails[key] = start, column[start:]
        return HistoryTail(starts, tails), {key: len(column) for key, column in history.items()}


def merge_tails(previous: Any, snapshot: Any) -> Any:
    """The full snapshot from the job's previous full one and the encoded one just received (which is modified in
    place: it is the receiver's own copy). A snapshot without tails is returned as it is."""
    if not isinstance(snapshot, dict):
        return snapshot
    prev = previous if isinstance(previous, dict) else {}
    if isinstance(snapshot.get("history"), HistoryTail):
        snapshot["history"] = snapshot["history"].merged(prev.get("history"))
    runs = snapshot.get("runs")
    if isinstance(runs, list):
        prev_runs = prev.get("runs") if isinstance(prev.get("runs"), list) else []
        for i, run in enumerate(runs):
            if isinstance(run, dict) and isinstance(run.get("history"), HistoryTail):
                old = prev_runs[i] if i < len(prev_runs) and isinstance(prev_runs[i], dict) else {}
                run["history"] = run["history"].merged(old.get("history"))
    return snapshot
