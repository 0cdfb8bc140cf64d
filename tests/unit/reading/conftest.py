"""A project ``P`` with six one-study patients (two tagged ``training``): readers r1 and r2, the reading admin
boss (named in the reading), the read-only viewer and the project admin chief."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from nora.archive.db import make_sessionmaker
from nora.archive.services import accounts, nodes, projects, rights, tags
from nora.archive.services.access import SYSTEM, Access, Actor, project_access
from nora.archive.storage import Layout
from nora.reading.service import Readings

PIDS = ("P01", "P02", "P03", "P04", "P05", "P06")

FORM: dict[str, Any] = {
    "title": "Lesion rating",
    "items": [
        {"type": "section", "title": "Findings"},
        {
            "type": "radio",
            "name": "lesion",
            "label": "Lesion present",
            "required": True,
            "shortcut": 1,
            "useastag": 1,
            "options": [{"value": "yes"}, {"value": "no"}],
        },
        {"type": "likert", "name": "confidence", "min": 1, "max": 5, "shortcut": 2},
        {"type": "number", "name": "size", "min": 0, "max": 100, "step": 0.5},
        {"type": "text", "name": "comment"},
    ],
}


def definition(**reading: Any) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "mode_training": {"selection": "*", "SQLCondition": "STAG LIKE '%Training%'"},
        "mode_serious": {"selection": "*", "SQLCondition": "STAG NOT LIKE '%training%'"},
        **reading,
    }
    return {"general": {"title": "Study 1", "admins": ["boss"]}, "form": FORM, "reading": {"reading": settings}}


@dataclass
class World:
    sessions: sessionmaker[Session]
    layout: Layout

    def access(self, s: Session, user: str | None) -> Access:
        actor = SYSTEM if user is None else Actor.of(accounts.get_user(s, user))
        return project_access(s, actor, "P")

    def create(self, name: str = "R1", raw: dict[str, Any] | None = None) -> None:
        with self.sessions() as s:
            Readings(s, self.access(s, "chief")).create(name, raw or definition())
            s.commit()


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> Iterator[World]:
    layout = Layout(tmp_path / "home")
    sessions = make_sessionmaker(engine)
    with sessions() as s:
        projects.create_project(s, SYSTEM, layout, "P")
        for name in ("r1", "r2", "boss", "viewer", "chief"):
            accounts.create_user(s, SYSTEM, name, "password-123")
            spec = rights.RightSpec(readonly=name == "viewer", role="admin" if name == "chief" else "user")
            rights.grant(s, SYSTEM, name, "P", spec)
        access = project_access(s, SYSTEM, "P")
        for i, pid in enumerate(PIDS):
            patient = nodes.create_patient(s, access, layout, pid)
            study = nodes.create_study(s, access, layout, patient, "S1", study_date=dt.date(2024, 1, 10 - i))
            if i < 2:
                tags.change_study_tags(s, access, [study], add=["training"])
        s.commit()
    yield World(sessions, layout)
