"""Course map: the concepts of an intro deep-learning course in lecture order, each opening the page or lab that
shows it, preset so the concept is the first thing on screen (the table is nnlib.course_map)."""

from __future__ import annotations

import streamlit as st

from nnlib.course_map import COURSE, PAGES
from ui.lab_menu import LAB_TITLES

WHERE = {"playground": "Playground", "cnn": "Images & CNNs", "compare": "Compare"}

st.set_page_config(page_title="Course map", layout="wide")  # also right when Streamlit runs this page alone
st.markdown("### Course map")
st.caption("An intro deep-learning course in lecture order. Each link opens the page that shows the concept, set up "
           "so that it is what you see first; press **Train** where there is a network to train.")
for i, concept in enumerate(COURSE, start=1):
    where = WHERE.get(concept.page) or f"Lab: {LAB_TITLES.get(concept.page, concept.page)}"
    assert concept.page in PAGES
    left, mid, right = st.columns([1.3, 3.2, 1], vertical_alignment="center")
    left.markdown(f"**{i}. {concept.title}**")
    mid.markdown(concept.sentence)
    right.markdown(f"[{where} →]({concept.link})")
