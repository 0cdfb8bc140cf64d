"""Rights matrix of the PACS routes, against a real Orthanc (PACSQUERY_<node> / PACS_<node> capabilities).

"user" holds PACSQUERY_ORTHANC and PACS_ORTHANC, "readonly" only PACSQUERY_ORTHANC (and read-only access
to P1), "projadmin" no capability: a project role does not grant PACS access.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydicom.data import get_testdata_file

from nora.archive.services import rights
from nora.archive.services.access import SYSTEM
from nora.core.settings import PacsSettings
from nora.processing.models import Job
from tests.support.orthanc import ORTHANC_AET, TempOrthanc, orthanc_binary
from tests.unit.api.conftest import PROJECT, Env, build_env
from tests.unit.api.test_rights_matrix import ANYUSER, Case, check_rights, expect

CT = Path(str(get_testdata_file("CT_small.dcm", download=False))).read_bytes()
QUERY = expect(401, 403, 200, 200, 403, 200)
NODE = "/api/pacs/nodes/ORTHANC"


def _job(env: Env, role: str) -> int:
    r = env.client("admin").post(f"{NODE}/retrieve", json=_retrieve_body())
    assert r.status_code == 202, r.text
    return int(r.json()["id"])


def _retrieve_body() -> dict[str, object]:
    return {"project": PROJECT, "method": "get", "items": [{"study_uid": "1.2.826.0.1.3680043.99.1"}]}


CASES = [
    Case("GET", "/api/pacs/nodes", lambda e, r: "/api/pacs/nodes", ANYUSER),
    Case("POST", "/api/pacs/nodes/{node}/echo", lambda e, r: f"{NODE}/echo", QUERY),
    Case("POST", "/api/pacs/nodes/{node}/find", lambda e, r: f"{NODE}/find", QUERY, lambda e, r: {"json": {}}),
    Case(
        "POST",
        "/api/pacs/nodes/{node}/search",
        lambda e, r: f"{NODE}/search",
        QUERY,
        lambda e, r: {"json": {"patient_name": "Compressed*"}},
    ),
    Case(
        "POST",
        "/api/pacs/nodes/{node}/retrieve",
        lambda e, r: f"{NODE}/retrieve",
        expect(401, 403, 403, 202, 403, 202),
        lambda e, r: {"json": _retrieve_body()},
    ),
    Case(
        "GET",
        "/api/pacs/jobs/{job_id}",
        lambda e, r: f"/api/pacs/jobs/{_job(e, r)}",
        expect(401, 404, 200, 200, 200, 200),
    ),
    Case(
        "POST",
        "/api/pacs/nodes/{node}/send",
        lambda e, r: f"{NODE}/send",
        expect(401, 404, 403, 200, 403, 200),
        lambda e, r: {"json": {"project": PROJECT, "pid": "PAT1", "sid": "20240101"}},
    ),
]


@pytest.fixture(scope="module")
def orthanc() -> Iterator[TempOrthanc]:
    if orthanc_binary() is None:
        pytest.fail("Orthanc is not installed (Debian package 'orthanc'; scripts/setup.sh --test installs it)")
    server = TempOrthanc({"nora": ("NORA", 104)})
    server.start()
    yield server
    server.stop()


@pytest.fixture
def pacs_env(db_url: str, tmp_path: Path, orthanc: TempOrthanc) -> Iterator[Env]:
    env = build_env(db_url, tmp_path / "home")
    env.settings.pacs = {"ORTHANC": PacsSettings(ae_title=ORTHANC_AET, host="127.0.0.1", port=orthanc.dicom_port)}
    with env.sessions() as s:  # type: ignore[attr-defined]
        for role, scopes in {"user": ("PACSQUERY_ORTHANC", "PACS_ORTHANC"), "readonly": ("PACSQUERY_ORTHANC",)}.items():
            for scope in scopes:
                rights.grant(s, SYSTEM, role, scope, rights.RightSpec())
        s.commit()
    with env.app_client:
        r = env.client("admin").post(
            f"/api/projects/{PROJECT}/patients/PAT1/studies/20240101/files", files={"file": ("ct.dcm", CT)}
        )
        assert r.status_code == 201, r.text
        yield env
        _wait_for_retrieves(env)


def _wait_for_retrieves(env: Env) -> None:
    """Let background retrieve jobs end before the database goes away."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with env.sessions() as s:  # type: ignore[attr-defined]
            if not s.query(Job).filter(Job.kind == "retrieve", Job.state.in_(["q", "r"])).count():
                return
        time.sleep(0.2)


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.method} {c.route}")
def test_rights(pacs_env: Env, case: Case) -> None:
    check_rights(pacs_env, case)


def test_node_list_shows_only_usable_nodes(pacs_env: Env) -> None:
    assert pacs_env.client("norights").get("/api/pacs/nodes").json() == []
    [node] = pacs_env.client("readonly").get("/api/pacs/nodes").json()
    assert node["name"] == "ORTHANC" and node["can_query"] and not node["can_send"]


def test_bad_queries_and_unknown_nodes(pacs_env: Env) -> None:
    admin = pacs_env.client("admin")
    r = admin.post(f"{NODE}/find", json={"study_date": "yesterday"})
    assert r.status_code == 400 and "YYYYMMDD" in r.json()["detail"]
    assert admin.post("/api/pacs/nodes/NOPE/find", json={}).status_code == 404
    r = admin.post(f"{NODE}/retrieve", json={"project": PROJECT, "items": [{"study_uid": "../x"}]})
    assert r.status_code == 400
    assert admin.get("/api/pacs/jobs/999999").status_code == 404
