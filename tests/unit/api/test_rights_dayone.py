"""Rights matrix of the routes the page's files panel and administration use: rename, trash, passwords,
other users' tokens. Renaming and the trash need the write right (as upload and delete do); setting another
user's password and their tokens need a system admin; every user changes their own password."""

from __future__ import annotations

import pytest

from tests.unit.api.conftest import Env
from tests.unit.api.test_rights_matrix import CREATE, DELETE, NIFTI, SYSADMIN, Case, check_rights, expect

P = "/api/projects/P1"
S = f"{P}/patients/PAT1/studies/20240101"
WRITE = expect(401, 404, 403, 200, 200, 200)
PROJECT_READ = expect(401, 404, 200, 200, 200, 200)


def _fresh_file(env: Env, role: str, name: str) -> int:
    r = env.client("admin").post(f"{S}/files", files={"file": (f"{name}-{role}.nii", NIFTI)})
    assert r.status_code == 201, r.text
    return int(r.json()[0]["id"])


def _trashed(env: Env, role: str, name: str) -> int:
    fid = _fresh_file(env, role, name)
    r = env.client("admin").post(f"{P}/files/{fid}/trash")
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def _dicom_file(env: Env, role: str) -> int:
    from tests.unit.api.test_rights_viewer import _dicom_id

    return _dicom_id(env)


CASES = [
    Case(
        "GET",
        "/api/projects/{project}/files/{file_id}/dicom-header",
        lambda e, r: f"{P}/files/{_dicom_file(e, r)}/dicom-header",
        PROJECT_READ,
    ),
    Case(
        "PATCH",
        "/api/projects/{project}/files/{file_id}",
        lambda e, r: f"{P}/files/{_fresh_file(e, r, 'ren')}",
        WRITE,
        lambda e, r: {"json": {"path": f"renamed/ren-{r}.nii"}},
    ),
    Case(
        "POST",
        "/api/projects/{project}/files/{file_id}/trash",
        lambda e, r: f"{P}/files/{_fresh_file(e, r, 'trash')}/trash",
        CREATE,
    ),
    Case("GET", "/api/projects/{project}/trash", lambda e, r: f"{P}/trash", PROJECT_READ),
    Case(
        "POST",
        "/api/projects/{project}/trash/{entry_id}/restore",
        lambda e, r: f"{P}/trash/{_trashed(e, r, 'restore')}/restore",
        WRITE,
    ),
    Case(
        "DELETE",
        "/api/projects/{project}/trash/{entry_id}",
        lambda e, r: f"{P}/trash/{_trashed(e, r, 'purge')}",
        DELETE,
    ),
    Case("GET", "/api/admin/users/{username}/tokens", lambda e, r: "/api/admin/users/user/tokens", SYSADMIN),
    Case(
        "POST",
        "/api/admin/users/{username}/tokens",
        lambda e, r: "/api/admin/users/user/tokens",
        expect(401, 403, 403, 403, 403, 201),
        lambda e, r: {"json": {"name": "from the page", "expires_days": 30}},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.method} {c.route}")
def test_rights(env: Env, case: Case) -> None:
    check_rights(env, case)
