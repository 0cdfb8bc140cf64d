"""jobs: one lifecycle for every kind (kill flag, runner of worker jobs, real phases for import/retrieve)

Revision ID: 0005_job_lifecycle
Revises: 0004_processing

* ``kill_requested`` replaces the message ``"kill requested"``;
* ``runner`` ("host pid start-time") of jobs run by the engine's worker pool (import, retrieve);
* import and retrieve jobs get the phase their state says (they had ``import`` / ``external``);
  dismissed errors (state ``x``) get the phase ``dismissed``;
* ``batch_id`` becomes a foreign key to ``batches`` (a batch's jobs go with it).

The ``jobs`` table is processing's now (``nora.processing.models.Job``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_job_lifecycle"
down_revision = "0004_processing"
branch_labels = None
depends_on = None

FK = "fk_jobs_batch_id_batches"
_PHASE_OF_STATE = {"q": "queued", "r": "running", "e": "error", "d": "done", "x": "dismissed"}


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("kill_requested", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("runner", sa.String(length=255), nullable=False, server_default=""))
    jobs = sa.table(
        "jobs",
        sa.column("phase", sa.String()),
        sa.column("state", sa.String()),
        sa.column("message", sa.Text()),
        sa.column("kill_requested", sa.Boolean()),
    )
    unscheduled = jobs.c.phase.in_(["import", "external"])  # import and retrieve jobs had no real phase
    for state, phase in _PHASE_OF_STATE.items():
        op.execute(jobs.update().where(unscheduled, jobs.c.state == state).values(phase=phase))
    op.execute(jobs.update().where(jobs.c.state == "x").values(phase="dismissed"))
    op.execute(jobs.update().where(jobs.c.message == "kill requested").values(kill_requested=True, message=""))
    op.execute(
        "UPDATE jobs SET batch_id = NULL WHERE batch_id IS NOT NULL AND batch_id NOT IN (SELECT id FROM batches)"
    )
    with op.batch_alter_table("jobs") as batch:
        batch.create_foreign_key(FK, "batches", ["batch_id"], ["id"], ondelete="CASCADE")


def downgrade() -> None:
    jobs = sa.table(
        "jobs",
        sa.column("phase", sa.String()),
        sa.column("state", sa.String()),
        sa.column("kind", sa.String()),
        sa.column("message", sa.Text()),
        sa.column("kill_requested", sa.Boolean()),
    )
    with op.batch_alter_table("jobs") as batch:
        batch.drop_constraint(FK, type_="foreignkey")
    op.execute(jobs.update().where(jobs.c.kill_requested.is_(True)).values(message="kill requested"))
    op.execute(jobs.update().where(jobs.c.kind == "import").values(phase="import"))
    op.execute(jobs.update().where(jobs.c.kind == "retrieve").values(phase="external"))
    op.execute(jobs.update().where(jobs.c.phase == "dismissed").values(phase="error"))
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("runner")
        batch.drop_column("kill_requested")
