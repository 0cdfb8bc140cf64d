"""The models and the migrations agree: a database migrated to every head has exactly the models' schema.

Alembic's autogenerate comparison (``compare_metadata``) between the metadata of every model module (the
archive's and each feature's) and a freshly migrated SQLite and PostgreSQL database must find nothing.
A model changed without its migration (or the reverse) fails here.
"""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine

import nora.annotation.models
import nora.archive.trashmodels
import nora.importing.models
import nora.processing.models
import nora.reading.models
from nora.archive.models import Base

#: every module with tables of its own
FEATURES = (
    nora.annotation.models,
    nora.reading.models,
    nora.importing.models,
    nora.processing.models,
    nora.archive.trashmodels,
)
#: PostgreSQL-only indexes of migration 0002 (``lower(...)`` expressions, pg_trgm) that SQLAlchemy's
#: metadata cannot state per dialect; everything else must match
POSTGRES_ONLY = {"ix_files_path_trgm", "ix_studies_description_lc", "ix_study_tags_tag_lc", "ix_patient_tags_tag_lc"}


def _name(diff: Any) -> str:
    return str(getattr(diff[1], "name", "")) if isinstance(diff, tuple) and len(diff) > 1 else ""


def _differences(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": False})
        found = list(compare_metadata(context, Base.metadata))
    expected = POSTGRES_ONLY if engine.dialect.name == "postgresql" else set()
    return [d for d in found if not (d[0] == "remove_index" and _name(d) in expected)]


def test_a_migrated_database_has_exactly_the_models_schema(engine: Engine) -> None:
    assert FEATURES  # imported: their tables are in Base.metadata
    assert _differences(engine) == []
