"""The uploaded reference (truth) table: CSV ``case,item,value`` -> :class:`ReferenceRow` list.

One row per case and item; ``case`` as the reading names it (``PID#SID``, or ``PID#SID/path`` for an
image-level case), ``item`` a form item's name, ``value`` a truth word or a value of the item (see
docs/reading-analysis.md); the CSV rules are :mod:`nora.reading.analysis.csvtable`'s. Every problem is
an ``InvalidInput`` naming the line.
"""

from __future__ import annotations

from nora.core.errors import InvalidInput
from nora.reading.analysis import csvtable
from nora.reading.analysis.schemas import ReferenceRow

COLUMNS = ("case", "item", "value")
#: the most rows a reference table may have
MAX_ROWS = 1_000_000


def parse_reference_csv(text: str) -> list[ReferenceRow]:
    """Parse a reference table; a second row for the same case and item is an error, not an overwrite."""
    seen: dict[tuple[str, str], int] = {}
    out: list[ReferenceRow] = []
    for line, value in csvtable.records(text, COLUMNS, "reference", MAX_ROWS):
        case, item, truth = value["case"], value["item"], value["value"]
        if not case or not item or not truth:
            raise InvalidInput(f"line {line}: case, item and value must not be empty")
        if (case, item) in seen:
            raise InvalidInput(
                f"line {line}: a second reference for case {case!r}, item {item!r} (line {seen[case, item]})"
            )
        seen[case, item] = line
        out.append(ReferenceRow(case=case, item=item, value=truth))
    return out
