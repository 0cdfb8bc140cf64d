"""ROI statistics over a cohort: ``nora -p P --roistats SUBJECT 'ROIS/*.nii.gz' 'IMAGE_SELECTOR' [--csv]``.

For every study of the subject selection, every ROI file matched by the first file selector is paired with
every image matched by the second one, and :func:`nora.imaging.roi.roi_stats` gives one row per (study, ROI,
image): the numbers the ROIstats window of the page shows for the same ROI and image.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import groupby
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from nora.annotation.operations import load_image
from nora.archive.selection import SubjectSelector
from nora.archive.services import cliops
from nora.archive.services.access import Access
from nora.archive.storage import Layout
from nora.imaging.roi import STAT_COLUMNS, as_mask, roi_stats

#: the columns of a row, in order
COLUMNS = ("pid", "sid", "roi", "image", *STAT_COLUMNS)


def cohort_stats(
    session: Session,
    access: Access,
    layout: Layout,
    subject: str | SubjectSelector,
    rois: str,
    images: str,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> list[dict[str, Any]]:
    """One row per study, ROI file and image file of the selection (studies in PID, SID order)."""
    roi_hits = [h for h in cliops.select_hits(session, access, layout, subject, rois) if h.path is not None]
    image_hits = [h for h in cliops.select_hits(session, access, layout, subject, images) if h.path is not None]
    by_study = {k: list(g) for k, g in groupby(image_hits, key=lambda h: (h.pid, h.sid))}
    studies = [(k, list(g)) for k, g in groupby(roi_hits, key=lambda h: (h.pid, h.sid))]
    rows: list[dict[str, Any]] = []
    for done, ((pid, sid), study_rois) in enumerate(studies, start=1):
        loaded_images = []
        for hit in by_study.get((pid, sid), []):
            loaded_images.append((hit.path, *load_image(str(cliops.hit_path(access, layout, hit)))))
        for hit in study_rois:
            data, affine = load_image(str(cliops.hit_path(access, layout, hit)))
            mask = as_mask(data, hit.path or "ROI")
            for image_path, image, image_affine in loaded_images:
                if image_path == hit.path:
                    continue
                s = roi_stats(image, image_affine, mask, np.asarray(affine, dtype=np.float64))
                rows.append({"pid": pid, "sid": sid, "roi": hit.path, "image": image_path, **s.row()})
        if progress is not None:
            progress(done, len(studies))
    return rows
