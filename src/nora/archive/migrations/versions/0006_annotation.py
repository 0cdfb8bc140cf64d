"""annotation: annotation objects (ROIs, marker sets) and their versions

Revision ID: 0006_annotation
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_annotation"
down_revision = "0002"
branch_labels = ("annotation",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "annotation_objects",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("project_id", sa.Integer(), sa.ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
        sa.Column("patient_id", sa.Integer(), sa.ForeignKey("patients.id", ondelete="CASCADE"), nullable=False),
        sa.Column("study_id", sa.Integer(), sa.ForeignKey("studies.id", ondelete="CASCADE"), nullable=True),
        sa.Column("study_key", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("path", sa.String(1024), nullable=False),
        sa.Column("current", sa.Integer(), nullable=False),
        sa.Column("reference_id", sa.Integer(), sa.ForeignKey("files.id", ondelete="SET NULL"), nullable=True),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("patient_id", "study_key", "path", name="uq_annotation_object"),
    )
    for col in ("project_id", "patient_id", "study_id"):
        op.create_index(f"ix_annotation_objects_{col}", "annotation_objects", [col])
    op.create_table(
        "annotation_versions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "object_id", sa.Integer(), sa.ForeignKey("annotation_objects.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("based_on", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Boolean(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("blob", sa.String(1024), nullable=False),
        sa.Column("tool", sa.String(64), nullable=False),
        sa.Column("saved_by", sa.String(128), nullable=False),
        sa.Column("saved_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("object_id", "number", name="uq_annotation_version"),
    )
    op.create_index("ix_annotation_versions_object_id", "annotation_versions", ["object_id"])


def downgrade() -> None:
    op.drop_table("annotation_versions")
    op.drop_table("annotation_objects")
