"""A reading's results analysed for its admins: the form's items as analysis kinds, the results as answers.

Form elements map to analysis kinds as docs/reading-analysis.md says: radio, select and checkbox items are
categorical, Likert and slider scales ordinal (a Likert scale's points are its levels, in order), number
items numeric; text, dates and sections are not analysed. The arm of an answer is its crossover arm, or
its stage where the reading has none; ``roi`` items get Dice and HD95 between the readers' attached ROIs
(:mod:`nora.reading.roiagreement`), ``markers`` items the readers' markers matched one to one within a
tolerance in mm (:mod:`nora.reading.markeragreement`). The analysis reads everyone's answers, so it is for the reading's
admins (readers of a blind reading never see others' answers).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy.orm import Session

from nora.archive.services.access import Access
from nora.archive.storage import Layout
from nora.core.errors import InvalidInput
from nora.reading.analysis.markers import DEFAULT_TOLERANCE_MM
from nora.reading.analysis.mrmc import CovarianceMethod
from nora.reading.analysis.reference import parse_reference_csv
from nora.reading.analysis.schemas import Answer, ItemSpec, ReadingAnalysis
from nora.reading.analysis.study import analyse_reading
from nora.reading.forms import Checkbox, Form, Likert, Number, Radio, Select, Slider
from nora.reading.markeragreement import marker_agreement
from nora.reading.results import result_rows
from nora.reading.roiagreement import roi_agreement
from nora.reading.service import Readings


def item_specs(form: Form, positive: Mapping[str, Sequence[str]] | None = None) -> list[ItemSpec]:
    """The analysed items of ``form``; ``positive`` names, per item, the answers that mean "finding present"."""
    positive = dict(positive or {})
    known = {i.name for i in form.answerable}
    unknown = sorted(set(positive) - known)
    if unknown:
        raise InvalidInput(f"positive values for items the form does not have: {', '.join(unknown)}")
    specs: list[ItemSpec] = []
    for item in form.answerable:
        chosen = list(positive[item.name]) if item.name in positive else None
        if isinstance(item, Radio | Select | Checkbox):
            specs.append(ItemSpec(name=item.name, kind="categorical", positive=chosen))
        elif isinstance(item, Likert):
            levels = [str(v) for v in range(item.min, item.max + 1)]
            specs.append(ItemSpec(name=item.name, kind="ordinal", levels=levels, positive=chosen))
        elif isinstance(item, Slider):
            if chosen is not None:
                raise InvalidInput(f"item {item.name!r}: a slider has no positive values (give a reference instead)")
            specs.append(ItemSpec(name=item.name, kind="ordinal"))
        elif isinstance(item, Number):
            specs.append(ItemSpec(name=item.name, kind="numeric"))
    return specs


def analyse(
    session: Session,
    access: Access,
    layout: Layout,
    name: str,
    *,
    reference_csv: str | None = None,
    reference_reader: str | None = None,
    covariance: CovarianceMethod = "jackknife",
    positive: Mapping[str, Sequence[str]] | None = None,
    marker_tolerance_mm: float = DEFAULT_TOLERANCE_MM,
    markers_by_label: bool = False,
) -> ReadingAnalysis:
    """Agreement, accuracy and the MRMC analysis of reading ``name``'s current answers (its admins only)."""
    readings = Readings(session, access)
    reading = readings.get(name)
    readings.require_admin(reading)
    rows = result_rows(session, reading.id)
    answers = [
        Answer(reader=r.reader, arm=r.arm or r.stage, case=r.case, item=r.item, value=r.value, repetition=r.repetition)
        for r in rows
    ]
    reference = parse_reference_csv(reference_csv) if reference_csv and reference_csv.strip() else None
    result = analyse_reading(
        answers,
        item_specs(reading.definition.form, positive),
        reference=reference,
        reference_reader=reference_reader or None,
        covariance=covariance,
    )
    form = reading.definition.form
    rois = roi_agreement(session, access, layout, form, rows, reference_reader=reference_reader)
    marks = marker_agreement(
        session,
        access,
        layout,
        form,
        rows,
        reference_reader=reference_reader,
        tolerance_mm=marker_tolerance_mm,
        by_label=markers_by_label,
    )
    return result.model_copy(update={"rois": rois, "markers": marks})
