"""Shared links, URL calls with tokens, and guest access to public projects."""

from __future__ import annotations

import datetime as dt
import json

from nora.archive.models import ApiToken, utcnow
from nora.archive.services import accounts
from nora.archive.services.access import SYSTEM, project_access
from nora.archive.services.projects import update_project
from tests.unit.api.conftest import Env

P = "/api/projects/P1/viewer"


def _file_ids(env: Env) -> list[int]:
    files = env.client("admin").get("/api/projects/P1/patients/PAT1/studies/20240101/files").json()
    return [int(f["id"]) for f in files]


def _state(file_id: int) -> dict[str, object]:
    return {
        "layout": "1x2",
        "crosshair_mm": [1.5, -2.0, 3.25],
        "pid": "PAT1",
        "sid": "20240101",
        "viewports": [
            {
                "slice": "axial",
                "zoom": 1.8,
                "pan": [4.0, 0.0, -2.0],
                "items": [{"file_id": file_id, "name": "t1", "colormap": "gray", "cal_min": 10, "cal_max": 90}],
            },
            {
                "slice": "render",
                "azimuth": 30,
                "elevation": 15,
                "items": [
                    {"file_id": file_id, "role": "background", "colormap": "hot", "opacity": 0.5, "visible": False}
                ],
            },
        ],
    }


def test_a_link_round_trip_reproduces_the_state(env: Env) -> None:
    fid = _file_ids(env)[0]
    user = env.client("user")
    r = user.post(f"{P}/sharedstates", json={"state": _state(fid), "title": "case 1"})
    assert r.status_code == 201, r.text
    link = r.json()["link"]
    assert r.json()["url"] == f"/?project=P1&state={link}"
    got = env.client("readonly").get(f"{P}/sharedstates/{link}").json()
    want = _state(fid)
    assert got["state"]["layout"] == want["layout"]
    assert got["state"]["crosshair_mm"] == want["crosshair_mm"]
    vp0, vp1 = got["state"]["viewports"]
    assert (vp0["zoom"], vp0["pan"], vp0["items"][0]["cal_min"], vp0["items"][0]["cal_max"]) == (
        1.8,
        [4, 0, -2],
        10,
        90,
    )
    assert (vp1["slice"], vp1["azimuth"], vp1["items"][0]["colormap"], vp1["items"][0]["visible"]) == (
        "render",
        30,
        "hot",
        False,
    )
    assert got["missing"] == [] and got["owner"] == "user" and got["title"] == "case 1"
    # overwrite by the owner; a new link leaves the old one alone
    changed = _state(fid)
    changed["layout"] = "2x2"
    r = env.client("user").put(f"{P}/sharedstates/{link}", json={"state": changed})
    assert r.status_code == 200 and r.json()["state"]["layout"] == "2x2", r.text
    other = env.client("user").post(f"{P}/sharedstates", json={"state": _state(fid)}).json()["link"]
    assert other != link
    assert env.client("readonly").get(f"{P}/sharedstates/{link}").json()["state"]["layout"] == "2x2"


def test_opening_a_link_says_whether_the_caller_may_overwrite_it(env: Env) -> None:
    fid = _file_ids(env)[0]
    made = env.client("user").post(f"{P}/sharedstates", json={"state": _state(fid)}).json()
    assert made["may_overwrite"] is True
    link = made["link"]
    roles = ("user", "readonly", "projadmin")
    answers = {role: env.client(role).get(f"{P}/sharedstates/{link}").json()["may_overwrite"] for role in roles}
    assert answers == {"user": True, "readonly": False, "projadmin": True}
    assert env.client("readonly").put(f"{P}/sharedstates/{link}", json={"state": _state(fid)}).status_code == 403
    # a project admin overwriting keeps the creator as the link's owner
    r = env.client("projadmin").put(f"{P}/sharedstates/{link}", json={"state": _state(fid)})
    assert r.status_code == 200 and r.json()["owner"] == "user" and r.json()["may_overwrite"] is True, r.text


