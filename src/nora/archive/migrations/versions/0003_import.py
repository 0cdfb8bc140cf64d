"""import: the table of imported DICOM instances (idempotent import)

Revision ID: 0003_import
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_import"
down_revision = "0002"
branch_labels = ("import",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "imported_instances",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("project_id", sa.Integer(), sa.ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
        sa.Column("study_id", sa.Integer(), sa.ForeignKey("studies.id", ondelete="CASCADE"), nullable=False),
        sa.Column("sop_uid", sa.String(128), nullable=False),
        sa.Column("series_uid", sa.String(128), nullable=False),
        sa.Column("series_path", sa.String(1024), nullable=False, server_default=""),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("project_id", "sop_uid", "series_uid", name="uq_imported_instance"),
    )
    op.create_index("ix_imported_instances_project_id", "imported_instances", ["project_id"])
    op.create_index("ix_imported_instances_study_id", "imported_instances", ["study_id"])
    op.create_index("ix_imported_instances_series_uid", "imported_instances", ["series_uid"])


def downgrade() -> None:
    op.drop_table("imported_instances")
