"""Cold first visit: a fresh server and headless Chromium, time from opening the Playground to its charts.

Issue 8 measured ~17 s of blank chart area on a cold server. This starts `streamlit run app.py` from one or more
checkouts in turn (alternating, so machine load hits each alike), opens the page in a new browser context and reports,
per visit, when the page title showed, when a spinner showed and when the first chart was drawn. Compare checkouts
only within one run: the machine is shared.

    .venv/bin/python bench/cold_start.py --root . --root /tmp/old-checkout --trials 3

`--engine` measures the engine's cold start instead (no server, no browser): `python -m nnlib train --config
examples/xor.json --epochs 200` from process start to exit, a fresh worker process's first Playground job of one
epoch (the job function a worker runs: imports, kernel load, data, model, the untrained and the final snapshot), the
first epoch of the torch Trainer and of the torch-free `nnlib.train.fast_run` alone, and what part of it is
`import torch` and loading the numba kernels alone. Pass `--root` twice (a checkout of the old code and this one) to
compare them in one run.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
PROGRESS = ["[data-testid=stSpinner]", "text=Preparing the charts"]  # a spinner, or the cold-server note
CHART = "[data-testid=stPlotlyChart] .main-svg"
NETWORK = "[data-testid=stPlotlyChart]:has-text('Network: what each neuron computes') image"  # a drawn thumbnail


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(root: str, port: int) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": root, "NNLIB_ALLOW_DOWNLOAD": "0"}
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                             "--server.address", "127.0.0.1", "--server.port", str(port),
                             "--browser.gatherUsageStats", "false"], cwd=root, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1).read() == b"ok":
                return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"the server in {root} did not answer within 60 s")


def visit(browser, url: str) -> dict[str, float | None]:
    """Seconds from navigation to: the title, a sign of progress (spinner or note; None if none was seen), the
    first chart, the untrained network's diagram (the whole first view)."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 720})
    page = ctx.new_page()
    t0 = time.time()
    page.goto(url)
    page.wait_for_selector("text=Neural-network playground", timeout=180_000)
    title = time.time() - t0
    spinner = chart = None
    while True:
        now = time.time() - t0
        if spinner is None and any(page.locator(sel).count() for sel in PROGRESS):
            spinner = now
        if chart is None and page.locator(CHART).count():
            chart = now
        if page.locator(NETWORK).count():
            network = now
            break
        if now > 180:
            raise RuntimeError("no network diagram within 180 s")
        time.sleep(0.05)
    ctx.close()
    return {"title": title, "spinner": spinner, "chart": chart or network, "network": network}


ENGINE_STEPS = {
    "import torch alone": "import torch",
    "import numpy + load the numba kernels alone": "from nnlib.train import fast_mlp; fast_mlp.warmup()",
    "fresh worker: a Playground job's first epoch and snapshots (nnlib.train.job.run_training)": (
        "from nnlib.config import RunConfig\nfrom nnlib.jobs.control import JobControl\n"
        "from nnlib.train.job import run_training\n"
        "cfg = RunConfig().replace(train={'epochs': 1, 'speed': 'fast', 'until_paused': False})\n"
        "assert run_training({'config': cfg.to_dict()}, JobControl())['epochs'] == 1"),
    "fresh process, torch Trainer: first epoch of the default net": (
        "from nnlib.config import RunConfig\nfrom nnlib.train.trainer import Trainer\n"
        "t = Trainer(RunConfig().replace(train={'epochs': 1}))\nt.run()\nassert t.fast is not None"),
    "fresh process, torch-free: first epoch of the default net (FastRun)": (
        "import sys\nfrom nnlib.config import RunConfig\nfrom nnlib.data.bundle import load_data\n"
        "from nnlib.train.fast_run import FastRun, torch_free_layers\n"
        "cfg = RunConfig().replace(train={'epochs': 1})\ndata = load_data(cfg)\n"
        "FastRun(cfg, data, torch_free_layers(cfg, data)).run()\nassert 'torch' not in sys.modules"),
}


