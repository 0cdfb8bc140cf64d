"""The ``nninteractive`` backend's wiring through ``nninteractive-client``, against a protocol peer.

The peer (protocol_peer.py) is a small HTTP server speaking the client's protocol; it is not nnInteractive
and has no model. These tests check what our backend sends (voxel coordinates, signs, the 2D box's
half-open bounds, masks, undo, reset, release) and that it applies the answers and maps failures."""

from __future__ import annotations

import numpy as np
import pytest

from nora.core.errors import NotFound, Unavailable
from nora.core.settings import AssistantConfig
from nora.segmentation.assistant.backends import Volume
from nora.segmentation.assistant.interactions import BoxIn, ScribbleIn, VoxelInteraction, to_voxels
from nora.segmentation.assistant.remote import RemoteSession
from tests.unit.api.conftest import Env
from tests.unit.api.test_annotation_api import AFFINE, image_id
from tests.unit.segmentation.assistant.protocol_peer import protocol_peer

GRID = np.array([[2.0, 0, 0, -10], [0, 2.0, 0, -8], [0, 0, 3.0, 5], [0, 0, 0, 1]])
IMAGE = Volume(np.arange(12 * 10 * 8, dtype=np.int16).reshape(12, 10, 8), GRID)


def test_interactions_undo_reset_and_release_reach_the_server_as_its_protocol_says() -> None:
    with protocol_peer() as peer:
        s = RemoteSession(AssistantConfig(remote_segmentation_base_url=peer.url), IMAGE)
        assert peer.paths()[:4] == ["/claim", "/capabilities", "/set_image", "/set_target_buffer"]
        image = dict(peer.requests)["/set_image"]
        assert image["array"].shape == (1, 12, 10, 8) and image["meta"]["image_properties"]["spacing"] == [2, 2, 3]
        assert np.array_equal(image["array"][0], IMAGE.data)
        first = s.add([VoxelInteraction("point", True, np.array([[5, 4, 3]]))]).copy()
        assert peer.requests[-1] == (
            "/add_point_interaction",
            {
                "coordinates": [5, 4, 3],
                "include_interaction": True,
                "run_prediction": True,
                "override_capability_checks": False,
            },
        )
        assert first.sum() == 27 and first[4:7, 3:6, 2:5].all()
        z = (GRID @ [0, 0, 6, 1])[2]
        box = BoxIn(kind="box", plane="axial", corners=[[-8.0, -6.0, z], [-2.0, 0.0, z]], positive=False)
        s.add(to_voxels(box, GRID, IMAGE.shape))
        sent = peer.requests[-1][1]
        assert sent["bbox_coords"] == [[1, 5], [1, 5], [6, 7]] and sent["include_interaction"] is False
        line = ScribbleIn(kind="scribble", points=[[0.0, 0.0, 11.0], [6.0, 0.0, 11.0]])
        scribbled = s.add(to_voxels(line, GRID, IMAGE.shape))
        mask = peer.requests[-1][1]["array"]
        assert peer.paths()[-1] == "/add_scribble_interaction" and mask.shape == IMAGE.shape
        assert sorted(map(tuple, np.argwhere(mask).tolist())) == [(i, 4, 2) for i in range(5, 9)]
        assert scribbled[5:9, 4, 2].all()
        s.undo()
        assert peer.paths()[-1] == "/undo" and not s.buffer[8, 4, 2]
        assert not s.reset().any() and peer.paths()[-1] == "/reset_interactions"
        s.close()
        assert peer.paths()[-1] == "/release"


def test_failures_of_the_server_become_clear_errors() -> None:
    with protocol_peer() as peer:
        s = RemoteSession(AssistantConfig(remote_segmentation_base_url=peer.url), IMAGE)
        peer.answer_status = 410
        with pytest.raises(NotFound, match="ended this session"):
            s.add([VoxelInteraction("point", True, np.array([[1, 1, 1]]))])
        url = peer.url
    with pytest.raises(Unavailable, match="did not answer"):
        RemoteSession(AssistantConfig(remote_segmentation_base_url=url), IMAGE)
    with pytest.raises(Unavailable, match="remote_segmentation_base_url"):
        RemoteSession(AssistantConfig(), IMAGE)


def test_a_project_on_the_nninteractive_backend_goes_through_the_server(env: Env) -> None:
    with protocol_peer() as peer:
        env.settings.assistant.remote_segmentation_base_url = peer.url
        assert (
            env.client("admin")
            .patch("/api/projects/P1", json={"settings": {"assistant_backend": "nninteractive"}})
            .status_code
            == 200
        )
        image = image_id(env)
        c = env.client("user")
        r = c.post("/api/projects/P1/assistant/sessions", json={"file_id": image, "roi": "remote"})
        assert r.status_code == 201 and r.json()["backend"] == "nninteractive"
        point = [float(v) for v in (AFFINE @ [16, 20, 12, 1])[:3]]
        step = c.post(
            f"/api/projects/P1/assistant/sessions/{r.json()['id']}/interactions",
            json={"kind": "points", "points": [point], "positive": [True]},
        )
        assert step.status_code == 200 and step.json()["result"]["voxels"] == 27
        assert step.json()["result"]["lo"] == [15, 19, 11]
        assert dict(peer.requests)["/add_point_interaction"]["coordinates"] == [16, 20, 12]
        assert c.delete(f"/api/projects/P1/assistant/sessions/{r.json()['id']}").status_code == 204
        assert peer.paths()[-1] == "/release"
