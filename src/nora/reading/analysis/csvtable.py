"""The one CSV reader of the analysis tables (ratings, reference): header by name, rows with line numbers.

Lines starting with ``#`` and blank lines are skipped; the separator is a comma, or the semicolon or tab
of the header line where it has no comma (as spreadsheets export); column names are matched
case-insensitively and further columns are ignored. Problems are ``InvalidInput`` naming the line.
"""

from __future__ import annotations

import csv
import io

from nora.core.errors import InvalidInput


def records(text: str, columns: tuple[str, ...], what: str, max_rows: int) -> list[tuple[int, dict[str, str]]]:
    """``(line number, {column: stripped value})`` for every data row of ``text``."""
    lines = [(n + 1, line) for n, line in enumerate(text.splitlines()) if line.strip() and not line.startswith("#")]
    if not lines:
        raise InvalidInput(f"the {what} CSV is empty: expected the header {','.join(columns)} and one row per line")
    if len(lines) > max_rows + 1:
        raise InvalidInput(f"the {what} CSV has more than {max_rows} rows")
    delimiter = next((d for d in (",", ";", "\t") if d in lines[0][1]), ",")
    rows = list(csv.reader(io.StringIO("\n".join(line for _, line in lines)), delimiter=delimiter))
    header = [h.strip().lower() for h in rows[0]]
    missing = [c for c in columns if c not in header]
    if missing:
        raise InvalidInput(
            f"line {lines[0][0]}: the header lacks the column(s) {', '.join(missing)} "
            f"(expected {','.join(columns)}, got {','.join(header)})"
        )
    index = {c: header.index(c) for c in columns}
    out = []
    for (line, _), row in zip(lines[1:], rows[1:], strict=True):
        if len(row) != len(header):
            raise InvalidInput(f"line {line}: {len(row)} fields, the header has {len(header)}")
        out.append((line, {c: row[i].strip() for c, i in index.items()}))
    return out
