"""NORA's SQLCondition of a stage: parsed and evaluated in Python (never SQL)."""

from __future__ import annotations

import pytest

from nora.core.errors import InvalidInput
from nora.reading.condition import parse_condition, tag_values


def fields(stags: list[str], pid: str = "P01") -> dict[str, list[str]]:
    return {"STAG": tag_values(stags), "PTAG": tag_values([]), "PID": [pid], "SID": ["S1"]}


def test_the_documented_condition_and_its_relatives() -> None:
    training = parse_condition("STAG LIKE '%Training%'")
    assert training.matches(fields(["training"])) and training.matches(fields(["a", "pretraining2"]))
    assert not training.matches(fields(["serious"])) and not training.matches(fields([]))
    assert parse_condition("STAG NOT LIKE '%training%'").matches(fields(["x"]))
    assert parse_condition("stag like 'training'").matches(fields(["b", "TRAINING"]))  # one tag, exactly
    both = parse_condition("STAG LIKE 'a' AND PID LIKE 'P0_' OR PID = 'X9'")
    assert both.matches(fields(["a"], "P07")) and not both.matches(fields(["a"], "P17"))
    assert both.matches(fields([], "x9")) and parse_condition("PID != 'P01'").matches(fields([], "P02"))
    assert parse_condition("SID = 'it''s'").alternatives[0][0].pattern == "it's"
    assert parse_condition("  ").matches(fields([]))


@pytest.mark.parametrize(
    "text",
    ["STAG LIKE", "STAG LIKE training", "FOO LIKE 'x'", "STAG LIKE 'x' AND", "STAG LIKE 'x'; DROP TABLE users",
     "(STAG LIKE 'x')", "STAG NOT = 'x'", "STAG LIKE 'x' XOR PID = 'y'"],
)  # fmt: skip
def test_anything_else_is_refused_saying_what_is_accepted(text: str) -> None:
    with pytest.raises(InvalidInput, match="accepted: FIELD"):
        parse_condition(text)
