"""Compare: the runs pinned from any page (Playground, CNN, variant groups, labs), overlaid and tabulated."""

from __future__ import annotations

import streamlit as st

from ui.compare_page import compare_body

st.set_page_config(page_title="Compare runs", layout="wide")  # also right when Streamlit runs this page alone
with st.container(key="cmp-page"):  # the key gives the page the Playground's margins (ui/live.css)
    st.markdown("### Compare runs")
    st.caption("Pinned runs' curves overlaid (solid: train, dashed: validation), live while they train; the "
               "settings that differ are highlighted. Pins stay while you switch pages.")
    compare_body()
