"""The catalog of built-in jobs (Python, run by the runner) beside the generic Bash and Python jobs.

Each built-in declares its argument rows; :func:`nora.processing.spec.check_builtin` validates a job
against them when a batch is built, and the runner calls the job's function with the resolved values
(input paths, output paths to write, numbers). Heavy imports (nibabel, scipy) happen inside the
functions, so dispatching stays cheap.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from nora.core.csvcells import write_rows
from nora.core.errors import InvalidInput

#: the argument types of NORA's batch tool (the job model in :mod:`nora.processing.spec` uses them)
ArgType = Literal["FILE", "OUT", "PATHOUT", "NUMERIC", "STRING", "LOGICAL", "OPTION"]
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
    #: OUT: registered by the feature's output registrar of this name (``nora.output_registrars`` entry
    #: points, e.g. "roi": an ROI of the annotation layer) instead of as a plain file
    register: str = ""
    #: OUT with ``register``: the FILE argument whose file is the output's reference image
    reference: str = ""
    #: a list of the project's objects the page offers for the value instead of free text (``"models"``: the
    #: project's segmentation models); the job's ``prepare`` still refuses a value that names none of them
    choices: str = ""


@dataclass(frozen=True)
class Builtin:
    id: str
    title: str
    description: str
    args: tuple[ArgDecl, ...]
    run: Callable[[Values], None] = field(repr=False)
    #: called at launch with the job's resolved values (paths, numbers, the reserved ``_`` keys of
    #: :func:`nora.processing.resolve.resolve_job`); raises :class:`InvalidInput` to refuse the job for that
    #: target with a message (the job is then in error with it, like an input that does not resolve)
    prepare: Callable[[Values], None] | None = field(default=None, repr=False)
    #: ``"cohort"``: one job over every selected study (NORA's analyses, e.g. training a model); a batch
    #: that holds such a job must be launched at the cohort level
    level: str = "study"

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "level": self.level,
            "args": [
                {
                    "name": a.name,
                    "type": a.type,
                    "help": a.help,
                    "required": a.required,
                    "default": a.default,
                    "options": list(a.options),
                    "multi": a.multi,
                    "choices": a.choices,
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
    """ROIstats (:func:`nora.imaging.roi.roi_stats`) of every image within every mask; an image on another
    grid than the mask is resampled onto the mask's grid (trilinear)."""
    import numpy as np

    from nora.imaging.roi import as_mask
    from nora.imaging.roi import roi_stats as stats_of

    masks = []
    for mask_path in _as_list(v["masks"]):
        m = load_volume(mask_path)
        masks.append((mask_path, as_mask(np.asanyarray(m.dataobj), mask_path), np.asarray(m.affine, dtype=float)))
    rows = []
    for image_path in _as_list(v["images"]):
        img = load_volume(image_path)
        data = np.asanyarray(img.dataobj)
        for mask_path, mask, affine in masks:
            s = stats_of(data, np.asarray(img.affine, dtype=float), mask, affine)
            rows.append({"image": image_path, "mask": mask_path, **s.row()})
    out = v["output"]
    if out.lower().endswith(".csv"):
        with open(out, "w", newline="") as fh:
            columns = list(rows[0]) if rows else ["image", "mask"]
            write_rows(fh, columns, ([r[c] for c in columns] for r in rows))
    else:
        Path(out).write_text(json.dumps(rows, indent=2))


_IN = ArgDecl("input", "FILE", "the input volume (file pattern)")
_OUT = ArgDecl("output", "OUT", "the output file, e.g. RESULTS/out.nii.gz TAG(mytag)")

CORE: dict[str, Builtin] = {
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
            "NORA's ROIstats of images within masks (voxels, volume, area of 2D masks, mean, std, median, 25th "
            "and 75th percentile, min, max; images on another grid resampled onto the mask's), as JSON or CSV.",
            (
                ArgDecl("images", "FILE", "the images", multi=True),
                ArgDecl("masks", "FILE", "the masks (non-zero voxels)", multi=True),
                ArgDecl("output", "OUT", "the result, .json or .csv"),
            ),
            roi_stats,
        ),
    )
}


#: the entry-point group where features register their built-ins (``pyproject.toml``: a tuple of Builtin)
ENTRY_POINTS = "nora.jobs"
#: the entry-point group of output registrars (name -> function, see :mod:`nora.processing.outputs`)
REGISTRARS = "nora.output_registrars"


class Catalog(Mapping[str, Builtin]):
    """The core built-ins and those the features register through the ``nora.jobs`` entry points.

    The features' modules are loaded on the first lookup of a job that is not a core one (or a listing),
    so the catalog never imports a feature and a core job never pays for them. A feature cannot replace a
    core job."""

    def __init__(self, core: dict[str, Builtin]) -> None:
        self._core = core
        self._all: dict[str, Builtin] | None = None

    def _load(self) -> dict[str, Builtin]:
        if self._all is None:
            from importlib.metadata import entry_points

            found = dict(self._core)
            for point in entry_points(group=ENTRY_POINTS):
                for builtin in point.load():
                    found.setdefault(builtin.id, builtin)
            self._all = found
        return self._all

    def __getitem__(self, job: str) -> Builtin:
        return self._core[job] if job in self._core else self._load()[job]

    def __contains__(self, job: object) -> bool:
        return job in self._core or job in self._load()

    def __iter__(self) -> Iterator[str]:
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._load())


CATALOG = Catalog(CORE)


def defaults(job: str) -> Values:
    """The default values of a built-in's optional arguments."""
    return {a.name: a.default for a in CATALOG[job].args if a.default not in ("", None)}
