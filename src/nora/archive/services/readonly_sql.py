"""Read-only SQL for system admins (NORA's ``--sql``): one statement in a transaction that cannot write."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy import Engine

from nora.archive.services.access import Actor, require_system_admin
from nora.archive.services.cliops import Table
from nora.core.errors import InvalidInput

_READ_STATEMENTS = {"select", "with", "values", "table", "explain", "show", "pragma"}
_READ_PRAGMAS = re.compile(
    r"(?i)^pragma\s+(\w+\.)?(table_info|table_xinfo|table_list|index_list|index_info|index_xinfo|"
    r"foreign_key_list|database_list|compile_options|collation_list|function_list|user_version|schema_version)\b"
)
_LEADING_NOISE = re.compile(r"^(\s+|--[^\n]*(\n|$)|/\*.*?\*/|\()+", re.DOTALL)


def readonly_query(engine: Engine, actor: Actor, sql: str) -> Table:
    """Run one SQL statement in a read-only transaction (system admins only; NORA's ``--sql``).

    The transaction is read-only on the database itself: ``PRAGMA query_only`` on SQLite, ``SET TRANSACTION
    READ ONLY`` on PostgreSQL; only one statement runs, on a connection that is discarded afterwards so no
    setting it changes survives. Database errors (a write, a syntax error) become :class:`InvalidInput`.
    """
    require_system_admin(actor)
    text = _LEADING_NOISE.sub("", sql)
    word = text.split(None, 1)[0].lower() if text.strip() else ""
    if word not in _READ_STATEMENTS or (word == "pragma" and ("=" in text or not _READ_PRAGMAS.match(text))):
        raise InvalidInput(
            "--sql runs read-only queries only: SELECT, WITH, VALUES, TABLE, EXPLAIN, SHOW "
            "or a schema PRAGMA such as table_info"
        )
    sqlite = engine.dialect.name == "sqlite"
    raw = engine.raw_connection()
    try:
        cursor: Any = raw.driver_connection.cursor()  # type: ignore[union-attr]
        if sqlite:
            cursor.execute("PRAGMA query_only=ON")
            cursor.execute(sql)  # sqlite3 refuses a second statement
        else:
            cursor.execute("SET TRANSACTION READ ONLY")
            cursor.execute(sql, prepare=True)  # psycopg: the extended protocol refuses a second statement
        columns = [d[0] for d in cursor.description or []]
        rows = [[_plain(v) for v in row] for row in cursor.fetchall()] if columns else []
    except engine.dialect.loaded_dbapi.Error as exc:
        raise InvalidInput(f"SQL refused: {str(exc).strip().splitlines()[0] if str(exc).strip() else exc}") from None
    finally:
        try:
            raw.rollback()
        finally:
            raw.invalidate()
            raw.close()
    return Table(columns, rows)


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, dict | list):
        return value
    return str(value)


__all__ = ["readonly_query"]
