"""Cost of the live view: server CPU and bytes per refresh with 1, 10 and 40 polling sessions, time from Train to
the first plotted point, refreshes/s seen by a real browser, and how much publishing slows training.

Run `python bench/live.py`. The polling part serves the very routes the app mounts (`ui.live.routes()`, same
JobManager, same patch code) from a uvicorn server in a child process, measures that process's CPU time from
/proc, and drives it with HTTP clients on 127.0.0.1 that poll at 2 Hz like the browser component does.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
TICK = os.sysconf("SC_CLK_TCK")

SERVER = r'''
import os, sys, json
sys.path.insert(0, os.environ["ROOT"])
import uvicorn
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route
from ui.live import routes
from ui.services import job_manager
from nnlib.config import RunConfig

async def submit(request):  # bench-only: the app itself starts jobs from a page
    body = await request.json()
    cfg = RunConfig.from_dict(body["config"])
    if cfg.is_image:  # what the CNN page does when it shows a dataset: the gallery draws these test images
        from nnlib.data.bundle import load_data
        from ui.cnn_plots import register_test_images
        bundle = load_data(cfg)
        register_test_images(cfg.data.dataset, bundle.images_test_raw, bundle.class_names)
    session = f"bench-{os.urandom(4).hex()}"
    job = job_manager().submit(session, {"config": cfg.to_dict(), "interval": body["interval"]})
    return JSONResponse({"job": job, "session": session})

async def stop(request):  # frees the workers for the next round's jobs
    body = await request.json()
    job_manager().command(body["session"], body["job"], "stop")
    return JSONResponse({})

app = Starlette(routes=routes() + [Route("/bench/submit", submit, methods=["POST"]),
                                   Route("/bench/stop", stop, methods=["POST"])])
if __name__ == "__main__":
    job_manager()
    uvicorn.run(app, host="127.0.0.1", port=int(os.environ["PORT"]), log_level="warning")
'''


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """utime + stime of one process (the server's own threads; the worker processes are not counted)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def post(url: str, data: dict) -> dict:
    req = urllib.request.Request(url, json.dumps(data).encode(), {"Content-Type": "application/json"})
    return json.loads(urllib.request.urlopen(req, timeout=30).read())


class Poller(threading.Thread):
    """One simulated browser: polls a job's route at `hz`, keeping its own seq/status/have like live.js."""

    def __init__(self, base: str, job: str, hz: float, until: float, extra: str) -> None:
        super().__init__(daemon=True)
        self.base, self.job, self.period, self.until, self.extra = base, job, 1.0 / hz, until, extra
        self.seq, self.status, self.have, self.next, self.left = -1, "", 0, 0, 0
        self.requests = self.updates = self.bytes = self.largest = 0

    def run(self) -> None:
        while time.time() < self.until:
            t0 = time.time()
            q = (f"seq={self.seq}&status={self.status}&have={self.have}&turn={self.next}&left={self.left}"
                 f"&{self.extra}")
            try:
                with urllib.request.urlopen(f"{self.base}/nnlive/snap/{self.job}?{q}", timeout=10) as r:
                    body = r.read()
                    self.requests += 1
                    if r.status == 200:
                        msg = json.loads(body)
                        self.updates += 1
                        self.bytes += len(body)
                        self.largest = max(self.largest, len(body))
                        self.seq, self.status = msg["seq"], msg["status"]
                        sweep = msg.get("sweep") or {"next": 0, "left": 0}  # the CNN page's pictures go round
                        self.next, self.left = sweep["next"], sweep["left"]
                        if msg["patches"].get("loss"):
                            self.have = int(msg["info"]["epoch"])
            except urllib.error.URLError:
                pass
            time.sleep(max(0.0, self.period - (time.time() - t0)))


# The jobs the polling sessions watch: the Playground's default net and a 3x8 one; the CNN page's
# tiny CNN on the 8x8 digits and the small VGG on MNIST 28x28 (six feature-map grids, the heaviest live view)
def _cnn(dataset: str, preset: str, shape: tuple[int, int, int]) -> dict:
    from nnlib.config import RunConfig
    from nnlib.models.presets import preset_spec

    return RunConfig().replace(data={"dataset": dataset}, model={"cnn": preset_spec(preset, shape)},
                               train={"epochs": 1000}).to_dict()


def kinds() -> dict[str, tuple[list[dict], str]]:
    """Per page: the submitted jobs (config and snapshot interval as the page sends them) and the poll query."""
    from nnlib.config import RunConfig

    pg = [{"config": RunConfig().replace(train={"epochs": 10_000}, model={"hidden": hidden}).to_dict(), "interval": 0.1}
          for hidden in ((4, 2), (8, 8, 8))]
    cnn = [{"config": _cnn(*args), "interval": 0.5}
           for args in (("digits", "tiny", (1, 8, 8)), ("mnist_5k", "small_vgg", (1, 28, 28)))]
    return {"playground": (pg, "kind=playground&disc=0"), "cnn": (cnn, "kind=cnn")}


def polling_cost(sessions_list: list[int], seconds: float, kind: str = "playground") -> list[dict]:
    port = free_port()
    env = {**os.environ, "ROOT": ROOT, "PORT": str(port), "NNLIB_WORKERS": "2", "PYTHONPATH": ROOT}
    proc = subprocess.Popen([sys.executable, "-c", SERVER], env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"{base}/nnlive/snap/x", timeout=1)
            except urllib.error.HTTPError:
                break
            except urllib.error.URLError:
                time.sleep(0.1)
        time.sleep(6)  # workers import torch
        configs, query = kinds()[kind]
        data = [f"&data={body['config']['data']['dataset']}" if kind == "cnn" else "" for body in configs]
        rows, idle = [], 0.0
        for n in sessions_list:  # fresh jobs each round, so a fast Playground job cannot finish mid-measurement
            started = [post(f"{base}/bench/submit", body) for body in configs]
            jobs = [s["job"] for s in started]
            time.sleep(2)
            for job, extra in zip(jobs, data, strict=True):  # first requests: imports (PIL, plot modules)
                urllib.request.urlopen(f"{base}/nnlive/snap/{job}?seq=-1&{query}{extra}", timeout=30).read()
            if not rows:
                c0 = cpu_seconds(proc.pid)
                time.sleep(3)
                idle = (cpu_seconds(proc.pid) - c0) / 3  # no one polling: receiving the workers' snapshots etc.
            until = time.time() + seconds
            pollers = [Poller(base, jobs[i % len(jobs)], 2.0, until, query + data[i % len(jobs)]) for i in range(n)]
            c0 = cpu_seconds(proc.pid)
            for p in pollers:
                p.start()
            for p in pollers:
                p.join()
            cpu = cpu_seconds(proc.pid) - c0
            req = sum(p.requests for p in pollers)
            upd = sum(p.updates for p in pollers)
            rows.append({"sessions": n, "requests": req, "updates/s/session": upd / seconds / n,
                         "server ms/request": 1000 * cpu / max(1, req),
                         "ms/request beyond idle": 1000 * (cpu - idle * seconds) / max(1, req), "idle cores": idle,
                         "KB/update": sum(p.bytes for p in pollers) / max(1, upd) / 1024,
                         "largest KB": max(p.largest for p in pollers) / 1024,
                         "server CPU (cores)": cpu / seconds})
            for s in started:
                post(f"{base}/bench/stop", s)
        return rows
    finally:
        proc.terminate()
        proc.wait(10)


def publishing_overhead(epochs: int = 3000) -> tuple[float, float]:
    """Seconds to train the default net with and without the live-snapshot callback (interval 0.1 s)."""
    import torch

    from nnlib.config import RunConfig
    from nnlib.data.bundle import load_data
    from nnlib.inspect.snapshot import playground_snapshot
    from nnlib.train.callbacks import LiveSnapshot
    from nnlib.train.trainer import Trainer

    torch.set_num_threads(1)
    cfg = RunConfig().replace(train={"epochs": epochs})
    data = load_data(cfg)
    Trainer(cfg, data).run(epochs=5)  # warm-up
    plain, live = [], []
    for _ in range(3):  # interleaved, best of 3: a shared 2-core box is noisy
        t0 = time.perf_counter()
        Trainer(cfg, data).run()
        plain.append(time.perf_counter() - t0)
        sink: list = []
        live_cb = LiveSnapshot(lambda s, f, sink=sink: sink.append(s), playground_snapshot, 0.1)
        t0 = time.perf_counter()
        Trainer(cfg, data, callbacks=[live_cb]).run()
        live.append(time.perf_counter() - t0)
    return min(plain), min(live)


def browser_view(seconds: float = 6.0) -> tuple[float, float]:
    """(seconds from clicking Train to the first plotted live update, live updates per second) in chromium."""
    from playwright.sync_api import sync_playwright

    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                             "--server.address", "127.0.0.1", "--server.port", str(port),
                             "--browser.gatherUsageStats", "false"], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync"]
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=args)
            page = b.new_page(viewport={"width": 1400, "height": 1200})
            page.goto(f"http://127.0.0.1:{port}/?train.epochs=10000")
            page.wait_for_selector("[data-testid=stPlotlyChart]", timeout=90_000)
            time.sleep(8)  # let the worker processes finish importing torch (server start, not a click)
            t0 = time.time()
            page.get_by_role("button", name="Train", exact=True).click()
            seq = "() => { const r = document.querySelector('.nnlive'); return r ? Number(r.dataset.epoch || 0) : 0 }"
            page.wait_for_function(f"({seq})() > 0", timeout=60_000, polling=20)
            first = time.time() - t0
            seen, last = 0, page.evaluate("() => document.querySelector('.nnlive').dataset.seq")
            end = time.time() + seconds
            while time.time() < end:
                now = page.evaluate("() => document.querySelector('.nnlive').dataset.seq")
                if now != last:
                    seen, last = seen + 1, now
                time.sleep(0.05)
            b.close()
        return first, seen / seconds
    finally:
        proc.terminate()
        proc.wait(10)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--no-browser", action="store_true")
    ap.add_argument("--kind", choices=("playground", "cnn"), default="playground",
                    help="which page's live view the polling sessions watch")
    args = ap.parse_args()
    if args.kind == "playground":
        plain, live = publishing_overhead()
        print(f"training 3000 epochs of 2-4-2-1: engine alone {plain:.2f} s, with live snapshots every 0.1 s "
              f"{live:.2f} s (+{100 * (live / plain - 1):.1f}%)")
        if not args.no_browser:
            first, rate = browser_view()
            print(f"browser: Train -> first live point {first:.2f} s; {rate:.1f} live updates/s seen")
    rows = polling_cost([1, 10, 40], args.seconds, args.kind)
    print(f"{args.kind} page; the server with its two jobs and no one polling uses {rows[0]['idle cores']:.3f} cores")
    print(f"{'sessions':>8} {'requests':>9} {'updates/s/session':>18} {'server ms/request':>18} {'beyond idle':>12} "
          f"{'KB/update':>10} {'largest KB':>11} {'server CPU (cores)':>19}")
    for r in rows:
        print(f"{r['sessions']:>8} {r['requests']:>9} {r['updates/s/session']:>18.2f} {r['server ms/request']:>18.2f} "
              f"{r['ms/request beyond idle']:>12.2f} {r['KB/update']:>10.1f} {r['largest KB']:>11.1f} "
              f"{r['server CPU (cores)']:>19.3f}")


if __name__ == "__main__":
    main()
