"""Apply the Alembic migrations programmatically (``nora init`` and the test fixtures use this)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, inspect

from nora.archive import revision as counter

_HERE = Path(__file__).parent / "migrations"


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_HERE))
    return cfg


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Bring the database to ``revision`` (default: every head; feature packages add their own branches),
    then (re)create the write-counter triggers on every table (:func:`nora.archive.revision.install`)."""
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
        if inspect(conn).has_table("revision"):
            counter.install(conn)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        # feature packages add their own branches, so a migrated database has several heads
        heads = MigrationContext.configure(conn).get_current_heads()
    return ",".join(sorted(heads)) or None
