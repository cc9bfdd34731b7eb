"""Streamlit UI helpers shared by the pages (plot builders in ui.plots stay streamlit-free)."""
