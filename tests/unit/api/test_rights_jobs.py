"""Rights matrix of the processing routes: launching, killing, dismissing and saving need ``batchtool``.

In the shared fixture ``user`` has download but no batchtool right, so it may read the monitor but not
launch; project admins and system admins may. Also: bad batches and bad launches are clear 4xx answers.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.api.conftest import Env
from tests.unit.api.test_rights_matrix import ANYUSER, PADMIN, READ, Case, check_rights, expect

P = "/api/projects/P1"
BATCH = {
    "name": "noop",
    "jobs": [
        {
            "job": "bash",
            "script": "echo hello $f1",
            "args": [{"name": "f1", "type": "FILE", "value": "t1_mprage/*.nii"}],
        }
    ],
}
ARG = {"name": "f1", "type": "FILE", "value": "t1_mprage/*.nii"}
BATCHTOOL = expect(401, 404, 403, 403, 200, 200)
LAUNCH = expect(401, 404, 403, 403, 201, 201)
BATCHTOOL_DELETE = expect(401, 404, 403, 403, 204, 204)
NOT_FOUND = expect(401, 404, 404, 404, 404, 404)


def _job(env: Env, role: str) -> int:
    r = env.client("admin").post(f"{P}/batches", json={"batch": BATCH, "rows": ["PAT1#20240101"]})
    assert r.status_code == 201, r.text
    return int(env.client("admin").get(f"{P}/jobs", params={"batch_id": r.json()["batch_id"]}).json()[0]["id"])


def _batch(env: Env, role: str) -> int:
    r = env.client("admin").post(f"{P}/batches", json={"batch": BATCH, "rows": ["PAT1#20240101"]})
    assert r.status_code == 201, r.text
    return int(r.json()["batch_id"])


def _failed_job(env: Env, role: str) -> int:
    bad = {
        "jobs": [
            {
                "job": "to_nifti",
                "args": [
                    {"name": "input", "type": "FILE", "value": "nothing*/*.nii"},
                    {"name": "output", "type": "OUT", "value": "x.nii"},
                ],
            }
        ]
    }
    r = env.client("admin").post(f"{P}/batches", json={"batch": bad, "rows": ["PAT1#20240101"]})
    assert r.status_code == 201 and r.json()["errors"], r.text
    return int(r.json()["errors"][0]["id"])


def _saved(env: Env, role: str) -> str:
    r = env.client("admin").put(f"{P}/saved-batches/del-{role}", json={"content": BATCH, "shared": True})
    assert r.status_code == 200, r.text
    return f"del-{role}"


CASES = [
    Case("GET", "/api/processing/catalog", lambda e, r: "/api/processing/catalog", ANYUSER),
    Case(
        "POST",
        "/api/processing/script-rows",
        lambda e, r: "/api/processing/script-rows",
        ANYUSER,
        lambda e, r: {"json": {"script": "cp $f1 $o1"}},
    ),
    Case("GET", "/api/projects/{project}/jobs", lambda e, r: f"{P}/jobs", READ),
    Case("GET", "/api/projects/{project}/jobs/{job_id}", lambda e, r: f"{P}/jobs/{_job(e, r)}", READ),
    Case("GET", "/api/projects/{project}/jobs/{job_id}/log", lambda e, r: f"{P}/jobs/{_job(e, r)}/log", READ),
    Case(
        "POST",
        "/api/projects/{project}/jobs/kill",
        lambda e, r: f"{P}/jobs/kill",
        BATCHTOOL,
        lambda e, r: {"json": {"ids": [_job(e, r)]}},
    ),
    Case(
        "POST",
        "/api/projects/{project}/jobs/dismiss",
        lambda e, r: f"{P}/jobs/dismiss",
        BATCHTOOL,
        lambda e, r: {"json": {"ids": [_failed_job(e, r)]}},
    ),
    Case(
        "POST",
        "/api/projects/{project}/batches",
        lambda e, r: f"{P}/batches",
        LAUNCH,
        lambda e, r: {"json": {"batch": BATCH, "rows": ["PAT1#20240101"]}},
    ),
    Case("GET", "/api/projects/{project}/batches/{batch_id}", lambda e, r: f"{P}/batches/{_batch(e, r)}", READ),
    Case("GET", "/api/projects/{project}/batches/{batch_id}", lambda e, r: f"{P}/batches/999999", NOT_FOUND),
    Case("GET", "/api/projects/{project}/saved-batches", lambda e, r: f"{P}/saved-batches", READ),
    Case(
        "PUT",
        "/api/projects/{project}/saved-batches/{name}",
        lambda e, r: f"{P}/saved-batches/mine-{r}",
        BATCHTOOL,
        lambda e, r: {"json": {"content": BATCH}},
    ),
    Case(
        "DELETE",
        "/api/projects/{project}/saved-batches/{name}",
        lambda e, r: f"{P}/saved-batches/{_saved(e, r)}",
        BATCHTOOL_DELETE,
    ),
    Case("GET", "/api/projects/{project}/autoexec", lambda e, r: f"{P}/autoexec", READ),
    Case(
        "PUT",
        "/api/projects/{project}/autoexec",
        lambda e, r: f"{P}/autoexec",
        PADMIN,
        lambda e, r: {"json": {"rules": []}},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.method} {c.route}")
def test_rights(env: Env, case: Case) -> None:
    check_rights(env, case)


@pytest.mark.parametrize(
    "body, fragment",
    [
        ({"batch": {"jobs": []}, "rows": ["PAT1#20240101"]}, "jobs"),
        ({"batch": {"jobs": [{"job": "nope"}]}, "rows": ["PAT1#20240101"]}, "unknown job 'nope'"),
        ({"batch": {"jobs": [{"job": "bash", "script": "cat $f1"}]}, "rows": ["PAT1#20240101"]}, "refers to $f1"),
        ({"batch": BATCH, "rows": ["NOPE#1"]}, "not in project"),
        ({"batch": BATCH, "rows": ["PAT1#20240101"], "queue": "nosuchqueue"}, "unknown queue"),
        (
            {
                "batch": {
                    "jobs": [
                        {
                            "job": "bash",
                            "script": "echo > $o1",
                            "args": [{"name": "o1", "type": "OUT", "value": "../../etc/x"}],
                        }
                    ]
                },
                "rows": ["PAT1#20240101"],
            },
            "not allowed",
        ),
        ({"rows": ["PAT1#20240101"]}, "give a batch"),
        (
            {
                "batch": {
                    "jobs": [
                        {
                            "job": "to_nifti",
                            "args": [
                                {"name": "input", "type": "FILE", "value": "t1_mprage/*.nii", "multi": True},
                                {"name": "output", "type": "OUT", "value": "x.nii"},
                            ],
                        }
                    ]
                },
                "rows": ["PAT1#20240101"],
            },
            "argument 'input' of job 'to_nifti' takes one file, not a list",
        ),
        ({"batch": BATCH, "rows": ["PAT1#"]}, "is not 'PID' or 'PID#SID'"),
        (
            {
                "batch": {"jobs": [{"job": "bash", "script": "cat $f1", "args": [{**ARG, "ref": "LATEST *"}]}]},
                "rows": ["PAT1"],
            },
            "study reference 'LATEST *': 2 terms ('LATEST', '*') where exactly one is accepted",
        ),
    ],
)
def test_bad_launches_are_refused_and_store_nothing(env: Env, body: dict[str, Any], fragment: str) -> None:
    client = env.client("admin")
    before = client.get(f"{P}/jobs").json()
    r = client.post(f"{P}/batches", json=body)
    assert r.status_code in (400, 404, 422), r.text  # 422: the body fails its schema (BatchDef)
    assert fragment in r.json()["detail"]
    if "study reference" in fragment:
        # the inline batch is a typed body (BatchDef): a bad study reference fails it before the route runs
        assert r.status_code == 422
    assert client.get(f"{P}/jobs").json() == before
    assert client.get("/api/health").status_code == 200


def test_a_launched_batch_reads_back_as_launched(env: Env) -> None:
    client = env.client("admin")
    launched = client.post(f"{P}/batches", json={"batch": {**BATCH, "name": "again"}, "rows": ["PAT1#20240101"]})
    r = client.get(f"{P}/batches/{launched.json()['batch_id']}")
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "again"
    assert r.json()["jobs"][0]["script"] == BATCH["jobs"][0]["script"]  # type: ignore[index]


def test_the_monitor_row_and_the_job_detail_agree(env: Env) -> None:
    client = env.client("admin")
    launched = client.post(f"{P}/batches", json={"batch": {**BATCH, "name": "rows"}, "rows": ["PAT1#20240101"]})
    assert launched.status_code == 201, launched.text
    listed = client.get(f"{P}/jobs", params={"batch_id": launched.json()["batch_id"]}).json()
    assert [(j["psid"], j["batch"], j["name"]) for j in listed] == [("PAT1#20240101", "rows", "bash")]
    assert listed[0]["created_at"].endswith("Z")
    detail = client.get(f"{P}/jobs/{listed[0]['id']}").json()
    assert {k: detail[k] for k in ("id", "psid", "batch", "kind", "queue", "executor")} == {
        k: listed[0][k] for k in ("id", "psid", "batch", "kind", "queue", "executor")
    }
    assert detail["spec"]["job"] == "bash"
    assert client.get(f"{P}/jobs/999999").status_code == 404
