"""trash: files moved to a project's trash, restorable

Revision ID: 0007_trash
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_trash"
down_revision = "0002"
branch_labels = ("trash",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "trashed_files",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("project_id", sa.Integer(), sa.ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
        sa.Column("pid", sa.String(128), nullable=False),
        sa.Column("sid", sa.String(128), nullable=True),
        sa.Column("path", sa.String(1024), nullable=False),
        sa.Column("format", sa.String(32), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("header", sa.JSON(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("trashed_by", sa.String(64), nullable=False),
        sa.Column("trashed_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_trashed_files_project_id", "trashed_files", ["project_id"])


def downgrade() -> None:
    op.drop_table("trashed_files")