def test_links_never_show_more_than_the_recipient_may(env: Env) -> None:
    fid = _file_ids(env)[0]
    link = env.client("user").post(f"{P}/sharedstates", json={"state": _state(fid)}).json()["link"]
    assert env.client("norights").get(f"{P}/sharedstates/{link}").status_code == 404
    assert env.client("anonymous").get(f"{P}/sharedstates/{link}").status_code == 401
    # a file deleted since is dropped and named, the rest of the state still opens
    assert env.client("admin").delete(f"/api/projects/P1/files/{fid}").status_code == 204
    got = env.client("readonly").get(f"{P}/sharedstates/{link}").json()
    assert got["missing"] == [fid]
    assert [vp["items"] for vp in got["state"]["viewports"]] == [[], []]
    assert got["state"]["crosshair_mm"] == [1.5, -2.0, 3.25]


def test_bad_states_and_links(env: Env) -> None:
    fid = _file_ids(env)[0]
    user = env.client("user")
    for bad in (
        {"layout": "3x3"},
        {"layout": "single", "viewports": [{"items": []}, {"items": []}]},
        {"viewports": [{"zoom": -1}]},
        {"viewports": [{"items": [{"file_id": 999999}]}]},
        {"viewports": [{"items": [{"file_id": fid, "cal_min": 3, "cal_max": 1}]}]},
    ):
        r = user.post(f"{P}/sharedstates", json={"state": bad})
        assert r.status_code in (400, 422), (bad, r.text)
        assert r.json()["detail"]
    assert user.get(f"{P}/sharedstates/no-such-link").status_code == 404
    # a link of another project does not open through this one
    link = env.client("admin").post("/api/projects/OTHER/viewer/sharedstates", json={"state": {}}).json()["link"]
    assert env.client("admin").get(f"{P}/sharedstates/{link}").status_code == 404


def _urlcall(env: Env, call: object, project: str = "P1") -> object:
    client = env.client("anonymous")
    return client.post("/api/viewer/urlcall", json={"project": project, "call": call})


def test_url_call_with_a_token_opens_the_case_and_starts_a_session(env: Env) -> None:
    env.client("user").put(f"{P}/autoloaders/qc", json={"loaders": [{"pattern": "t1_mprage/*.nii"}]})
    call = {
        "pid": "PAT1",
        "sid": "20240101",
        "preset": "qc",
        "selmode": "study",
        "user": "user",
        "token": env.tokens["user"],
    }
    r = _urlcall(env, json.dumps(call))
    assert r.status_code == 200, r.text  # type: ignore[attr-defined]
    assert r.json() == {  # type: ignore[attr-defined]
        "project": "P1",
        "username": "user",
        "pid": "PAT1",
        "sid": "20240101",
        "preset": "qc",
        "selmode": "study",
    }
    cookie = r.cookies.get("nora_session")  # type: ignore[attr-defined]
    assert cookie
    client = env.client("anonymous")
    client.cookies.set("nora_session", cookie)
    assert client.get("/api/auth/me").json()["username"] == "user"


def test_url_call_refusals(env: Env) -> None:
    token = env.tokens["user"]
    cases = [
        ("{not json", 400, "JSON"),
        (json.dumps(["pid"]), 400, "JSON object"),
        ({"pid": "PAT1"}, 401, "log in"),
        ({"pid": "PAT1", "token": "nora_wrong"}, 401, "invalid token"),
        ({"pid": "PAT1", "token": token, "user": "admin"}, 401, "does not belong"),
        ({"pid": "NOPE", "token": token}, 404, "NOPE"),
        ({"pid": "PAT1", "sid": "x", "token": token}, 404, "PAT1#x"),
        ({"sid": "20240101", "token": token}, 400, "no patient"),
        ({"pid": "PAT1", "preset": "missing", "token": token}, 404, "missing"),
        ({"pid": "PAT1", "token": env.tokens["norights"]}, 404, "P1"),
    ]
    for call, status, words in cases:
        r = _urlcall(env, call)
        assert r.status_code == status, (call, r.text)  # type: ignore[attr-defined]
        assert words in r.json()["detail"], (call, r.json())  # type: ignore[attr-defined]
        assert "nora_session" not in r.cookies or status == 404  # type: ignore[attr-defined]


