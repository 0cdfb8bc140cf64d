"""The reading routes end to end: a reading created, checked, answered by two callers, its results exported."""

from __future__ import annotations

import csv
import io

from nora.archive.services import nodes
from nora.archive.services.access import SYSTEM, project_access
from tests.unit.api.conftest import Env
from tests.unit.api.test_rights_reading import CASE, DEFINITION, SERIOUS, reading


def test_a_reading_from_definition_to_csv(env: Env) -> None:
    admin = env.client("admin")
    bad = {**DEFINITION, "form": {"items": [{"type": "number", "name": "n", "min": 3, "max": 1}]}}
    r = admin.post("/api/projects/P1/readings", json={"name": "bad", "definition": bad})
    assert r.status_code == 400 and "form.items.0.number: min (3) is larger than max (1)" in r.json()["detail"]
    r = admin.post("/api/projects/P1/reading-definition/check", json={"definition": bad})
    assert r.json() == {"problems": [{"where": "form.items.0.number", "message": "min (3) is larger than max (1)"}]}
    url = reading(env)
    for role, value in (("user", "a"), ("admin", "b"), ("user", "b")):
        r = env.client(role).post(f"{SERIOUS}/answers", json={**CASE, "answers": {"q": value}, "time_ms": 700})
        assert r.status_code == 201 and r.json() == {"added": 1, "done": True, "answers": {"q": value}}, r.text
    stage = env.client("user").get(f"{SERIOUS}").json()
    assert (stage["done"], stage["total"], stage["slots"][0]["label"]) == (1, 1, "PAT1#20240101")
    assert env.client("user").get(f"{SERIOUS}/answers", params=CASE).json() == {"answers": {"q": "b"}, "done": True}
    mine = env.client("user").get(f"{url}/results", params={"history": True}).json()
    assert [(x["reader"], x["value"], x["current"]) for x in mine] == [("user", "a", False), ("user", "b", True)]
    everyone = env.client("projadmin").get(f"{url}/results").json()
    assert sorted((x["reader"], x["value"]) for x in everyone) == [("admin", "b"), ("user", "b")]
    r = env.client("projadmin").get(f"{url}/results.csv", params={"stage": "serious"})
    assert r.headers["content-type"].startswith("text/csv") and "attachment" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [(x["reader"], x["value"], x["current"], x["answer_time_ms"]) for x in rows] == [
        ("user", "a", "0", "700"), ("admin", "b", "1", "700"), ("user", "b", "1", "700")
    ]  # fmt: skip
    listed = env.client("user").get("/api/projects/P1/readings").json()
    assert [(x["name"], x["stages"][0]["done"], x["stages"][0]["total"], x["is_admin"]) for x in listed] == [
        ("R1", 1, 1, False)
    ]
    r = env.client("user").post(f"{SERIOUS}/answers", json={**CASE, "answers": {"q": "c"}})
    assert r.status_code == 400 and "'c' is not one of its options" in r.json()["detail"]
    # moving on is one request: the visit left is timed, the next opened with the case's answers
    first = env.client("user").post(f"{SERIOUS}/visits", json=CASE).json()
    assert (first["answers"], first["done"], first["active_ms"]) == ({"q": "b"}, True, 0)
    leaving = {"id": first["id"], "active_ms": 4200, "first_answer_ms": 900}
    second = env.client("user").post(f"{SERIOUS}/visits", json={**CASE, "leaving": leaving})
    assert second.status_code == 201 and second.json()["id"] != first["id"]
    timed = env.client("user").patch(f"{url}/visits/{first['id']}", json={"active_ms": 10})
    assert (timed.json()["active_ms"], timed.json()["first_answer_ms"]) == (4200, 900)  # it only grows
    theirs = env.client("admin").post(f"{SERIOUS}/visits", json={**CASE, "leaving": leaving})
    assert theirs.status_code == 404  # someone else's visit


def test_a_blind_reading_numbers_its_cases_and_keeps_results_from_its_readers(env: Env) -> None:
    blind = {**DEFINITION, "reading": {"reading": {"mode": "blind", "mode_serious": {}}}}
    r = env.client("admin").post("/api/projects/P1/readings", json={"name": "B", "definition": blind})
    assert r.status_code == 201, r.text
    url = "/api/projects/P1/readings/B"
    user = env.client("user")
    assert user.get(f"{url}/stages/serious").json()["slots"][0]["label"] == "Case 1"
    listed = {x["name"]: x for x in user.get("/api/projects/P1/readings").json()}
    assert (listed["B"]["restricted"], listed["B"]["results_visible"]) == (True, False)
    r = user.get(f"{url}/results")
    assert r.status_code == 403 and "hideResults" in r.json()["detail"]
    assert env.client("projadmin").get(f"{url}/results").status_code == 200
    mine = {x["name"]: x for x in env.client("projadmin").get("/api/projects/P1/readings").json()}
    assert (mine["B"]["restricted"], mine["B"]["results_visible"]) == (False, True)


def test_the_analysis_of_two_readers_against_a_reference_table(env: Env) -> None:
    with env.sessions() as s:  # type: ignore[attr-defined]
        access = project_access(s, SYSTEM, "P1")
        for i in range(2, 9):
            patient = nodes.create_patient(s, access, env.layout, f"PAT{i}")
            nodes.create_study(s, access, env.layout, patient, "20240101")
        s.commit()
    url = reading(env)
    truth = {f"PAT{i}": "b" if i % 2 else "a" for i in range(1, 9)}  # odd patients have the finding
    calls = {"user": dict(truth), "projadmin": {**truth, "PAT1": "a", "PAT2": "b"}}  # projadmin errs twice
    for role, answers in calls.items():
        for pid, value in answers.items():
            case = {"pid": pid, "sid": "20240101", "answers": {"q": value}}
            r = env.client(role).post(f"{SERIOUS}/answers", json=case)
            assert r.status_code == 201, r.text
    table = "case,item,value\n" + "".join(f"{pid}#20240101,q,{v == 'b'}\n" for pid, v in truth.items())
    body = {"reference_csv": table, "positive": {"q": ["b"]}}
    r = env.client("projadmin").post(f"{url}/analysis", json=body)
    assert r.status_code == 200, r.text
    (item,) = r.json()["items"]
    assert (item["item"], item["kind"], sorted(item["readers"])) == ("q", "categorical", ["projadmin", "user"])
    kappa = {m["measure"]: m for m in item["inter_rater"][0]["measures"]}
    # 8 cases, the readers agree on 6: p_o = 0.75, p_e = 0.5 (each says b four times), kappa = 0.5
    assert any(abs(m["value"] - 0.5) < 1e-12 for m in kappa.values()), kappa
    accuracy = {a["reader"]: a for a in item["accuracy"]}
    calls_right = {r: (a["sensitivity"]["value"], a["specificity"]["value"]) for r, a in accuracy.items()}
    assert calls_right == {"user": (1.0, 1.0), "projadmin": (0.75, 0.75)}
    # readers see their own answers only, so the analysis of everyone's is for the reading's admins
    assert env.client("user").post(f"{url}/analysis", json=body).status_code == 403
    bad = env.client("projadmin").post(f"{url}/analysis", json={"positive": {"nope": ["x"]}})
    assert bad.status_code == 400 and "nope" in bad.json()["detail"]
    bad = env.client("projadmin").post(f"{url}/analysis", json={"reference_csv": "case,item\nx,y\n"})
    assert bad.status_code == 400, bad.text
