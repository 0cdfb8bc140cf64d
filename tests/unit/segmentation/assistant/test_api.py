"""The assistant through the REST API: a session on an archive image, interactions in world coordinates,
undo, Reset, the result applied as the ROI, initial masks, backends by project setting, bad input."""

from __future__ import annotations

from typing import Any

import numpy as np

from nora.segmentation.assistant.encoding import Packed, unpack
from tests.unit.api.conftest import Env
from tests.unit.api.test_annotation_api import AFFINE, SHAPE, box, image_id, nifti, put_roi

P = "/api/projects/P1"
A = f"{P}/assistant/sessions"


def world(voxel: tuple[float, float, float]) -> list[float]:
    return [float(v) for v in (AFFINE @ [*voxel, 1.0])[:3]]


def start(env: Env, role: str = "user", **body: Any) -> Any:
    image = image_id(env)  # before choosing the caller: the shared client takes the last role's token
    return env.client(role).post(A, json={"file_id": image, "roi": "brain", **body})


def mask_of(result: dict[str, Any]) -> np.ndarray[Any, Any]:
    assert result["encoding"] == "bbox-packbits-gzip-base64"
    lo, hi = (tuple(result["lo"]), tuple(result["hi"])) if result["lo"] else (None, None)
    return unpack(Packed(lo, hi, result["voxels"], result["data"]), SHAPE)  # type: ignore[arg-type]


def test_clicks_refine_a_result_that_undo_and_reset_take_back_and_that_saves_as_the_roi(env: Env) -> None:
    r = start(env)
    assert r.status_code == 201, r.text
    s = r.json()
    assert s["backend"] == "builtin" and s["matrix"] == list(SHAPE) and s["pid"] == "PAT1" and s["sid"] == "20240101"
    assert np.allclose(s["affine"], AFFINE) and s["result"]["voxels"] == 0 and s["history"] == []
    c = env.client("user")
    url = f"{A}/{s['id']}"
    one = c.post(f"{url}/interactions", json={"kind": "points", "points": [world((16, 20, 12))], "positive": [True]})
    assert one.status_code == 200, one.text
    first = mask_of(one.json()["result"])
    assert first[16, 20, 12] and one.json()["version"] == 1 and one.json()["interactions"] == 1
    assert one.json()["result"]["voxels"] == int(first.sum()) > 50
    two = c.post(f"{url}/interactions", json={"kind": "points", "points": [world((16, 20, 14))], "positive": [False]})
    assert two.status_code == 200 and not mask_of(two.json()["result"])[16, 20, 14]
    back = c.post(f"{url}/undo")
    assert back.status_code == 200 and np.array_equal(mask_of(back.json()["result"]), first)
    assert back.json()["version"] == 3 and back.json()["interactions"] == 1
    state = c.get(url).json()
    assert state["history"] == [{"kind": "points", "points": [world((16, 20, 12))], "positive": [True], "slices": None}]
    assert np.array_equal(mask_of(c.get(f"{url}/result").json()), first)
    # the page applies the result to the ROI: it is on the reference's grid
    saved = put_roi(env, "brain", nifti(first))
    assert saved.status_code == 200 and saved.json()["voxels"] == int(first.sum())
    assert c.post(f"{url}/reset").json()["result"]["voxels"] == 0
    assert c.post(f"{url}/undo").status_code == 400  # nothing left to undo
    assert c.delete(url).status_code == 204
    assert c.get(url).status_code == 404


def test_initial_masks_from_the_roi_or_a_mask_file_and_the_backend_chosen_by_the_project(env: Env) -> None:
    assert put_roi(env, "lesion", nifti(box())).status_code == 200
    r = start(env, roi="lesion", initial={"kind": "mask", "roi": "lesion"})
    assert r.status_code == 201, r.text
    assert np.array_equal(mask_of(r.json()["result"]), box().astype(bool))
    files = env.client("user").get(f"{P}/patients/PAT1/studies/20240101/files").json()
    roi_file = next(f["id"] for f in files if f["path"] == "ROIS/lesion.nii.gz")
    again = env.client("user").post(
        f"{A}/{r.json()['id']}/interactions", json={"kind": "mask", "file_id": roi_file, "positive": False}
    )
    assert again.status_code == 200 and again.json()["result"]["voxels"] == 0
    missing = start(env, roi="x", initial={"kind": "mask", "roi": "nothing"})
    assert missing.status_code == 404 and "no ROI 'nothing'" in missing.json()["detail"]
    # the project's setting: patchwork starts from a model's output (any mask file of the study for now)
    assert env.client("admin").patch(P, json={"settings": {"assistant_backend": "patchwork"}}).status_code == 200
    r = start(env)
    assert r.status_code == 400 and "starts from a model's output" in r.json()["detail"]
    ok = start(env, initial={"kind": "mask", "file_id": roi_file})
    assert ok.status_code == 201 and ok.json()["backend"] == "patchwork" and ok.json()["result"]["voxels"] == 1000
    assert env.client("admin").patch(P, json={"settings": {"assistant_backend": "nninteractive"}}).status_code == 200
    remote = start(env)
    assert remote.status_code == 502 and "remote_segmentation_base_url" in remote.json()["detail"]


