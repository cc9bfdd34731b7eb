"""The classroom's rules, without Streamlit: presets with locked fields (enforced on every class submission), the
teacher password gate, challenges and their leaderboards, admission limits, and the recorder that stores every
ended run in the database (nnlib.store)."""
