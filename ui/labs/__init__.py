"""The lab pages' helpers: pure plotly figure builders per lab (no streamlit import, unit-tested alone), the
lenient reading of a lab link, and the streamlit widgets built from nnlib.labs.settings."""
