"""Rights matrix of the segmentation model routes (and what they answer: the models of the files)."""

from __future__ import annotations

import pytest

from nora.processing.resolve import analysis_dir
from nora.segmentation.modelfile import WEIGHTS_FILE, ModelDoc, PatchworkParams, write_model
from tests.unit.api.conftest import PROJECT, Env
from tests.unit.api.test_rights_matrix import DELETE, READ, Case, check_rights

P = f"/api/projects/{PROJECT}/segmentation"
T = "/api/projects/{project}/segmentation"


def put_model(env: Env, folder: str, version: int = 2) -> int:
    """A model's files in the project's analysis folder (weights need not be real to be listed); its id."""
    target = analysis_dir(env.layout, PROJECT) / folder
    doc = ModelDoc(
        name=target.name,
        version=version,
        contrasts=["t1*"],
        labels=["ROIS/brain*"],
        params=PatchworkParams(),
        widths_mm=[256.0, 64.0],
        training=["PAT1#20240101"],
        history=[{"epoch": version, "iteration": 200, "loss": 0.5, "dice": 0.8, "seconds": 3.0}],
        creator="user",
        created="2026-12-02T01:00:00+00:00",
    )
    write_model(target, doc)
    (target / WEIGHTS_FILE).write_bytes(b"weights")
    models = env.client("admin").get(f"{P}/models").json()
    return int(next(m["id"] for m in models if m["folder"] == folder))


def _delete(env: Env, role: str) -> str:
    return f"{P}/models/{put_model(env, f'models/del-{role}')}"


CASES = [
    Case("GET", f"{T}/models", lambda e, r: f"{P}/models", READ),
    Case("GET", f"{T}/models/{{model_id}}", lambda e, r: f"{P}/models/{put_model(e, 'models/shared')}", READ),
    Case("DELETE", f"{T}/models/{{model_id}}", _delete, DELETE),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.method} {c.route}")
def test_rights(env: Env, case: Case) -> None:
    check_rights(env, case)


def test_models_are_listed_from_their_files_and_deleted_with_them(env: Env) -> None:
    c = env.client("user")
    model_id = put_model(env, "models/brain", version=3)
    (listed,) = [m for m in c.get(f"{P}/models").json() if m["folder"] == "models/brain"]
    assert listed["version"] == 3 and listed["creator"] == "user" and listed["figures"]["dice"] == 0.8
    assert listed["training"] == ["PAT1#20240101"] and listed["params"]["iterations"] == 2500
    assert c.get(f"{P}/models/{model_id}").json()["history"][0]["iteration"] == 200
    put_model(env, "models/brain", version=4)  # the training job wrote another epoch
    assert c.get(f"{P}/models/{model_id}").json()["version"] == 4
    assert c.delete(f"{P}/models/{model_id}").status_code == 204
    assert not (analysis_dir(env.layout, PROJECT) / "models/brain").exists()
    assert c.get(f"{P}/models/{model_id}").status_code == 404
    assert "models/brain" not in [m["folder"] for m in c.get(f"{P}/models").json()]