def test_bad_input_gets_a_clear_4xx_and_another_users_session_is_not_found(env: Env) -> None:
    s = start(env).json()
    url = f"{A}/{s['id']}"
    c = env.client("user")
    out = c.post(f"{url}/interactions", json={"kind": "points", "points": [[500.0, 0.0, 0.0]], "positive": [True]})
    assert out.status_code == 400 and "outside the image" in out.json()["detail"]
    assert c.post(f"{url}/interactions", json={"kind": "spline", "points": []}).status_code == 422
    signs = c.post(f"{url}/interactions", json={"kind": "points", "points": [[0, 0, 0]] * 2, "positive": [True]})
    assert signs.status_code == 422 and "one sign per point" in signs.text
    both = c.post(f"{url}/interactions", json={"kind": "mask", "roi": "a", "file_id": 3})
    assert both.status_code == 422 and "exactly one source" in both.text
    neither = c.post(f"{url}/interactions", json={"kind": "mask"})
    assert neither.status_code == 422 and "exactly one source" in neither.text
    nan = c.post(
        f"{url}/interactions",
        content=b'{"kind":"scribble","points":[[NaN,0,0]]}',
        headers={"content-type": "application/json"},
    )
    assert nan.status_code == 422
    assert start(env, roi="../etc").status_code == 400
    assert env.client("user").post(A, json={"file_id": 99999, "roi": "x"}).status_code == 404
    assert start(env, "readonly").status_code == 403
    assert env.client("projadmin").get(url).status_code == 404  # not theirs
    assert env.client("projadmin").delete(url).status_code == 404
    assert env.client("user").get(url).status_code == 200
    assert env.client("user").get(f"{A}/no-such-session").status_code == 404


def test_the_pages_own_mask_packed_as_the_results_starts_a_session_and_bad_ones_are_refused(env: Env) -> None:
    import base64
    import gzip

    from nora.segmentation.assistant.encoding import pack

    mine = box(12, 18).astype(bool)  # the ROI's content in the page, never saved
    p = pack(mine)
    packed = {"lo": list(p.lo or ()), "hi": list(p.hi or ()), "data": p.data}
    r = start(env, initial={"kind": "mask", "packed": packed})
    assert r.status_code == 201, r.text
    assert np.array_equal(mask_of(r.json()["result"]), mine)
    assert r.json()["history"] == [
        {
            "kind": "mask",
            "roi": None,
            "file_id": None,
            "packed": {**packed, "data": ""},
            "positive": True,
            "slices": None,
        }
    ]
    url = f"{A}/{r.json()['id']}"
    c = env.client("user")

    def send(**over: Any) -> Any:
        return c.post(f"{url}/interactions", json={"kind": "mask", "packed": {**packed, **over}})

    outside = send(hi=[SHAPE[0], 17, 17])
    assert outside.status_code == 400 and "not inside the matrix" in outside.json()["detail"]
    assert send(lo=[18, 12, 12], hi=[12, 17, 17]).status_code == 400  # lo beyond hi
    junk = send(data="not base64!")
    assert junk.status_code == 400 and "not a packed mask" in junk.json()["detail"]
    short = send(data=base64.b64encode(gzip.compress(b"\xff" * 3)).decode())
    assert short.status_code == 400 and "needs" in short.json()["detail"]
    bomb = send(data=base64.b64encode(gzip.compress(b"\0" * 50_000_000)).decode())
    assert bomb.status_code == 400 and "needs" in bomb.json()["detail"]
    both = c.post(f"{url}/interactions", json={"kind": "mask", "roi": "brain", "packed": packed})
    assert both.status_code == 422 and "exactly one source" in both.text
    assert c.get(url).json()["interactions"] == 1  # nothing of the refused ones was kept


