"""A class of 40 on this machine: 40 protocol clients join one class, submit the class preset (through the same
preset + admission functions the Playground uses), poll the live route at the page's rate, and pause/resume or
stop some runs; one worker is killed mid-run. Optionally (--browsers N) N real headless Chromium pages join the
same class on the real app and press Train.

Run `python bench/classroom.py [--students 40] [--seconds 40] [--browsers 5]`. Prints per-student live
updates/s, Train -> first point, queue waits, the server's CPU and memory per student, and what became of every
job (finished, stopped, failed with its reason, or refused with its sentence).
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from bench.live import Poller, cpu_seconds, free_port, post, wait_healthy  # noqa: E402

SERVER = r'''
import os, sys, json
sys.path.insert(0, os.environ["ROOT"])
import uvicorn
from starlette.applications import Starlette
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route
from nnlib.classroom.admission import class_refusal
from nnlib.classroom.presets import ClassPreset, apply_preset
from nnlib.classroom.recorder import ACTIVE, RunRecorder
from nnlib.config import RunConfig
from nnlib.jobs.manager import JobLimitError
from nnlib.store import classes, presets, students
from nnlib.store.db import open_engine
from ui.live import routes
from ui.run_file import export_run
from ui.services import job_manager

engine = open_engine()
rec = RunRecorder(engine, job_manager().find,
                  lambda c, s, w: export_run(RunConfig.from_json(c), s, w))

async def join(request):  # what the join form does: a student row per display name
    body = await request.json()
    klass = classes.by_code(engine, body["code"])
    student = students.join(engine, klass.id, body["name"], "bench:" + body["name"])
    return JSONResponse({"class_id": klass.id, "owner": f"student:{student.id}"})

async def submit(request):  # what ui.session.start_job does for a class member: preset, admission, submit, track
    body = await request.json()
    row = presets.current_preset(engine, body["class_id"])
    config = apply_preset(body["config"], ClassPreset.from_json(row.config, row.locked, row.hidden))
    live = [(t.owner, t.config_json) for t, _, v in rec.tracked(body["class_id"]) if v.status in ACTIVE]
    why = class_refusal(live, body["owner"], RunConfig.from_dict(config))
    session = "bench-" + body["owner"]
    if why is None:
        try:
            job = job_manager().submit(session, {"config": config, "interval": body["interval"],
                                                 "live_pictures": body.get("live_pictures")}, person=body["owner"])
        except JobLimitError as e:
            why = str(e)
    if why is not None:
        return JSONResponse({"refused": why})
    rec.track(job, body["owner"], body["class_id"], "playground", RunConfig.from_dict(config).to_json(indent=None))
    return JSONResponse({"job": job, "session": session})

async def command(request):
    body = await request.json()
    job_manager().command(body["session"], body["job"], body["cmd"])
    return JSONResponse({})

async def view(request):
    found = job_manager().find(request.query_params["job"])
    v = found[1]
    return JSONResponse({"status": v.status, "error": v.error, "submitted": v.submitted_at, "started": v.started_at,
                         "epoch": (v.snapshot or {}).get("epoch", 0)})

async def kill_one(request):  # a worker killed mid-run: only its own jobs (a group worker's: all of them) may fail
    m = job_manager()
    with m._lock:
        busy = [(w, [w.job_id] if w.job_id else list(w.grouped)) for w in m._workers if w.job_id or w.grouped]
    if not busy:
        return JSONResponse({})
    worker, jobs = busy[0]
    os.kill(worker.process.pid, 9)
    return JSONResponse({"jobs": jobs})

async def pids(request):
    m = job_manager()
    with m._lock:
        workers = [w.process.pid for w in m._workers]
    return JSONResponse({"workers": workers, "stored": rec.stored, "ready": m.stats()["workers_ready"]})

async def health(request):
    return PlainTextResponse("ok")

app = Starlette(routes=routes() + [Route("/bench/join", join, methods=["POST"]),
                                   Route("/bench/submit", submit, methods=["POST"]),
                                   Route("/bench/cmd", command, methods=["POST"]),
                                   Route("/bench/view", view), Route("/bench/kill", kill_one, methods=["POST"]),
                                   Route("/bench/pids", pids), Route("/_stcore/health", health)])
if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(os.environ["PORT"]), log_level="warning")
'''


def rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmRSS")) / 1024
    except (OSError, StopIteration):
        return 0.0


def get(url: str) -> dict:
    import json

    return json.loads(urllib.request.urlopen(url, timeout=30).read())


class Student(threading.Thread):
    """Joins, submits the preset (with its own epochs), polls like the page; some pause+resume, some stop."""

    def __init__(self, base: str, code: str, i: int, until: float, query: str, body: dict) -> None:
        super().__init__(daemon=True)
        self.base, self.code, self.i, self.until, self.query, self.body = base, code, i, until, query, body
        self.refused = self.job = self.session = None
        self.first_point: float | None = None
        self.poller: Poller | None = None

    def run(self) -> None:
        me = post(f"{self.base}/bench/join", {"code": self.code, "name": f"student {self.i:02d}"})
        t0 = time.time()
        answer = post(f"{self.base}/bench/submit", {**me, **self.body})
        if "refused" in answer:
            self.refused = answer["refused"]
            return
        self.job, self.session = answer["job"], answer["session"]
        self.poller = Poller(self.base, self.job, self.until, self.query)
        self.poller.start()
        while time.time() < self.until and self.first_point is None:
            if max(self.poller.epochs_seen, default=0) > 0:
                self.first_point = time.time() - t0
            time.sleep(0.05)
        cmd = {"job": self.job, "session": self.session}
        if self.i % 5 == 1:
            post(f"{self.base}/bench/cmd", {**cmd, "cmd": "pause"})
            time.sleep(2)
            post(f"{self.base}/bench/cmd", {**cmd, "cmd": "resume"})
        if self.i % 7 == 2:
            post(f"{self.base}/bench/cmd", {**cmd, "cmd": "stop"})
        self.poller.join()


def browsers(n: int, db_url: str, code: str, seconds: float) -> list[float]:
    """N real Chromium pages on the real app (same database): join the class, Train; seconds to 'Epoch 1'."""
    from playwright.sync_api import sync_playwright

    port = free_port()
    env = {**os.environ, "NNLIB_DATABASE_URL": db_url, "NNLIB_WORKERS": "2", "PYTHONPATH": ROOT}
    app = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                            "--server.address", "127.0.0.1", "--server.port", str(port),
                            "--browser.gatherUsageStats", "false"], cwd=ROOT, env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    out: list[float] = []
    try:
        wait_healthy(base, 90)
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                  args=["--no-sandbox", "--disable-gpu"])
            pages = []
            for i in range(n):
                pg = b.new_context(viewport={"width": 1280, "height": 900}).new_page()
                pg.goto(f"{base}/?class={code}")
                pg.get_by_label("Your display name", exact=True).fill(f"browser {i}")
                pg.get_by_role("button", name="Join", exact=True).click()
                pg.wait_for_selector("text=you are", timeout=120_000)
                pages.append(pg)
            for pg in pages:
                t0 = time.time()
                pg.get_by_role("button", name="Train", exact=True).click()
                try:
                    pg.wait_for_selector("text=/Epoch [1-9]/", timeout=seconds * 1000)
                    out.append(time.time() - t0)
                except Exception:  # noqa: BLE001 - refused or queued past the window: reported as missing
                    out.append(float("nan"))
            b.close()
    finally:
        app.terminate()
        app.wait(15)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--students", type=int, default=40)
    ap.add_argument("--seconds", type=float, default=40.0)
    ap.add_argument("--browsers", type=int, default=0)
    args = ap.parse_args()
    from nnlib.config import DataConfig, ModelConfig, RunConfig, TrainConfig
    from nnlib.store import classes, presets
    from nnlib.store.db import open_engine
    from ui.live import SNAPSHOT_S
    from ui.live_parts import PICTURES_PAYLOAD

    tmp = tempfile.mkdtemp(prefix="nnlib-class-bench-")
    db_url = f"sqlite:///{tmp}/class.sqlite3"
    preset = RunConfig(data=DataConfig(dataset="spiral"), model=ModelConfig(hidden=(8, 8)),
                       train=TrainConfig(epochs=300, until_paused=False))
    engine = open_engine(db_url)
    klass = classes.create_class(engine, "bench class")
    presets.save_preset(engine, klass.id, "p", preset.to_json(indent=None), ["model.hidden"], [])
    port = free_port()
    env = {**os.environ, "ROOT": ROOT, "PORT": str(port), "NNLIB_WORKERS": "2", "PYTHONPATH": ROOT,
           "NNLIB_DATABASE_URL": db_url, "NNLIB_JOBS_PER_PERSON": "1"}
    server = subprocess.Popen([sys.executable, "-c", SERVER], env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, 90)
        deadline = time.time() + 180
        while time.time() < deadline and get(f"{base}/bench/pids")["ready"] < 2:  # workers import torch first
            time.sleep(0.5)
        body = {"config": preset.to_dict(), "interval": SNAPSHOT_S, **PICTURES_PAYLOAD}  # as the page sends it
        until = time.time() + args.seconds
        c0 = cpu_seconds(server.pid)
        crowd = [Student(base, klass.code, i, until, "kind=playground&disc=0", body) for i in range(args.students)]
        for s in crowd:
            s.start()
        time.sleep(min(10.0, args.seconds / 3))
        killed = post(f"{base}/bench/kill", {}).get("jobs") or []
        peak = {"server": 0.0, "workers": 0.0}
        while time.time() < until:
            pids = get(f"{base}/bench/pids")["workers"]
            peak["server"] = max(peak["server"], rss_mb(server.pid))
            peak["workers"] = max(peak["workers"], sum(rss_mb(p) for p in pids))
            time.sleep(1)
        for s in crowd:
            s.join()
        cpu = cpu_seconds(server.pid) - c0
        run_for = [s for s in crowd if s.job]
        for s in run_for:  # end what still runs, so every job has an outcome
            post(f"{base}/bench/cmd", {"job": s.job, "session": s.session, "cmd": "stop"})
        time.sleep(5)
        views = {s.job: get(f"{base}/bench/view?job={s.job}") for s in run_for}
        stored = get(f"{base}/bench/pids")["stored"]
        report(crowd, views, killed, cpu, args.seconds, peak, stored)
        if args.browsers:
            firsts = browsers(args.browsers, db_url, klass.code, 120.0)
            shown = ", ".join("queued/refused" if f != f else f"{f:.1f} s" for f in firsts)
            print(f"\n{args.browsers} Chromium pages on the real app (after the crowd): Train -> 'Epoch 1' {shown}")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(15)


def report(crowd: list[Student], views: dict, killed: list[str], cpu: float, seconds: float, peak: dict,
           stored: int) -> None:
    n = len(crowd)
    ran = [s for s in crowd if s.job]
    ups = [s.poller.updates / seconds for s in ran if s.poller]
    firsts = [s.first_point for s in ran if s.first_point is not None]
    waits = [v["started"] - v["submitted"] for v in views.values() if v["started"]]
    outcomes: dict[str, int] = {}
    for v in views.values():
        outcomes[v["status"]] = outcomes.get(v["status"], 0) + 1
    refusals = sorted({s.refused for s in crowd if s.refused})
    print(f"{n} students, {seconds:.0f} s, 2 workers")
    print(f"  admitted {len(ran)}, refused {n - len(ran)}: " + " | ".join(refusals))
    if ups:
        print(f"  live updates/s per admitted student: median {statistics.median(ups):.2f}, "
              f"min {min(ups):.2f}, max {max(ups):.2f} (over the whole window; a run ends when it has trained)")
    training = [r for s in ran if s.poller and (r := s.poller.training_rate()) is not None]
    if training:
        print(f"  live updates/s while the student's run trained: median {statistics.median(training):.2f}, "
              f"min {min(training):.2f}, max {max(training):.2f}; polls refused (429): "
              f"{sum(s.poller.refused for s in ran if s.poller)}")
        sent = [r for s in ran if s.poller and (r := s.poller.snapshot_rate()) is not None]
        print(f"  snapshots/s the worker sent per run meanwhile: median {statistics.median(sent):.2f}, "
              f"min {min(sent):.2f}, max {max(sent):.2f}")
    if firsts:
        print(f"  Train -> first point: median {statistics.median(firsts):.1f} s, max {max(firsts):.1f} s "
              f"({len(firsts)} of {len(ran)} within the window)")
    if waits:
        print(f"  queue wait (submit -> start): median {statistics.median(waits):.1f} s, max {max(waits):.1f} s; "
              f"never started: {len(ran) - len(waits)} (stopped while queued)")
    print(f"  server CPU {cpu / seconds:.2f} cores = {1000 * cpu / seconds / n:.1f} ms/s per student; "
          f"peak RSS server {peak['server']:.0f} MB ({peak['server'] / n:.1f} MB per student), "
          f"workers {peak['workers']:.0f} MB")
    print(f"  outcomes: {outcomes}; runs stored in the database: {stored}")
    if killed:
        mine = [views.get(j, {}) for j in killed]
        others = sum(1 for j, w in views.items() if j not in killed and w["status"] == "failed")
        states = sorted({str(v.get("status")) for v in mine})
        why = next((v["error"] for v in mine if v.get("error")), "")[:80]
        print(f"  killed a worker mid-run: its {len(killed)} job(s) {states} ({why}); other jobs failed: {others}")


if __name__ == "__main__":
    main()
