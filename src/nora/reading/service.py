"""Readings of a project: their definitions (shared json documents of kind ``reading``) and who may do what.

- A reading's readers are the users named in ``general.readers`` (everyone with a right on the project
  when the list is empty); its admins are the project admins and the users in ``general.admins``.
- Everyone who may read a reading sees it in the list; answering is a write (read-only rights can look,
  not answer). Readers see only their own results; reading admins see everyone's and change the reading.
- Project admins create and delete readings (a deleted reading takes its results with it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from nora.archive.models import JsonDocument, utcnow
from nora.archive.services import audit
from nora.archive.services.access import Access
from nora.archive.services.documents import Documents
from nora.core.errors import Forbidden, InvalidInput, NotFound
from nora.core.ids import check_name
from nora.reading.config import Definition, parse_definition

KIND = "reading"


@dataclass(frozen=True)
class Reading:
    """A stored reading and its validated definition, as one caller meets it."""

    doc: JsonDocument
    definition: Definition
    is_admin: bool

    @property
    def name(self) -> str:
        return self.doc.name

    @property
    def id(self) -> int:
        return self.doc.id


@dataclass(frozen=True)
class Readings:
    session: Session
    access: Access

    @property
    def docs(self) -> Documents:
        return Documents(self.session, self.access, KIND, "reading")

    def _as_caller(self, doc: JsonDocument) -> Reading | None:
        definition = parse_definition(doc.content)
        username = self.access.actor.username
        admin = self.access.is_project_admin or username in definition.general.admins
        readers = definition.general.readers
        if not (admin or not readers or username in readers):
            return None
        return Reading(doc, definition, admin)

    def visible(self, where: Callable[[dict[str, Any]], bool] | None = None) -> list[Reading]:
        """Every reading the caller may read or administer, by name (``where``: of those whose stored
        definition passes this test, before it is parsed)."""
        out = []
        for doc in self.docs.visible():
            if where is not None and not where(doc.content):
                continue
            if doc.shared and (reading := self._as_caller(doc)) is not None:
                out.append(reading)
        return out

    def get(self, name: str) -> Reading:
        doc = self.docs.shared(name)
        reading = self._as_caller(doc) if doc is not None else None
        if reading is None:
            raise NotFound(f"reading {name!r} does not exist in project {self.access.project.name!r} or is not yours")
        return reading

    def require_admin(self, reading: Reading) -> None:
        if not reading.is_admin:
            raise Forbidden(f"only the admins of reading {reading.name!r} and project admins may do this")

    def create(self, name: str, raw: dict[str, Any]) -> Reading:
        self.access.require_admin()
        check_name(name, "reading name")
        if self.docs.shared(name) is not None:
            raise InvalidInput(f"a reading {name!r} exists already; choose another name or edit it")
        definition = parse_definition(raw)
        doc = self.docs.put(name, definition.model_dump(mode="json", exclude_unset=False), shared=True)
        audit.record(self.session, self.access.actor, "reading.create", project=self.access.project.name, target=name)
        return Reading(doc, definition, True)

    def replace(self, name: str, raw: dict[str, Any]) -> Reading:
        reading = self.get(name)
        self.require_admin(reading)
        self.access.require_write()
        definition = parse_definition(raw)
        reading.doc.content = definition.model_dump(mode="json")
        reading.doc.updated_at = utcnow()
        self.session.flush()
        audit.record(self.session, self.access.actor, "reading.update", project=self.access.project.name, target=name)
        return Reading(reading.doc, definition, True)

    def delete(self, name: str) -> None:
        self.access.require_admin()
        reading = self.get(name)
        self.session.delete(reading.doc)
        self.session.flush()
        audit.record(self.session, self.access.actor, "reading.delete", project=self.access.project.name, target=name)
