"""processing: batches, and the executor's columns on jobs

Revision ID: 0004_processing
Revises: 0002

* ``batches``: one launch of a batch (its spec, queue, executor, origin for autoexecution);
* ``jobs``: ``step``/``chain`` (position in the batch, subject index), ``phase`` (finer than ``state``),
  ``executor``, ``queue``, ``external_id`` (PID or Slurm job id), ``job_dir``, ``exit_code``, start and end.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_processing"
down_revision = "0002"
branch_labels = ("processing",)
depends_on = None


def _job_columns() -> tuple[sa.Column[object], ...]:
    return (
        sa.Column("step", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("chain", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("phase", sa.String(length=16), nullable=False, server_default="queued"),
        sa.Column("executor", sa.String(length=16), nullable=False, server_default=""),
        sa.Column("queue", sa.String(length=64), nullable=False, server_default=""),
        sa.Column("external_id", sa.String(length=64), nullable=False, server_default=""),
        sa.Column("job_dir", sa.String(length=1024), nullable=False, server_default=""),
        sa.Column("exit_code", sa.Integer(), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
    )


def upgrade() -> None:
    op.create_table(
        "batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("username", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("queue", sa.String(length=64), nullable=False),
        sa.Column("executor", sa.String(length=16), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("origin", sa.String(length=512), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_batches_project_id", "batches", ["project_id"])
    op.create_index("ix_batches_origin", "batches", ["origin"])
    with op.batch_alter_table("jobs") as batch:
        for column in _job_columns():
            batch.add_column(column)
    op.create_index("ix_jobs_phase", "jobs", ["phase"])


def downgrade() -> None:
    op.drop_index("ix_jobs_phase", table_name="jobs")
    with op.batch_alter_table("jobs") as batch:
        for column in reversed(_job_columns()):
            batch.drop_column(column.name)
    op.drop_index("ix_batches_origin", table_name="batches")
    op.drop_index("ix_batches_project_id", table_name="batches")
    op.drop_table("batches")
