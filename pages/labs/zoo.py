"""Lab 13.9: classic architectures from torchvision.models (built on the meta device, no weights): layer tables,
parameters and multiply-adds next to the figures the lecture quotes, and the residual / depthwise-separable savings."""

from __future__ import annotations

import streamlit as st

from nnlib.labs.zoo import ZOO, depthwise_separable_cost, residual_block_params, zoo_summary, zoo_table
from ui.labs import widgets as W
from ui.labs.network_plots import zoo_figure

LAB = "zoo"
CHANNELS = 256  # the lecture's residual block width
NUMBER = st.column_config.NumberColumn(format="localized")


@st.cache_resource(show_spinner="Building the seven nets on the meta device (a few seconds, once per server)...")
def summary() -> list[dict[str, object]]:
    return zoo_summary()


W.header("Architecture zoo",
         "How big are the classic nets? Each is built from torchvision.models without weights and one 224x224 "
         "image is traced through it: **parameters** = Σ numel over all weights, **multiply-adds** = Σ over conv "
         "and linear layers of output values x F x F x D_in. Note how VGG-16's fully connected layers hold most of "
         "its 138M parameters, and how GoogLeNet, ResNet and MobileNet get more accuracy from far fewer.")
W.begin([LAB])
rows = summary()
st.plotly_chart(zoo_figure(rows), key="zoo_chart")
st.dataframe([{"net": r["label"], "params": r["params"], "quoted params": r["quoted_params"],
               "multiply-adds": r["macs"], "quoted multiply-adds": r["quoted_macs"]} for r in rows], hide_index=True,
             column_config={c: NUMBER for c in ("params", "quoted params", "multiply-adds", "quoted multiply-adds")})
# the quoted figures' sources under the table, whole: in a table column they were cut off at 1024 px (ResNet-50's
# note on torchvision's v1.5 entirely)
st.caption("Quoted figures: " + "; ".join(f"**{r['label']}**: {r['source']}" for r in rows) + ".")
W.choice(LAB, "net", "Layer table of")
settings = W.finish(LAB)
if settings is not None:
    table = zoo_table(settings.net)
    st.markdown(f"**{ZOO[settings.net].label}**: {table.params:,} parameters, {table.macs:,} multiply-adds, "
                f"{len(table.rows)} layers with weights or a change of shape.")
    st.dataframe([r.__dict__ for r in table.rows], hide_index=True, height=320,
                 column_config={"params": NUMBER, "macs": NUMBER})

left, right = st.columns(2)
with left:
    res = residual_block_params(CHANNELS)
    st.markdown(f"#### Residual block at {CHANNELS} channels")
    st.markdown(f"y = F(x) + x: the skip connection adds no parameter and lets the gradient flow straight back. "
                f"A **basic** block (two 3x3 convs c → c: 2 · 3·3·c·c) has **{res['basic']:,}** weights; the "
                f"**bottleneck** block (1x1 c → c/4, 3x3 c/4 → c/4, 1x1 c/4 → c) has **{res['bottleneck']:,}**, "
                f"{res['basic'] / res['bottleneck']:.0f}x fewer.")
with right:
    ds = depthwise_separable_cost(CHANNELS, CHANNELS)
    st.markdown(f"#### Depthwise-separable conv at {CHANNELS} → {CHANNELS} channels")
    st.markdown(f"A 3x3 conv per channel (depthwise) then a 1x1 conv mixing channels (pointwise), as in MobileNet: "
                f"**{ds['separable_params']:,}** weights instead of **{ds['standard_params']:,}**, "
                f"{ds['separable_macs']:,} multiplies instead of {ds['standard_macs']:,} on a 56x56 map. "
                f"Ratio 1/K + 1/F² = **{ds['ratio']:.3f}**.")
