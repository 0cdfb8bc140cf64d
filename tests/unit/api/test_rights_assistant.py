"""Rights matrix of the segmentation assistant: write access to the project, and only one's own sessions."""

from __future__ import annotations

from tests.unit.api.conftest import Env
from tests.unit.api.test_annotation_api import image_id
from tests.unit.api.test_rights_matrix import CREATE, DELETE, WRITE, Case, check_rights

P = "/api/projects/P1/assistant/sessions"
T = "/api/projects/{project}/assistant/sessions"
WRITERS = ("user", "projadmin", "admin")
CLICK = {"json": {"kind": "points", "points": [[0.0, 0.0, 0.0]], "positive": [True]}}


def _session(env: Env, role: str) -> str:
    """A session of the role (of the user for roles that cannot have one: they must not reach it)."""
    image = image_id(env)
    r = env.client(role if role in WRITERS else "user").post(P, json={"file_id": image, "roi": f"r-{role}"})
    assert r.status_code == 201, r.text
    return f"{P}/{r.json()['id']}"


CASES = [
    Case("POST", T, lambda e, r: P, CREATE, lambda e, r: {"json": {"file_id": image_id(e), "roi": f"new-{r}"}}),
    Case("GET", f"{T}/{{session_id}}", _session, WRITE),
    Case(
        "POST",
        f"{T}/{{session_id}}/interactions",
        lambda e, r: _session(e, r) + "/interactions",
        WRITE,
        lambda e, r: CLICK,
    ),
    Case("POST", f"{T}/{{session_id}}/undo", lambda e, r: _session(e, r) + "/undo", WRITE),
    Case("POST", f"{T}/{{session_id}}/reset", lambda e, r: _session(e, r) + "/reset", WRITE),
    Case("GET", f"{T}/{{session_id}}/result", lambda e, r: _session(e, r) + "/result", WRITE),
    Case("DELETE", f"{T}/{{session_id}}", _session, DELETE),
]


def test_rights_of_the_assistant(env: Env) -> None:
    # every case in one environment: a session per role is cheap, an environment per case is not
    for case in CASES:

        def status(role: str, case: Case = case) -> int:
            # a fresh session has nothing to undo: the right was granted, the request refused
            undo = case.route.endswith("/undo") and case.statuses[role] == 200
            return 400 if undo else case.statuses[role]

        check_rights(env, case, status=status)
    # a session is reached by its user only, whatever their rights in the project
    url = _session(env, "user")
    assert [env.client(role).get(url).status_code for role in ("projadmin", "admin", "user")] == [404, 404, 200]
