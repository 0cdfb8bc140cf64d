"""drop ix_patients_project_id: ix_patients_table_order (project_id, pid_lc, id) and the unique
(project_id, pid) constraint both start with the project, so the single-column index only costs writes

Revision ID: 0011_patients_project_index
Revises: 0010_table_indexes
"""

from __future__ import annotations

from alembic import op

revision = "0011_patients_project_index"
down_revision = "0010_table_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_patients_project_id", table_name="patients")


def downgrade() -> None:
    op.create_index("ix_patients_project_id", "patients", ["project_id"])
