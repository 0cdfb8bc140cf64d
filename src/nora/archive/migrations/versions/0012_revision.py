"""revision: the database's write counter (one row), the key of the server's response cache

The triggers that raise it are not part of this migration: ``nora.archive.migrate.upgrade`` (re)creates
them on every table after each migration run (:mod:`nora.archive.revision`), so tables of later migrations
are watched too. This revision merges the feature branches, so every table exists when it runs.

Revision ID: 0012_revision
Revises: 0003_import, 0005_job_lifecycle, 0006_annotation, 0007_trash, 0008_segmentation, 0009_reading,
    0011_patients_project_index
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_revision"
down_revision = (
    "0003_import",
    "0005_job_lifecycle",
    "0006_annotation",
    "0007_trash",
    "0008_segmentation",
    "0009_reading",
    "0011_patients_project_index",
)
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "revision",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("value", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("revision")
