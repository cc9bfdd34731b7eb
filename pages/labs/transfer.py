"""Lab 13.11: transfer learning -- a small CNN pretrained on MNIST digits, then trained on generated shapes with a
few labelled images per class three ways (conv blocks frozen, everything fine-tuned, from scratch), overlaid live
in one group job; the tables say which layers were frozen and how many parameters each variant trains."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from nnlib.data.images import SHAPE_NAMES
from nnlib.labs.transfer_lab import TARGET_CLASSES, held_out, transfer_group, variant_tables
from ui.labs import widgets as W
from ui.labs.group_runs import group_panel
from ui.labs.train_plots import overlay_figure

LAB = "transfer"
SLOT = "lab_transfer"

# the shapes' classes named from the dataset itself: the text said "lines, circles, squares, triangles: 6 classes"
# (four kinds for six classes; the lines are three: horizontal, vertical, diagonal)
SHAPES_TEXT = f"{len(SHAPE_NAMES)} classes: " + ", ".join(SHAPE_NAMES)

W.header("Transfer learning",
         "Features learned on one task can start another. A small CNN (two conv blocks of 8 and 16 3×3 filters, "
         "max-pooled, and a linear output on the flattened 16×7×7 maps) is **pretrained on 5,000 MNIST digits** "
         f"(offline, 2 epochs), then learns the **generated shapes** ({SHAPES_TEXT}) "
         "from only a few labelled images per class, three ways side by side: (a) the pretrained conv blocks "
         "**frozen** and only the new output layer trained, (b) **fine-tuning** everything from the pretrained "
         "weights, (c) the same net **from scratch**. The output layer is always new: the digits' 10 classes are "
         f"not the shapes' {len(SHAPE_NAMES)}.")
st.caption("Sized for a 2-core CPU server: the pretraining takes a few seconds once per server (then it is cached "
           "on disk), each variant a few seconds more; one torch thread per worker.")
W.begin([LAB])
cols = st.columns([2, 2, 1.5, 1], vertical_alignment="bottom")
W.number(LAB, "per_class", "Labelled images per class", where=cols[0])
W.number(LAB, "epochs", "Epochs", where=cols[1])
W.number(LAB, "noise", "Pixel noise %", where=cols[2])
W.number(LAB, "seed", "Seed", slider=False, where=cols[3])
settings = W.finish(LAB)
if settings is not None:
    configs, labels, options = transfer_group(settings.per_class, settings.epochs, settings.noise, settings.seed)
    st.markdown(f"Training set: about {settings.per_class * TARGET_CLASSES} shapes ({settings.per_class} per "
                f"class); {held_out(settings.per_class) // 2} more validate (the accuracy below) and as many "
                "test. Whether pretraining helps depends on how alike the two tasks are: with very few labels "
                "the frozen features have less to overfit; with more labels from-scratch training catches up.")
    tables = variant_tables(configs[0])
    for col, (variant, rows, trained) in zip(st.columns(len(tables)), tables, strict=True):
        total = sum(r.parameters for r in rows)
        col.markdown(f"**{variant.label}** -- trains {trained:,} of {total:,} parameters "
                     f"({'pretrained' if variant.pretrained else 'random'} start)")
        col.dataframe(pd.DataFrame({"layer": [r.name for r in rows], "parameters": [r.parameters for r in rows],
                                    "state": ["trained" if r.trainable else "frozen" for r in rows]}),
                      hide_index=True, width="stretch")
    view = group_panel(SLOT, configs, labels,
                       {"loss": overlay_figure("Loss: train (solid), validation (dashed)", labels, ("train", "val")),
                        "accuracy": overlay_figure("Validation accuracy", labels, ("val",), "accuracy")},
                       [["loss", "accuracy"]], "lab_accuracy", lab="transfer", lab_options=options)
    done = (view.snapshot or {}).get("transfer") if view is not None else None
    if done:
        st.markdown("After training (checked in the job): " + "; ".join(
            f"**{r['label']}** trained {r['trained']:,} of {r['total']:,} parameters"
            + (", its conv weights are exactly the pretrained ones" if r["conv_unchanged"] else "") for r in done)
            + ".")
