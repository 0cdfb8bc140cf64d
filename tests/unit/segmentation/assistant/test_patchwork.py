"""The patchwork backend: a project's patchwork model (a tiny one trained in the test session on a ball)
proposes the initial mask of a session chosen by its model; clicks refine it; Reset goes back to the
model's proposal; models that cannot serve are refused with the reason."""

from __future__ import annotations

import shutil
from typing import Any

import nibabel as nib
import numpy as np

from nora.processing.resolve import analysis_dir
from nora.segmentation.modelfile import read_model, write_model
from tests.unit.api.conftest import Env
from tests.unit.segmentation.assistant.test_api import A, P
from tests.unit.segmentation.conftest import Trained

S = f"{P}/patients/PAT1/studies/20240101"


def setup_model(env: Env, trained: Trained, folder: str = "models/ball") -> tuple[int, int]:
    """The trained model copied into project P1's analysis folder and the ball image uploaded into its
    study: (the model's id, the image's file id)."""
    shutil.copytree(trained.folder, analysis_dir(env.layout, "P1") / folder, dirs_exist_ok=True)
    with open(trained.image, "rb") as f:
        up = env.client("user").post(f"{S}/files", files={"file": ("ball.nii.gz", f.read())}, data={"folder": "ball"})
    assert up.status_code in (200, 201), up.text
    files = env.client("user").get(f"{S}/files").json()
    image = next(int(f["id"]) for f in files if f["path"] == "ball/ball.nii.gz")
    models = env.client("user").get(f"{P}/segmentation/models").json()
    model = next(int(m["id"]) for m in models if m["folder"] == folder)
    return model, image


def expected(trained: Trained) -> np.ndarray[Any, Any]:
    """What the Apply Patchwork job's code makes of the ball image, in this process."""
    from nora.segmentation.patchwork import data, infer

    doc, net = infer.load(trained.folder)
    prob = infer.predict(net, doc, data.load_subject([trained.image]))[0]
    return np.asarray(prob >= 0.5)


def test_a_session_chosen_by_its_model_starts_from_the_models_output(env: Env, trained: Trained) -> None:
    model, image = setup_model(env, trained)
    r = env.client("user").post(A, json={"file_id": image, "roi": "ball", "model": model})
    assert r.status_code == 201, r.text
    s = r.json()
    assert s["backend"] == "patchwork" and s["model"] == model and s["history"] == []
    prior = mask_of_shape(s["result"], s["matrix"])
    want = expected(trained)
    assert np.array_equal(prior, want) and prior.sum() > 100
    truth = np.asarray(nib.load(trained.mask).dataobj) > 0
    assert (prior & truth).sum() > 0.9 * prior.sum(), "the tiny model's proposal lies in the ball"
    c = env.client("user")
    url = f"{A}/{s['id']}"
    inside = [int(v) for v in np.argwhere(prior)[0]]
    affine = np.asarray(s["affine"])
    world = [float(v) for v in (affine @ [*inside, 1.0])[:3]]
    neg = c.post(f"{url}/interactions", json={"kind": "points", "points": [world], "positive": [False]})
    assert neg.status_code == 200, neg.text
    refined = mask_of_shape(neg.json()["result"], s["matrix"])
    assert not refined[tuple(inside)] and refined.sum() < prior.sum()
    back = c.post(f"{url}/reset")
    assert back.status_code == 200 and np.array_equal(mask_of_shape(back.json()["result"], s["matrix"]), want)
    assert c.post(f"{url}/undo").status_code == 400  # the model's proposal is no interaction to undo


def test_models_that_cannot_serve_are_refused_with_the_reason(env: Env, trained: Trained) -> None:
    model, image = setup_model(env, trained)
    c = env.client("user")
    assert c.post(A, json={"file_id": image, "roi": "ball", "model": 99999}).status_code == 404
    assert c.post(A, json={"file_id": image, "roi": "ball", "model": 0}).status_code == 422
    # a model of two contrasts: the assistant has one image to give it
    two = analysis_dir(env.layout, "P1") / "models/two"
    shutil.copytree(trained.folder, two, dirs_exist_ok=True)
    doc = read_model(two)
    write_model(two, doc.model_copy(update={"contrasts": ["t1*", "t2*"], "name": "two"}))
    models = c.get(f"{P}/segmentation/models").json()
    pair = next(int(m["id"]) for m in models if m["folder"] == "models/two")
    r = c.post(A, json={"file_id": image, "roi": "ball", "model": pair})
    assert r.status_code == 400 and "takes 2 contrasts" in r.json()["detail"]
    # broken weights: the job's own error, and no session is left behind
    broken = analysis_dir(env.layout, "P1") / "models/broken"
    shutil.copytree(trained.folder, broken, dirs_exist_ok=True)
    for weights in broken.glob("*.pt"):
        weights.write_bytes(b"not weights")
    models = c.get(f"{P}/segmentation/models").json()
    bad = next(int(m["id"]) for m in models if m["folder"] == "models/broken")
    r = c.post(A, json={"file_id": image, "roi": "ball", "model": bad})
    assert r.status_code == 400 and "could not segment this image" in r.json()["detail"], r.text
    assert env.client("readonly").post(A, json={"file_id": image, "roi": "ball", "model": model}).status_code == 403
    assert model != bad


def mask_of_shape(result: dict[str, Any], matrix: list[int]) -> np.ndarray[Any, Any]:
    from nora.segmentation.assistant.encoding import Packed, unpack

    lo, hi = (tuple(result["lo"]), tuple(result["hi"])) if result["lo"] else (None, None)
    return unpack(Packed(lo, hi, result["voxels"], result["data"]), tuple(matrix))  # type: ignore[arg-type]


def test_a_model_that_runs_past_the_time_limit_is_refused_and_leaves_no_session(env: Env, trained: Trained) -> None:
    model, image = setup_model(env, trained)
    config = env.settings.assistant
    before = config.prior_timeout_s
    config.prior_timeout_s = 0.05  # the child process cannot even import the job's code in that time
    store = env.app_client.app.state.nora.services.assistant  # type: ignore[attr-defined]
    held = len(store)
    try:
        r = env.client("user").post(A, json={"file_id": image, "roi": "ball", "model": model})
    finally:
        config.prior_timeout_s = before
    assert r.status_code == 502 and "took longer than" in r.json()["detail"], r.text
    assert r.json()["detail"].endswith("([assistant] prior_timeout_s)")
    assert len(store) == held
