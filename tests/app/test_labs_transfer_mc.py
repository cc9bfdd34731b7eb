"""AppTest of the transfer-learning lab and the dropout lab's Monte-Carlo part: each page shows its controls and
empty figures, Train submits ONE group job to the shared JobManager (with the lab's hooks: pretraining and freezing,
or the Monte-Carlo predictions), and the finished figures and sentences hold the job's own numbers."""

from __future__ import annotations

import numpy as np

from tests.app.test_labs_training import arr, charts, lab, train_until_done


def title(fig: dict) -> str:
    return str((fig["layout"].get("title") or {}).get("text", ""))


def test_transfer_lab_shows_what_each_variant_trains_and_overlays_the_three_runs():
    at = lab("transfer", **{"transfer.per_class": "3", "transfer.epochs": "6"})
    tables = [df.value for df in at.dataframe]
    assert len(tables) == 3
    frozen, finetune, scratch = tables
    assert list(frozen["state"]) == ["frozen", "frozen", "trained"]
    assert list(finetune["state"]) == list(scratch["state"]) == ["trained"] * 3
    text = " ".join(m.value for m in at.markdown)
    total = int(frozen["parameters"].sum())
    out = int(frozen["parameters"].iloc[-1])
    assert f"trains {out:,} of {total:,} parameters" in text and f"trains {total:,} of {total:,}" in text
    loss, acc = charts(at)
    assert [t["name"] for t in acc["data"]] == ["frozen conv, head trained", "fine-tune all", "from scratch"]
    train_until_done(at, "lab_transfer", timeout=300)
    loss, acc = charts(at)
    assert [len(arr(t["y"])) for t in acc["data"]] == [6, 6, 6]
    text = " ".join(m.value for m in at.markdown)
    assert f"**frozen conv, head trained** trained {out:,} of {total:,} parameters, its conv weights are exactly " \
           "the pretrained ones" in text
    assert f"**from scratch** trained {total:,} of {total:,} parameters;" in text or \
           f"**from scratch** trained {total:,} of {total:,} parameters." in text


def test_dropout_lab_monte_carlo_band_from_the_job():
    at = lab("dropout", **{"mc_dropout.epochs": "30", "mc_dropout.passes": "50", "mc_dropout.p": "0.5"})
    figs = charts(at)
    maps = [f for f in figs if "uncertainty" in title(f)]
    assert len(maps) == 2 and all(len(f["data"][0]["z"]) == 0 for f in maps)
    train_until_done(at, "lab_mc_dropout")
    figs = charts(at)
    drop_map, plain_map = [f for f in figs if "uncertainty" in title(f)]
    band = np.array(drop_map["data"][0]["z"], dtype=float)
    assert band.shape == (41, 41) and band.max() > 0.1  # dropout on: the passes disagree somewhere
    assert np.array(plain_map["data"][0]["z"], dtype=float).max() == 0.0  # no dropout: every pass equal
    ensemble = next(f for f in figs if title(f).startswith("|average of T passes"))
    logit_err = list(ensemble["data"][0]["y"])
    assert ensemble["data"][0]["x"][-1] == 50 and logit_err[-1] < logit_err[0]
    text = " ".join(m.value for m in at.markdown)
    assert "**dropout p 0.5**: P(class 1) ± " in text
    assert "**no dropout**: P(class 1) ± 0.000 (2 std, averaged)" in text


def test_transfer_text_names_the_shapes_real_classes():
    """The text said "lines, circles, squares, triangles: 6 classes": four kinds named for six classes."""
    from nnlib.data.images import SHAPE_NAMES
    from nnlib.labs.transfer_lab import TARGET_CLASSES

    at = lab("transfer")
    text = " ".join(m.value for m in at.markdown)
    assert TARGET_CLASSES == len(SHAPE_NAMES)
    assert f"{len(SHAPE_NAMES)} classes: " + ", ".join(SHAPE_NAMES) in text
    assert "lines, circles, squares, triangles" not in text
