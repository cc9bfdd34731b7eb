"""Before/after speed of an engine change, measured in ONE process: the fast_mlp kernel and the Trainer of another
checkout (the baseline) against this one's, in alternating rounds.

On a shared 2-core machine two separate runs of `bench/engine.py` differ by 2-4x, which hides a 10% regression.
Here both versions run interleaved, each round is timed in CPU time of this thread (`time.thread_time`, immune to
waiting for a core), and the ratio reported is the median of the per-round new/base ratios.

    git archive <base-ref> | tar -x -C /tmp/engine_base
    python bench/engine_ab.py /tmp/engine_base
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COMPARED = ("fast_mlp", "Trainer")  # METHODS of bench/engine.py measured in both checkouts


def load_runs(root: str) -> tuple[list[str], dict[tuple[str, str], Callable[[int], int]]]:
    """Import `root`'s nnlib and bench.engine (dropping any other checkout's modules first) and build a run per
    network and method; the runs keep working after the modules are dropped again."""
    for mod in [m for m in sys.modules if m.split(".")[0] in ("nnlib", "bench")]:
        del sys.modules[mod]
    sys.path.insert(0, root)
    try:
        from bench.engine import METHODS, NETS, xor_data

        x, y = xor_data()
        runs = {(net.name, m): METHODS[m](net, x, y) for net in NETS for m in COMPARED}
        for run in runs.values():
            run(2)  # warm-up: numba compile or cache load, first-call allocations
        return [net.name for net in NETS], runs
    finally:
        sys.path.remove(root)


def cpu_rate(run: Callable[[int], int], epochs: int) -> float:
    start = time.thread_time()
    n = run(epochs)
    return n / max(time.thread_time() - start, 1e-9)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("base", help="directory of the baseline checkout (with nnlib/ and bench/engine.py)")
    parser.add_argument("--rounds", type=int, default=16, help="alternating rounds per network and method")
    args = parser.parse_args()
    torch.set_num_threads(1)
    nets, base = load_runs(os.path.abspath(args.base))
    _, new = load_runs(ROOT)
    print(f"examples/s in CPU time, best of {args.rounds} alternating rounds; ratio = median of per-round new/base")
    print(f"{'network':<16}{'method':<10}{'base ex/s':>14}{'new ex/s':>14}{'new/base':>10}")
    for net in nets:
        for method in COMPARED:
            epochs = 20 if method == "fast_mlp" else 10
            rates: dict[str, list[float]] = {"base": [], "new": []}
            for rnd in range(args.rounds):
                for name in ("base", "new") if rnd % 2 == 0 else ("new", "base"):
                    rates[name].append(cpu_rate((base if name == "base" else new)[(net, method)], epochs))
            ratio = statistics.median(n / b for n, b in zip(rates["new"], rates["base"], strict=True))
            print(f"{net:<16}{method:<10}{max(rates['base']):>14,.0f}{max(rates['new']):>14,.0f}{ratio:>9.2f}x",
                  flush=True)


if __name__ == "__main__":
    main()
