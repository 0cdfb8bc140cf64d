"""The segmentation feature's batch jobs, registered in the processing catalog through the ``nora.jobs``
entry point: Patchwork 3D (training, a cohort job), Apply Patchwork and Brain extraction (deepbet).

This module imports no torch: the catalog loads it in the server to list the jobs. The jobs' functions
import their modules (and torch) when they run; ``prepare`` checks a job at launch without torch.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nora.archive.storage import safe_relpath
from nora.core.errors import InvalidInput, NotFound
from nora.core.validation import validated
from nora.processing.catalog import ArgDecl, Builtin, Values
from nora.segmentation.modelfile import MODEL_FILE, ModelDoc, PatchworkParams, find_models, model_json, read_model

CONTRASTS = ("contrast1", "contrast2", "contrast3")
LABELS = ("label1", "label2", "label3")
_FIELDS = PatchworkParams.model_fields


def model_folder(values: Values, key: str = "model") -> Path:
    """The model folder (or JSON) in the project's analysis folder, from a relative name."""
    raw = str(values.get(key) or "").strip()
    if not raw:
        raise InvalidInput(f"give the {key} folder, e.g. models/brain (in the project's analysis folder)")
    return Path(str(values["_analysis_dir"])) / safe_relpath(raw)


def params_of(values: Values) -> PatchworkParams:
    raw: dict[str, Any] = {}
    for name, info in _FIELDS.items():
        if name in values and values[name] not in ("", None):
            value = values[name]
            raw[name] = int(float(value)) if info.annotation is int else value
    return validated(PatchworkParams, raw, "patchwork parameters")


def given(values: Values, names: tuple[str, ...]) -> list[str]:
    """The names of the FILE rows given (in order); a gap (contrast3 without contrast2) is refused."""
    present = [n for n in names if values.get(n) not in ("", None)]
    if present != list(names[: len(present)]):
        raise InvalidInput(f"give {', '.join(names)} in order without gaps (given: {', '.join(present)})")
    if not present:
        raise InvalidInput(f"give at least {names[0]}")
    return present


def prepare_training(values: Values) -> None:
    params_of(values)
    model_folder(values)
    given(values, CONTRASTS)
    given(values, LABELS)
    studies = values.get("_studies") or []
    if len(studies) < 1:
        raise InvalidInput("select at least one study to train on")


def check_inputs(doc: ModelDoc, contrasts: list[str], where: str) -> None:
    """Refuse inputs that do not match the model's: as many contrasts as it was trained with."""
    if len(contrasts) != len(doc.contrasts):
        trained = ", ".join(doc.contrasts)
        raise InvalidInput(
            f"the model {doc.name} (version {doc.version}) takes {len(doc.contrasts)} contrast(s) ({trained}); "
            f"{where} gives {len(contrasts)}: give contrast1..contrast{len(doc.contrasts)} in the same order"
        )


def known_model(values: Values) -> ModelDoc:
    """The model ``values["model"]`` names; :class:`NotFound` naming the project's models when it is none of them."""
    folder = model_folder(values)
    if model_json(folder).is_file():
        return read_model(folder)  # a model without weights yet, or an unreadable one, says so itself
    found = find_models(Path(str(values["_analysis_dir"])))
    listed = "; ".join(
        f"{name}/{MODEL_FILE} ({doc.name} version {doc.version}: {', '.join(doc.contrasts)})"
        for name, doc in sorted(found.items())[:10]
    )
    raise NotFound(
        f"no patchwork model {str(values.get('model')).strip()!r} in this project: "
        + (f"its models are {listed}" if found else "it has none yet (train one with Patchwork 3D first)")
    )


def prepare_apply(values: Values) -> None:
    doc = known_model(values)
    names = given(values, CONTRASTS)
    check_inputs(doc, names, f"the job for {values.get('_psid') or 'the study'}")
    label = int(float(values.get("label") or 1))
    if not 1 <= label <= len(doc.labels):
        raise InvalidInput(
            f"label {label}: the model {doc.name} has {len(doc.labels)} label(s) ({', '.join(doc.labels)})"
        )


def use_threads(values: Values) -> None:
    """torch's CPU threads: the job's ``threads`` (default 1: these small networks run best on one core, and a
    busy machine makes torch's spinning threads far slower); a GPU, when there is one, is used anyway."""
    import torch

    torch.set_num_threads(max(1, min(64, int(float(values.get("threads") or 1)))))


def run_training(values: Values) -> None:
    from nora.segmentation.training import run

    run(values)


def run_apply(values: Values) -> None:
    from nora.segmentation.applying import run

    run(values)


def run_brain_extraction(values: Values) -> None:
    from nora.segmentation.brainmask import run

    run(values)


