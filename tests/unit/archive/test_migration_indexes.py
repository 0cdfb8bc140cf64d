"""Migration 0011 drops the patients' single-column project index, and its downgrade restores it."""

from __future__ import annotations

from alembic import command
from sqlalchemy import Engine, inspect

from nora.archive.migrate import alembic_config, upgrade


def _patient_indexes(engine: Engine) -> set[str]:
    return {str(i["name"]) for i in inspect(engine).get_indexes("patients")}


def test_the_redundant_patients_project_index_is_dropped_and_restored_by_the_downgrade(engine: Engine) -> None:
    assert "ix_patients_table_order" in _patient_indexes(engine)
    assert "ix_patients_project_id" not in _patient_indexes(engine)
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0010_table_indexes")
    assert "ix_patients_project_id" in _patient_indexes(engine)
    upgrade(engine)
    assert "ix_patients_project_id" not in _patient_indexes(engine)
