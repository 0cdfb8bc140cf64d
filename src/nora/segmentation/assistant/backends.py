"""The assistant's backends behind one interface, and the choice among them.

A backend session holds one image and answers each step (the voxel interactions of one user action),
an undo and a reset with the new result mask on the image grid:

- ``builtin`` (the default; :mod:`.builtin`): the seeded intensity-adaptive method on this server's CPU;
- ``patchwork`` (:mod:`.patchwork`): the same refinement starting from a project's trained patchwork model's
  output on the image (chosen per session by its model), or from a mask file of the study (:func:`model_output`);
- ``nninteractive`` (:mod:`.remote`): a site's nnInteractive server (``remote_segmentation_base_url``).

The server settings (``[assistant] backend``) choose the default; a project's ``assistant_backend``
setting overrides it for that project.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

import numpy as np
import numpy.typing as npt

from nora.core.errors import InvalidInput
from nora.core.settings import AssistantConfig
from nora.imaging.roi import Affine, Mask
from nora.segmentation.assistant.interactions import VoxelInteraction

BackendName = Literal["builtin", "patchwork", "nninteractive"]


@dataclass(frozen=True)
class Volume:
    """The session's image: its voxels (3D) and the grid's affine (voxel -> RAS mm)."""

    data: npt.NDArray[np.floating] | npt.NDArray[np.integer]
    affine: Affine

    @property
    def shape(self) -> tuple[int, int, int]:
        return (self.data.shape[0], self.data.shape[1], self.data.shape[2])

    @property
    def spacing(self) -> tuple[float, float, float]:
        zooms = np.sqrt((self.affine[:3, :3] ** 2).sum(axis=0))
        return (float(zooms[0]), float(zooms[1]), float(zooms[2]))


class BackendSession(Protocol):
    """One image on a backend; every call returns the whole current result."""

    @property
    def nbytes(self) -> int: ...

    def add(self, step: Sequence[VoxelInteraction]) -> Mask: ...

    def undo(self) -> Mask: ...

    def reset(self) -> Mask: ...

    def close(self) -> None: ...


def choose(config: AssistantConfig, project_settings: dict[str, object]) -> BackendName:
    """The project's ``assistant_backend`` where set, else the server's ``[assistant] backend``."""
    chosen = project_settings.get("assistant_backend") or config.backend
    if chosen not in ("builtin", "patchwork", "nninteractive"):
        raise InvalidInput(f"unknown assistant backend {chosen!r}: use builtin, patchwork or nninteractive")
    return chosen


def open_session(
    name: BackendName, config: AssistantConfig, image: Volume, prior: Mask | None = None
) -> BackendSession:
    """A backend session on ``image`` (the remote one claims its session on the GPU server here); ``prior``:
    the patchwork model's output, the standing first step."""
    if name == "nninteractive":
        from nora.segmentation.assistant.remote import RemoteSession

        return RemoteSession(config, image)
    if prior is not None:
        from nora.segmentation.assistant.patchwork import PatchworkSession

        return PatchworkSession(image.data, prior)
    from nora.segmentation.assistant.builtin import BuiltinSession

    return BuiltinSession(image.data)


def model_output(path: Path, shape: tuple[int, int, int], affine: Affine) -> Mask:
    """A mask file (a model's output, any mask of the study) on the session's grid: voxels > 0.5 inside,
    resampled by nearest neighbour when its grid differs."""
    from nora.imaging.roi import resample_to, same_grid
    from nora.processing.catalog import load_volume

    img = load_volume(str(path))
    data = np.asanyarray(img.dataobj)
    if data.ndim == 4:
        data = data[..., 0]
    if data.ndim != 3:
        raise InvalidInput(f"{path.name} is not a 3D mask (shape {list(data.shape)})")
    own = np.asarray(img.affine, dtype=np.float64)
    if same_grid(data.shape, own, shape, affine):
        return np.asarray(data > 0.5, dtype=bool)
    values = resample_to(np.asarray(data, dtype=np.float32), own, shape, affine, order=0)
    return np.asarray(np.nan_to_num(values, nan=0.0) > 0.5, dtype=bool)
