"""What re-rendering the Playground's charts through a Streamlit rerun costs, next to what the live route costs for
the same snapshot: the figure the README quotes for "why a route and not st.fragment(run_every=...)".

A fragment refresh reruns Python that rebuilds the plotly figures and serializes them into Streamlit's protobuf
(`st.plotly_chart`); the live route builds only per-trace patches of the figures the browser already has. Both are
timed here in one process on the same trained snapshot (CPU time, median of N), with the bytes each would send.
AppTest runs the script the way a server session does, minus the websocket write, so the fragment figure is a
lower bound of what a real session costs.

Run: `.venv/bin/python bench/fragment.py [--repeats 20] [--hidden 8,8,8]` (not a test; ~1 minute).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import textwrap
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

SCRIPT = textwrap.dedent('''
    import os, sys
    sys.path.insert(0, os.environ["NN_ROOT"])
    import streamlit as st
    from nnlib.config import RunConfig
    from ui.playground_views import data_view
    from ui.plots import playground_figures

    @st.cache_resource
    def trained(hidden):
        from nnlib.inspect.snapshot import playground_snapshot
        from nnlib.train.trainer import Trainer
        cfg = RunConfig().replace(model={"hidden": hidden}, train={"epochs": 200})
        t = Trainer(cfg)
        t.run()
        return cfg, playground_snapshot(t, True)

    @st.fragment
    def charts(cfg, snap):
        dv = data_view(RunConfig(data=cfg.data).to_json())
        figs = playground_figures(snap, dv["points"], dv["domain"], dv["features"], False, False, dv["n_classes"])
        for row in (["network", "boundary"], ["loss", "metric", "penalty"]):
            for col, fid in zip(st.columns(len(row)), row):
                col.plotly_chart(figs[fid], key=fid, config={"displayModeBar": False})

    hidden = tuple(int(v) for v in os.environ["NN_HIDDEN"].split(","))
    charts(*trained(hidden))
''')


def fragment_cost(hidden: str, repeats: int) -> tuple[float, int]:
    """Median CPU seconds of one rerun that re-renders the charts, and the bytes of their chart specs."""
    from streamlit.testing.v1 import AppTest

    os.environ.update(NN_ROOT=ROOT, NN_HIDDEN=hidden)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "fragment_page.py")
        with open(path, "w") as f:
            f.write(SCRIPT)
        at = AppTest.from_file(path, default_timeout=120)
        at.run()  # trains once (cached) and warms imports
        assert not at.exception, at.exception
        times = []
        for _ in range(repeats):
            start = time.process_time()
            at.run()
            times.append(time.process_time() - start)
        size = sum(len(el.proto.spec) for el in at.get("plotly_chart"))
    return statistics.median(times), size


def route_cost(hidden: str, repeats: int) -> tuple[float, int]:
    """Median CPU seconds to build one live-route update (all traces patched, as after a new snapshot) + bytes."""
    from nnlib.config import RunConfig
    from nnlib.inspect.snapshot import playground_snapshot
    from nnlib.train.trainer import Trainer
    from ui.plots import encode, playground_patches

    cfg = RunConfig().replace(model={"hidden": tuple(int(v) for v in hidden.split(","))}, train={"epochs": 200})
    trainer = Trainer(cfg)
    trainer.run()
    snap = playground_snapshot(trainer, True)
    times, body = [], b""
    for _ in range(repeats):
        start = time.process_time()
        body = json.dumps({"patches": encode(playground_patches(snap, [], False, have=199))},
                          separators=(",", ":")).encode()
        times.append(time.process_time() - start)
    return statistics.median(times), len(body)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--hidden", default="4,2", help="hidden layer widths of the trained net")
    args = ap.parse_args()
    frag_s, frag_b = fragment_cost(args.hidden, args.repeats)
    route_s, route_b = route_cost(args.hidden, args.repeats)
    print(f"net 2-{args.hidden.replace(',', '-')}-1, {args.repeats} repeats, median CPU time per refresh")
    print(f"{'way':<34} {'CPU ms':>8} {'KB':>7}")
    print(f"{'Streamlit rerun of the charts':<34} {1000 * frag_s:>8.1f} {frag_b / 1024:>7.0f}")
    print(f"{'live route patch (one new epoch)':<34} {1000 * route_s:>8.1f} {route_b / 1024:>7.0f}")
    print(f"ratio: the rerun costs {frag_s / max(route_s, 1e-9):.0f}x the CPU of a route update")


if __name__ == "__main__":
    main()
