"""The reading form: elements validated with the place of each problem, answers checked against their item."""

from __future__ import annotations

from typing import Any

import pytest

from nora.core.errors import InvalidInput
from nora.reading.config import definition_problems, parse_definition
from nora.reading.forms import Form, answer_tags, answer_text
from tests.unit.reading.conftest import FORM, definition

EVERY_TYPE: list[dict[str, Any]] = [
    {"type": "section", "title": "Part 1"},
    {"type": "radio", "name": "a", "options": [{"value": "x"}, {"value": "y"}], "required": True},
    {"type": "checkbox", "name": "b"},
    {"type": "checkbox", "name": "c", "options": [{"value": "p"}, {"value": "q"}], "useastag": True},
    {"type": "select", "name": "d", "options": [{"value": "1"}, {"value": "2"}]},
    {"type": "number", "name": "e", "min": 0, "max": 10, "step": 0.5},
    {"type": "text", "name": "f", "maxlength": 5},
    {"type": "slider", "name": "g", "min": 0, "max": 100, "step": 10},
    {"type": "likert", "name": "h", "min": 1, "max": 5, "labels": ["--", "-", "0", "+", "++"]},
    {"type": "date", "name": "i", "min": "2020-01-01"},
]


def test_every_element_type_validates_and_its_answers_are_checked() -> None:
    form = Form.model_validate({"items": EVERY_TYPE})
    assert form.names == list("abcdefghi") and form.required == ["a"]
    good = {"a": "y", "b": True, "c": ["q", "p"], "d": 2, "e": 2.5, "f": "ok", "g": 30, "h": 4, "i": "2024-02-01"}
    texts = {name: answer_text(form.item(name), value) for name, value in good.items()}
    assert texts == {
        "a": "y",
        "b": "1",
        "c": "p;q",
        "d": "2",
        "e": "2.5",
        "f": "ok",
        "g": "30",
        "h": "4",
        "i": "2024-02-01",
    }
    assert answer_text(form.item("a"), None) == ""  # an answer taken back
    bad = {"a": "z", "b": "maybe", "c": ["r"], "d": 3, "e": 2.25, "f": "toolong", "g": 101, "h": 0, "i": "2019-12-31"}
    for name, value in bad.items():
        with pytest.raises(InvalidInput, match=name):
            answer_text(form.item(name), value)
    with pytest.raises(InvalidInput, match="no item 'zz'"):
        form.item("zz")


def test_useastag_answers_become_tags_and_the_other_options_are_taken_away() -> None:
    form = Form.model_validate(FORM)
    assert answer_tags(form.item("lesion"), "yes") == (["yes"], ["no"])
    assert answer_tags(form.item("lesion"), "") == ([], ["yes", "no"])
    assert answer_tags(form.item("confidence"), "3") == ([], [])


def test_problems_say_where_the_definition_is_wrong() -> None:
    raw = definition()
    raw["form"] = {
        "items": [
            {"type": "radio", "name": "a", "options": []},
            {"type": "number", "name": "b", "min": 5, "max": 1},
            {"type": "dial", "name": "c"},
            {"type": "text", "name": "a", "shortcut": 30},
        ]
    }
    raw["reading"]["reading"]["random"] = "sometimes"
    found = dict(definition_problems(raw))
    assert "form.items.0.radio.options" in found
    assert "min (5) is larger than max (1)" in found["form.items.1.number"]
    assert "dial" in found["form.items.2"]
    assert "form.items.3.text.shortcut" in found
    assert "reading.reading.random" in found
    assert definition_problems(definition()) == []
    doubled = {"items": [{"type": "text", "name": "a"}, {"type": "text", "name": "a"}]}
    assert "a appear more than once" in dict(definition_problems({"form": doubled}))["form"]
    with pytest.raises(InvalidInput, match="invalid reading definition: .*reading.reading.random"):
        parse_definition(raw)


def test_stage_selection_and_condition_are_checked_when_the_reading_is_saved() -> None:
    raw = definition(mode_training={"selection": "stag:", "SQLCondition": "STAG LIKE"})
    found = dict(definition_problems(raw))
    assert "reading.reading.mode_training.selection" in found
    assert (
        "pattern must be quoted" in found["reading.reading.mode_training.SQLCondition"]
        or "ends too early" in (found["reading.reading.mode_training.SQLCondition"])
    )


def test_the_worked_example_of_the_docs_is_a_valid_definition() -> None:
    import json
    from pathlib import Path

    text = (Path(__file__).resolve().parents[3] / "docs" / "reading.md").read_text(encoding="utf-8")
    block = text.split("## Worked example", 1)[1].split("```json", 1)[1].split("```", 1)[0]
    definition = parse_definition(json.loads(block))
    crossover = definition.reading.reading.crossover
    assert crossover is not None and [a.name for a in crossover.arms] == ["unaided", "ai"]
    assert definition.reading.reading.stages == ["training", "serious"]
