"""The annotation targets of a reading form: the ROI and marker set each ``roi`` / ``markers`` item asks for.

Each reader draws their own: the target of item ``lesion`` (``"roi": "lesion"``) for reader ``ann`` is the
ROI ``ROIS/lesion_ann.nii.gz`` of the case's study; of a ``markers`` item the marker set
``annotations/NAME_ann.json`` of the case's patient. The stage's viewer context opens them through the
viewer's ROI loaders and annotation loaders (created empty when missing: :func:`with_targets`), so the
reader works in the ROI and marker tools as anywhere else and saves there (every save a version). Answering
the item *attaches* the saved annotation: the answer is its path and current version (``ROIS/lesion_ann.nii.gz@3``),
which later saves do not change (:func:`attach`); the analysis reads the masks of those versions.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from nora.annotation import markers, rois, store
from nora.archive.models import Study
from nora.archive.services.access import Access
from nora.archive.storage import Layout
from nora.core.errors import InvalidInput
from nora.reading.forms import AnnotationItem, Form, MarkersItem, RoiItem
from nora.viewer.autoloaders import AnnotationLoader, RoiLoader


def target_name(item: AnnotationItem, username: str) -> str:
    """The caller's own annotation of ``item``: ``BASE_<reader>``."""
    base = (item.roi if isinstance(item, RoiItem) else item.markers) or item.name
    return f"{base}_{username}"


def target_path(item: AnnotationItem, username: str) -> str:
    name = target_name(item, username)
    return rois.roi_path(name) if isinstance(item, RoiItem) else markers.marker_path(name)


def _items(form: Form) -> list[AnnotationItem]:
    return [i for i in form.answerable if isinstance(i, RoiItem | MarkersItem)]


def with_targets(viewer: dict[str, Any], form: Form, username: str) -> dict[str, Any]:
    """The viewer context with the caller's targets as ROI / annotation loaders of its autoloader (made
    when missing). Without an ``autoloader`` (a preset, or the user's own) the context is left as it is."""
    items = _items(form)
    if not items or not isinstance(viewer.get("autoloader"), dict):
        return viewer
    out = copy.deepcopy(viewer)
    loader = out["autoloader"]
    for item in items:
        name = target_name(item, username)
        if isinstance(item, RoiItem):
            roi = RoiLoader(pattern=rois.roi_path(name), colour=item.colour, autocreate=True, name=name)
            loader.setdefault("rois", []).append(roi.model_dump(mode="json"))
        else:
            marker = AnnotationLoader(name=name, type=item.markerType, color=item.color)
            loader.setdefault("annotations", []).append(marker.model_dump(mode="json"))
    return out


def attach(session: Session, access: Access, item: AnnotationItem, study: Study, username: str) -> str:
    """The answer that attaches the caller's saved target of ``item`` on ``study``: ``PATH@VERSION``."""
    node = store.Node(study.patient, study if isinstance(item, RoiItem) else None)
    path = target_path(item, username)
    obj = store.find_object(session, access, node, path)
    if obj is None or obj.current < 1:
        tool = "ROI tool" if isinstance(item, RoiItem) else "marker tool"
        raise InvalidInput(f"{item.name}: save {path} in the {tool} first, then attach it")
    return f"{obj.path}@{obj.current}"


@dataclass(frozen=True)
class Attached:
    path: str
    version: int


def parse_attached(value: str) -> Attached:
    path, _, number = value.rpartition("@")
    if not path or not number.isdigit():
        raise InvalidInput(f"{value!r} is not an attached annotation (PATH@VERSION)")
    return Attached(path, int(number))


def roi_of(session: Session, access: Access, layout: Layout, study: Study, value: str) -> rois.Roi:
    """The mask and affine of an attached ROI version (``PATH@VERSION`` on ``study``)."""
    attached = parse_attached(value)
    obj = store.find_object(session, access, store.Node(study.patient, study), attached.path)
    if obj is None:
        raise InvalidInput(f"the attached ROI {attached.path} of {study.sid} no longer exists")
    reference = rois.reference_file_of(session, access, obj)
    if reference is None:
        raise InvalidInput(f"the reference image of the attached ROI {attached.path} of {study.sid} is gone")
    shape = rois.grid_of(reference).shape
    content = store.version_content(layout, store.get_version(session, obj, attached.version))
    return rois.decode(content, shape[0] * shape[1] * shape[2])


def markers_of(session: Session, access: Access, layout: Layout, study: Study, value: str) -> markers.MarkerSet:
    """The marker set of an attached version (``PATH@VERSION`` in the patient of ``study``)."""
    attached = parse_attached(value)
    obj = store.find_object(session, access, store.Node(study.patient, None), attached.path)
    if obj is None:
        raise InvalidInput(f"the attached marker set {attached.path} of {study.patient.pid} no longer exists")
    content = store.version_content(layout, store.get_version(session, obj, attached.version))
    return markers.decode(content, f"{attached.path}@{attached.version}")
