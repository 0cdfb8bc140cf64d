"""The MRMC ratings table: CSV ``reader,modality,case,truth,rating`` -> a complete arms x readers x cases array.

One row per reader, modality (arm) and case; ``truth`` is 0 (normal) or 1 (diseased) and the same in
every row of a case; ``rating`` is any number, higher meaning "more likely diseased". The CSV rules
(comments, separators, header names) are :mod:`nora.reading.analysis.csvtable`'s. Names keep the order of
their first appearance. Every problem is an ``InvalidInput`` naming the line.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from nora.core.errors import InvalidInput
from nora.reading.analysis import csvtable

COLUMNS = ("reader", "modality", "case", "truth", "rating")
#: the most rows a ratings table may have (100 readers x 10 arms x 10,000 cases)
MAX_ROWS = 10_000_000
TRUTH = {"0": 0, "1": 1}


@dataclass(frozen=True)
class RatingTable:
    """Complete factorial ratings: ``ratings[arm, reader, case]`` and ``truth[case]``."""

    arms: tuple[str, ...]
    readers: tuple[str, ...]
    cases: tuple[str, ...]
    ratings: npt.NDArray[np.float64]
    truth: npt.NDArray[np.int64]


def _index(names: dict[str, int], name: str) -> int:
    return names.setdefault(name, len(names))


def from_records(records: list[tuple[str, str, str, int, float]], where: list[str] | None = None) -> RatingTable:
    """A table from (reader, arm, case, truth, rating) records; ``where`` names each record in messages."""
    label = where or [f"record {i + 1}" for i in range(len(records))]
    readers: dict[str, int] = {}
    arms: dict[str, int] = {}
    cases: dict[str, int] = {}
    truth: dict[int, int] = {}
    cells: dict[tuple[int, int, int], float] = {}
    for n, (reader, arm, case, t, rating) in enumerate(records):
        key = (_index(arms, arm), _index(readers, reader), _index(cases, case))
        if key in cells:
            raise InvalidInput(f"{label[n]}: a second rating of case {case!r} by reader {reader!r} in {arm!r}")
        if truth.setdefault(key[2], t) != t:
            raise InvalidInput(f"{label[n]}: case {case!r} has truth {t} here and {truth[key[2]]} before")
        cells[key] = rating
    if not cells:
        raise InvalidInput("the ratings table has no rows")
    shape = (len(arms), len(readers), len(cases))
    if len(cells) != shape[0] * shape[1] * shape[2]:
        missing = next(
            (a, r, c)
            for a in range(shape[0])
            for r in range(shape[1])
            for c in range(shape[2])
            if (a, r, c) not in cells
        )
        names = list(arms), list(readers), list(cases)
        raise InvalidInput(
            f"every reader must rate every case in every modality: {len(cells)} of {np.prod(shape)} ratings given; "
            f"missing e.g. case {names[2][missing[2]]!r} by reader {names[1][missing[1]]!r} in {names[0][missing[0]]!r}"
        )
    ratings = np.empty(shape, dtype=np.float64)
    for (a, r, c), value in cells.items():
        ratings[a, r, c] = value
    return RatingTable(
        arms=tuple(arms),
        readers=tuple(readers),
        cases=tuple(cases),
        ratings=ratings,
        truth=np.array([truth[c] for c in range(len(cases))], dtype=np.int64),
    )


def _rating(text: str, line: int) -> float:
    try:
        value = float(text)
    except ValueError:
        raise InvalidInput(f"line {line}: rating {text!r} is not a number") from None
    if not np.isfinite(value):
        raise InvalidInput(f"line {line}: rating {text!r} is not a finite number")
    return value


def parse_csv(text: str) -> RatingTable:
    """Parse a ratings CSV (header ``reader,modality,case,truth,rating``, in any column order)."""
    records: list[tuple[str, str, str, int, float]] = []
    where: list[str] = []
    for line, value in csvtable.records(text, COLUMNS, "ratings", MAX_ROWS):
        for c in ("reader", "modality", "case"):
            if not value[c]:
                raise InvalidInput(f"line {line}: the {c} is empty")
        if value["truth"] not in TRUTH:
            raise InvalidInput(f"line {line}: truth must be 0 or 1, not {value['truth']!r}")
        rating = _rating(value["rating"], line)
        records.append((value["reader"], value["modality"], value["case"], TRUTH[value["truth"]], rating))
        where.append(f"line {line}")
    return from_records(records, where)
