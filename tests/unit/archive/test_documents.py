"""The json documents repository: one rule for reading, writing and callers without a user, on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from nora.archive.db import make_sessionmaker
from nora.archive.models import JsonDocument
from nora.archive.services import accounts, projects, rights
from nora.archive.services.access import GUEST_ACTOR, SYSTEM, Access, Actor, guest_access, project_access
from nora.archive.services.documents import Documents
from nora.archive.storage import Layout
from nora.core.errors import Conflict, Forbidden, NotFound
from nora.processing import service as processing_service


@pytest.fixture
def session(engine: Engine, tmp_path: Path) -> Iterator[Session]:
    with make_sessionmaker(engine)() as s:
        admin = Actor.of(accounts.create_user(s, SYSTEM, "root", "password1", is_admin=True))
        projects.create_project(s, admin, Layout(tmp_path), "P", settings={"public": True})
        for name, role in (("ann", "user"), ("bob", "user"), ("boss", "admin")):
            accounts.create_user(s, admin, name, "password1")
            rights.grant(s, admin, name, "P", rights.RightSpec(role=role))
        accounts.create_user(s, admin, "visitor", "password1")  # no right: a guest of the public project
        s.flush()
        yield s


def _access(s: Session, name: str) -> Access:
    return project_access(s, Actor.of(accounts.get_user(s, name)), "P")


def _docs(s: Session, access: Access) -> Documents:
    return Documents(s, access, processing_service.BATCH_KIND, "saved batch")


def _guests(s: Session) -> list[Access]:
    project = _access(s, "bob").project
    visitor = Actor.of(accounts.get_user(s, "visitor"))
    return [guest_access(GUEST_ACTOR, project), guest_access(visitor, project), project_access(s, SYSTEM, "P")]


def test_personal_documents_are_their_owners_and_shared_ones_everyones(session: Session) -> None:
    ann, bob = _docs(session, _access(session, "ann")), _docs(session, _access(session, "bob"))
    ann.put("mine", {"v": 1}, shared=False)
    ann.put("ours", {"v": 2}, shared=True)
    assert [d.name for d in ann.visible()] == ["mine", "ours"]
    assert [d.name for d in bob.visible()] == ["ours"]
    assert bob.lookup("mine") is None and bob.own("ours") is None
    ours = bob.lookup("ours")
    assert ours is not None and not bob.is_mine(ours) and not bob.may_change(ours)
    bob.put("mine", {"v": 3}, shared=False)  # a personal name of one user is free for another
    assert bob.lookup("mine").content == {"v": 3}  # type: ignore[union-attr]
    assert ann.lookup("mine").content == {"v": 1}  # type: ignore[union-attr]


def test_callers_without_a_user_read_shared_documents_only_and_never_write(session: Session) -> None:
    ann = _docs(session, _access(session, "ann"))
    ann.put("private", {"v": 1}, shared=False)
    ann.put("shared", {"v": 2}, shared=True)
    accounts.delete_user(session, Actor.of(accounts.get_user(session, "root")), "ann")
    session.flush()  # ann's documents are now ownerless (owner_id NULL)
    for access in _guests(session):
        docs = _docs(session, access)
        assert [d.name for d in docs.visible()] == ["shared"], access.actor.username
        assert docs.lookup("private") is None and docs.own("shared") is None
        shared = docs.lookup("shared")
        assert shared is not None and not docs.is_mine(shared) and not docs.may_change(shared)
        with pytest.raises(Forbidden, match="guests of a public project and callers without a user account"):
            docs.put("new", {}, shared=False)
        with pytest.raises(Forbidden):
            docs.delete(shared)
        with pytest.raises(Forbidden):
            docs.replace(shared, {})
        # the saved batches of processing are this repository (they handed ownerless ones to the system actor)
        assert [d.name for d in processing_service.list_saved(session, access)] == ["shared"]
        with pytest.raises(NotFound):
            processing_service.load_saved(session, access, "private")


def test_a_shared_name_of_someone_else_is_a_conflict_but_a_project_admin_replaces_it(session: Session) -> None:
    ann, bob = _docs(session, _access(session, "ann")), _docs(session, _access(session, "bob"))
    ann.put("pipeline", {"v": 1}, shared=True)
    with pytest.raises(Conflict, match="the shared saved batch 'pipeline' belongs to someone else"):
        bob.put("pipeline", {"v": 2}, shared=True)
    boss = _docs(session, _access(session, "boss"))
    doc = boss.put("pipeline", {"v": 3}, shared=True)
    assert doc.owner_id == accounts.get_user(session, "ann").id and ann.lookup("pipeline").content == {"v": 3}  # type: ignore[union-attr]
    assert boss.may_change(doc) and not bob.may_change(doc)
    with pytest.raises(Forbidden, match="only its owner or a project admin"):
        bob.delete(doc)
    boss.delete(doc)
    assert ann.visible() == []


def test_own_documents_come_before_shared_ones_of_the_same_name(session: Session) -> None:
    ann, bob = _docs(session, _access(session, "ann")), _docs(session, _access(session, "bob"))
    ann.put("x", {"by": "ann"}, shared=True)
    bob.put("x", {"by": "bob"}, shared=False)
    assert bob.lookup("x").content == {"by": "bob"}  # type: ignore[union-attr]
    assert [(d.content["by"], d.shared) for d in bob.visible()] == [("bob", False), ("ann", True)]
    assert bob.owner_names(bob.visible()) == {
        accounts.get_user(session, "ann").id: "ann",
        accounts.get_user(session, "bob").id: "bob",
    }


def test_the_callers_shared_document_comes_before_an_ownerless_one_of_the_same_name(session: Session) -> None:
    bob = _docs(session, _access(session, "bob"))
    project_id = bob.access.project.id
    session.add(JsonDocument(project_id=project_id, owner_id=None, kind=bob.kind, name="x", shared=True, content={}))
    session.flush()  # an older shared document whose owner was deleted
    mine = JsonDocument(project_id=project_id, owner_id=bob.user_id, kind=bob.kind, name="x", shared=True, content={})
    session.add(mine)
    session.flush()
    assert bob.shared("x") is mine and bob.lookup("x") is mine
    assert _docs(session, _guests(session)[0]).shared("x") is not mine  # others: the oldest
