"""Guests of public projects: the desktop's read routes work without a login, nothing else does.

A project with ``public: true`` is listed for everyone and can be read (table, files, tags, viewing a file)
by anonymous callers and by logged-in users without a right on it, as read-only guests: no writes, no
downloads, no identities in anonymised projects, and only the settings the viewer needs.
"""

from __future__ import annotations

from nora.archive.services.access import SYSTEM, project_access
from nora.archive.services.projects import update_project
from tests.unit.api.conftest import Env

P = "/api/projects/P1"


def _publish(env: Env, **settings: object) -> None:
    with env.sessions() as s:  # type: ignore[operator]
        update_project(s, project_access(s, SYSTEM, "P1"), settings=settings)
        s.commit()


def _file_id(env: Env) -> int:
    return int(env.client("admin").get(f"{P}/patients/PAT1/studies/20240101/files").json()[0]["id"])


def test_anonymous_callers_see_nothing_until_a_project_is_public(env: Env) -> None:
    anon = env.client("anonymous")
    assert anon.get("/api/projects").json() == []
    for url in (P, f"{P}/studies", f"{P}/patients/PAT1/studies/20240101/files", f"{P}/tags"):
        r = anon.get(url)
        assert r.status_code == 401, url
        assert "not public" in r.json()["detail"]


def test_guests_read_a_public_project(env: Env) -> None:
    fid = _file_id(env)
    _publish(env, public=True, queues={"gpu": {"partition": "secret"}})
    anon = env.client("anonymous")
    listed = anon.get("/api/projects").json()
    assert [p["name"] for p in listed] == ["P1"], "OTHER is not public"
    assert (listed[0]["role"], listed[0]["readonly"], listed[0]["download"]) == ("guest", True, False)
    settings = anon.get(P).json()["settings"]
    assert settings["public"] is True and "queues" not in settings, "guests see only the viewer's settings"
    rows = anon.get(f"{P}/studies").json()["items"]
    assert [(r["pid"], r["sid"]) for r in rows] == [("PAT1", "20240101")]
    files = anon.get(f"{P}/patients/PAT1/studies/20240101/files").json()
    assert [f["path"] for f in files] == ["t1_mprage/s002.nii"]
    assert anon.get(f"{P}/files", params={"select": "*", "files": "*.nii"}).status_code == 200
    assert anon.get(f"{P}/tags").status_code == 200
    content = anon.get(f"{P}/files/{fid}/content")
    assert content.status_code == 200 and content.content[344:348] == b"n+1\x00"
    assert anon.get(f"{P}/files/{fid}/content", params={"download": "true"}).status_code == 403


def test_guests_cannot_write_or_see_rights(env: Env) -> None:
    fid = _file_id(env)
    _publish(env, public=True)
    anon = env.client("anonymous")
    writes = [
        ("POST", f"{P}/patients", {"json": {"pid": "NEW"}}),
        ("POST", f"{P}/patients/PAT1/tags", {"json": {"add": ["x"]}}),
        ("POST", f"{P}/files/{fid}/tags", {"json": {"add": ["x"]}}),
        ("PATCH", P, {"json": {"description": "changed"}}),
        ("DELETE", f"{P}/files/{fid}", {}),
        ("PUT", f"{P}/patients/PAT1/meta", {"json": {"a": 1}}),
        ("GET", f"{P}/rights", {}),
    ]
    for method, url, kwargs in writes:
        assert anon.request(method, url, **kwargs).status_code == 401, (method, url)
    # a logged-in user without a right on the project reads it as a guest, and still cannot write
    nr = env.client("norights")
    assert [p["role"] for p in nr.get("/api/projects").json()] == ["guest"]
    assert nr.get(f"{P}/studies").status_code == 200
    assert nr.post(f"{P}/patients", json={"pid": "NEW"}).status_code == 404
    assert nr.post(f"{P}/files/{fid}/tags", json={"add": ["x"]}).status_code == 404
    assert nr.get(f"{P}/files/{fid}/content", params={"download": "true"}).status_code == 403
    assert nr.put(f"{P}/viewer/autoloaders/mine", json={}).status_code == 403, "no documents in their project"
    state = {"layout": "single", "viewports": [{"slice": "axial", "items": [{"file_id": fid, "name": "t1"}]}]}
    r = nr.post(f"{P}/viewer/sharedstates", json={"state": state})
    assert r.status_code == 403 and "right on the project" in r.json()["detail"]
    # members keep their own rights: the user may download, the read-only user still may not write
    assert env.client("user").get(P).json()["role"] == "user"
    assert env.client("readonly").post(f"{P}/patients", json={"pid": "NEW"}).status_code == 403
    assert env.client("admin").get(f"{P}/patients/NEW/studies").status_code in (404, 405)


def test_anonymised_public_projects_hide_identities_from_guests(env: Env) -> None:
    _publish(env, public=True, anonymised=True)
    anon = env.client("anonymous")
    r = anon.get(f"{P}/studies")
    assert r.status_code == 200
    assert "Doe" not in r.text and "1980" not in r.text
    assert anon.get(f"{P}/studies", params={"name": "Doe*"}).status_code in (400, 403)
    assert "Doe" in env.client("admin").get(f"{P}/studies").text


def test_unpublishing_ends_guest_access(env: Env) -> None:
    _publish(env, public=True)
    assert env.client("anonymous").get(f"{P}/studies").status_code == 200
    _publish(env, public=False)
    assert env.client("anonymous").get(f"{P}/studies").status_code == 401
    assert env.client("norights").get(f"{P}/studies").status_code == 404
    assert env.client("anonymous").get("/api/projects").json() == []
