"""Dice and HD95 of the ROIs readers attached to a reading's ``roi`` items, for the reading analysis.

Per ``roi`` item and arm (the crossover arm, or the stage), every pair of readers is compared on the cases
both attached an ROI for (their first repetition); with a reference reader, each reader against the
reference instead. The masks are the attached versions (``PATH@VERSION``: :mod:`nora.reading.targets`),
loaded case by case and dropped after it. An ROI drawn on another grid than the first reader's is
resampled onto it (nearest neighbour) before comparing (:func:`nora.reading.analysis.masks.mask_agreement`).
An ROI that cannot be read (its version or reference gone) is left out and named in the item's notes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from itertools import combinations

import numpy as np
from sqlalchemy.orm import Session

from nora.annotation.rois import Roi
from nora.archive.services import nodes
from nora.archive.services.access import Access
from nora.archive.storage import Layout
from nora.core.errors import NoraError
from nora.imaging.roi import resample_to, same_grid
from nora.reading.analysis.masks import mask_agreement, summarise_pairs
from nora.reading.analysis.schemas import AgreementOut, RoiItemAnalysis
from nora.reading.forms import Form, RoiItem
from nora.reading.results import ResultRow
from nora.reading.targets import roi_of

Pair = tuple[str, str]


def _on_grid(roi: Roi, like: Roi) -> Roi:
    if same_grid(roi.mask.shape, roi.affine, like.mask.shape, like.affine):
        return roi
    shape = (like.mask.shape[0], like.mask.shape[1], like.mask.shape[2])
    values = resample_to(roi.mask.astype(np.uint8), roi.affine, shape, like.affine, order=0)
    return Roi(np.nan_to_num(values) > 0.5, like.affine)


def reader_pairs(readers: Sequence[str], reference: str | None) -> list[Pair]:
    """Every pair of ``readers`` (in order), or with a ``reference`` reader each reader against it."""
    if reference is not None:
        return [(reference, r) for r in readers if r != reference]
    return list(combinations(readers, 2))


def _compare(
    session: Session,
    access: Access,
    layout: Layout,
    cases: dict[str, dict[str, ResultRow]],
    reference: str | None,
    notes: list[str],
) -> Iterator[tuple[str, AgreementOut, AgreementOut]]:
    for case, by_reader in sorted(cases.items()):
        masks: dict[str, Roi] = {}
        for reader, row in sorted(by_reader.items()):
            try:
                study = nodes.get_study(session, access, row.pid, row.sid)
                masks[reader] = roi_of(session, access, layout, study, row.value)
            except NoraError as exc:
                notes.append(f"{case}, {reader}: {exc.message}")
        for a, b in reader_pairs(sorted(masks), reference):
            if a in masks and b in masks:
                mb = _on_grid(masks[b], masks[a])
                yield (case, *mask_agreement(masks[a].mask, masks[a].affine, mb.mask, mb.affine, raters=(a, b)))


def roi_agreement(
    session: Session,
    access: Access,
    layout: Layout,
    form: Form,
    rows: Sequence[ResultRow],
    *,
    reference_reader: str | None = None,
) -> list[RoiItemAnalysis]:
    """The Dice / HD95 analysis of every ``roi`` item of ``form`` over the current answers ``rows``."""
    out = []
    for item in (i for i in form.answerable if isinstance(i, RoiItem)):
        for arm, cases in attached_by_arm(rows, item.name):
            notes: list[str] = []
            pairs = summarise_pairs(_compare(session, access, layout, cases, reference_reader, notes))
            out.append(RoiItemAnalysis(item=item.name, arm=arm, reference=reference_reader, pairs=pairs, notes=notes))
    return out


def attached_by_arm(rows: Sequence[ResultRow], item: str) -> list[tuple[str, dict[str, dict[str, ResultRow]]]]:
    """The attached annotations of ``item`` (first repetitions) by arm, then case, then reader."""
    by_arm: dict[str, dict[str, dict[str, ResultRow]]] = defaultdict(lambda: defaultdict(dict))
    for r in rows:
        if r.item == item and r.repetition == 1 and r.value:
            by_arm[r.arm or r.stage][r.case][r.reader] = r
    return sorted(by_arm.items())
