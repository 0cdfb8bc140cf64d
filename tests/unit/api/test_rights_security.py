"""Rights of the password routes and of saving files (the download right; project admins have it implicitly)."""

from __future__ import annotations

import pytest

from tests.unit.api.conftest import PROJECT, Env
from tests.unit.api.test_rights_matrix import ANYUSER, SYSADMIN, Case, _file_id, check_rights, expect

P = f"/api/projects/{PROJECT}"
#: saving a file: the user holds `download`, the project admin has no flag but downloads implicitly
SAVE = expect(401, 404, 403, 200, 200, 200)
NAVIGATE = {"headers": {"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Site": "same-origin", "Sec-Fetch-Dest": "document"}}

CASES = [
    # public opens the project to anonymous readers: a system admin's decision, not a project admin's
    Case(
        "PATCH",
        "/api/projects/{project}",
        lambda e, r: P,
        expect(401, 404, 403, 403, 403, 200),
        lambda e, r: {"json": {"settings": {"public": True}}},
    ),
    Case(
        "POST",
        "/api/auth/password",
        lambda e, r: "/api/auth/password",
        ANYUSER,
        lambda e, r: {
            "json": {"current_password": f"{r}-password", "new_password": f"new-{r}-password", "keep_tokens": True}
        },
    ),
    Case(
        "PUT",
        "/api/admin/users/{username}/password",
        lambda e, r: "/api/admin/users/norights/password",
        SYSADMIN,
        lambda e, r: {"json": {"password": "another-password", "keep_tokens": True}},
    ),
    Case(
        "GET",
        "/api/projects/{project}/files/{file_id}/content",
        lambda e, r: f"{P}/files/{_file_id(e)}/content?download=true",
        SAVE,
    ),
    # a browser navigation to the bytes (address bar, a link, <a download>) saves the file
    Case(
        "GET",
        "/api/projects/{project}/files/{file_id}/content",
        lambda e, r: f"{P}/files/{_file_id(e)}/content",
        SAVE,
        lambda e, r: NAVIGATE,
    ),
    Case(
        "GET",
        "/api/projects/{project}/viewer/files/{file_id}/content",
        lambda e, r: f"{P}/viewer/files/{_file_id(e)}/content",
        SAVE,
        lambda e, r: NAVIGATE,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.method} {c.route} {c.kwargs(None, '')}"[:90])  # type: ignore[arg-type]
def test_rights(env: Env, case: Case) -> None:
    check_rights(env, case)