def test_expired_token_is_refused(env: Env) -> None:
    with env.sessions() as s:  # type: ignore[operator]
        user = accounts.get_user(s, "user")
        new = accounts.create_token(s, user, "short", lifetime=dt.timedelta(seconds=1))
        row = s.get(ApiToken, new.id)
        assert row is not None
        row.expires_at = utcnow() - dt.timedelta(minutes=1)
        s.commit()
    r = _urlcall(env, {"pid": "PAT1", "token": new.secret})
    assert r.status_code == 401 and "expired" in r.json()["detail"]  # type: ignore[attr-defined]


def test_guests_see_public_projects_only(env: Env) -> None:
    fid = _file_ids(env)[0]
    link = env.client("user").post(f"{P}/sharedstates", json={"state": _state(fid)}).json()["link"]
    guest = env.client("anonymous")
    assert guest.get(f"{P}/files/{fid}/content").status_code == 401
    with env.sessions() as s:  # type: ignore[operator]
        update_project(s, project_access(s, SYSTEM, "P1"), settings={"public": True})
        s.commit()
    guest = env.client("anonymous")
    r = guest.get(f"{P}/files/{fid}/content", headers={"Range": "bytes=0-347"})
    assert r.status_code == 206 and len(r.content) == 348
    assert guest.get(f"{P}/sharedstates/{link}").json()["state"]["layout"] == "1x2"
    assert guest.get(f"{P}/autoloaders").status_code == 200
    assert guest.put(f"{P}/autoloaders/x", json={}).status_code == 403
    assert guest.post(f"{P}/sharedstates", json={"state": {}}).status_code == 403
    assert guest.get(f"/api/projects/P1/files/{fid}/content").status_code == 200, "viewing inline is reading"
    assert guest.get(f"/api/projects/P1/files/{fid}/content?download=true").status_code == 403, "no download right"
    assert guest.get("/api/projects/OTHER/viewer/autoloaders").status_code == 401
    r = _urlcall(env, {"pid": "PAT1"})
    assert r.status_code == 200 and r.json()["username"] == "guest"  # type: ignore[attr-defined]


def test_a_mosaic_viewport_and_its_columns_round_trip(env: Env) -> None:
    fid = _file_ids(env)[0]
    state = {
        "layout": "mosaic",
        "viewports": [
            {"slice": "axial", "items": [{"file_id": fid, "name": "t1"}]},
            {"slice": "mosaic", "mosaic_columns": 6, "items": [{"file_id": fid, "name": "t1"}]},
        ],
    }
    user = env.client("user")
    r = user.post(f"{P}/sharedstates", json={"state": state})
    assert r.status_code == 201, r.text
    got = user.get(f"{P}/sharedstates/{r.json()['link']}").json()["state"]["viewports"][1]
    assert (got["slice"], got["mosaic_columns"]) == ("mosaic", 6)
    for bad in (0, 25, "many"):
        state["viewports"][1]["mosaic_columns"] = bad  # type: ignore[index]
        r = user.post(f"{P}/sharedstates", json={"state": state})
        assert r.status_code in (400, 422) and "mosaic_columns" in r.text, r.text


def _measured(file_id: int) -> dict[str, object]:
    on_slice = {"slice_index": 40, "slice_type": 0, "slice_position": 0.5}
    return {
        "file_id": file_id,
        "distances": [{**on_slice, "start_mm": [0, 0, 1], "end_mm": [30, 40, 1], "distance": 50}],
        "angles": [
            {
                **on_slice,
                "first": {"start": [0, 0, 1], "end": [10, 0, 1]},
                "second": {"start": [10, 0, 1], "end": [10, 10, 1]},
                "angle": 90,
            }
        ],
        "regions": [
            {
                "shape": "ellipse",
                "start_mm": [0, 0, 1],
                "end_mm": [8, 8, 1],
                "stats": {"n": 52, "mean": 81.5, "std": 3.2, "min": 70, "max": 99, "area_mm2": 50.3},
            }
        ],
    }


