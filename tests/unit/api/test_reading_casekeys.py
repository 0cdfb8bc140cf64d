"""Pseudonymised cases on the server: a reader of a ``hideMetadata`` reading meets its cases by opaque case
keys in every route they use (slots, answers, visits, results, autoload, files, ROIs, markers) and never
receives a PID or SID; admins still do. A confined reader's project answer holds no archive counts."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import pytest

from nora.reading.casekeys import CaseKeys
from nora.reading.cases import Case
from tests.unit.api.conftest import Env
from tests.unit.api.test_annotation_api import MARKERS, box, nifti
from tests.unit.api.test_reading_blinding import AUTOLOADER, PAT1, B, P, blind_reading, file_id

PID, SID = "PAT1", "20240101"
RADIO = {"type": "radio", "name": "q", "options": [{"value": "a"}, {"value": "b"}]}
FORM = {"items": [RADIO, {"type": "roi", "name": "lesion"}]}


def strings(value: Any) -> Iterator[str]:
    """Every key and text of a JSON answer."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield str(k)
            yield from strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)
    elif value is not None:
        yield str(value)


def no_psid(answer: Any) -> None:
    """Neither the case's PID nor its SID (nor the patient's name) anywhere in the answer."""
    leaks = [s for s in strings(answer) if PID in s or SID in s or "Doe" in s]
    assert not leaks, leaks


def key_of(env: Env, stage: str = "serious", reading: str = "B") -> str:
    slot = env.client("user").get(f"{P}/readings/{reading}/stages/{stage}").json()["slots"][0]
    return str(slot["case"])


@pytest.mark.parametrize("restrict", [True, False], ids=["confined", "not-confined"])
def test_a_blind_reader_meets_the_case_by_its_key_only(env: Env, restrict: bool) -> None:
    blind_reading(env, readers=["user", "projadmin"], restrict=restrict, form=FORM, blind={"hideResults": False})
    own = file_id(env, PAT1)
    assert env.client("admin").post(f"{P}/files/{own}/tags", json={"add": ["secret-tag"]}).status_code == 200
    user = env.client("user")
    stage = user.get(f"{B}/stages/serious")
    assert stage.status_code == 200, stage.text
    no_psid(stage.json())
    (slot,) = stage.json()["slots"]
    key = slot["case"]
    assert key.startswith("~") and (slot["pid"], slot["sid"], slot["label"], slot["path"]) == (key, key, "Case 1", None)
    assert key_of(env) == key  # stable
    case = {"pid": key, "sid": key}
    answers: list[Any] = [
        user.get(f"{P}/readings").json(),
        user.post(f"{B}/stages/serious/visits", json=case).json(),
        user.post(f"{B}/stages/serious/answers", json={**case, "answers": {"q": "a"}}).json(),
        user.get(f"{B}/stages/serious/answers", params=case).json(),
        user.get(f"{B}/results", params={"history": True}).json(),
        user.get(f"{B}/results.csv").text,
    ]
    assert answers[2] == {"added": 1, "done": True, "answers": {"q": "a"}}
    assert answers[3] == {"answers": {"q": "a"}, "done": True}
    assert [(r["case"], r["value"]) for r in answers[4]] == [(key, "a")]
    # the case's images, files, annotations through the viewer's and annotation routes, by key
    loaded = user.post(f"{P}/viewer/autoload", json={"definition": AUTOLOADER, **case})
    assert loaded.status_code == 200, loaded.text
    files = loaded.json()["loaders"][0]["files"]
    assert [(f["id"], f["pid"], f["sid"], f["tags"]) for f in files] == [(own, key, key, [])]  # hideTags
    listed = user.get(f"{P}/patients/{key}/studies/{key}/files")
    assert listed.status_code == 200 and [f["id"] for f in listed.json()] == [own]
    assert user.get(f"{P}/patients/{key}/studies/{key}/rois").status_code == 200
    assert user.get(f"{P}/patients/{key}/markers").status_code == 200
    assert user.get(f"{P}/patients/{key}/studies/{key}/meta").status_code == 404  # a key names a case's files only
    missing = user.get(f"{P}/patients/{key}/studies/{key}/rois/lesion_user")  # an error names the key
    assert missing.status_code == 404, missing.text
    answers += [loaded.json(), listed.json(), missing.json()]
    for answer in answers:
        no_psid(answer)
    # the reading's admins (and the export for them) keep PID and SID
    admin_slot = env.client("projadmin").get(f"{B}/stages/serious").json()["slots"][0]
    assert (admin_slot["case"], admin_slot["pid"], admin_slot["sid"]) == (None, PID, SID)
    rows = list(csv.DictReader(io.StringIO(env.client("projadmin").get(f"{B}/results.csv").text)))
    assert [(r["reader"], r["pid"], r["sid"], r["value"]) for r in rows] == [("user", PID, SID, "a")]
    by_pid = {"definition": AUTOLOADER, "pid": PID, "sid": SID}
    tagged = env.client("projadmin").post(f"{P}/viewer/autoload", json=by_pid)
    assert tagged.json()["loaders"][0]["files"][0]["tags"] == ["secret-tag"]


