"""Marker agreement of the marker sets readers attached to a reading's ``markers`` items, for the analysis.

Per ``markers`` item and arm (the crossover arm, or the stage), every pair of readers is compared on the
cases both attached a marker set for (their first repetition; an attached empty set is a case with no
findings); with a reference reader, each reader against the reference instead. The sets are the attached
versions (``PATH@VERSION``: :mod:`nora.reading.targets`); their markers are matched one to one within the
request's tolerance in mm, by name too where asked (:mod:`nora.reading.analysis.markers`). A set that
cannot be read (its version gone) is left out and named in the item's notes. ``freeline`` items are not
matched: their points are the waypoints of a line, not findings.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from sqlalchemy.orm import Session

from nora.archive.services import nodes
from nora.archive.services.access import Access
from nora.archive.storage import Layout
from nora.core.errors import NoraError
from nora.reading.analysis.markers import DEFAULT_TOLERANCE_MM, Marker, marker_case, summarise_marker_pairs
from nora.reading.analysis.schemas import MarkerCase, MarkerItemAnalysis
from nora.reading.forms import Form, MarkersItem
from nora.reading.results import ResultRow
from nora.reading.roiagreement import Pair, attached_by_arm, reader_pairs
from nora.reading.targets import markers_of


def _compare(
    session: Session,
    access: Access,
    layout: Layout,
    cases: dict[str, dict[str, ResultRow]],
    options: tuple[str | None, float, bool],
    notes: list[str],
) -> Iterator[tuple[Pair, MarkerCase]]:
    reference, tolerance, by_label = options
    for case, by_reader in sorted(cases.items()):
        sets: dict[str, list[Marker]] = {}
        for reader, row in sorted(by_reader.items()):
            try:
                study = nodes.get_study(session, access, row.pid, row.sid)
                doc = markers_of(session, access, layout, study, row.value)
            except NoraError as exc:
                notes.append(f"{case}, {reader}: {exc.message}")
                continue
            sets[reader] = [Marker(p.name, p.x, p.y, p.z) for p in doc.points]
        for a, b in reader_pairs(sorted(sets), reference):
            if a in sets and b in sets:
                yield (a, b), marker_case(case, sets[a], sets[b], tolerance=tolerance, by_label=by_label)


def marker_agreement(
    session: Session,
    access: Access,
    layout: Layout,
    form: Form,
    rows: Sequence[ResultRow],
    *,
    reference_reader: str | None = None,
    tolerance_mm: float = DEFAULT_TOLERANCE_MM,
    by_label: bool = False,
) -> list[MarkerItemAnalysis]:
    """The marker matching of every ``markers`` item of ``form`` over the current answers ``rows``."""
    out = []
    for item in (i for i in form.answerable if isinstance(i, MarkersItem)):
        for arm, cases in attached_by_arm(rows, item.name):
            notes: list[str] = []
            pairs = []
            if item.markerType == "freeline":
                notes.append(f"{item.name} is a freeline: its waypoints are not matched")
            else:
                options = (reference_reader, tolerance_mm, by_label)
                pairs = summarise_marker_pairs(_compare(session, access, layout, cases, options, notes))
            out.append(
                MarkerItemAnalysis(
                    item=item.name,
                    arm=arm,
                    reference=reference_reader,
                    tolerance_mm=tolerance_mm,
                    by_label=by_label,
                    pairs=pairs,
                    notes=notes,
                )
            )
    return out