def test_measurements_round_trip_and_go_with_their_file(env: Env) -> None:
    fid = _file_ids(env)[0]
    user = env.client("user")
    state = {**_state(fid), "measurements": [_measured(fid)]}
    r = user.post(f"{P}/sharedstates", json={"state": state})
    assert r.status_code == 201, r.text
    link = r.json()["link"]
    got = env.client("readonly").get(f"{P}/sharedstates/{link}").json()["state"]["measurements"]
    assert got[0]["distances"][0]["end_mm"] == [30, 40, 1] and got[0]["angles"][0]["angle"] == 90
    assert got[0]["regions"][0]["stats"]["area_mm2"] == 50.3
    for bad in (
        {**_measured(fid), "file_id": 999999},  # not a file of the project
        {**_measured(fid), "regions": [{"shape": "star", "start_mm": [0, 0, 0], "end_mm": [1, 1, 1]}]},
        {**_measured(fid), "distances": [{"start_mm": [0, 0, 0], "end_mm": [1, 1, 1], "distance": -1}]},
        {**_measured(fid), "extra": 1},
    ):
        r = user.post(f"{P}/sharedstates", json={"state": {**state, "measurements": [bad]}})
        assert r.status_code in (400, 422), (bad, r.text)
    # a file deleted since takes its measurements with it
    assert env.client("admin").delete(f"/api/projects/P1/files/{fid}").status_code == 204
    assert env.client("readonly").get(f"{P}/sharedstates/{link}").json()["state"]["measurements"] == []


def _roi_file(env: Env, name: str) -> int:
    """An ROI file ``ROIS/<name>.nii.gz`` of PAT1's study (the ROI tool's save route), its file id."""
    fid = _file_ids(env)[0]
    client = env.client("user")
    image = client.get(f"/api/projects/P1/viewer/files/{fid}/content").content
    r = client.put(
        f"/api/projects/P1/patients/PAT1/studies/20240101/rois/{name}",
        params={"reference": fid, "base": 0},
        content=image,
        headers={"Content-Type": "application/octet-stream"},
    )
    assert r.status_code == 200, r.text
    return int(r.json()["file_id"])


def test_rois_go_with_a_link_and_are_dropped_once_deleted(env: Env) -> None:
    fid = _file_ids(env)[0]
    roi = _roi_file(env, "lesion")
    user = env.client("user")
    look = {"file_id": roi, "colour": "#00ff00", "visible": False, "opacity": 0.25, "outline": True}
    # the case and name sent are not trusted: the archive's are kept
    state = {**_state(fid), "rois": [{**look, "pid": "X", "sid": "Y", "name": "other"}]}
    r = user.post(f"{P}/sharedstates", json={"state": state})
    assert r.status_code == 201, r.text
    link = r.json()["link"]
    (got,) = env.client("readonly").get(f"{P}/sharedstates/{link}").json()["state"]["rois"]
    assert got == {**look, "pid": "PAT1", "sid": "20240101", "name": "lesion"}

    for bad in (
        {**look, "file_id": fid},  # an image, not an ROI file
        {**look, "file_id": 999999},  # not a file of the project
        {**look, "colour": "green"},
        {**look, "opacity": 2},
        {**look, "extra": 1},
    ):
        r = user.post(f"{P}/sharedstates", json={"state": {**state, "rois": [bad]}})
        assert r.status_code in (400, 422), (bad, r.text)

    # an ROI deleted since is dropped from the link (and named missing); the rest opens
    deleted = env.client("admin").delete("/api/projects/P1/patients/PAT1/studies/20240101/rois/lesion")
    assert deleted.status_code == 204, deleted.text
    opened = env.client("readonly").get(f"{P}/sharedstates/{link}").json()
    assert opened["state"]["rois"] == [] and roi in opened["missing"]
    assert opened["state"]["viewports"][0]["items"][0]["file_id"] == fid