def test_a_user_holds_a_session_per_roi_and_each_goes_on_from_its_own_state_after_an_undo(env: Env) -> None:
    image = image_id(env)
    c = env.client("user")
    a = c.post(A, json={"file_id": image, "roi": "left"}).json()
    b = c.post(A, json={"file_id": image, "roi": "right"}).json()
    assert a["id"] != b["id"]

    def click(session: dict[str, Any], voxel: tuple[int, int, int], positive: bool = True) -> Any:
        body = {"kind": "points", "points": [world(voxel)], "positive": [positive]}
        out = c.post(f"{A}/{session['id']}/interactions", json=body)
        assert out.status_code == 200, out.text
        return out.json()

    first = mask_of(click(a, (16, 20, 12))["result"])
    other = mask_of(click(b, (8, 30, 6))["result"])
    click(a, (16, 20, 14), positive=False)
    # the page's Ctrl+Z of the negative click: the session's undo, then the next click goes on from there
    back = c.post(f"{A}/{a['id']}/undo").json()
    assert np.array_equal(mask_of(back["result"]), first) and back["interactions"] == 1
    on = click(a, (16, 22, 12))
    assert on["interactions"] == 2
    history = c.get(f"{A}/{a['id']}").json()["history"]
    assert [h["points"] for h in history] == [[world((16, 20, 12))], [world((16, 22, 12))]]
    # the other ROI's session kept its own interaction and result
    state = c.get(f"{A}/{b['id']}").json()
    assert state["interactions"] == 1 and np.array_equal(mask_of(state["result"]), other)


def test_slices_hold_a_steps_answer_to_its_slices_and_undo_gives_back_exactly_what_was_there(env: Env) -> None:
    s = start(env).json()
    c = env.client("user")
    url = f"{A}/{s['id']}"
    first = mask_of(
        c.post(
            f"{url}/interactions", json={"kind": "points", "points": [world((16, 20, 12))], "positive": [True]}
        ).json()["result"]
    )
    assert first[:, :, 11:14].any() and first.sum() > first[:, :, 12].sum()
    # N: a negative click on slice k = 12 of the axial plane changes that slice only
    at = world((16, 20, 12))
    held = c.post(
        f"{url}/interactions",
        json={"kind": "points", "points": [at], "positive": [False], "slices": {"plane": "axial", "from": at}},
    )
    assert held.status_code == 200, held.text
    after = mask_of(held.json()["result"])
    assert not after[16, 20, 12]
    outside = np.ones(SHAPE, dtype=bool)
    outside[:, :, 12] = False
    assert np.array_equal(after[outside], first[outside]), "the other slices are as they were"
    assert not np.array_equal(after[:, :, 12], first[:, :, 12])
    # a range of slices (N held from slice 10 to 14): the next step changes those five only
    lo, hi = world((16, 20, 10)), world((16, 20, 14))
    ranged = c.post(
        f"{url}/interactions",
        json={
            "kind": "points",
            "points": [world((16, 24, 12))],
            "positive": [True],
            "slices": {"plane": "axial", "from": lo, "to": hi},
        },
    )
    grown = mask_of(ranged.json()["result"])
    keep = np.ones(SHAPE, dtype=bool)
    keep[:, :, 10:15] = False
    assert np.array_equal(grown[keep], after[keep])
    history = c.get(url).json()["history"]
    assert history[1]["slices"] == {"plane": "axial", "from": at, "to": None}
    assert history[0]["slices"] is None
    # undo gives back exactly what the page saw before each held step (not the backend's 3D result)
    assert np.array_equal(mask_of(c.post(f"{url}/undo").json()["result"]), after)
    assert np.array_equal(mask_of(c.post(f"{url}/undo").json()["result"]), first)
    # a step without slices after a held one refines the whole 3D result again
    c.post(
        f"{url}/interactions",
        json={"kind": "points", "points": [at], "positive": [False], "slices": {"plane": "axial", "from": at}},
    )
    free = mask_of(
        c.post(
            f"{url}/interactions", json={"kind": "points", "points": [world((16, 21, 12))], "positive": [True]}
        ).json()["result"]
    )
    assert not np.array_equal(free[outside], first[outside]), "the negative click now acts in 3D too"
    # slices outside the image, or without their plane, are refused and nothing is kept
    far = c.post(
        f"{url}/interactions",
        json={
            "kind": "points",
            "points": [at],
            "positive": [True],
            "slices": {"plane": "axial", "from": [0.0, 0.0, 500.0]},
        },
    )
    assert far.status_code == 400 and "outside the image" in far.json()["detail"]
    bad = c.post(
        f"{url}/interactions", json={"kind": "points", "points": [at], "positive": [True], "slices": {"from": at}}
    )
    assert bad.status_code == 422
    assert c.get(url).json()["interactions"] == 3
