"""Rights matrix of the viewer routes (autoloaders, shared links, URL calls, viewer streaming)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydicom.data import get_testdata_file

from tests.unit.api.conftest import Env
from tests.unit.api.test_rights_matrix import CREATE, DELETE, READ, Case, check_rights, expect

P = "/api/projects/P1/viewer"
PRESET = {"level": "study", "loaders": [{"pattern": "t1_mprage/*.nii", "viewports": [0]}]}
STATE = {"layout": "single", "viewports": [{"slice": "axial", "items": []}]}
PERSONAL = expect(401, 404, 200, 200, 200, 200)  # readers may keep their own presets
OWNER_OR_PADMIN = expect(401, 404, 403, 403, 200, 200)


def _file_id(env: Env) -> int:
    c = env.client("admin")
    return int(c.get("/api/projects/P1/patients/PAT1/studies/20240101/files").json()[0]["id"])


def _dicom_id(env: Env) -> int:
    c = env.client("admin")
    files = c.get("/api/projects/P1/patients/PAT1/studies/20240101/files").json()
    found = [f["id"] for f in files if f["format"] == "dicom"]
    if found:
        return int(found[0])
    raw = Path(str(get_testdata_file("MR_small.dcm"))).read_bytes()
    r = c.post("/api/projects/P1/patients/PAT1/studies/20240101/files", files={"file": ("dcm/MR_small.dcm", raw)})
    assert r.status_code == 201, r.text
    return int(r.json()[0]["id"])


def _preset_to_delete(env: Env, role: str) -> str:
    if role not in ("anonymous", "norights"):
        r = env.client(role).put(f"{P}/autoloaders/del-{role}", json=PRESET)
        assert r.status_code == 200, r.text
    return f"{P}/autoloaders/del-{role}"


def _admin_link(env: Env) -> str:
    r = env.client("admin").post(f"{P}/sharedstates", json={"state": STATE, "title": "admin's view"})
    assert r.status_code == 201, r.text
    return str(r.json()["link"])


def _call(env: Env, role: str) -> dict[str, Any]:
    call: dict[str, Any] = {"pid": "PAT1", "sid": "20240101"}
    if role != "anonymous":
        call["token"] = env.tokens[role]  # the token in the call authenticates, not a header
    return {"json": {"project": "P1", "call": call}}


CASES = [
    Case("GET", "/api/projects/{project}/viewer/autoloaders", lambda e, r: f"{P}/autoloaders", READ),
    Case(
        "PUT",
        "/api/projects/{project}/viewer/autoloaders/{name}",
        lambda e, r: f"{P}/autoloaders/mine",
        PERSONAL,
        lambda e, r: {"json": PRESET},
    ),
    Case(
        "DELETE",
        "/api/projects/{project}/viewer/autoloaders/{name}",
        lambda e, r: _preset_to_delete(e, r),
        expect(401, 404, 204, 204, 204, 204),
    ),
    Case(
        "POST",
        "/api/projects/{project}/viewer/autoload",
        lambda e, r: f"{P}/autoload",
        READ,
        lambda e, r: {"json": {"definition": PRESET, "pid": "PAT1", "sid": "20240101"}},
    ),
    Case(
        "POST",
        "/api/projects/{project}/viewer/autoloaders/snapshot",
        lambda e, r: f"{P}/autoloaders/snapshot",
        READ,
        lambda e, r: {"json": {"mode": "smart", "file_ids": [_file_id(e)]}},
    ),
    Case(
        "POST",
        "/api/projects/{project}/viewer/sharedstates",
        lambda e, r: f"{P}/sharedstates",
        expect(401, 404, 201, 201, 201, 201),
        lambda e, r: {"json": {"state": STATE}},
    ),
    Case(
        "PUT",
        "/api/projects/{project}/viewer/sharedstates/{link}",
        lambda e, r: f"{P}/sharedstates/{_admin_link(e)}",
        OWNER_OR_PADMIN,
        lambda e, r: {"json": {"state": STATE}},
    ),
    Case(
        "GET",
        "/api/projects/{project}/viewer/sharedstates/{link}",
        lambda e, r: f"{P}/sharedstates/{_admin_link(e)}",
        READ,
    ),
    Case(
        "GET",
        "/api/projects/{project}/viewer/files/{file_id}/content",
        lambda e, r: f"{P}/files/{_file_id(e)}/content",
        READ,
    ),
    Case(
        "GET",
        "/api/projects/{project}/viewer/files/{file_id}/series.nii.gz",
        lambda e, r: f"{P}/files/{_dicom_id(e)}/series.nii.gz",
        READ,
    ),
    Case("POST", "/api/viewer/urlcall", lambda e, r: "/api/viewer/urlcall", READ, _call),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.method} {c.route}")
def test_rights(env: Env, case: Case) -> None:
    def no_header(client: Any) -> None:  # a URL call carries its token in the address
        client.headers.pop("authorization", None)

    check_rights(env, case, prepare=no_header if case.route == "/api/viewer/urlcall" else None)


__all__ = ["CASES", "CREATE", "DELETE"]
