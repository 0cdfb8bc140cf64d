"""reading: reading results (append-only answers) and case visits (timing)

Revision ID: 0009_reading
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_reading"
down_revision = "0002"
branch_labels = ("reading",)
depends_on = None


def _case_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("reading_id", sa.Integer(), sa.ForeignKey("json_documents.id", ondelete="CASCADE"), nullable=False),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("arm", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("study_id", sa.Integer(), sa.ForeignKey("studies.id", ondelete="CASCADE"), nullable=False),
        sa.Column("file_id", sa.Integer(), sa.ForeignKey("files.id", ondelete="CASCADE"), nullable=True),
        sa.Column("repetition", sa.Integer(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "reading_visits",
        *_case_columns(),
        sa.Column("first_answer_ms", sa.Integer(), nullable=True),
        sa.Column("active_ms", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "reading_results",
        *_case_columns(),
        sa.Column("item", sa.String(128), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("time_ms", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), sa.ForeignKey("reading_visits.id", ondelete="SET NULL"), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    for table in ("reading_visits", "reading_results"):
        for col in ("reading_id", "user_id", "study_id"):
            op.create_index(f"ix_{table}_{col}", table, [col])
        op.create_index(f"ix_{table}_case", table, ["reading_id", "stage", "user_id", "study_id"])


def downgrade() -> None:
    op.drop_table("reading_results")
    op.drop_table("reading_visits")