def test_a_key_of_another_stage_or_reading_or_none_at_all_is_404(env: Env) -> None:
    blind_reading(env, readers=["user"])
    blind_reading(env, readers=["user"], name="B2", second_patient=False)
    training, other = key_of(env, "training"), key_of(env, reading="B2")
    assert len({training, other, key_of(env)}) == 3  # per reading and stage
    user = env.client("user")
    for key in (training, other, "~AAAAAAAAAAAAAAAAAAAAAA", "~not-a-key"):
        r = user.post(f"{B}/stages/serious/answers", json={"pid": key, "sid": key, "answers": {"q": "a"}})
        assert r.status_code == 404, (key, r.text)
    for key in ("~AAAAAAAAAAAAAAAAAAAAAA", "~x"):
        assert user.get(f"{P}/patients/{key}/studies/{key}/files").status_code == 404
        r = user.post(f"{P}/viewer/autoload", json={"definition": AUTOLOADER, "pid": key})
        assert r.status_code == 404 and PID not in r.text
    # the training key opens the training stage's case
    r = user.post(f"{B}/stages/training/answers", json={"pid": training, "sid": training, "answers": {"q": "b"}})
    assert r.status_code == 201, r.text


def test_a_key_names_no_case_for_someone_who_does_not_read_the_reading(env: Env) -> None:
    blind_reading(env, readers=["user"])
    key = key_of(env)
    r = env.client("readonly").get(f"{P}/patients/{key}/studies/{key}/files")
    assert r.status_code == 404 and PID not in r.text


def test_a_confined_readers_project_answer_has_no_counts(env: Env) -> None:
    blind_reading(env, readers=["user"])
    mine = env.client("user").get(P).json()
    assert (mine["n_patients"], mine["n_studies"], mine["reading_only"]) == (None, None, True)
    assert set(mine["settings"]) <= {"public", "anonymised", "colorlimpresets"}
    (listed,) = [p for p in env.client("user").get("/api/projects").json() if p["name"] == "P1"]
    assert (listed["n_patients"], listed["n_studies"], listed["reading_only"]) == (None, None, True)
    admin = env.client("projadmin").get(P).json()
    assert (admin["n_patients"], admin["n_studies"], admin["reading_only"]) == (2, 2, False)


def test_case_keys_read_back_and_depend_on_the_secret(tmp_path: Any) -> None:
    keys, other = CaseKeys(tmp_path / "a"), CaseKeys(tmp_path / "b")
    case = Case(7, "P", "S", None, file_id=9)
    key = keys.key(3, "serious", case.study_id, case.file_id)
    assert keys.decode(key) == (3, "serious", 7, 9)
    assert keys.decode(keys.key(3, "training", 7, None)) == (3, "training", 7, None)
    assert other.key(3, "serious", 7, 9) != key
    assert CaseKeys(tmp_path / "a").key(3, "serious", 7, 9) == key  # the secret lies in the data root
    assert (tmp_path / "a" / "secrets" / "case-keys.key").stat().st_mode & 0o077 == 0


def test_a_blind_reader_draws_and_attaches_their_roi_by_key(env: Env) -> None:
    blind_reading(env, readers=["user"], form=FORM)
    key = key_of(env)
    ref = {"reference": file_id(env, PAT1)}  # before the calls: env.client switches the one client's caller
    user = env.client("user")
    roi = f"{P}/patients/{key}/studies/{key}/rois/lesion_user"
    headers = {"content-type": "application/octet-stream"}
    saved = user.put(roi, content=nifti(box()), params=ref, headers=headers)
    assert saved.status_code == 200, saved.text
    body = {"pid": key, "sid": key, "answers": {"lesion": True}}
    attached = user.post(f"{B}/stages/serious/answers", json=body)
    assert attached.status_code == 201, attached.text
    assert attached.json()["answers"]["lesion"] == "ROIS/lesion_user.nii.gz@1"
    markers = user.put(f"{P}/patients/{key}/markers/landmarks", json=MARKERS)
    assert markers.status_code == 200, markers.text
    for answer in (
        saved.json(),
        attached.json(),
        markers.json(),
        user.get(f"{P}/patients/{key}/studies/{key}/rois").json(),
    ):
        no_psid(answer)
    # the server stored them on the case itself
    assert [r["name"] for r in env.client("admin").get(f"{PAT1}/rois").json()] == ["lesion_user"]
