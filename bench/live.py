"""Cost of the live view: server CPU and bytes per update with 1, 10 and 40 sessions, time from Train to the first
plotted point and chart updates/s in a real browser, and how much publishing slows training.

Run `python bench/live.py`. The polling part serves the very routes the app mounts (`ui.live.routes()`, same
JobManager, same patch code) from a uvicorn server in a child process, measures that process's CPU time from
/proc, and drives it with HTTP clients on 127.0.0.1 that poll like the browser component does (a held poll, asked
again at once). As in the app, every simulated session submits and polls ITS OWN job: with group workers (the
app's default, NNLIB_GROUP_SIZE=20 on each of the 2 workers) a class's small nets all run; with more sessions than
the workers host the rest wait in the queue, and the table says how many ran. It also reads the worker processes'
CPU (training and building snapshots), the snapshots/s each job sent, and the polling clients' own CPU.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
TICK = os.sysconf("SC_CLK_TCK")
from bench.live_poller import Poller  # noqa: E402 - classroom.py and abuse.py import it from here too

SERVER = r'''
import os, sys, json
sys.path.insert(0, os.environ["ROOT"])
import uvicorn
from starlette.applications import Starlette
from starlette.responses import JSONResponse, PlainTextResponse
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
    job = job_manager().submit(session, {"config": cfg.to_dict(), "interval": body["interval"],
                                         "live_pictures": body.get("live_pictures")})  # as the page asks
    return JSONResponse({"job": job, "session": session})

async def stop(request):  # frees the workers for the next round's jobs
    body = await request.json()
    job_manager().command(body["session"], body["job"], "stop")
    return JSONResponse({})

async def health(request):  # like /_stcore/health: answered on the same event loop as the live route
    return PlainTextResponse("ok")

async def pids(request):  # the worker processes, whose CPU the bench reads from /proc
    m = job_manager()
    with m._lock:
        return JSONResponse({"workers": [w.process.pid for w in m._workers]})

app = Starlette(routes=routes() + [Route("/bench/submit", submit, methods=["POST"]),
                                   Route("/bench/stop", stop, methods=["POST"]),
                                   Route("/_stcore/health", health), Route("/bench/pids", pids)])
if __name__ == "__main__":
    job_manager()
    uvicorn.run(app, host="127.0.0.1", port=int(os.environ["PORT"]), log_level="warning")
'''


def wait_healthy(base: str, seconds: float = 40.0) -> None:
    """Block until the bench server answers its health route (it starts in a child process)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{base}/_stcore/health", timeout=1)
            return
        except OSError:
            time.sleep(0.1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """utime + stime of one process (the server's own threads; the worker processes are not counted)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def workers_cpu(pids: list[int]) -> float:
    """CPU seconds of the worker processes (training and building snapshots), 0 for one that has gone."""
    total = 0.0
    for pid in pids:
        try:
            total += cpu_seconds(pid)
        except OSError:
            pass
    return total


def post(url: str, data: dict) -> dict:
    req = urllib.request.Request(url, json.dumps(data).encode(), {"Content-Type": "application/json"})
    return json.loads(urllib.request.urlopen(req, timeout=30).read())


def first_epoch(base: str, job: str, query: str, timeout: float = 180.0) -> None:
    """Wait until a job has trained its first epoch (a worker's first job pays imports and kernel loading)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        with urllib.request.urlopen(f"{base}/nnlive/snap/{job}?seq=-1&hold=0&{query}", timeout=30) as r:
            if r.status == 200 and json.loads(r.read())["info"]["epoch"] > 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"job {job} trained no epoch in {timeout:.0f} s")


# The jobs the polling sessions watch: the Playground's default net and a 3x8 one; the CNN page's
# tiny CNN on the 8x8 digits and the small VGG on MNIST 28x28 (six feature-map grids, the heaviest live view)
def _cnn(dataset: str, preset: str, shape: tuple[int, int, int]) -> dict:
    from nnlib.config import RunConfig
    from nnlib.models.presets import preset_spec

    return RunConfig().replace(data={"dataset": dataset}, model={"cnn": preset_spec(preset, shape)},
                               train={"epochs": 1000}).to_dict()


def kinds() -> dict[str, tuple[dict, str]]:
    """Per page: the job every session submits (config and snapshot interval as the page sends them) and the poll
    query. The Playground's is its default run (until paused, normal speed); the CNN page's the tiny CNN on digits."""
    from nnlib.config import RunConfig
    from ui.live import SNAPSHOT_S
    from ui.live_parts import PICTURES_PAYLOAD

    pg = {"config": RunConfig().to_dict(), "interval": SNAPSHOT_S, **PICTURES_PAYLOAD}
    cnn = {"config": _cnn("digits", "tiny", (1, 8, 8)), "interval": 0.5}
    return {"playground": (pg, "kind=playground&disc=0"), "cnn": (cnn, "kind=cnn&data=digits")}


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
            except OSError:  # not listening yet, or too slow to answer on a loaded box
                time.sleep(0.1)
        body, query = kinds()[kind]
        for _ in range(2):  # both workers: import torch, load the kernel, run a first job (not measured)
            warm = [post(f"{base}/bench/submit", body) for _ in range(2)]
            for w in warm:
                first_epoch(base, w["job"], query)
            for w in warm:
                post(f"{base}/bench/stop", w)
            time.sleep(1)
        rows = []
        c0 = cpu_seconds(proc.pid)
        time.sleep(3)
        idle = (cpu_seconds(proc.pid) - c0) / 3  # no job, no one polling
        for n in sessions_list:  # fresh jobs each round: one per session, as in the app
            started = [post(f"{base}/bench/submit", body) for _ in range(n)]
            time.sleep(2)  # the first jobs start; first requests pay imports (PIL, plot modules)
            urllib.request.urlopen(f"{base}/nnlive/snap/{started[0]['job']}?seq=-1&{query}", timeout=30).read()
            until = time.time() + seconds
            pollers = [Poller(base, s["job"], until, query) for s in started]
            workers = json.loads(urllib.request.urlopen(f"{base}/bench/pids", timeout=30).read())["workers"]
            c0, w0, b0 = cpu_seconds(proc.pid), workers_cpu(workers), time.process_time()
            for p in pollers:
                p.start()
            for p in pollers:
                p.join()
            cpu, wcpu, bcpu = cpu_seconds(proc.pid) - c0, workers_cpu(workers) - w0, time.process_time() - b0
            sent = sorted(r for p in pollers if (r := p.snapshot_rate()) is not None) or [0.0]
            req = sum(p.requests for p in pollers)
            upd = sum(p.updates for p in pollers)
            ran = [p for p in pollers if max(p.epochs_seen, default=0) > 0]
            rows.append({"sessions": n, "ran": len(ran), "requests": req,
                         "updates/s/session": upd / seconds / n,
                         "updates/s/running": sum(p.updates for p in ran) / seconds / max(1, len(ran)),
                         "epochs/s/running": sum(max(p.epochs_seen) - min(p.epochs_seen) for p in ran)
                         / seconds / max(1, len(ran)),
                         "server ms/update": 1000 * (cpu - idle * seconds) / max(1, upd),
                         "server ms/request": 1000 * cpu / max(1, req), "idle cores": idle,
                         "KB/update": sum(p.bytes for p in pollers) / max(1, upd) / 1024,
                         "largest KB": max(p.largest for p in pollers) / 1024,
                         "server CPU (cores)": cpu / seconds, "workers CPU (cores)": wcpu / seconds,
                         "snapshots/s/job": sent[len(sent) // 2], "clients CPU (cores)": bcpu / seconds})
            for s in started:
                post(f"{base}/bench/stop", s)
            time.sleep(2)
        return rows
    finally:
        proc.terminate()
        proc.wait(10)


def publishing_overhead(epochs: int = 3000) -> tuple[float, float, int]:
    """Seconds to train the default net unpaced without and with the live pipeline (JobControl deciding, snapshot
    every SNAPSHOT_S, with the live view's pictures as the Playground asks), and how many snapshots that built."""
    import torch

    from nnlib.config import RunConfig
    from nnlib.data.bundle import load_data
    from nnlib.inspect.snapshot import playground_snapshot
    from nnlib.jobs.control import JobControl
    from nnlib.train.job import with_pictures
    from nnlib.train.live_snapshot import LiveSnapshot
    from nnlib.train.trainer import Trainer
    from ui.live import SNAPSHOT_S
    from ui.live_parts import PICTURES_FN

    torch.set_num_threads(1)
    build = with_pictures(playground_snapshot, PICTURES_FN)  # as the Playground page's jobs build them
    cfg = RunConfig().replace(train={"epochs": epochs, "until_paused": False})
    data = load_data(cfg)
    Trainer(cfg, data).run(epochs=5)  # warm-up
    plain, live, built = [], [], 0
    for _ in range(3):  # interleaved, best of 3: a shared 2-core box is noisy
        t0 = time.perf_counter()
        Trainer(cfg, data).run()
        plain.append(time.perf_counter() - t0)
        ctl = JobControl(min_interval=SNAPSHOT_S)
        t0 = time.perf_counter()
        Trainer(cfg, data, callbacks=[LiveSnapshot(ctl.offer, build)]).run(gate=ctl.epoch_gate)
        live.append(time.perf_counter() - t0)
        built = ctl.built
    return min(plain), min(live), built


def browser_view(speeds: tuple[str, ...] = ("normal", "fast"), seconds: float = 8.0) -> list[dict]:
    """Per speed, in chromium on the real app: seconds from clicking Train to the first plotted live point, chart
    updates per second (the component's own counter, window.__nnLiveUpdates: frames that drew charts), how often
    the least often drawn chart was redrawn (a busy frame leaves charts for the next one), epochs per second, the
    Streamlit server's CPU per chart update while the page watches, and the load average meanwhile."""
    from playwright.sync_api import sync_playwright

    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                             "--server.address", "127.0.0.1", "--server.port", str(port),
                             "--browser.gatherUsageStats", "false"], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    epoch_js = "() => { const r = document.querySelector('.nnlive'); return r ? Number(r.dataset.epoch || 0) : 0 }"
    counters = f"() => [window.__nnLiveUpdates || 0, ({epoch_js})()]"
    draw_ms = "() => window.__nnLiveDrawMs || 0"
    by_fig = "() => Object.assign({}, window.__nnLiveDrawByFig || {})"
    chart_draws = "() => Object.assign({}, window.__nnLiveChartDraws || {})"
    rows = []
    try:
        wait_healthy(f"http://127.0.0.1:{port}")
        args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync"]
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=args)
            for speed in speeds:
                page = b.new_page(viewport={"width": 1400, "height": 1200})
                page.goto(f"http://127.0.0.1:{port}/?train.speed={speed}")
                page.wait_for_selector("[data-testid=stPlotlyChart]", timeout=90_000)
                time.sleep(8)  # let the worker processes finish importing torch (server start, not a click)
                t0 = time.time()
                clicked = page.evaluate("() => performance.now()")
                page.get_by_role("button", name="Train", exact=True).click()
                page.wait_for_function(f"({epoch_js})() > 0", timeout=60_000, polling=10)
                first = time.time() - t0
                page.wait_for_function("() => window.__nnLiveTiming && window.__nnLiveTiming.drawn", timeout=10_000)
                timing = page.evaluate("() => window.__nnLiveTiming")
                time.sleep(1.0)  # the page's rerun after Train settles
                u0, e0, c0, d0 = *page.evaluate(counters), cpu_seconds(proc.pid), page.evaluate(draw_ms)
                f0, n0, load0 = page.evaluate(by_fig), page.evaluate(chart_draws), os.getloadavg()[0]
                time.sleep(seconds)
                u1, e1, c1, d1 = *page.evaluate(counters), cpu_seconds(proc.pid), page.evaluate(draw_ms)
                f1, n1, load1 = page.evaluate(by_fig), page.evaluate(chart_draws), os.getloadavg()[0]
                # Stop is enabled only while the run is active: a run that ended meanwhile (failed, say, on a
                # box so loaded its worker died) has none to press, and its row says so instead of the bench dying
                stop = page.get_by_role("button", name="Stop", exact=True)
                ended = not stop.is_enabled()
                if not ended:
                    stop.click(timeout=10_000)
                time.sleep(2)
                rows.append({"speed": speed, "first point s": first,
                             "click -> component has the job s": (timing["mounted"] - clicked) / 1000,
                             "-> first epoch arrives s": (timing["epoch"] - timing["mounted"]) / 1000,
                             "-> drawn s": (timing["drawn"] - timing["epoch"]) / 1000,
                             "chart updates/s": (u1 - u0) / seconds,
                             "slowest chart updates/s": min((v - n0.get(k, 0) for k, v in n1.items()), default=0)
                             / seconds,
                             "epochs/s": (e1 - e0) / seconds,
                             "server ms/update": 1000 * (c1 - c0) / max(1, u1 - u0),
                             "browser draw ms/update": (d1 - d0) / max(1, u1 - u0),
                             "draw ms per chart": {k: (v - f0.get(k, 0)) / max(1, n1[k] - n0.get(k, 0))
                                                   for k, v in f1.items()},
                             "load average": (load0 + load1) / 2, "ended before Stop": ended})
                page.close()
            b.close()
        return rows
    finally:
        proc.terminate()
        proc.wait(10)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--no-browser", action="store_true")
    ap.add_argument("--sessions", default="1,10,40", help="comma-separated numbers of polling sessions")
    ap.add_argument("--kind", choices=("playground", "cnn"), default="playground",
                    help="which page's live view the polling sessions watch")
    ap.add_argument("--update-cost-only", action="store_true", help="only the server-free cost of one update")
    ap.add_argument("--polling-only", action="store_true", help="only the server-based polling table")
    args = ap.parse_args()
    if args.kind == "playground" and not args.polling_only:
        print("one live update of the default net (2-4-2-1) 5 epochs after the previous one, CPU ms: worker = build "
              "+ pickle the snapshot (the rows appended since the last one; [whole history, as before]), manager = "
              "unpickle + merge, route = patches + JSON for a browser 5 epochs behind, with the pictures the worker "
              "built [all built from the snapshot, as before]")
        from bench.live_update import update_cost

        for r in update_cost():
            print(f"    history {r['epochs']:>6} epochs: worker {r['worker ms']:.2f} ms "
                  f"[{r['worker ms, whole history']:.2f}] ({r['pickle KB']:.0f} KB "
                  f"[{r['pickle KB, whole history']:.0f}] pickled), manager {r['manager ms']:.2f} ms "
                  f"[{r['manager ms, whole history']:.2f}], "
                  f"route {r['route ms']:.2f} ms [{r['route ms, built here']:.2f}] ({r['body KB']:.1f} KB body)",
                  flush=True)
        if args.update_cost_only:
            return
        plain, live, built = publishing_overhead()
        print(f"training 3000 epochs of 2-4-2-1 unpaced: engine alone {plain:.2f} s, with the live pipeline "
              f"{live:.2f} s (+{100 * (live / plain - 1):.1f}%, {built} snapshots built)")
        if not args.no_browser:
            print(f"{'browser: speed':>14} {'Train -> first point s':>23} {'chart updates/s':>16} "
                  f"{'slowest chart /s':>17} {'epochs/s':>9} {'server ms/update':>17}")
            for r in browser_view():
                print(f"{r['speed']:>14} {r['first point s']:>23.2f} {r['chart updates/s']:>16.1f} "
                      f"{r['slowest chart updates/s']:>17.1f} "
                      f"{r['epochs/s']:>9.0f} {r['server ms/update']:>17.2f}")
                print("    where the first point's wait goes: " + ", ".join(
                    f"{k} {r[k]:.2f}" for k in ("click -> component has the job s", "-> first epoch arrives s",
                                                "-> drawn s")) + f"; browser draw {r['browser draw ms/update']:.0f} "
                      "ms per update (" + ", ".join(f"{k} {v:.0f}" for k, v in r["draw ms per chart"].items())
                      + f"); load average {r['load average']:.1f}"
                      + ("; THE RUN ENDED BEFORE STOP (figures cover less)" if r["ended before Stop"] else ""))
    rows = polling_cost([int(n) for n in args.sessions.split(",")], args.seconds, args.kind)
    print(f"{args.kind} page, one job per session, 2 workers (up to {os.environ.get('NNLIB_GROUP_SIZE', 20)} jobs "
          f"each); the idle server uses {rows[0]['idle cores']:.3f} cores; load average {os.getloadavg()[0]:.1f}")
    print(f"{'sessions':>8} {'jobs ran':>8} {'requests':>9} {'updates/s/session':>18} {'updates/s/running':>18} "
          f"{'epochs/s/running':>17} {'server ms/update':>17} {'KB/update':>10} {'largest KB':>11} "
          f"{'server CPU (cores)':>19} {'snapshots/s/job':>16} {'workers CPU (cores)':>20} {'clients CPU':>12}")
    for r in rows:
        print(f"{r['sessions']:>8} {r['ran']:>8} {r['requests']:>9} {r['updates/s/session']:>18.2f} "
              f"{r['updates/s/running']:>18.2f} {r['epochs/s/running']:>17.1f} {r['server ms/update']:>17.2f} "
              f"{r['KB/update']:>10.1f} "
              f"{r['largest KB']:>11.1f} {r['server CPU (cores)']:>19.3f} {r['snapshots/s/job']:>16.1f} "
              f"{r['workers CPU (cores)']:>20.3f} {r['clients CPU (cores)']:>12.3f}")


if __name__ == "__main__":
    main()
