"""Colour-limit presets in project settings (NORA's ``colormap.colorlimpresets``): what is accepted, what is
refused with which message, and that they are stored and replaced through the projects service."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from nora.archive.db import make_sessionmaker
from nora.archive.services import projects
from nora.archive.services.access import SYSTEM, project_access
from nora.archive.storage import Layout
from nora.core.errors import InvalidInput


def test_absent_presets_mean_the_viewer_default() -> None:
    assert projects.validate_settings({})["colorlimpresets"] is None
    assert projects.validate_settings({"colorlimpresets": None})["colorlimpresets"] is None


def test_window_and_limit_presets_are_stored_without_unused_fields() -> None:
    raw = {
        "0": {"name": "full", "min": -1024, "max": 3071},
        "1": {"name": "brain", "level": 40, "width": 80},
        "8": {"name": "t1 bright", "min": 0.5, "max": 900},
    }
    stored = projects.validate_settings({"colorlimpresets": raw})["colorlimpresets"]
    assert stored == {
        "0": {"name": "full", "min": -1024.0, "max": 3071.0},
        "1": {"name": "brain", "level": 40.0, "width": 80.0},
        "8": {"name": "t1 bright", "min": 0.5, "max": 900.0},
    }
    # a stored document validates again unchanged (PATCH merges into it)
    assert projects.validate_settings(None, {"colorlimpresets": stored})["colorlimpresets"] == stored


@pytest.mark.parametrize(
    ("presets", "message"),
    [
        ({"9": {"name": "x", "level": 1, "width": 2}}, "preset keys are the digits 0 to 8, not '9'"),
        ({"brain": {"name": "x", "level": 1, "width": 2}}, "preset keys are the digits 0 to 8, not 'brain'"),
        ({"1": {"name": "x", "level": 40}}, "colorlimpresets.1: give either level and width, or min"),
        ({"1": {"name": "x", "min": 0, "max": 1, "level": 1, "width": 1}}, "(not both)"),
        ({"1": {"name": "x", "level": 40, "width": 0}}, "width must be positive, got 0"),
        ({"1": {"name": "x", "min": 5, "max": 5}}, "min (5) must be below max (5)"),
        ({"1": {"name": "x", "min": "nan", "max": 5}}, "must be finite numbers"),
        ({"1": {"name": "", "min": 0, "max": 5}}, "colorlimpresets.1.name: String should have at least 1 character"),
        ({"1": {"min": 0, "max": 5}}, "colorlimpresets.1.name: Field required"),
        (
            {"1": {"name": "x", "min": 0, "max": 5, "gamma": 2}},
            "colorlimpresets.1.gamma: Extra inputs are not permitted",
        ),
        ({"1": {"name": "x", "level": "high", "width": 5}}, "colorlimpresets.1.level"),
        ([{"name": "x", "min": 0, "max": 5}], "colorlimpresets: Input should be a valid dictionary"),
    ],
)
def test_invalid_presets_are_refused_with_a_clear_message(presets: Any, message: str) -> None:
    with pytest.raises(InvalidInput) as err:
        projects.validate_settings({"colorlimpresets": presets})
    assert "invalid project settings" in str(err.value)
    assert message in str(err.value)


def test_presets_are_stored_replaced_and_reset_through_the_service(engine: Engine, tmp_path: Path) -> None:
    factory = make_sessionmaker(engine)
    layout = Layout(tmp_path)
    with factory() as s:
        projects.create_project(s, SYSTEM, layout, "CT", settings={"public": True})
        s.commit()
    custom = {"3": {"name": "liver", "level": 60, "width": 160}}
    with factory() as s:
        projects.update_project(s, project_access(s, SYSTEM, "CT"), settings={"colorlimpresets": custom})
        s.commit()
    with factory() as s:
        p = project_access(s, SYSTEM, "CT").project
        assert p.settings["colorlimpresets"] == {"3": {"name": "liver", "level": 60.0, "width": 160.0}}
        assert p.settings["public"] is True  # other settings kept
        with pytest.raises(InvalidInput):
            projects.update_project(
                s, project_access(s, SYSTEM, "CT"), settings={"colorlimpresets": {"10": custom["3"]}}
            )
        s.rollback()
    with factory() as s:
        assert project_access(s, SYSTEM, "CT").project.settings["colorlimpresets"]["3"]["name"] == "liver"
        projects.update_project(s, project_access(s, SYSTEM, "CT"), settings={"colorlimpresets": None})
        s.commit()
    with factory() as s:
        assert project_access(s, SYSTEM, "CT").project.settings["colorlimpresets"] is None
