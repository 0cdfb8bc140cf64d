"""A protocol peer for the ``nninteractive`` backend's tests: NOT nnInteractive.

A tiny HTTP server (standard library, loopback, a free port) that speaks the client/server protocol of
``nninteractive-client`` as its source defines it (``nnInteractive/inference/remote/_protocol.py``: lease
token header, JSON or blosc2-packed array bodies, ``X-Meta`` answers with the changed box). It records every
request and "predicts" by marking a 3x3x3 cube around each point, the box itself, or the mask given, so a
test can check what our backend sends and how it applies the answers. It has no model: the real
nnInteractive server needs its trained weights, which cannot be had here (docs/segmentation-assistant.md).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np
from nnInteractive.inference.remote.serialization import pack_array, unpack_array

CAPABILITIES = {
    "supported_interactions": {"point": True, "bbox2d": True, "scribble": True, "lasso": True},
    "channel_mapping": {"point": [0, 1]},
    "num_interaction_channels": 8,
    "supports_initial_label": True,
    "supports_zero_shot_label_refinement": True,
    "preferred_scribble_thickness": [2, 2, 2],
    "interaction_decay": 0.9,
    "inference_session_version": 2,
    "license": "none: a protocol peer without a model",
    "supports_undo": True,
    "do_autozoom": True,
}


@dataclass
class Peer:
    url: str = ""
    requests: list[tuple[str, Any]] = field(default_factory=list)
    seg: Any = None
    history: list[Any] = field(default_factory=list)
    answer_status: int = 200  # set to e.g. 410 to answer every interaction with that status

    def paths(self) -> list[str]:
        return [p for p, _ in self.requests]


def _handler(peer: Peer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def _send(
            self, status: int, body: bytes = b"", meta: dict[str, Any] | None = None, ctype: str = "application/json"
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            if meta is not None:
                self.send_header("X-Meta", json.dumps(meta))
            self.end_headers()
            self.wfile.write(body)

        def _json(self, status: int, doc: dict[str, Any]) -> None:
            self._send(status, json.dumps(doc).encode())

        def do_GET(self) -> None:
            peer.requests.append((self.path, None))
            if self.path == "/capabilities":
                self._json(200, CAPABILITIES)
            else:
                self._json(200, {"status": "ok"})

        def _changed(self, before: Any) -> None:
            diff = np.argwhere(before != peer.seg)
            if len(diff) == 0:
                self._send(200, b"", {"ran_prediction": True, "bbox": None}, "application/octet-stream")
                return
            lo, hi = diff.min(axis=0), diff.max(axis=0) + 1
            bbox = [[int(a), int(b)] for a, b in zip(lo, hi, strict=True)]
            part = peer.seg[tuple(slice(a, b) for a, b in bbox)]
            self._send(
                200,
                pack_array(np.ascontiguousarray(part)),
                {"ran_prediction": True, "bbox": bbox},
                "application/octet-stream",
            )

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            binary = self.headers.get("Content-Type") == "application/octet-stream"
            body: Any = (
                {"meta": json.loads(self.headers.get("X-Meta", "{}")), "array": unpack_array(raw)}
                if binary
                else json.loads(raw or b"{}")
            )
            peer.requests.append((self.path, body))
            path = self.path
            if path == "/claim":
                return self._json(
                    200, {"lease_token": "lease-1", "idle_timeout_seconds": 600, "liveness_timeout_seconds": 0}
                )
            if path == "/set_image":
                return self._json(200, {"original_image_shape": list(body["array"].shape)})
            if path == "/set_target_buffer":
                peer.seg = np.zeros(body["shape"], dtype=np.uint8)
                return self._json(200, {})
            if path in ("/release", "/heartbeat", "/set_do_autozoom"):
                return self._json(200, {})
            if peer.answer_status != 200:
                return self._json(peer.answer_status, {"detail": "lease expired or unknown"})
            before = peer.seg.copy()
            if path == "/reset_interactions":
                peer.seg[:] = 0
                peer.history.clear()
                return self._json(200, {})
            if path == "/undo":
                peer.seg[:] = peer.history.pop() if peer.history else peer.seg
                return self._changed(before)
            peer.history.append(before)
            if path == "/add_point_interaction":
                i, j, k = body["coordinates"]
                peer.seg[max(i - 1, 0) : i + 2, max(j - 1, 0) : j + 2, max(k - 1, 0) : k + 2] = int(
                    body["include_interaction"]
                )
            elif path == "/add_bbox_interaction":
                peer.seg[tuple(slice(a, b) for a, b in body["bbox_coords"])] = int(body["include_interaction"])
            elif path in ("/add_scribble_interaction", "/add_lasso_interaction"):
                peer.seg[body["array"] > 0] = int(body["meta"]["include_interaction"])
            elif path == "/add_initial_seg_interaction":
                peer.seg[:] = body["array"] > 0
            return self._changed(before)

    return Handler


@contextmanager
def protocol_peer() -> Iterator[Peer]:
    peer = Peer()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(peer))
    peer.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield peer
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