def timed_process(argv: list[str], root: str) -> tuple[float, float]:
    """(wall seconds, CPU seconds) from start to exit of one child process run in `root`. On a loaded machine the
    CPU seconds (user + system, the child's own) vary far less than the wall time."""
    import resource

    env = {**os.environ, "PYTHONPATH": root}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, err = proc.communicate(timeout=600)
    seconds = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode:
        raise RuntimeError(f"{' '.join(argv)} failed: {err.decode()[-500:]}")
    return seconds, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def engine_cold_start(roots: list[str], trials: int) -> None:
    """Median over `trials` of each engine start in each checkout, numba's cache warm; the checkouts take turns
    for every measurement, so a change of the machine's load hits each alike."""
    import tempfile

    out = tempfile.mkdtemp(prefix="nnlib-cold-")
    runs = {"python -m nnlib train --config examples/xor.json --epochs 200":
            [sys.executable, "-m", "nnlib", "train", "--config", "examples/xor.json", "--epochs", "200", "--quiet",
             "--out", out]}
    runs.update({name: [sys.executable, "-c", code] for name, code in ENGINE_STEPS.items()})
    measured = {root: dict(runs) for root in roots}
    for root in roots:
        for name, argv in runs.items():  # fills numba's on-disk cache and the OS file cache
            try:
                timed_process(argv, root)
            except RuntimeError as e:  # e.g. a checkout before nnlib.train.fast_run
                print(f"    {root}: {name}: not measured ({str(e).strip().splitlines()[-1][:100]})")
                del measured[root][name]
    times: dict[str, dict[str, list[tuple[float, float]]]] = {root: {name: [] for name in measured[root]}
                                                               for root in roots}
    load_before = os.getloadavg()[0]
    for _ in range(trials):
        for name in runs:
            for root in roots:
                if name in measured[root]:
                    times[root][name].append(timed_process(runs[name], root))
    print(f"engine cold start, median of {trials}, wall (CPU) seconds (load average {load_before:.1f} before, "
          f"{os.getloadavg()[0]:.1f} after):")
    for name in runs:
        shown = ",  ".join(f"{statistics.median(w for w, _ in times[root][name]):.2f} s "
                           f"({statistics.median(c for _, c in times[root][name]):.2f})" if name in times[root]
                           else "-" for root in roots)
        print(f"    {name}: {shown}")
    print("    (in the order of --root: " + ", ".join(roots) + ")")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", action="append", help="a checkout to serve (repeat to compare)")
    ap.add_argument("--engine", action="store_true", help="the engine's cold start (CLI, fresh worker) instead")
    ap.add_argument("--trials", type=int, default=2)
    ap.add_argument("--settle", type=float, default=3.0, help="seconds between server start and the first visit")
    args = ap.parse_args()
    if args.engine:
        engine_cold_start([os.path.abspath(root) for root in args.root or ["."]], args.trials)
        return
    if not args.root:
        ap.error("--root is required (or --engine)")
    from playwright.sync_api import sync_playwright

    results: dict[str, list[dict]] = {r: [] for r in args.root}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        for trial in range(args.trials):
            for root in args.root:
                port = free_port()
                proc = start_server(root, port)
                try:
                    time.sleep(args.settle)  # a teacher starts the server, then the class opens the page
                    first = visit(browser, f"http://127.0.0.1:{port}/")
                    second = visit(browser, f"http://127.0.0.1:{port}/")
                finally:
                    proc.terminate()
                    proc.wait(15)
                load = os.getloadavg()[0]
                results[root].append({"first": first, "second": second})
                spin = "none" if first["spinner"] is None else f"{first['spinner']:.1f} s"
                print(f"trial {trial + 1} {root}: first visit title {first['title']:.1f} s, progress shown {spin}, "
                      f"first chart {first['chart']:.1f} s, network {first['network']:.1f} s; second visit first chart "
                      f"{second['chart']:.1f} s, network {second['network']:.1f} s (loadavg {load:.1f})", flush=True)
        browser.close()
    for root, rows in results.items():
        chart = statistics.median(r["first"]["chart"] for r in rows)
        network = statistics.median(r["first"]["network"] for r in rows)
        print(f"{root}: first visit, median of {len(rows)}: first chart {chart:.1f} s, network {network:.1f} s")


if __name__ == "__main__":
    main()
