"""The ``nninteractive`` backend: a site's nnInteractive server, through the ``nninteractive-client`` package.

The client (``nnInteractiveRemoteInferenceSession``) claims a session (a lease) on the server, uploads the
image once (``[C, X, Y, Z]``, C = 1, with its spacing), keeps a target buffer of the image's shape that the
server's answers patch, and sends every interaction in voxel coordinates of that image: points,
2D boxes (half-open voxel bounds, extent 1 along the slice), scribbles and lassos as full-size masks, an
initial segmentation. Undo and reset are the server's. The server's address is NORA's
``REMOTE_SEGMENTATION_BASE_URL`` (``[assistant] remote_segmentation_base_url``). Problems of the remote
server become :class:`Unavailable` (HTTP 502) with what went wrong; an expired lease a :class:`NotFound`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np

from nora.core.errors import InvalidInput, NotFound, Unavailable
from nora.core.settings import AssistantConfig
from nora.imaging.roi import Mask
from nora.segmentation.assistant.backends import Volume
from nora.segmentation.assistant.interactions import VoxelInteraction

log = logging.getLogger(__name__)
T = TypeVar("T")


class RemoteSession:
    """One image on the nnInteractive server."""

    def __init__(self, config: AssistantConfig, image: Volume) -> None:
        if not config.remote_segmentation_base_url:
            raise Unavailable(
                "the assistant's nninteractive backend has no server: set [assistant] "
                "remote_segmentation_base_url in nora.toml (see docs/segmentation-assistant.md)"
            )
        self.url = config.remote_segmentation_base_url
        self.shape = image.shape
        self.buffer = np.zeros(image.shape, dtype=np.uint8)

        def connect() -> Any:
            from nnInteractive.inference.remote import nnInteractiveRemoteInferenceSession

            return nnInteractiveRemoteInferenceSession(
                self.url, api_key=config.remote_segmentation_api_key or None, read_timeout=config.remote_timeout_s
            )

        self.client: Any = self._call(connect)
        data = np.asarray(image.data, dtype=np.float32)[None]
        self._call(lambda: self.client.set_image(data, {"spacing": list(image.spacing)}))
        self._call(lambda: self.client.set_target_buffer(self.buffer))

    @property
    def nbytes(self) -> int:
        return int(self.buffer.nbytes)

    def _call(self, fn: Callable[[], T]) -> T:
        import httpx
        from nnInteractive.inference.remote import (
            ServerAtCapacityError,
            SessionExpiredError,
        )

        try:
            return fn()
        except SessionExpiredError as exc:
            raise NotFound(f"the nnInteractive server ended this session ({exc}): start the assistant again") from None
        except ServerAtCapacityError as exc:
            raise Unavailable(
                f"the nnInteractive server at {self.url} is at capacity ({exc}): try again later"
            ) from None
        except httpx.HTTPStatusError as exc:
            log.warning("nnInteractive server %s answered %s", self.url, exc.response.status_code)
            raise Unavailable(
                f"the nnInteractive server at {self.url} answered {exc.response.status_code}: {exc.response.text[:200]}"
            ) from None
        except httpx.HTTPError as exc:
            raise Unavailable(f"the nnInteractive server at {self.url} did not answer: {exc}") from None

    def _mask(self, item: VoxelInteraction) -> np.ndarray[Any, np.dtype[np.uint8]]:
        mask = np.zeros(self.shape, dtype=np.uint8)
        mask[tuple(item.voxels.T)] = 1
        return mask

    def _point(self, voxel: list[int], positive: bool, run: bool) -> None:
        self._call(lambda: self.client.add_point_interaction(voxel, include_interaction=positive, run_prediction=run))

    def _send(self, item: VoxelInteraction, last: bool) -> None:
        c = self.client
        if item.kind == "point":
            for n, voxel in enumerate(item.voxels.tolist()):
                final = last and n == len(item.voxels) - 1
                self._point(voxel, item.positive, final)
        elif item.kind == "box":
            assert item.box is not None
            lo, hi = np.asarray(item.box[0]), np.asarray(item.box[1])
            thin = int(np.argmin(hi - lo))  # the slice's axis: one voxel thick for a 2D box
            lo[thin] = hi[thin] = int(np.median(item.voxels[:, thin]))
            coords = [[int(a), int(b) + 1] for a, b in zip(lo, hi, strict=True)]
            self._call(lambda: c.add_bbox_interaction(coords, include_interaction=item.positive, run_prediction=last))
        elif item.kind in ("scribble", "lasso"):
            send = c.add_scribble_interaction if item.kind == "scribble" else c.add_lasso_interaction
            mask = self._mask(item)
            self._call(lambda: send(mask, include_interaction=item.positive, run_prediction=last))
        else:
            if not item.positive:
                raise InvalidInput("nnInteractive takes an initial mask, not a mask to remove: use negative clicks")
            mask = self._mask(item)
            self._call(lambda: c.add_initial_seg_interaction(mask, run_prediction=last))

    def add(self, step: Sequence[VoxelInteraction]) -> Mask:
        for n, item in enumerate(step):
            self._send(item, n == len(step) - 1)
        return self.buffer > 0

    def undo(self) -> Mask:
        if not getattr(self.client, "supports_undo", False):
            raise InvalidInput(f"the nnInteractive server at {self.url} was started without undo (--no-undo)")
        self._call(self.client.undo)
        return self.buffer > 0

    def reset(self) -> Mask:
        self._call(self.client.reset_interactions)
        return self.buffer > 0

    def close(self) -> None:
        try:
            self.client.close()
        except Exception:  # closing is best effort: the server reaps the lease anyway
            log.warning("closing the nnInteractive session on %s failed", self.url, exc_info=True)
