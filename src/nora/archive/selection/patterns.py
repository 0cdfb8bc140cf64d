"""Wildcard patterns of the selection language, translated to SQL ``LIKE`` and to Python regular expressions.

A pattern is what a user types: ``*`` stands for any run of characters, ``_`` for exactly one, everything
else (``%``, ``\\``, quotes, ``;`` ...) is literal. Matching is case-insensitive: patterns are lower-cased
in Python and compared with lower-case values (the ``*_lc`` shadow columns or ``lower(column)``).
Filter-bar patterns get an implicit trailing ``*``; backend selector patterns are anchored at both ends.

The SQL form is always a bound parameter with an ``ESCAPE`` character, never SQL text built from input.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from sqlalchemy import Boolean, ColumnElement, Date, String, bindparam, func
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

#: the LIKE escape character (PostgreSQL's default too, so both engines read the pattern alike)
ESCAPE = "\\"
_LIKE_SPECIAL = frozenset("%_" + ESCAPE)


def like_pattern(pattern: str, *, trailing: bool) -> str:
    """The lower-cased SQL ``LIKE`` form of ``pattern`` (to be used with ``ESCAPE '\\'``)."""
    out: list[str] = []
    for ch in pattern.lower():
        if ch == "*":
            if not out or out[-1] != "%":
                out.append("%")
        elif ch == "_":
            out.append("_")
        elif ch in _LIKE_SPECIAL:
            out.append(ESCAPE + ch)
        else:
            out.append(ch)
    if trailing and (not out or out[-1] != "%"):
        out.append("%")
    return "".join(out)


def is_literal(pattern: str) -> bool:
    """True when the pattern has no wildcard, so it can be compared with ``=`` (and use an index)."""
    return "*" not in pattern and "_" not in pattern


def match_all(pattern: str) -> bool:
    """True when the pattern is only ``*`` wildcards (matches every non-null value)."""
    return bool(pattern) and set(pattern) == {"*"}


def glob_pattern(pattern: str, *, trailing: bool) -> str:
    """The lower-cased SQLite ``GLOB`` form of ``pattern`` (``_`` becomes ``?``; ``* ? [`` literal in brackets).

    GLOB is case-sensitive, which is right for lower-cased values, and unlike ``LIKE`` it lets SQLite
    use a binary index for a pattern's literal prefix (``t1_mprage/s0*`` scans only ``t1``...).
    """
    out: list[str] = []
    for ch in pattern.lower():
        if ch == "*":
            if not out or out[-1] != "*":
                out.append("*")
        elif ch == "_":
            out.append("?")
        elif ch in "?[":
            out.append(f"[{ch}]")
        else:
            out.append(ch)
    if trailing and (not out or out[-1] != "*"):
        out.append("*")
    return "".join(out)


class matches(FunctionElement[bool]):  # noqa: N801 - used like a SQL function
    """``expr`` matches a pattern: ``LIKE ... ESCAPE`` (PostgreSQL and others) or ``GLOB`` (SQLite).

    Both forms are bound parameters; only the one for the dialect at hand is rendered.
    """

    type = Boolean()
    name = "matches"
    inherit_cache = True
    #: a comparison already: no "= 1" on engines without a boolean type (it would hide GLOB from the planner)
    _is_implicitly_boolean = True

    def __init__(self, expr: ColumnElement[Any] | QueryableAttribute[Any], pattern: str, *, trailing: bool):
        like_value = bindparam(None, like_pattern(pattern, trailing=trailing), type_=String())
        glob_value = bindparam(None, glob_pattern(pattern, trailing=trailing), type_=String())
        super().__init__(expr, like_value, glob_value)


# the custom elements below render in parentheses: the compiler takes them for atoms inside AND / OR / NOT


@compiles(matches)
def _matches_like(element: matches, compiler: SQLCompiler, **kw: Any) -> str:
    expr, like_value, _ = element.clauses
    return f"({compiler.process(expr, **kw)} LIKE {compiler.process(like_value, **kw)} ESCAPE '{ESCAPE}')"


@compiles(matches, "sqlite")
def _matches_glob(element: matches, compiler: SQLCompiler, **kw: Any) -> str:
    expr, _, glob_value = element.clauses
    return f"({compiler.process(expr, **kw)} GLOB {compiler.process(glob_value, **kw)})"


class per_dialect(FunctionElement[bool]):  # noqa: N801 - used like a SQL function
    """Renders the ``sqlite`` condition on SQLite and the ``default`` one elsewhere (for query plans)."""

    type = Boolean()
    name = "per_dialect"
    inherit_cache = True
    _is_implicitly_boolean = True

    def __init__(self, *, sqlite: ColumnElement[bool], default: ColumnElement[bool]):
        super().__init__(sqlite, default)


@compiles(per_dialect)
def _per_dialect_default(element: per_dialect, compiler: SQLCompiler, **kw: Any) -> str:
    return f"({compiler.process(list(element.clauses)[1], **kw)})"


@compiles(per_dialect, "sqlite")
def _per_dialect_sqlite(element: per_dialect, compiler: SQLCompiler, **kw: Any) -> str:
    return f"({compiler.process(list(element.clauses)[0], **kw)})"


def has_literal_prefix(pattern: str) -> bool:
    """True when the pattern starts with a literal character, so an index can narrow it to a range."""
    return bool(pattern) and pattern[0] not in "*_"


def like(expr: ColumnElement[Any] | QueryableAttribute[Any], pattern: str, *, trailing: bool) -> ColumnElement[bool]:
    """``expr`` (lower-cased text) matches ``pattern``; ``=`` when the pattern has no wildcard at all."""
    if not trailing and is_literal(pattern):
        return expr == pattern.lower()
    return matches(expr, pattern, trailing=trailing)


def contains_text(expr: ColumnElement[Any] | QueryableAttribute[Any], text: str) -> ColumnElement[bool]:
    """``expr`` contains ``text`` literally, ignoring case: a plain search box, not a pattern.

    Every character of ``text`` is literal (``_``, ``%`` and ``\\`` are escaped for ``LIKE ... ESCAPE``),
    so a search for ``t1_mprage`` finds exactly that text on SQLite and PostgreSQL alike.
    """
    escaped = "".join(ESCAPE + ch if ch in _LIKE_SPECIAL else ch for ch in text.lower())
    return func.lower(expr).like(f"%{escaped}%", escape=ESCAPE)


@functools.lru_cache(maxsize=4096)
def glob_regex(pattern: str, *, trailing: bool) -> re.Pattern[str]:
    """The Python regular expression with the same meaning as :func:`like_pattern` (for ``fullmatch``)."""
    parts = [".*" if ch == "*" else "." if ch == "_" else re.escape(ch) for ch in pattern.lower()]
    if trailing:
        parts.append(".*")
    return re.compile("".join(parts), re.DOTALL)


def glob_match(pattern: str, value: str | None, *, trailing: bool) -> bool:
    """Whether ``value`` matches ``pattern`` case-insensitively (``None`` never matches), in Python."""
    if value is None:
        return False
    return glob_regex(pattern, trailing=trailing).fullmatch(value.lower()) is not None


class iso_date(FunctionElement[str]):  # noqa: N801 - used like a SQL function
    """A ``DATE`` column as ISO ``YYYY-MM-DD`` text, the same on SQLite and PostgreSQL."""

    type = String()
    name = "iso_date"
    inherit_cache = True


@compiles(iso_date)
def _iso_date_default(element: iso_date, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS VARCHAR(10))"


@compiles(iso_date, "sqlite")
def _iso_date_sqlite(element: iso_date, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLAlchemy stores a Date on SQLite as ISO text already
    return compiler.process(element.clauses, **kw)


@compiles(iso_date, "postgresql")
def _iso_date_postgresql(element: iso_date, compiler: SQLCompiler, **kw: Any) -> str:
    # to_char does not depend on the session's DateStyle, unlike a cast to text
    return f"to_char({compiler.process(element.clauses, **kw)}, 'YYYY-MM-DD')"


class binary_order(FunctionElement[str]):  # noqa: N801 - used like a SQL function
    """A text column ordered by code point on every engine (``COLLATE "C"`` on PostgreSQL)."""

    type = String()
    name = "binary_order"
    inherit_cache = True


@compiles(binary_order)
def _binary_order_default(element: binary_order, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite's default collation (BINARY) already orders by code point for UTF-8 text
    return compiler.process(element.clauses, **kw)


@compiles(binary_order, "postgresql")
def _binary_order_postgresql(element: binary_order, compiler: SQLCompiler, **kw: Any) -> str:
    return f'({compiler.process(element.clauses, **kw)}) COLLATE "C"'


def is_date(expr: ColumnElement[Any]) -> bool:
    return isinstance(expr.type, Date)


__all__ = [
    "ESCAPE",
    "binary_order",
    "contains_text",
    "glob_pattern",
    "has_literal_prefix",
    "per_dialect",
    "matches",
    "glob_match",
    "glob_regex",
    "is_date",
    "is_literal",
    "iso_date",
    "like",
    "like_pattern",
    "match_all",
]
