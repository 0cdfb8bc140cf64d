"""The catalog of built-in jobs (Python, run by the runner) beside the generic Bash and Python jobs.

Each built-in declares its argument rows; :func:`check_builtin` validates a job against them when a batch
is built, and the runner calls the job's function with the resolved values (input paths, output paths
to write, numbers). Heavy imports (nibabel, scipy) happen inside the functions, so dispatching stays cheap.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nora.core.errors import InvalidInput

if TYPE_CHECKING:
    from nora.processing.spec import ArgType, JobArg

Values = dict[str, Any]


@dataclass(frozen=True)
class ArgDecl:
    name: str
    type: ArgType
    help: str
    required: bool = True
    default: str | float | bool = ""
    options: tuple[str, ...] = ()
    multi: bool = False


@dataclass(frozen=True)
class Builtin:
    id: str
    title: str
    description: str
    args: tuple[ArgDecl, ...]
    run: Callable[[Values], None] = field(repr=False)

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "args": [
                {
                    "name": a.name,
                    "type": a.type,
                    "help": a.help,
                    "required": a.required,
                    "default": a.default,
                    "options": list(a.options),
                    "multi": a.multi,
                }
                for a in self.args
            ],
        }


# ----------------------------------------------------------------------------------------- the functions


def load_volume(path: str) -> Any:
    """Any volume nibabel reads (NIfTI, Analyze, MGH/MGZ, MINC ...) or NRRD, as a nibabel image."""
    import nibabel as nib
    import numpy as np

    if path.lower().endswith((".nrrd", ".nhdr")):
        import nrrd

        from nora.imaging.formats.nrrd import ras_affine, spatial_axes

        data, header = nrrd.read(path)
        affine = ras_affine(header)  # the archive's affine for the same file
        axes = spatial_axes(header)
        if affine is not None and axes != [0, 1, 2]:  # a list or time axis first (DWI): spatial axes first
            data = np.moveaxis(data, axes, [0, 1, 2])
        return nib.Nifti1Image(data, np.eye(4) if affine is None else affine)  # type: ignore[no-untyped-call]
    try:
        return nib.load(path)
    except Exception as exc:
        raise InvalidInput(f"{path} is not a volume nibabel or pynrrd can read: {exc}") from None


def _save(img: Any, path: str) -> None:
    import nibabel as nib

    if not isinstance(img, nib.Nifti1Image):
        img = nib.Nifti1Image(img.get_fdata(dtype="float32"), img.affine)  # type: ignore[no-untyped-call]
    nib.save(img, path)


def to_nifti(v: Values) -> None:
    _save(load_volume(v["input"]), v["output"])


def reslice(v: Values) -> None:
    from nibabel.processing import resample_from_to

    orders = {"nearest": 0, "linear": 1, "cubic": 3}
    img, ref = load_volume(v["input"]), load_volume(v["reference"])
    target = (ref.shape[:3], ref.affine)
    order = orders[str(v.get("interpolation") or "linear")]
    _save(resample_from_to(img, target, order=order), v["output"])  # type: ignore[no-untyped-call]


def smooth(v: Values) -> None:
    from nibabel.processing import smooth_image

    _save(smooth_image(load_volume(v["input"]), float(v["fwhm"])), v["output"])  # type: ignore[no-untyped-call]


def threshold(v: Values) -> None:
    import nibabel as nib
    import numpy as np

    img = load_volume(v["input"])
    data = np.asarray(img.dataobj, dtype=np.float64)
    mask = data >= float(v["low"])
    if v.get("high") not in (None, ""):
        mask &= data <= float(v["high"])
    nib.save(nib.Nifti1Image(mask.astype(np.uint8), img.affine), v["output"])  # type: ignore[no-untyped-call]


def _as_list(value: Any) -> list[str]:
    return [str(x) for x in value] if isinstance(value, list) else [str(value)]


def roi_stats(v: Values) -> None:
    import numpy as np

    rows = []
    for image_path in _as_list(v["images"]):
        img = load_volume(image_path)
        data = np.asarray(img.dataobj, dtype=np.float64)
        voxel_ml = float(abs(np.linalg.det(img.affine[:3, :3]))) / 1000.0
        for mask_path in _as_list(v["masks"]):
            mask = np.asarray(load_volume(mask_path).dataobj) > 0
            if mask.shape[:3] != data.shape[:3]:
                raise InvalidInput(
                    f"mask {mask_path} has shape {mask.shape[:3]}, image {image_path} {data.shape[:3]}: "
                    "reslice the mask onto the image first"
                )
            values = data[..., 0][mask] if data.ndim > 3 else data[mask]
            voxels = int(mask.sum())
            stats: dict[str, Any] = {"image": image_path, "mask": mask_path, "voxels": voxels}
            stats["volume_ml"] = voxels * voxel_ml
            for name, fn in (("mean", np.mean), ("std", np.std), ("min", np.min), ("max", np.max)):
                stats[name] = float(fn(values)) if values.size else None
            stats["median"] = float(np.median(values)) if values.size else None
            rows.append(stats)
    out = v["output"]
    if out.lower().endswith(".csv"):
        with open(out, "w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]) if rows else ["image", "mask"])
            writer.writeheader()
            writer.writerows(rows)
    else:
        Path(out).write_text(json.dumps(rows, indent=2))


_IN = ArgDecl("input", "FILE", "the input volume (file pattern)")
_OUT = ArgDecl("output", "OUT", "the output file, e.g. RESULTS/out.nii.gz TAG(mytag)")

CATALOG: dict[str, Builtin] = {
    b.id: b
    for b in (
        Builtin(
            "to_nifti",
            "Convert to NIfTI",
            "Convert any supported volume (NIfTI, Analyze, MGH/MGZ, NRRD) to NIfTI.",
            (_IN, _OUT),
            to_nifti,
        ),
        Builtin(
            "reslice",
            "Reslice onto a reference",
            "Resample a volume onto the grid of a reference volume (scipy through nibabel.processing).",
            (
                _IN,
                ArgDecl("reference", "FILE", "the reference volume whose grid is used"),
                ArgDecl(
                    "interpolation",
                    "OPTION",
                    "interpolation",
                    required=False,
                    default="linear",
                    options=("nearest", "linear", "cubic"),
                ),
                _OUT,
            ),
            reslice,
        ),
        Builtin(
            "smooth",
            "Gaussian smoothing",
            "Smooth a volume with a Gaussian kernel of the given FWHM in millimetres.",
            (_IN, ArgDecl("fwhm", "NUMERIC", "full width at half maximum (mm)", default=4.0), _OUT),
            smooth,
        ),
        Builtin(
            "threshold",
            "Threshold to mask",
            "A binary mask of the voxels with low <= value (<= high when given).",
            (
                _IN,
                ArgDecl("low", "NUMERIC", "lower threshold (inclusive)"),
                ArgDecl("high", "NUMERIC", "upper threshold (inclusive, optional)", required=False),
                _OUT,
            ),
            threshold,
        ),
        Builtin(
            "roi_stats",
            "ROI statistics",
            "Voxel count, volume, mean, std, min, max and median of images within masks, as JSON or CSV.",
            (
                ArgDecl("images", "FILE", "the images", multi=True),
                ArgDecl("masks", "FILE", "the masks (non-zero voxels)", multi=True),
                ArgDecl("output", "OUT", "the result, .json or .csv"),
            ),
            roi_stats,
        ),
    )
}


def check_builtin(job: str, args: Sequence[JobArg]) -> None:
    """Raise ``ValueError`` unless ``args`` fit the built-in ``job``'s declared rows."""
    builtin = CATALOG.get(job)
    if builtin is None:
        known = ", ".join(["bash", "python", *CATALOG])
        raise ValueError(f"unknown job {job!r}: available jobs are {known}")
    declared = {a.name: a for a in builtin.args}
    given = {a.name: a for a in args}
    for name in given:
        if name not in declared:
            raise ValueError(f"job {job!r} has no argument {name!r} (it has {', '.join(declared)})")
    for decl in builtin.args:
        arg = given.get(decl.name)
        if arg is None or arg.value in ("", None):
            if decl.required and decl.default in ("", None):
                raise ValueError(f"job {job!r} needs its {decl.type} argument {decl.name!r}")
            continue
        if arg.type != decl.type:
            raise ValueError(f"argument {decl.name!r} of job {job!r} must be {decl.type}, not {arg.type}")
        if decl.options and str(arg.value) not in decl.options:
            raise ValueError(f"argument {decl.name!r} must be one of {', '.join(decl.options)}, not {arg.value!r}")


def defaults(job: str) -> Values:
    """The default values of a built-in's optional arguments."""
    return {a.name: a.default for a in CATALOG[job].args if a.default not in ("", None)}
