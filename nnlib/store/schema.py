"""The classroom database's tables (SQLAlchemy Core), one place every repository module reads them from.

JSON travels as text (portable between SQLite and PostgreSQL); times are Unix seconds (float) so retention and
ordering are plain comparisons on both databases. The Alembic migrations in `migrations/versions` create the same
tables; `tests/store` checks that the migrated database matches this metadata.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

classes = sa.Table(
    "classes", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("code", sa.String(16), nullable=False, unique=True),
    sa.Column("name", sa.String(120), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
)

presets = sa.Table(
    "presets", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("class_id", sa.Integer, sa.ForeignKey("classes.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("name", sa.String(120), nullable=False),
    sa.Column("config", sa.Text, nullable=False),  # RunConfig JSON
    sa.Column("locked", sa.Text, nullable=False),  # JSON list of "section.field"
    sa.Column("hidden", sa.Text, nullable=False),  # JSON list of "section.field" (hidden implies locked)
    sa.Column("created_at", sa.Float, nullable=False),
)

challenges = sa.Table(
    "challenges", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("class_id", sa.Integer, sa.ForeignKey("classes.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),  # see nnlib.classroom.challenges.KINDS
    sa.Column("threshold", sa.Float, nullable=True),
    sa.Column("max_epochs", sa.Integer, nullable=True),
    sa.Column("created_at", sa.Float, nullable=False),
)

students = sa.Table(
    "students", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("class_id", sa.Integer, sa.ForeignKey("classes.id", ondelete="CASCADE"), nullable=False),
    sa.Column("name", sa.String(40), nullable=False),
    sa.Column("person", sa.String(80), nullable=False),  # the browser that claimed the name (nnlib.jobs.identity)
    sa.Column("created_at", sa.Float, nullable=False),
    sa.UniqueConstraint("class_id", "name", name="uq_students_class_name"),
)

runs = sa.Table(
    "runs", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("job_id", sa.String(64), nullable=False, unique=True),
    sa.Column("owner", sa.String(120), nullable=False, index=True),  # "student:<id>" or a person key
    sa.Column("class_id", sa.Integer, sa.ForeignKey("classes.id", ondelete="CASCADE"), nullable=True, index=True),
    sa.Column("page", sa.String(16), nullable=False),  # "playground" | "cnn"
    sa.Column("status", sa.String(16), nullable=False),  # "finished" | "stopped" | "failed"
    sa.Column("config", sa.Text, nullable=False),
    sa.Column("history", sa.Text, nullable=False),
    sa.Column("metrics", sa.Text, nullable=False),  # final metrics + epochs + parameter count, JSON
    sa.Column("weights", sa.LargeBinary, nullable=True),  # safetensors file (ui.run_file format)
    sa.Column("shared", sa.Boolean, nullable=False, default=False),  # the teacher showed it to everyone
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("finished_at", sa.Float, nullable=False, index=True),
)
