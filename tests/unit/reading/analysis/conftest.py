"""The Van Dyke et al. (1993) ratings (tests/unit/reading/data/vandyke.csv, see its README) as a table."""

from __future__ import annotations

from pathlib import Path

import pytest

from nora.reading.analysis.ratings import RatingTable, parse_csv

VANDYKE = Path(__file__).parent.parent / "data" / "vandyke.csv"


@pytest.fixture(scope="session")
def vandyke() -> RatingTable:
    return parse_csv(VANDYKE.read_text(encoding="utf-8"))
