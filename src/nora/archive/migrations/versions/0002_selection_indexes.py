"""selection indexes: file-path pattern search

Revision ID: 0002
Revises: 0001

* ``ix_files_path_pattern``: ``(path_lc, study_id)``, with ``varchar_pattern_ops`` on PostgreSQL, so the
  studies with a file matching a pattern with a literal prefix (``t1*/s0*.nii``) come from an index-only
  range scan, whatever the database's collation (SQLite gets ``GLOB``, which uses it the same way);
* ``ix_files_path_trgm`` (PostgreSQL only): a pg_trgm GIN index, so patterns with a leading wildcard
  (``*mask*``) do not scan the whole table. Skipped, with a warning, where pg_trgm cannot be created;
* ``lower(...)`` expression indexes on study descriptions and study / patient tags (PostgreSQL only):
  ``SDESC:`` and ``STAG:``/``PTAG:`` compare ``lower(column)``; without these PostgreSQL has no
  statistics for that expression, guesses 0.5 % of the rows, and picks nested loops over thousands of
  studies. (File tags are left out: there the guess favours the index look-ups that suit rare tags.)
"""

from __future__ import annotations

import logging

from alembic import op
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

log = logging.getLogger(__name__)

_LOWERED = [
    ("ix_studies_description_lc", "studies", "description"),
    ("ix_study_tags_tag_lc", "study_tags", "tag"),
    ("ix_patient_tags_tag_lc", "patient_tags", "tag"),
]


def _have_trigrams() -> bool:
    bind = op.get_bind()
    if bind.execute(text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")).first():
        return True
    savepoint = bind.begin_nested()
    try:
        bind.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except DBAPIError as exc:
        savepoint.rollback()
        log.warning("pg_trgm is not available (%s): file patterns starting with '*' will scan", exc.orig)
        return False
    savepoint.commit()
    return True


def upgrade() -> None:
    op.create_index(
        "ix_files_path_pattern",
        "files",
        ["path_lc", "study_id"],
        postgresql_ops={"path_lc": "varchar_pattern_ops"},
    )
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, table, column in _LOWERED:
        op.create_index(name, table, [text(f"lower({column}) text_pattern_ops")])
    if _have_trigrams():
        op.create_index(
            "ix_files_path_trgm",
            "files",
            ["path_lc"],
            postgresql_using="gin",
            postgresql_ops={"path_lc": "gin_trgm_ops"},
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_files_path_trgm")
        for name, table, _ in _LOWERED:
            op.drop_index(name, table_name=table)
    op.drop_index("ix_files_path_pattern", table_name="files")