def _num(name: str, help: str) -> ArgDecl:
    default = _FIELDS[name].default
    return ArgDecl(name, "NUMERIC", help, required=False, default=float(default))


def _flag(name: str, help: str) -> ArgDecl:
    return ArgDecl(name, "LOGICAL", help, required=False, default=bool(_FIELDS[name].default))


_THREADS = ArgDecl("threads", "NUMERIC", "CPU threads of torch (on a CPU)", required=False, default=1.0)
_CONTRAST_ROWS = (
    ArgDecl("contrast1", "FILE", "input contrast 1 (file pattern in each study, e.g. t1*/*.nii*)"),
    ArgDecl("contrast2", "FILE", "input contrast 2 (optional)", required=False),
    ArgDecl("contrast3", "FILE", "input contrast 3 (optional)", required=False),
)

TRAIN = Builtin(
    "patchwork_train",
    "Patchwork 3D (training)",
    "Train a Deep Neural Patchwork (Reisert et al. 2022) on the selected studies (launch at the cohort level): "
    "input contrasts and target labels by file pattern per study; the model is written to the project's "
    f"analysis folder as <model>/{MODEL_FILE} plus weights after every epoch, so stopping early leaves a usable "
    "model; the log shows iteration, loss and the validation Dice of held-out studies.",
    (
        *_CONTRAST_ROWS,
        ArgDecl("label1", "FILE", "target label 1 (a mask in each study, e.g. ROIS/lesion.nii.gz)"),
        ArgDecl("label2", "FILE", "target label 2 (optional)", required=False),
        ArgDecl("label3", "FILE", "target label 3 (optional)", required=False),
        ArgDecl("model", "STRING", "model folder in the project's analysis folder, e.g. models/isles_stroke"),
        _num("depth", "levels of the patch tree"),
        _num("patch", "patch size in voxels per axis (a multiple of 4)"),
        _num("voxel_mm", "target voxel size of the finest level (mm)"),
        _num("iterations", "training iterations"),
        _num("epoch", "iterations per epoch (the model is saved after each)"),
        _num("foreground", "fraction of patch centres on a label"),
        _flag("augment", "rotation / scaling augmentation per patch tree"),
        _num("rotate_deg", "largest random rotation (degrees)"),
        _num("scale", "largest random scaling (fraction)"),
        _flag("flip", "random flips"),
        _num("learning_rate", "learning rate (Adam)"),
        _num("batch", "patch trees per iteration"),
        _num("features", "feature maps per level network"),
        _num("validation", "fraction of the studies held out for the validation Dice"),
        _num("seed", "random seed"),
        _THREADS,
    ),
    run_training,
    prepare=prepare_training,
    level="cohort",
)

APPLY = Builtin(
    "patchwork_apply",
    "Apply Patchwork",
    f"Segment a study with a trained patchwork model (<model>/{MODEL_FILE} in the project's analysis folder): "
    "a mask (an ROI of the study, the model's name and version in its sidecar) or a probability map.",
    (
        *_CONTRAST_ROWS,
        ArgDecl("model", "STRING", f"the model, e.g. models/isles_stroke/{MODEL_FILE}", choices="models"),
        ArgDecl("output_type", "OPTION", "mask or probability map", default="mask", options=("mask", "probability")),
        ArgDecl("label", "NUMERIC", "which of the model's labels (1 = the first)", required=False, default=1.0),
        ArgDecl("threshold", "NUMERIC", "probability threshold of the mask", required=False, default=0.5),
        ArgDecl("overlap", "NUMERIC", "tile overlap (0 side by side, 0.5 half a patch)", required=False, default=0.0),
        ArgDecl("trees", "NUMERIC", "random patch trees averaged in besides the tiles", required=False, default=0.0),
        _THREADS,
        ArgDecl("output", "OUT", "the output, e.g. ROIS/lesion_pw.nii.gz", register="roi", reference="contrast1"),
    ),
    run_apply,
    prepare=prepare_apply,
)

BRAIN = Builtin(
    "brain_extraction",
    "Brain extraction (deepbet)",
    "A brain mask of a T1-weighted image by deepbet's pretrained networks (weights shipped in its package, MIT "
    "licence): an ROI of the study on the image's grid.",
    (
        ArgDecl("input", "FILE", "the T1-weighted image"),
        ArgDecl("threshold", "NUMERIC", "probability threshold", required=False, default=0.5),
        ArgDecl("dilate", "NUMERIC", "voxels to dilate (negative: erode)", required=False, default=0.0),
        ArgDecl("output", "OUT", "the mask, e.g. ROIS/brain.nii.gz", register="roi", reference="input"),
    ),
    run_brain_extraction,
)

BUILTINS = (TRAIN, APPLY, BRAIN)
