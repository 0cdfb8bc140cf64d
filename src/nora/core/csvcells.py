"""CSV cells that a spreadsheet will not run: the formula guard of every CSV the project writes.

A cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula to
Excel, LibreOffice and Google Sheets (OWASP "CSV injection"): a reader's free-text answer or an ROI's name
such as ``=HYPERLINK(...)`` would run when an admin opens the export. Such a cell gets a leading ``'``, which
the spreadsheet shows as text; a plain number (``-3.5``, ``+2e-3``) is left as it is, since it cannot be a
formula and a prefix would turn it into text. Numbers (``int``/``float``) and ``None`` (an empty cell) pass
unchanged. Standard library only: the job runner writes CSV through it too.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from typing import IO, Any

_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def safe_cell(value: object) -> object:
    """``value`` as a CSV cell a spreadsheet shows as text, never evaluates (see the module)."""
    if value is None:
        return ""
    if not isinstance(value, str):
        return value
    if value.startswith(_TRIGGERS) and not _NUMBER.match(value):
        return "'" + value
    return value


def write_rows(out: IO[str], columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """The header and the rows as CSV on ``out`` (``\\n`` line ends), every cell through :func:`safe_cell`."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([safe_cell(c) for c in columns])
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])


def csv_text(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """:func:`write_rows` into a string."""
    buffer = io.StringIO()
    write_rows(buffer, columns, rows)
    return buffer.getvalue()
