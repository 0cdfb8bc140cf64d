"""Case keys in the API: a pseudonymised reader names a case by its key in every route they use for it.

:func:`resolve_path` runs in the project access dependencies (before the confinement guard), so every route
for a case (its files, ROIs and marker sets) takes a case key (:mod:`nora.reading.casekeys`) in their place:
the key is resolved to its case (a case of its stage for the caller, else 404) and the path parameters are
replaced by the case's PID and SID before the route reads them. Routes that name the case in their body
(the viewer's autoload, the reading's answers) resolve it themselves (:func:`resolve_body`).

A request made by key keeps the case's PID and SID from the caller: the files it lists carry the key as PID
and SID (and no tags where the reading hides them: :func:`alias_files`), and an error message names the key
instead (:func:`scrub`, in the one error handler).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fastapi import Request
from sqlalchemy.orm import Session

from nora.api.confinement import CASE_FILES, MARKERS, STUDY, path_of
from nora.api.schemas import FileOut
from nora.archive.services.access import Access
from nora.core.errors import NotFound
from nora.reading.casekeys import CaseKeys, KeyedCase, is_key, resolve


@dataclass(frozen=True)
class Alias:
    """The case a request named by key: what it stands for."""

    found: KeyedCase

    @property
    def key(self) -> str:
        return self.found.key

    @property
    def hide_tags(self) -> bool:
        blind = self.found.reading.definition.reading.reading.blind
        return blind is not None and blind.hideTags and not self.found.reading.is_admin


def _keys(request: Request) -> CaseKeys:
    keys: CaseKeys = request.app.state.nora.case_keys
    return keys


def resolve_body(request: Request, db: Session, access: Access, key: str) -> KeyedCase:
    """The case of a key a route was given in its body; the request is marked as made by key."""
    found = resolve(db, access, _keys(request), key)
    request.state.case_alias = Alias(found)
    return found


def resolve_path(request: Request, db: Session, access: Access) -> None:
    """A case key in the path's ``{pid}`` (and ``{sid}``) of a case route (the case's files, ROIs, marker
    sets): replaced by its case's PID and SID (see the module). Other routes (metadata, tags) take no key."""
    params = request.path_params
    key = params.get("pid")
    if not is_key(key):
        return
    route = path_of(request)
    if not (route == CASE_FILES or route.startswith((STUDY, MARKERS))):
        raise NotFound("this route takes no case key: a reading's case key names a case's files, ROIs and markers")
    found = resolve_body(request, db, access, str(key))
    params["pid"] = found.case.pid
    if "sid" in params:
        params["sid"] = found.case.sid


def alias(request: Request) -> Alias | None:
    """The case the request named by key, if it did."""
    found: Alias | None = getattr(request.state, "case_alias", None)
    return found


def alias_files(request: Request, files: list[FileOut]) -> list[FileOut]:
    """The files of a case as a caller who named it by key sees them: the key for PID and SID, no DICOM
    PatientID in the header summary, tags hidden where the reading hides tags; unchanged for everyone else."""
    a = alias(request)
    if a is None:
        return files
    update: dict[str, object] = {"pid": a.key, "sid": a.key}
    if a.hide_tags:
        update["tags"] = []
    return [
        f.model_copy(update={**update, "header": {k: v for k, v in f.header.items() if k != "patient_id"}})
        for f in files
    ]


def scrub(request: Request, message: str) -> str:
    """An error message for a caller who named the case by key: its PID and SID replaced by the key."""
    a = alias(request)
    if a is None:
        return message
    case = a.found.case
    for name in sorted({f"{case.pid}#{case.sid}", case.pid, case.sid}, key=len, reverse=True):
        message = re.sub(rf"(?<![A-Za-z0-9]){re.escape(name)}(?![A-Za-z0-9])", a.key, message)
    return message
