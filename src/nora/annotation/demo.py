"""The demo project's annotations: an ROI drawn by thresholding and a marker set of landmarks.

Added by ``nora demo`` after the images (:func:`nora.archive.services.setup.build_demo`); existing
annotations are left as they are, so a refill never adds versions.
"""

from __future__ import annotations

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from nora.annotation import markers, rois, store
from nora.annotation.operations import load_image
from nora.archive.models import File
from nora.archive.services import files, nodes
from nora.archive.services.access import Actor, project_access
from nora.archive.storage import Layout
from nora.imaging import roi as ops

#: (pid, sid, reference path, ROI name): the brighter tissue of the T1, largest component, holes filled
DEMO_ROIS = [("SUBJ002", "20230611", "t1_mprage/s002.nii", "bright_tissue")]
#: MNI152 landmarks (RAS mm, approximate): anterior and posterior commissure, the two frontal poles
LANDMARKS = markers.MarkerSet(
    name="landmarks",
    type="pointset",
    color="#ffcc00",
    size=4.0,
    points=[
        markers.Point(name="AC", x=0.0, y=2.0, z=-4.0),
        markers.Point(name="PC", x=0.0, y=-26.0, z=-2.0),
        markers.Point(name="frontal pole L", x=-20.0, y=68.0, z=0.0),
        markers.Point(name="frontal pole R", x=20.0, y=68.0, z=0.0),
    ],
    reference="20240105/t1_mni/s001.nii.gz",
)


def add_demo_annotations(session: Session, layout: Layout, owner: Actor, project: str) -> list[str]:
    """Save the demo ROI(s) and the MNI001 marker set where missing; the paths saved."""
    access = project_access(session, owner, project)
    saved: list[str] = []
    for pid, sid, ref_path, name in DEMO_ROIS:
        study = nodes.get_study(session, access, pid, sid)
        node = store.Node(study.patient, study)
        ref = session.scalar(select(File).where(File.study_id == study.id, File.path == ref_path))
        if ref is None or store.find_object(session, access, node, rois.roi_path(name)) is not None:
            continue
        data, affine = load_image(str(files.file_location(session, layout, access, ref)))
        values = np.asarray(data, dtype=np.float64)
        mask = values > np.percentile(values, 75)
        labels, count = ops.components(mask)
        if count:
            sizes = np.bincount(labels.ravel())
            sizes[0] = 0
            mask = ops.fill_holes(labels == int(sizes.argmax()))
        rois.save_roi(session, access, layout, node, name, rois.Roi(mask, affine), reference=ref, base=0, tool="demo")
        saved.append(f"{pid}#{sid}/{rois.roi_path(name)}")
    patient = nodes.get_patient(session, access, "MNI001")
    node = store.Node(patient, None)
    if store.find_object(session, access, node, markers.marker_path(LANDMARKS.name)) is None:
        markers.save_markers(session, access, layout, node, LANDMARKS, base=0, tool="demo")
        saved.append(f"MNI001/{markers.marker_path(LANDMARKS.name)}")
    return saved
