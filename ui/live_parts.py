"""The Playground live view's pictures (boundary and network diagram), built once per snapshot by the job's worker
and served by the live route as they arrived, without decoding.

Building a poll's answer cost the server ~0.5 ms (0.8 under load) per update, most of it the boundary's and the
diagram's patches -- the same for every browser watching the job. The page's payload names `picture_fragment`
(PICTURES_PAYLOAD); the worker then adds it to each snapshot it builds (nnlib.train.job), the job manager moves it
out of the snapshot into the job's view (nnlib.jobs.records.LIVE_PICTURES), and `patches_json` splices it with
the curves, which depend on what each browser already has. A browser that asks for something else (a discretized
boundary) gets the answer built from the snapshot as before; either way it receives the same patches.
"""

from __future__ import annotations

import json
from typing import Any

PICTURES_FN = "ui.live_parts:picture_fragment"
PICTURES_PAYLOAD = {"live_pictures": PICTURES_FN}  # what a page adds to a Playground job's payload


def _json(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":"), allow_nan=False).encode()


def picture_fragment(snap: dict) -> bytes:
    """The members `"boundary":{...},"network":{...}` of the patches object (JSON, no braces) for a browser that
    shows the boundary as probabilities (not discretized)."""
    from ui.plots import encode, picture_patches

    return _json(encode(picture_patches(snap, [], False)))[1:-1]


def patches_json(view: Any, kind: str, opts: dict[str, str]) -> bytes | None:
    """The answer's "patches" object as JSON from the view's ready pictures and this browser's curves; None when
    there are none or the browser asks for a view they do not show (then build it from the snapshot)."""
    if not has_ready_pictures(view, kind, opts):
        return None
    from ui.live import show_test
    from ui.plots import curve_patches, encode

    curves = _json(encode(curve_patches(view.snapshot, int(opts.get("have", "0") or 0), show_test(opts))))
    return b"{" + view.pictures + b"," + curves[1:]


def has_ready_pictures(view: Any, kind: str, opts: dict[str, str]) -> bool:
    """Whether the worker's pictures answer this browser (then only its curves are left to build)."""
    return (kind == "playground" and bool(getattr(view, "pictures", None)) and bool(view.snapshot)
            and opts.get("disc") != "1")
