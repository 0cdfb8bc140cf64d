"""The database's revision: one counter that every committed write raises, whoever wrote it.

Database triggers on every table (but :data:`UNWATCHED`) raise ``revision.value`` in the writing
transaction itself, so the new value becomes visible exactly when the write does, and a rolled-back write
leaves it alone. That covers every writer alike: a route of this server or of another server process, the
daemon, an import, a DICOM node and the CLI in processes of their own, and plain SQL. A reader that reads
the revision *before* the data it derives from it never holds data older than the revision it read, which
is what makes the revision a safe key for the server's response cache (:mod:`nora.api.cache`).

- SQLite: ``AFTER INSERT/UPDATE/DELETE`` row triggers (SQLite writers are serialised anyway).
- PostgreSQL: a deferred constraint trigger per table that raises the counter once per transaction at its
  commit (the row lock on the counter is taken last and held only while committing, so concurrent writers
  neither deadlock on it nor wait for each other's whole transactions), and a ``TRUNCATE`` trigger.

:func:`install` creates the triggers a table of the database lacks; ``nora.archive.migrate.upgrade``
calls it after every migration run, so a table added by a later migration (or rebuilt by SQLite's batch
mode, which drops triggers) is watched too.
"""

from __future__ import annotations

import re

from sqlalchemy import Connection, inspect, select, text
from sqlalchemy.orm import Session

from nora.archive.models import Revision

#: tables whose writes change nothing a cached answer shows: the counter itself, Alembic's bookkeeping,
#: the tokens (``last_used_at`` is written once a minute per token; a revoked token is checked on every
#: request before any cache) and the audit log (written only beside a write of a watched table)
UNWATCHED = frozenset({"revision", "alembic_version", "api_tokens", "audit_log"})

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION nora_bump_revision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('nora.revision_bumped', true) IS DISTINCT FROM 'on' THEN
        UPDATE revision SET value = value + 1 WHERE id = 1;
        PERFORM set_config('nora.revision_bumped', 'on', true);
    END IF;
    RETURN NULL;
END $$
"""


def current(session: Session) -> int | None:
    """The database's revision now; None where the database has no counter row (then nothing is cached)."""
    return session.scalar(select(Revision.value).where(Revision.id == 1))


def watched_tables(conn: Connection) -> list[str]:
    """The tables of the database whose writes raise the revision."""
    return sorted(t for t in inspect(conn).get_table_names() if t not in UNWATCHED)


def trigger_names(conn: Connection) -> dict[str, set[str]]:
    """Table -> names of the revision triggers it has (what :func:`install` made; for tests and checks)."""
    if conn.dialect.name == "postgresql":
        rows = conn.execute(
            text(
                "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
                " WHERE t.tgname LIKE 'nora_rev_%'"
            )
        )
    else:
        rows = conn.execute(
            text("SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'nora_rev_%'")
        )
    out: dict[str, set[str]] = {}
    for table, name in rows:
        out.setdefault(str(table), set()).add(str(name))
    return out


def install(conn: Connection) -> None:
    """Create the counter row and the revision triggers that a watched table lacks (a no-op when all are
    there: the test fixtures migrate every test's database)."""
    pg = conn.dialect.name == "postgresql"
    have = trigger_names(conn)
    missing = {
        table: todo
        for table in watched_tables(conn)
        if (todo := {name: sql for name, sql in _triggers(pg, table).items() if name not in have.get(table, set())})
    }
    if pg:
        conn.execute(text("INSERT INTO revision (id, value) VALUES (1, 0) ON CONFLICT (id) DO NOTHING"))
        if missing:
            conn.execute(text(_PG_FUNCTION))
    else:
        conn.execute(text("INSERT OR IGNORE INTO revision (id, value) VALUES (1, 0)"))
    for todo in missing.values():
        for statement in todo.values():
            conn.execute(text(statement))


def _triggers(pg: bool, table: str) -> dict[str, str]:
    """Trigger name -> its CREATE statement, for one table. A changed body needs a new name (install
    creates only missing triggers)."""
    # the table names come from the database's own catalogue (the migrations), never from a request
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", table):
        raise ValueError(f"unexpected table name {table!r}")
    if pg:
        row, truncate = f"nora_rev_{table}", f"nora_rev_{table}_truncate"
        return {
            row: f'CREATE CONSTRAINT TRIGGER "{row}" AFTER INSERT OR UPDATE OR DELETE ON "{table}"'
            " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION nora_bump_revision()",
            truncate: f'CREATE TRIGGER "{truncate}" AFTER TRUNCATE ON "{table}"'
            " FOR EACH STATEMENT EXECUTE FUNCTION nora_bump_revision()",
        }
    bump = "BEGIN UPDATE revision SET value = value + 1 WHERE id = 1; END"
    return {
        f"nora_rev_{table}_{op}": f'CREATE TRIGGER "nora_rev_{table}_{op}" AFTER {op.upper()} ON "{table}" {bump}'
        for op in ("insert", "update", "delete")
    }
