"""The live events route: who may open a project's stream, and which change kinds each write raises.

The stream's id is the project's stamp; opening it again with ``Last-Event-ID`` first sends the kinds of
what changed since, which is how these tests (and a reconnecting browser) see changes without waiting.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

from nibabel.testing import data_path

from tests.unit.api.conftest import Env
from tests.unit.api.test_rights_matrix import READ, Case, expect

P = "/api/projects/P1"
NIFTI = (Path(data_path) / "anatomical.nii").read_bytes()

CASES = [
    Case("GET", "/api/projects/{project}/events", lambda e, r: f"{P}/events?seconds=0", READ),
    Case(
        "GET",
        "/api/projects/{project}/events",
        lambda e, r: "/api/projects/OTHER/events?seconds=0",
        expect(401, 404, 404, 404, 404, 200),
    ),
]


def _events(env: Env, last: str | None = None, role: str = "admin") -> list[tuple[str, str, dict[str, object]]]:
    """The (event, id, data) of a stream that ends at once (``seconds=0``)."""
    headers = {"Last-Event-ID": last} if last else {}
    r = env.client(role).get(f"{P}/events", params={"seconds": 0}, headers=headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/event-stream")
    out = []
    for block in r.text.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line and not line.startswith(":"))
        if "event" in fields:
            out.append((fields["event"], fields["id"], json.loads(fields["data"])))
    return out


def _stamp(env: Env) -> str:
    events = _events(env)
    assert [e[0] for e in events] == ["ready"]
    return events[0][1]


def _changed(env: Env, since: str) -> list[object]:
    events = _events(env, since)
    assert events[-1][0] == "ready"
    changes = [e for e in events if e[0] == "change"]
    return list(changes[0][2]["kinds"]) if changes else []  # type: ignore[arg-type]


def test_nothing_changed_sends_only_ready(env: Env) -> None:
    since = _stamp(env)
    assert _changed(env, since) == []
    assert _changed(env, "garbage-id") == []  # a foreign id is ignored, never an error


def test_each_write_raises_its_change_kind(env: Env) -> None:
    c = env.client("admin")
    since = _stamp(env)
    assert c.post(f"{P}/patients/PAT1/studies/20240101/tags", json={"add": ["live"], "remove": []}).status_code == 200
    assert _changed(env, since) == ["studies"]

    since = _stamp(env)
    r = c.post(f"{P}/patients/PAT1/studies/20240101/files", files={"file": ("live.nii", io.BytesIO(NIFTI))})
    assert r.status_code == 201, r.text
    file_id = r.json()[0]["id"]
    assert _changed(env, since) == ["files"]

    since = _stamp(env)
    assert c.post(f"{P}/files/{file_id}/tags", json={"add": ["t"], "remove": []}).status_code == 200
    assert _changed(env, since) == ["files"]

    since = _stamp(env)
    assert c.post(f"{P}/patients", json={"pid": "NEW1"}).status_code == 201
    assert _changed(env, since) == ["imported"]

    since = _stamp(env)
    arg = {"name": "f1", "type": "FILE", "value": "t1*"}
    batch = {"jobs": [{"job": "bash", "script": "echo hi $f1", "args": [arg]}]}
    assert c.post(f"{P}/batches", json={"batch": batch, "rows": ["PAT1#20240101"]}).status_code == 201
    assert "jobs" in _changed(env, since)


def test_a_read_only_user_sees_other_users_changes(env: Env) -> None:
    since = _events(env, role="readonly")[0][1]
    env.client("user").post(f"{P}/patients/PAT1/tags", json={"add": ["x"], "remove": []})
    events = _events(env, since, role="readonly")
    assert events[0][0] == "change" and events[0][2] == {"kinds": ["studies"]}
