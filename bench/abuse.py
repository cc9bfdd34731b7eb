"""One client flooding the live route must not slow anyone else (issue 9 item 4).

Run `python bench/abuse.py`. It serves the app's live routes (`ui.live.routes()`, the app's JobManager and patch
code) from a uvicorn server in a child process, as bench/live.py does, with a health route on the same event loop
(what /_stcore/health measures in the app: whether the loop answers at once). Two sessions each run their own job.
The flooder (client address 127.0.0.2) runs N parallel loops asking its own job's route as fast as it can, each ask
with a fresh junk parameter (which once defeated the answer cache) and no hold; the bystander (127.0.0.1) keeps
polling its own job like the browser component and asks the health route every 50 ms. Printed: the bystander's
health and live-poll latencies (p50 / p95) without and with the flood, and what the flooder got (answers, 429s).
Target: p95 < 100 ms for the bystander under the flood.

`python bench/abuse.py --class-size 40` adds the classroom: 40 people each submit a job (2 workers: 2 run, the rest
wait in the fair queue) and each has 2 tabs polling it like the browser component (bench.live.Poller: held polls,
the queued page's slower pace, Retry-After honoured), all from 127.0.0.1 as a class behind one NAT would be. Printed
per phase (the class alone, then with the flooder on): chart updates/s per tab (tabs of running and of queued jobs),
the polls refused (429) to the class, and the health / live-view latency of one running person (p50 / p95).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from bench.live import SERVER, Poller, first_epoch, free_port, kinds, post, wait_healthy  # noqa: E402


def ask(port: str, path: str, source: str) -> tuple[int, float]:
    """(HTTP status, seconds) of one GET from client address `source` on a fresh connection."""
    t0 = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", int(port), timeout=30, source_address=(source, 0))
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        resp.read()
        return resp.status, time.perf_counter() - t0
    finally:
        conn.close()


def percentiles(xs: list[float]) -> tuple[float, float]:
    """(p50, p95) in milliseconds."""
    if not xs:
        return float("nan"), float("nan")
    qs = statistics.quantiles(xs, n=20) if len(xs) > 1 else [xs[0]] * 19
    return 1000 * statistics.median(xs), 1000 * qs[18]


def bystander(port: str, job: str, query: str, until: float) -> dict[str, list[float]]:
    """Health every 50 ms and the own job's live poll (no hold: the answer's latency, not the job's pace)."""
    out: dict[str, list[float]] = {"health": [], "live": []}
    while time.time() < until:
        out["health"].append(ask(port, "/_stcore/health", "127.0.0.1")[1])
        out["live"].append(ask(port, f"/nnlive/snap/{job}?seq=-1&hold=0&{query}", "127.0.0.1")[1])
        time.sleep(0.05)
    return out


def flood(port: str, job: str, query: str, until: float, counts: dict[int, int], lock: threading.Lock) -> None:
    """One curl loop on the flooder's own token: a full answer asked for every time, never the same URL twice."""
    n = 0
    while time.time() < until:
        n += 1
        try:
            code, _ = ask(port, f"/nnlive/snap/{job}?seq=-1&hold=0&{query}&junk={threading.get_ident()}-{n}",
                          "127.0.0.2")
        except OSError:
            code = 0
        with lock:
            counts[code] = counts.get(code, 0) + 1


def start_flood(port: str, job: str, query: str, loops: int, seconds: float) -> tuple[list[threading.Thread],
                                                                                      dict[int, int]]:
    """`loops` flooding threads on `job` for `seconds`; (threads, answers counted by HTTP status)."""
    counts: dict[int, int] = {}
    lock = threading.Lock()
    until = time.time() + seconds
    threads = [threading.Thread(target=flood, args=(port, job, query, until, counts, lock), daemon=True)
               for _ in range(loops)]
    for t in threads:
        t.start()
    return threads, counts


def print_latencies(phases: list[tuple[str, dict[str, list[float]]]], who: str = "bystander") -> None:
    print(f"{who:>28} {'p50 ms':>8} {'p95 ms':>8} {'asks':>6}")
    for label, data in phases:
        for route in ("health", "live"):
            p50, p95 = percentiles(data[route])
            print(f"{label + ' ' + route:>28} {p50:>8.1f} {p95:>8.1f} {len(data[route]):>6}")


