"""Renaming files, the project trash (move, list, restore, purge) and password changes through the API."""

from __future__ import annotations

from pathlib import Path

from tests.unit.api.conftest import Env
from tests.unit.api.test_rights_matrix import NIFTI

P = "/api/projects/P1"
S = f"{P}/patients/PAT1/studies/20240101"


def _upload(env: Env, name: str) -> dict[str, object]:
    r = env.client("user").post(f"{S}/files", files={"file": (name, NIFTI)})
    assert r.status_code == 201, r.text
    return dict(r.json()[0])


def _study_dir(env: Env) -> Path:
    return env.layout.study_dir("P1", "PAT1", "20240101")


def test_rename_moves_the_file_and_keeps_its_extension(env: Env) -> None:
    c = env.client("user")
    f = _upload(env, "scan.nii")
    r = c.patch(f"{P}/files/{f['id']}", json={"path": "anat/t1.nii"})
    assert r.status_code == 200, r.text
    assert r.json()["path"] == "anat/t1.nii"
    assert (_study_dir(env) / "anat/t1.nii").read_bytes() == NIFTI
    assert not (_study_dir(env) / "scan.nii").exists()
    assert c.get(r.json()["url"]).content == NIFTI
    paths = [x["path"] for x in c.get(f"{S}/files").json()]
    assert "anat/t1.nii" in paths and "scan.nii" not in paths

    bad = c.patch(f"{P}/files/{f['id']}", json={"path": "anat/t1.txt"})
    assert bad.status_code == 400 and "extension" in bad.json()["detail"]
    clash = c.patch(f"{P}/files/{f['id']}", json={"path": "t1_mprage/s002.nii"})
    assert clash.status_code == 409 and "exists" in clash.json()["detail"]
    unsafe = c.patch(f"{P}/files/{f['id']}", json={"path": "../escape.nii"})
    assert unsafe.status_code == 400
    assert (_study_dir(env) / "anat/t1.nii").is_file()


def test_trash_and_restore_keep_bytes_and_tags(env: Env) -> None:
    c = env.client("user")
    f = _upload(env, "gone.nii")
    assert c.post(f"{P}/files/{f['id']}/tags", json={"add": ["keep"]}).status_code == 200
    r = c.post(f"{P}/files/{f['id']}/trash")
    assert r.status_code == 201, r.text
    entry = r.json()
    assert entry["path"] == "gone.nii" and entry["tags"] == ["keep"] and entry["trashed_by"] == "user"
    assert not (_study_dir(env) / "gone.nii").exists()
    assert "gone.nii" not in [x["path"] for x in c.get(f"{S}/files").json()]
    assert [e["id"] for e in c.get(f"{P}/trash").json()] == [entry["id"]]

    restored = c.post(f"{P}/trash/{entry['id']}/restore")
    assert restored.status_code == 200, restored.text
    assert restored.json()["path"] == "gone.nii" and restored.json()["tags"] == ["keep"]
    assert (_study_dir(env) / "gone.nii").read_bytes() == NIFTI
    assert c.get(f"{P}/trash").json() == []
    assert not list((env.layout.home / "trash").rglob("*.nii"))


def test_restore_refuses_a_taken_name_and_purge_deletes_for_good(env: Env) -> None:
    c = env.client("user")
    f = _upload(env, "twice.nii")
    entry = c.post(f"{P}/files/{f['id']}/trash").json()
    _upload(env, "twice.nii")  # a new file took the name
    r = c.post(f"{P}/trash/{entry['id']}/restore")
    assert r.status_code == 409 and "rename it first" in r.json()["detail"]
    assert len(c.get(f"{P}/trash").json()) == 1
    assert c.delete(f"{P}/trash/{entry['id']}").status_code == 204
    assert c.get(f"{P}/trash").json() == []
    assert not list((env.layout.home / "trash").rglob("*.nii"))
    assert c.post(f"{P}/trash/{entry['id']}/restore").status_code == 404


def test_own_password_change_needs_the_current_password(env: Env) -> None:
    c = env.client("user")
    wrong = c.post("/api/auth/password", json={"current_password": "nope-nope", "new_password": "a-new-password"})
    assert wrong.status_code == 403 and "current password" in wrong.json()["detail"]
    short = c.post("/api/auth/password", json={"current_password": "user-password", "new_password": "x"})
    assert short.status_code == 400 and "at least" in short.json()["detail"]
    ok = c.post("/api/auth/password", json={"current_password": "user-password", "new_password": "a-new-password"})
    assert ok.status_code == 200 and ok.json()["sessions_ended"] == 0
    c.headers.pop("authorization", None)
    assert c.post("/api/auth/login", json={"username": "user", "password": "a-new-password"}).status_code == 200
    assert c.post("/api/auth/login", json={"username": "user", "password": "user-password"}).status_code == 401


def test_admin_issues_a_token_for_a_user_that_authenticates_as_them(env: Env) -> None:
    admin = env.client("admin")
    created = admin.post("/api/admin/users/readonly/tokens", json={"name": "scripts"}).json()
    listed = admin.get("/api/admin/users/readonly/tokens").json()
    assert created["id"] in [t["id"] for t in listed]
    admin.headers["authorization"] = f"Bearer {created['token']}"
    assert admin.get("/api/auth/me").json()["username"] == "readonly"
    env.client("admin").delete(f"/api/auth/tokens/{created['id']}")
    admin.headers["authorization"] = f"Bearer {created['token']}"
    assert admin.get("/api/auth/me").status_code == 401
