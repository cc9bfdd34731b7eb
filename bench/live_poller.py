"""One simulated browser of the live view (bench/live.py, bench/classroom.py, bench/abuse.py): polls its job's
route as ui/live.js does and counts what it got, and when."""

from __future__ import annotations

import http.client
import json
import threading
import time
import urllib.parse


class Poller(threading.Thread):
    """One simulated browser: polls its job's route like live.js (held poll, next one at once, at most every
    POLL_MS; a queued job's page every QUEUED_POLL_MS, saying which position it shows; after a 429 it waits
    what Retry-After says), keeping its own seq/status/have. Like a browser it keeps its connection open between
    polls (HTTP/1.1 keep-alive): a new TCP connection per poll made the server accept and close ~400 a second for
    a class of 40, which no browser makes it do."""

    def __init__(self, base: str, job: str, until: float, extra: str) -> None:
        from ui.live import POLL_MS, QUEUED_POLL_MS

        super().__init__(daemon=True)
        self.base, self.job, self.period, self.until, self.extra = base, job, POLL_MS / 1000, until, extra
        self.queued_period = QUEUED_POLL_MS / 1000
        self.seq, self.status, self.have, self.next, self.left, self.queue = -1, "", 0, 0, 0, 0
        self.requests = self.updates = self.bytes = self.largest = self.refused = 0
        self.epochs_seen: set[int] = set()
        self.training_times: list[float] = []  # when each update that showed the job running (epoch > 0) came
        self.training_seqs: list[int] = []  # and its snapshot number (the job's snapshots the manager received)

    def run(self) -> None:
        address = urllib.parse.urlsplit(self.base)
        conn: http.client.HTTPConnection | None = None
        while time.time() < self.until:
            t0 = time.time()
            q = (f"seq={self.seq}&status={self.status}&have={self.have}&turn={self.next}&left={self.left}"
                 f"&{self.extra}" + (f"&queue={self.queue}" if self.queue else ""))
            wait = 0.0
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
                conn.request("GET", f"/nnlive/snap/{self.job}?{q}")
                r = conn.getresponse()
                body = r.read()
                self.requests += 1
                if r.status == 200:
                    self._take(body)
                elif r.status >= 400:  # 429: too many polls; wait as told
                    self.refused += r.status == 429
                    wait = float(r.getheader("Retry-After") or 1)
            except (OSError, http.client.HTTPException):  # refused or timed out: no update, like a failed fetch
                if conn is not None:
                    conn.close()
                conn = None
            period = self.queued_period if self.status == "queued" else self.period
            time.sleep(max(0.0, max(wait, period) - (time.time() - t0)))
        if conn is not None:
            conn.close()

    def _take(self, body: bytes) -> None:
        msg = json.loads(body)
        self.updates += 1
        self.bytes += len(body)
        self.largest = max(self.largest, len(body))
        self.seq, self.status = msg["seq"], msg["status"]
        self.queue = (msg["info"].get("queue") or 0) if self.status == "queued" else 0
        sweep = msg.get("sweep") or {"next": 0, "left": 0}  # the CNN page's pictures go round
        self.next, self.left = sweep["next"], sweep["left"]
        self.epochs_seen.add(int(msg["info"]["epoch"]))
        if self.status == "running" and int(msg["info"]["epoch"]) > 0:
            self.training_times.append(time.time())
            self.training_seqs.append(int(self.seq))
        if msg["patches"].get("loss"):
            self.have = int(msg["info"]["epoch"])

    def training_rate(self) -> float | None:
        """Updates/s while the job trained (between its first and last running update seen): what a student
        sees of a run, whatever part of the measuring window it took. None with fewer than two such updates."""
        t = self.training_times
        return (len(t) - 1) / (t[-1] - t[0]) if len(t) > 1 and t[-1] > t[0] else None

    def snapshot_rate(self) -> float | None:
        """Snapshots/s the job's worker sent meanwhile (whether or not this poller saw each): above
        training_rate, the route or the client is the limit; equal, the worker is."""
        t, q = self.training_times, self.training_seqs
        return (q[-1] - q[0]) / (t[-1] - t[0]) if len(t) > 1 and t[-1] > t[0] else None
