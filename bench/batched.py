"""A class's small nets trained at once: aggregate examples/s of N default Playground nets (2-4-2-1 tanh, 250
points, batch 10, SGD, BCE) on this machine's 2 cores, and how evenly they progress.

Run `python bench/batched.py [--seconds S] [--jobs 1,8,32,64] [--pool-epochs E]`. Columns, all measured in this run:
- kernel, 1 net: `FastMLP.train_epoch` in a loop (the baseline: one net, one core);
- batched kernel, N nets, 1 core / 2 cores: `batched_kernel.run_epochs` over N nets per call, in 1 process or in
  2 processes of N/2 (what two group workers do);
- pool, one job per worker vs group workers: N full Playground training jobs (Trainer, history, live snapshots)
  through the JobManager with 2 workers, `group_size=1` (today's pool) vs `group_size=N/2`; wall time from the
  first submission to the last result (so each job's start-up -- Trainer, data, first and last snapshot, result --
  counts), and with groups, from the moment every job has started until the first one finishes: the examples/s of
  all jobs together in that window ("steady", from the epochs their live snapshots show) and the epochs the
  slowest job made / the fastest's (with one job per worker most jobs are still queued).
Examples/s are per wall-clock second (the load average is printed: other work on the box slows every column).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

N_TRAIN, BATCH, LR, SIZES = 250, 10, 0.03, (2, 4, 2, 1)


def make_net(seed: int) -> tuple:
    """One default net with its own data and seed: (FastMLP, x, y, kernel arguments builder)."""
    from nnlib.train.fast_mlp import FastMLP

    rng = np.random.default_rng(seed)
    weights = [rng.normal(0, 0.7, (b, a)).astype(np.float32) for a, b in zip(SIZES[:-1], SIZES[1:])]
    biases = [np.zeros(b, np.float32) for b in SIZES[1:]]
    x = rng.uniform(-6, 6, (N_TRAIN, 2)).astype(np.float32)
    y = (np.hypot(x[:, :1], x[:, 1:]) < 3).astype(np.float32)
    return FastMLP(weights, biases, "tanh", "bce", "sgd", {"lr": LR}), x, y, rng


def kernel_one_net(seconds: float) -> tuple[float, float]:
    """(examples per wall second, per CPU second) of one net trained by FastMLP.train_epoch."""
    fast, x, y, rng = make_net(0)
    orders = [rng.permutation(N_TRAIN).astype(np.int64) for _ in range(16)]
    fast.train_epoch(x, y, orders[0], BATCH)
    done, start, cpu = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - start < seconds:
        for o in orders:
            fast.train_epoch(x, y, o, BATCH)
        done += len(orders)
    return done * N_TRAIN / (time.perf_counter() - start), done * N_TRAIN / (time.process_time() - cpu)


def batched_rounds(n_nets: int, seconds: float, first_seed: int = 0) -> tuple[int, float, float]:
    """Epoch rounds of n_nets nets in one batched call each, for about `seconds`: (rounds, wall s, CPU s)."""
    from nnlib.train.batched_kernel import CallRows, prepared_call, run_epochs

    nets = [make_net(first_seed + i) for i in range(n_nets)]
    orders = [[rng.permutation(N_TRAIN).astype(np.int64) for _ in range(8)] for _, _, _, rng in nets]
    calls = [[prepared_call(f, x, y, orders[i][k], BATCH) for i, (f, x, y, _) in enumerate(nets)] for k in range(8)]
    rows = CallRows()
    run_epochs(calls[0], rows)
    rounds, start, cpu = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - start < seconds:
        run_epochs(calls[rounds % 8], rows)
        rounds += 1
    return rounds, time.perf_counter() - start, time.process_time() - cpu


def _batched_child(args: tuple) -> tuple[int, float, float]:
    n_nets, seconds, first_seed = args
    return batched_rounds(n_nets, seconds, first_seed)


def batched_two_processes(n_nets: int, seconds: float, ctx: mp.context.BaseContext) -> tuple[float, float]:
    """Aggregate examples/s of 2 processes of n_nets/2 nets each, and the slower process's rounds / the faster's."""
    halves = [(n_nets + 1) // 2, n_nets // 2]
    with ctx.Pool(2) as pool:
        out = pool.map(_batched_child, [(h, seconds, 1000 * i) for i, h in enumerate(halves) if h])
    examples = sum(r * h * N_TRAIN for (r, _, _), h in zip(out, halves))
    rates = [r / s for r, s, _ in out]
    return examples / max(s for _, s, _ in out), min(rates) / max(rates)


def pool_jobs(n_jobs: int, group_size: int, epochs: int) -> tuple[float, float, float, float]:
    """N full Playground jobs through a 2-worker JobManager: (examples/s over the wall time, per worker
    CPU-second, slowest/fastest epochs when the first job finishes, examples/s of all jobs from the moment every
    one has started until the first finishes -- NaN if no snapshot fell in between)."""
    from nnlib.config import RunConfig
    from nnlib.jobs import JobManager
    from nnlib.jobs.watchdog import process_usage

    def workers_cpu() -> float:
        usages = [process_usage(w.process.pid or 0) for w in m._workers]  # the bench may look inside
        return sum(u.cpu_seconds for u in usages if u is not None)

    m = JobManager(max_workers=2, preload_torch=True, group_size=group_size, max_jobs_per_session=n_jobs,
                   max_jobs_per_person=n_jobs, max_queued_total=max(200, n_jobs))
    try:
        deadline = time.monotonic() + 120
        while m.stats()["workers_ready"] < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        cfg = RunConfig().replace(train={"until_paused": False, "speed": "fast", "epochs": epochs})
        start, cpu = time.perf_counter(), workers_cpu()
        ids = [m.submit("bench", {"config": cfg.replace(train={"seed": i}).to_dict()},
                        "nnlib.train.job:run_training") for i in range(n_jobs)]
        ratio, first, steady, first_at = None, None, float("nan"), 0.0
        while True:
            views = [m.view("bench", j) for j in ids]
            done = [epochs if v.status == "finished" else (v.snapshot or {}).get("epoch", 0) for v in views]
            if first is None and min(done) > 0:
                first, first_at = done, time.perf_counter()  # every job has started: steady-state sharing
            elif first is not None and ratio is None and max(done) == epochs:
                gains = [b - a for a, b in zip(first, done)]
                ratio = min(gains) / max(1, max(gains))
                window = time.perf_counter() - first_at
                if window > 0 and sum(gains):
                    steady = sum(gains) * N_TRAIN / window
            if all(v.status not in ("queued", "running", "paused") for v in views):
                break
            time.sleep(0.02)
        wall, cpu = time.perf_counter() - start, workers_cpu() - cpu
        failed = [v.error for v in views if v.status != "finished"]
        if failed:
            raise RuntimeError(f"bench jobs failed: {failed[:2]}")
        examples = n_jobs * epochs * N_TRAIN
        return examples / wall, examples / max(cpu, 1e-9), ratio if ratio is not None else float("nan"), steady
    finally:
        m.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="per kernel measurement")
    parser.add_argument("--jobs", default="1,8,32,64", help="numbers of nets/jobs")
    parser.add_argument("--pool-epochs", type=int, default=200, help="epochs of each pool job (0: skip)")
    args = parser.parse_args()
    ctx = mp.get_context("spawn")
    print(f"load average at start: {os.getloadavg()[0]:.1f} (2 cores)")
    wall_rate, cpu_rate = kernel_one_net(args.seconds)
    print(f"kernel alone, 1 net: {wall_rate / 1e6:.2f} M examples/s (wall), {cpu_rate / 1e6:.2f} M per CPU-second")
    print("M examples/s: wall = per wall-clock second, cpu = per CPU-second of the processes that trained")
    print("| nets | batched 1 process, wall | cpu | batched 2 processes, wall | processes slowest/fastest "
          "| pool 1 job/worker, wall | cpu | pool groups, wall | cpu | groups steady, wall "
          "| jobs slowest/fastest (groups) |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for n in (int(s) for s in args.jobs.split(",")):
        rounds, wall, cpu = batched_rounds(n, args.seconds)
        two_cores, even = batched_two_processes(n, args.seconds, ctx)
        cols = [rounds * n * N_TRAIN / wall / 1e6, rounds * n * N_TRAIN / cpu / 1e6, two_cores / 1e6]
        text = " | ".join(f"{c:.2f}" for c in cols) + f" | {even:.2f}"
        if args.pool_epochs:
            plain_wall, plain_cpu, _, _ = pool_jobs(n, 1, args.pool_epochs)
            group_wall, group_cpu, fair, steady = pool_jobs(n, max(1, (n + 1) // 2), args.pool_epochs)
            text += f" | {plain_wall / 1e6:.3f} | {plain_cpu / 1e6:.3f} | {group_wall / 1e6:.3f} | " \
                    f"{group_cpu / 1e6:.3f} | {steady / 1e6:.3f} | {fair:.2f}"
        else:
            text += " | - | - | - | - | - | -"
        print(f"| {n} | {text} |", flush=True)
    print(f"load average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
