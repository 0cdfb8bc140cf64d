"""A patchwork model on disk: ``<model folder>/model_patchwork.json`` beside its weights ``model_patchwork.pt``.

The JSON (format ``nora.patchwork/1``) says everything apply and the models list need without torch: the
parameters, the input contrasts and labels (as file patterns of the studies it was trained on), the training
data, the validation figures per epoch, the creator and the version (the epoch count: every epoch rewrites
both files atomically, so a job stopped early leaves the last complete epoch's model).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from nora.core.atomic import atomic_write_json
from nora.core.errors import CorruptFile, NoraError, NotFound
from nora.core.validation import validated

MODEL_FILE = "model_patchwork.json"
#: how deep under the analysis folder models are looked for, and how many at most
MAX_DEPTH = 4
MAX_MODELS = 1000
WEIGHTS_FILE = "model_patchwork.pt"
FORMAT = "nora.patchwork/1"


class PatchworkParams(BaseModel):
    """The training parameters of the job form (and what apply needs to rebuild the network)."""

    model_config = ConfigDict(extra="forbid")

    depth: int = Field(default=3, ge=1, le=6, description="levels of the patch tree")
    patch: int = Field(default=32, ge=8, le=128, description="voxels per axis of every level's patch")
    voxel_mm: float = Field(default=2.0, gt=0.05, le=20.0, description="target voxel size of the finest level")
    iterations: int = Field(default=2500, ge=1, le=1_000_000)
    epoch: int = Field(default=100, ge=1, le=100_000, description="iterations per epoch (model saved after each)")
    foreground: float = Field(default=0.5, ge=0.0, le=1.0, description="fraction of finest centres on a label")
    augment: bool = True
    rotate_deg: float = Field(default=10.0, ge=0.0, le=180.0)
    scale: float = Field(default=0.1, ge=0.0, le=0.5, description="random scaling up to +-this fraction")
    flip: bool = False
    learning_rate: float = Field(default=1e-3, gt=0.0, le=1.0)
    batch: int = Field(default=4, ge=1, le=256, description="patch trees per iteration")
    features: int = Field(default=8, ge=2, le=64, description="feature maps of each level's network")
    validation: float = Field(default=0.2, ge=0.0, lt=1.0, description="fraction of studies held out")
    seed: int = Field(default=0, ge=0, le=2**31 - 1)

    @field_validator("patch")
    @classmethod
    def _even(cls, value: int) -> int:
        if value % 4:
            raise ValueError(f"patch must be a multiple of 4 voxels (each network halves it twice), not {value}")
        return value


class ModelDoc(BaseModel):
    """The content of ``model_patchwork.json``."""

    model_config = ConfigDict(extra="forbid")

    format: str = FORMAT
    name: str
    version: int = Field(default=0, ge=0, description="epochs trained (0: no epoch finished yet)")
    contrasts: list[str] = Field(min_length=1, description="input file patterns, one per channel, in order")
    labels: list[str] = Field(min_length=1, description="target label patterns, one per output")
    params: PatchworkParams
    #: level 0's patch width in mm (the coarsest view), per axis
    widths_mm: list[float]
    training: list[str] = Field(default_factory=list, description="PID#SID of the training studies")
    validation: list[str] = Field(default_factory=list, description="PID#SID of the held-out studies")
    history: list[dict[str, Any]] = Field(default_factory=list, description="per epoch: iteration, loss, dice")
    creator: str = ""
    created: str = ""
    updated: str = ""
    weights: str = WEIGHTS_FILE

    @field_validator("format")
    @classmethod
    def _format(cls, value: str) -> str:
        if value != FORMAT:
            raise ValueError(f"format {value!r} is not {FORMAT!r}")
        return value

    def figures(self) -> dict[str, Any]:
        """The last epoch's figures (empty before the first epoch)."""
        return dict(self.history[-1]) if self.history else {}


def model_json(path: Path) -> Path:
    """``path`` itself when it names the JSON, else ``path/model_patchwork.json``."""
    return path if path.name.endswith(".json") else path / MODEL_FILE


def read_model(path: Path) -> ModelDoc:
    """The model document at ``path`` (a folder or its JSON); :class:`NotFound` / :class:`CorruptFile`."""
    file = model_json(path)
    try:
        raw = json.loads(file.read_text())
    except FileNotFoundError:
        raise NotFound(f"no patchwork model at {file} (train one first, or name <folder>/{MODEL_FILE})") from None
    except (OSError, ValueError) as exc:
        raise CorruptFile(f"{file} is not a readable patchwork model: {exc}") from None
    doc = validated(ModelDoc, raw, f"patchwork model {file}")
    if not (file.parent / doc.weights).is_file():
        raise NotFound(f"the model {file} has no weights yet ({doc.weights}: no epoch has finished)")
    return doc


def write_model(folder: Path, doc: ModelDoc) -> Path:
    """Write the JSON atomically (after the weights, so a JSON always names complete weights)."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / MODEL_FILE
    atomic_write_json(target, doc.model_dump())
    return target


def find_models(root: Path) -> dict[str, ModelDoc]:
    """The usable models under an analysis folder (at most :data:`MAX_DEPTH` folders deep): folder (relative,
    posix) -> document; a JSON without weights yet (before the first epoch) or not ours is left out."""
    docs: dict[str, ModelDoc] = {}
    if not root.is_dir():
        return docs
    for depth in range(1, MAX_DEPTH + 1):
        for path in sorted(root.glob("/".join(["*"] * depth) + f"/{MODEL_FILE}")):
            if len(docs) >= MAX_MODELS:
                return docs
            try:
                docs[path.parent.relative_to(root).as_posix()] = read_model(path)
            except NoraError:
                continue
    return docs