def run(loops: int, seconds: float) -> None:
    """One flooder and one bystander, each with their own running job."""
    with bench_server() as (port, base):
        body, query = kinds()["playground"]
        victim, abuser = post(f"{base}/bench/submit", body), post(f"{base}/bench/submit", body)
        for job in (victim, abuser):
            first_epoch(base, job["job"], query)
        quiet = bystander(port, victim["job"], query, time.time() + seconds)
        threads, counts = start_flood(port, abuser["job"], query, loops, seconds)
        time.sleep(0.5)  # the flood is on
        loud = bystander(port, victim["job"], query, time.time() + seconds - 0.5)
        for t in threads:
            t.join()
        for job in (victim, abuser):
            post(f"{base}/bench/stop", job)
        print(f"{loops} flooding loops for {seconds:.0f} s; load average {os.getloadavg()[0]:.1f}")
        print(f"flooder got: {', '.join(f'{k}: {v}' for k, v in sorted(counts.items()))} "
              f"({sum(counts.values()) / seconds:.0f} asks/s)")
        print_latencies([("quiet", quiet), ("under the flood", loud)])


def classroom(people: int, loops: int, seconds: float) -> None:
    """`people` people with 2 tabs each on their own job (2 workers), then the same with one client flooding."""
    with bench_server() as (port, base):
        body, query = kinds()["playground"]
        abuser = post(f"{base}/bench/submit", body)  # first in line: the flooder's job runs
        jobs = [post(f"{base}/bench/submit", body) for _ in range(people)]
        first_epoch(base, abuser["job"], query)
        first_epoch(base, jobs[0]["job"], query)  # jobs[0] runs on the other worker: the measured person
        print(f"{people} people x 2 tabs, {seconds:.0f} s per phase, 2 workers; all tabs from 127.0.0.1; "
              f"flooder: {loops} loops from 127.0.0.2")
        print(f"{'phase':>16} {'tab updates/s: running':>23} {'queued':>7} {'tabs':>5} {'429s':>5} {'load':>5}")
        latencies = []
        for phase in ("class alone", "class + flood"):
            flooding = phase.endswith("flood")
            threads, counts = start_flood(port, abuser["job"], query, loops, seconds) if flooding else ([], {})
            until = time.time() + seconds
            tabs = [Poller(base, j["job"], until, query) for j in jobs for _ in range(2)]
            for t in tabs:
                t.start()
            latencies.append((phase, bystander(port, jobs[0]["job"], query, until)))
            for t in tabs + threads:
                t.join()
            running = [t.updates / seconds for t in tabs if t.status in ("running", "paused")]
            waiting = [t.updates / seconds for t in tabs if t.status == "queued"]
            print(f"{phase:>16} {_mean(running):>23.1f} {_mean(waiting):>7.2f} {len(tabs):>5} "
                  f"{sum(t.refused for t in tabs):>5} {os.getloadavg()[0]:>5.1f}")
            if flooding:
                print(f"{'':>16} flooder got: {', '.join(f'{k}: {v}' for k, v in sorted(counts.items()))}")
        print_latencies(latencies, who="one running person")
        for job in (abuser, *jobs):
            post(f"{base}/bench/stop", job)


def _mean(xs: list[float]) -> float:
    return statistics.fmean(xs) if xs else float("nan")


@contextlib.contextmanager
def bench_server() -> Iterator[tuple[str, str]]:
    """The app's live routes and JobManager (2 workers) in a child process; yields (port, base URL)."""
    port = str(free_port())
    env = {**os.environ, "ROOT": ROOT, "PORT": port, "NNLIB_WORKERS": "2", "PYTHONPATH": ROOT}
    proc = subprocess.Popen([sys.executable, "-c", SERVER], env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base)
        yield port, base
    finally:
        proc.terminate()
        proc.wait(10)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--loops", type=int, default=50, help="parallel flooding loops (issue 9 used 50 curl loops)")
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--class-size", type=int, default=0,
                    help="also run the classroom: this many people with 2 tabs each (issue 9 used 40)")
    args = ap.parse_args()
    run(args.loops, args.seconds)
    if args.class_size:
        classroom(args.class_size, args.loops, args.seconds)


if __name__ == "__main__":
    main()
