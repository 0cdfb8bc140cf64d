"""What kind of series a group of instances is: image, localiser or a non-image object, and its geometry.

Non-image objects (structured reports, segmentations, RT objects, encapsulated PDFs, presentation states,
key object selections, raw data) cannot become NIfTI volumes; the importer keeps or lists them. Slice
positions along the slice normal reveal uneven spacing and missing slices before conversion.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from nora.dicom.scan import Series

#: SOP class UID prefixes of objects that are not images, with a short label
_NON_IMAGE = (
    ("1.2.840.10008.5.1.4.1.1.88.", "SR"),
    ("1.2.840.10008.5.1.4.1.1.66.4", "SEG"),
    ("1.2.840.10008.5.1.4.1.1.66", "RAW"),
    ("1.2.840.10008.5.1.4.1.1.481.", "RT"),
    ("1.2.840.10008.5.1.4.1.1.104.", "PDF"),
    ("1.2.840.10008.5.1.4.1.1.11.", "PR"),
    ("1.2.840.10008.5.1.4.1.1.9.", "ECG"),
    ("1.2.840.10008.5.1.4.1.1.66.5", "SURFACE"),
)
_LOCALISER_WORDS = ("localizer", "localiser", "scout", "survey", "aahscout", "topogram")


@dataclass(frozen=True)
class Geometry:
    """Slice spacing of a single-frame series: ``gaps`` lists indices after which a slice is missing."""

    n_slices: int
    spacing: float | None
    uneven: bool
    gaps: tuple[int, ...]


def non_image_kind(series: Series) -> str | None:
    """A label (``SR``, ``SEG``, ``RT``, ``PDF`` ...) for a series of non-image objects, else None."""
    sop_class = series.first.sop_class
    for prefix, label in _NON_IMAGE:
        if sop_class.startswith(prefix):
            return label
    if not any(i.has_pixels for i in series.instances) or series.first.modality in {"SR", "KO", "PR", "DOC"}:
        return series.first.modality or "OBJECT"
    return None


def is_localiser(series: Series) -> bool:
    first = series.first
    if "LOCALIZER" in first.image_type:
        return True
    text = f"{first.series_description} {first.protocol}".lower()
    return any(word in text for word in _LOCALISER_WORDS)


def geometry(series: Series) -> Geometry | None:
    """Slice spacing along the normal for a single-frame stack in one orientation, else None."""
    stack = [i for i in series.instances if i.position is not None and i.orientation is not None]
    if len(stack) < 3 or len(stack) != len(series.instances) or any(i.frames > 1 for i in stack):
        return None
    orientations = {tuple(round(v, 4) for v in i.orientation or ()) for i in stack}
    if len(orientations) != 1:
        return None
    o = stack[0].orientation
    assert o is not None
    normal = (o[1] * o[5] - o[2] * o[4], o[2] * o[3] - o[0] * o[5], o[0] * o[4] - o[1] * o[3])
    echoes = {i.echo_number for i in stack}
    if len(echoes) > 1:  # one echo's positions stand for all of them
        stack = [i for i in stack if i.echo_number == min(e or 0 for e in echoes)]
    dist = sorted({round(sum(p * n for p, n in zip(i.position or (), normal, strict=True)), 3) for i in stack})
    if len(dist) < 3:
        return None
    steps = [b - a for a, b in zip(dist, dist[1:], strict=False)]
    spacing = sorted(steps)[len(steps) // 2]
    if spacing <= 0:
        return None
    uneven = any(not math.isclose(s, spacing, rel_tol=0.05, abs_tol=0.01) for s in steps)
    gaps = tuple(k for k, s in enumerate(steps) if s > spacing * 1.5)
    return Geometry(len(dist), spacing, uneven, gaps)
