"""Rights matrix of the annotation routes (ROIs, marker sets, versions)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.api.conftest import Env
from tests.unit.api.test_annotation_api import MARKERS, box, image_id, nifti
from tests.unit.api.test_rights_matrix import DELETE, READ, WRITE, Case, check_rights, expect

P = "/api/projects/P1"
S = f"{P}/patients/PAT1/studies/20240101"
ST = "/api/projects/{project}/patients/{pid}/studies/{sid}"
PT = "/api/projects/{project}/patients/{pid}"
DOWNLOAD = expect(401, 404, 403, 200, 200, 200)


def _roi(env: Env, name: str = "shared") -> dict[str, Any]:
    c = env.client("admin")
    found = c.get(f"{S}/rois/{name}")
    if found.status_code == 200:
        return dict(found.json())
    r = c.put(
        f"{S}/rois/{name}",
        content=nifti(box()),
        params={"reference": image_id(env)},
        headers={"content-type": "application/octet-stream"},
    )
    assert r.status_code == 200, r.text
    return dict(r.json())


def _markers(env: Env, name: str) -> None:
    if env.client("admin").get(f"{P}/patients/PAT1/markers/{name}").status_code == 200:
        return
    r = env.client("admin").put(f"{P}/patients/PAT1/markers/{name}", json={**MARKERS, "name": name})
    assert r.status_code == 200, r.text


def _put_roi(env: Env, role: str) -> dict[str, Any]:
    return {
        "content": nifti(box()),
        "params": {"reference": image_id(env)},
        "headers": {"content-type": "application/octet-stream"},
    }


def _del_roi(env: Env, role: str) -> str:
    _roi(env, f"del-{role}")
    return f"{S}/rois/del-{role}"


def _del_markers(env: Env, role: str) -> str:
    _markers(env, f"del-{role}")
    return f"{P}/patients/PAT1/markers/del-{role}"


def _restore(env: Env, role: str) -> str:
    roi = _roi(env, f"restore-{role}")
    return f"{P}/annotations/{roi['id']}/versions/1/restore"


CASES = [
    Case("GET", f"{ST}/rois", lambda e, r: f"{S}/rois", READ),
    Case("GET", f"{ST}/rois/{{name}}", lambda e, r: f"{S}/rois/{_roi(e)['name']}", READ),
    Case("PUT", f"{ST}/rois/{{name}}", lambda e, r: f"{S}/rois/new-{r}", WRITE, _put_roi),
    Case("DELETE", f"{ST}/rois/{{name}}", _del_roi, DELETE),
    Case(
        "POST",
        f"{ST}/rois/{{name}}/operations",
        lambda e, r: f"{S}/rois/{_roi(e)['name']}/operations",
        WRITE,
        lambda e, r: {"json": {"operation": "dilate", "output": f"op-{r}"}},
    ),
    Case(
        "GET",
        f"{ST}/rois/{{name}}/stats",
        lambda e, r: f"{S}/rois/{_roi(e)['name']}/stats",
        READ,
        lambda e, r: {"params": {"image": image_id(e)}},
    ),
    Case("GET", f"{ST}/seg", lambda e, r: (_roi(e), f"{S}/seg?roi=shared")[1], expect(401, 404, 403, 404, 404, 404)),
    Case("GET", f"{PT}/markers", lambda e, r: f"{P}/patients/PAT1/markers", READ),
    Case(
        "GET",
        f"{PT}/markers/{{name}}",
        lambda e, r: (_markers(e, "m-read"), f"{P}/patients/PAT1/markers/m-read")[1],
        READ,
    ),
    Case(
        "PUT",
        f"{PT}/markers/{{name}}",
        lambda e, r: f"{P}/patients/PAT1/markers/m-{r}",
        WRITE,
        lambda e, r: {"json": {**MARKERS, "name": f"m-{r}"}},
    ),
    Case("DELETE", f"{PT}/markers/{{name}}", _del_markers, DELETE),
    Case(
        "GET",
        "/api/projects/{project}/annotations/{object_id}/versions",
        lambda e, r: f"{P}/annotations/{_roi(e)['id']}/versions",
        READ,
    ),
    Case(
        "GET",
        "/api/projects/{project}/annotations/{object_id}/versions/{number}/content",
        lambda e, r: f"{P}/annotations/{_roi(e)['id']}/versions/1/content?download=true",
        DOWNLOAD,
    ),
    Case(
        "POST",
        "/api/projects/{project}/annotations/{object_id}/versions/{number}/restore",
        _restore,
        WRITE,
        lambda e, r: {"json": {"base": 1}},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.method} {c.route}")
def test_rights(env: Env, case: Case) -> None:
    check_rights(env, case)
