"""The json documents repository: saved batches, autoloader presets, shared viewer states (later forms, readings).

A document belongs to a project, has a kind, a name and an owner, and is personal or shared. One rule for
all kinds, and for callers without a user account in particular:

- reading: the project's shared documents, and the caller's own. A personal document is its owner's
  alone; a caller without a user (an anonymous guest of a public project, the local system actor of the
  CLI, the DICOM node and autoexecution) sees shared documents only, never the ownerless personal ones a
  deleted user left behind.
- writing (create, replace, delete): only a caller with a user account and a right on the project; a
  guest of a public project (anonymous or logged in) and the system actor never write. A caller writes
  their own documents; a shared document of someone else only a project admin replaces or deletes, and
  a shared name taken by someone else is a :class:`Conflict` for everyone else.

Features add their own rights on top (the batchtool right, write access for shared presets).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, case, false, or_, select
from sqlalchemy.orm import Session

from nora.archive.models import JsonDocument, User, utcnow
from nora.archive.services.access import GUEST, Access
from nora.core.errors import Conflict, Forbidden


@dataclass(frozen=True)
class Documents:
    """The documents of one ``kind`` in the caller's project, as the caller may see and change them.

    ``label`` names one document in messages (``"saved batch"``, ``"autoloader preset"``).
    """

    session: Session
    access: Access
    kind: str
    label: str

    @property
    def user_id(self) -> int | None:
        return self.access.actor.user_id

    def _mine(self) -> ColumnElement[bool]:
        # never ``owner_id == None``: SQL would read it as IS NULL and hand ownerless documents to guests
        return false() if self.user_id is None else JsonDocument.owner_id == self.user_id

    def _query(self, name: str | None = None) -> Any:
        query = select(JsonDocument).where(
            JsonDocument.project_id == self.access.project.id, JsonDocument.kind == self.kind
        )
        return query if name is None else query.where(JsonDocument.name == name)

    def visible(self) -> list[JsonDocument]:
        """The shared documents and the caller's own, by name (the caller's own first of one name)."""
        query = self._query().where(or_(JsonDocument.shared.is_(True), self._mine()))
        return list(self.session.scalars(query.order_by(JsonDocument.name, JsonDocument.shared, JsonDocument.id)))

    def own(self, name: str) -> JsonDocument | None:
        """The caller's document of that name, personal or shared (None for a caller without a user)."""
        if self.user_id is None:
            return None
        return self.session.scalars(self._query(name).where(self._mine())).first()

    def shared(self, name: str) -> JsonDocument | None:
        """The shared document of that name: the caller's own if they shared one, else the oldest."""
        query = self._query(name).where(JsonDocument.shared.is_(True))
        mine_first = case((self._mine(), 0), else_=1)  # not ``mine.desc()``: PostgreSQL sorts NULL owners first
        return self.session.scalars(query.order_by(mine_first, JsonDocument.id)).first()

    def lookup(self, name: str) -> JsonDocument | None:
        """What the name means to the caller: their own document, else the shared one."""
        return self.own(name) or self.shared(name)

    def is_mine(self, doc: JsonDocument) -> bool:
        return self.user_id is not None and doc.owner_id == self.user_id

    def may_change(self, doc: JsonDocument) -> bool:
        """Whether the caller may replace or delete ``doc``: their own, or a shared one as project admin."""
        if not self.may_write():
            return False
        return self.is_mine(doc) or (doc.shared and self.access.is_project_admin)

    def may_write(self) -> bool:
        return self.user_id is not None and self.access.role != GUEST

    def require_writer(self) -> None:
        """:class:`Forbidden` for a caller who may not write documents at all (see the module's rule)."""
        if not self.may_write():
            raise Forbidden(
                f"guests of a public project and callers without a user account cannot save or delete "
                f"a {self.label}; a right on the project is needed"
            )

    def put(self, name: str, content: dict[str, Any], *, shared: bool) -> JsonDocument:
        """Create or replace the caller's document ``name``; a project admin replaces a shared one in place."""
        self.require_writer()
        doc = self.own(name)
        if shared:
            taken = self.session.scalars(
                self._query(name)
                .where(JsonDocument.shared.is_(True), JsonDocument.owner_id.is_distinct_from(self.user_id))
                .order_by(JsonDocument.id)
            ).first()
            if taken is not None and not self.access.is_project_admin:
                raise Conflict(f"the shared {self.label} {name!r} belongs to someone else; choose another name")
            doc = doc or taken
        if doc is None:
            doc = JsonDocument(project_id=self.access.project.id, owner_id=self.user_id, kind=self.kind, name=name)
            self.session.add(doc)
        doc.shared, doc.content, doc.updated_at = shared, content, utcnow()
        self.session.flush()
        return doc

    def replace(self, doc: JsonDocument, content: dict[str, Any]) -> None:
        """Replace the content of ``doc``, which the caller checked they :meth:`may_change`."""
        self.require_writer()
        if not self.may_change(doc):
            raise Forbidden(f"only its owner or a project admin may change the {self.label} {doc.name!r}")
        doc.content, doc.updated_at = content, utcnow()
        self.session.flush()

    def delete(self, doc: JsonDocument) -> None:
        self.require_writer()
        if not self.may_change(doc):
            raise Forbidden(f"only its owner or a project admin may delete the {self.label} {doc.name!r}")
        self.session.delete(doc)
        self.session.flush()

    def owner_names(self, docs: list[JsonDocument]) -> dict[int, str]:
        """User name by owner id for ``docs`` (one query)."""
        ids = {d.owner_id for d in docs if d.owner_id is not None}
        if not ids:
            return {}
        rows = self.session.execute(select(User.id, User.username).where(User.id.in_(ids)))
        return {uid: name for uid, name in rows}

    def owner_name(self, doc: JsonDocument) -> str:
        return self.owner_names([doc]).get(doc.owner_id or -1, "")
