"""Persistence for the classroom: classes, presets, challenges, students and finished runs (SQLAlchemy Core).

Imports neither streamlit nor torch. `open_engine()` opens (and migrates) the database; each repository module
(classes, presets, challenges, students, runs) takes an engine as its first argument; `retention` prunes old runs.
"""
