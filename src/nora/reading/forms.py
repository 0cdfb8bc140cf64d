"""The reading form: its elements, validated when a reading is saved, and the answers checked against it.

A form is ``{"title": ..., "items": [...]}``; each item has a ``type``:

=========== ==================================================================================
radio       one of ``options`` (``{"value", "label"}``); ``useastag`` makes the answer a study tag
checkbox    without ``options`` one yes/no box (``1``/``0``); with them any of the options (``a;b``);
            ``useastag`` makes each checked option a study tag
select      one of ``options`` from a drop-down list
number      a number, with optional ``min``, ``max`` and ``step``
text        free text (``multiline``, ``maxlength``)
slider      a number between ``min`` and ``max`` in ``step``\\ s (``minLabel``/``maxLabel`` at the ends)
likert      one point of a scale ``min`` .. ``max`` (default 1..5), ``labels`` one per point
date        a date (ISO ``YYYY-MM-DD``), optional ``min``/``max``
roi         an ROI drawn with the ROI tool (``roi``: its name, ``colour``); the answer is its saved version
markers     a marker set placed with the marker tool (``markers``, ``markerType``, ``color``); likewise
section     a heading (``title``, ``text``); it takes no answer
=========== ==================================================================================

Every item but a section has a ``name`` (the result's item), a ``label``, ``required`` and an optional
``shortcut`` number 0-19 (keys 0-9, and Shift/Ctrl/CapsLock + 0-9 for 10-19). A case is done when every
required item has an answer (when no item is required: when any item has one).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

from nora.archive.services.tags import check_tags
from nora.core.errors import InvalidInput, validation_problems

Name = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,127}$")]
Label = Annotated[str, StringConstraints(max_length=2000)]
#: a tag-safe option value: no white space, ``/ , & * %`` (they are syntax in the selection language)
OptionValue = Annotated[str, StringConstraints(pattern=r"^[^\x00-\x1f\x7f/,&;\s*%]{1,128}$")]
Shortcut = Annotated[int, Field(ge=0, le=19)]
Flag = bool | Literal[0, 1]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Option(_Strict):
    value: OptionValue
    label: Label = ""


class _Item(_Strict):
    name: Name
    label: Label = ""
    help: Label = ""
    required: Flag = False
    shortcut: Shortcut | None = None


def _unique_options(options: list[Option], where: str) -> None:
    values = [o.value for o in options]
    doubled = sorted({v for v in values if values.count(v) > 1})
    if doubled:
        raise ValueError(f"{where}: option values must differ; {', '.join(doubled)} appear more than once")


class _Choice(_Item):
    options: list[Option] = Field(min_length=1, max_length=200)

    @model_validator(mode="after")
    def _check(self) -> _Choice:
        _unique_options(self.options, "options")
        return self


class Radio(_Choice):
    type: Literal["radio"]
    useastag: Flag = False


class Select(_Choice):
    type: Literal["select"]


class Checkbox(_Item):
    type: Literal["checkbox"]
    options: list[Option] = Field(default_factory=list, max_length=200)
    useastag: Flag = False

    @model_validator(mode="after")
    def _check(self) -> Checkbox:
        _unique_options(self.options, "options")
        if self.useastag and not self.options:
            raise ValueError("useastag on a checkbox needs options: each checked option's value becomes a tag")
        return self


class _Range(_Item):
    min: float | None = None
    max: float | None = None
    step: float | None = Field(None, gt=0)

    @model_validator(mode="after")
    def _check(self) -> _Range:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min:g}) is larger than max ({self.max:g})")
        return self


class Number(_Range):
    type: Literal["number"]


class Slider(_Range):
    type: Literal["slider"]
    min: float | None = 0
    max: float | None = 100
    step: float | None = Field(1, gt=0)
    minLabel: Label = ""  # noqa: N815 - NORA's JSON names
    maxLabel: Label = ""  # noqa: N815


class Likert(_Item):
    type: Literal["likert"]
    min: int = 1
    max: int = 5
    labels: list[Label] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check(self) -> Likert:
        if not self.min < self.max <= self.min + 20:
            raise ValueError(f"a Likert scale needs min < max with at most 21 points, not {self.min}..{self.max}")
        if self.labels and len(self.labels) != self.max - self.min + 1:
            raise ValueError(f"labels: give one label per point ({self.max - self.min + 1}), not {len(self.labels)}")
        return self


class Text(_Item):
    type: Literal["text"]
    multiline: Flag = False
    maxlength: int = Field(2000, ge=1, le=100_000)


class Date(_Item):
    type: Literal["date"]
    min: dt.date | None = None
    max: dt.date | None = None


Colour = Annotated[str, StringConstraints(pattern=r"^#[0-9a-fA-F]{6}$")]


class RoiItem(_Item):
    """An ROI the reader draws on the case with the ROI tool; the answer is its saved version, attached."""

    type: Literal["roi"]
    #: the ROI's name (default: the item's); each reader draws their own, ``NAME_<reader>``
    roi: Name | None = None
    colour: Colour = "#ff3b30"


class MarkersItem(_Item):
    """A marker set the reader places on the case with the marker tool; the answer is its saved version."""

    type: Literal["markers"]
    #: the marker set's name (default: the item's); each reader places their own, ``NAME_<reader>``
    markers: Name | None = None
    markerType: Literal["pointset", "freeline"] = "pointset"  # noqa: N815
    color: Colour = "#ffcc00"


class Section(_Strict):
    type: Literal["section"]
    title: Label = ""
    text: Label = ""


Answerable = Radio | Select | Checkbox | Number | Slider | Likert | Text | Date | RoiItem | MarkersItem
AnnotationItem = RoiItem | MarkersItem
Element = Annotated[Answerable | Section, Field(discriminator="type")]


class Form(_Strict):
    """A validated reading form."""

    title: Label = ""
    items: list[Element] = Field(default_factory=list, max_length=500)

    @model_validator(mode="after")
    def _check(self) -> Form:
        names = [i.name for i in self.answerable]
        doubled = sorted({n for n in names if names.count(n) > 1})
        if doubled:
            raise ValueError(f"item names must differ; {', '.join(doubled)} appear more than once")
        keys = [i.shortcut for i in self.answerable if i.shortcut is not None]
        clashing = sorted({k for k in keys if keys.count(k) > 1})
        if clashing:
            raise ValueError(f"shortcut numbers must differ; {', '.join(map(str, clashing))} are used twice")
        return self

    @property
    def answerable(self) -> list[Answerable]:
        return [i for i in self.items if not isinstance(i, Section)]

    def item(self, name: str) -> Answerable:
        for i in self.answerable:
            if i.name == name:
                return i
        raise InvalidInput(f"the form has no item {name!r}; its items: {', '.join(self.names) or 'none'}")

    @property
    def names(self) -> list[str]:
        return [i.name for i in self.answerable]

    @property
    def required(self) -> list[str]:
        return [i.name for i in self.answerable if i.required]


def problems(model: type[BaseModel], raw: object, prefix: str) -> list[tuple[str, str]]:
    """``(where, what)`` for every problem of ``raw`` as ``model`` (empty: valid); ``where`` is a dotted path."""
    try:
        model.model_validate(raw)
    except ValidationError as exc:
        out = []
        for e in exc.errors():
            where = ".".join(p for p in [prefix, *(str(p) for p in e.get("loc", ()))] if p)
            out.append((where, validation_problems([{**e, "loc": ()}])))
        return out
    return []


# ------------------------------------------------------------------------------------------- answers


def _number(item: Answerable, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise InvalidInput(f"{item.name}: a number is expected, not {value!r}")
    try:
        number = float(value)
    except ValueError:
        raise InvalidInput(f"{item.name}: a number is expected, not {value!r}") from None
    if not math.isfinite(number):
        raise InvalidInput(f"{item.name}: a finite number is expected, not {value!r}")
    return number


def _in_range(item: Number | Slider | Likert, number: float) -> str:
    low, high = item.min, item.max
    if (low is not None and number < low) or (high is not None and number > high):
        raise InvalidInput(f"{item.name}: {number:g} is outside {low if low is not None else '-inf'}..{high}")
    step = getattr(item, "step", None) if not isinstance(item, Likert) else 1
    if step:
        steps = (number - (low or 0)) / step
        if abs(steps - round(steps)) > 1e-9 * max(1.0, abs(steps)):
            raise InvalidInput(f"{item.name}: {number:g} is not on the steps of {step:g} from {low or 0:g}")
    return f"{number:g}" if number != int(number) or abs(number) >= 1e15 else str(int(number))


def _choice(item: Radio | Select, value: Any) -> str:
    text = str(value)
    allowed = [o.value for o in item.options]
    if text not in allowed:
        raise InvalidInput(f"{item.name}: {text!r} is not one of its options ({', '.join(allowed)})")
    return text


def _checkbox(item: Checkbox, value: Any) -> str:
    if not item.options:
        if value in (True, 1, "1", "true"):
            return "1"
        if value in (False, 0, "0", "false"):
            return "0"
        raise InvalidInput(f"{item.name}: a yes/no box takes true or false, not {value!r}")
    chosen = value if isinstance(value, list) else [v for v in str(value).split(";") if v]
    allowed = [o.value for o in item.options]
    wrong = [str(v) for v in chosen if str(v) not in allowed]
    if wrong:
        raise InvalidInput(f"{item.name}: {', '.join(wrong)} not among its options ({', '.join(allowed)})")
    return ";".join(v for v in allowed if v in {str(c) for c in chosen})


def answer_text(item: Answerable, value: Any) -> str:
    """The stored text of an answer to ``item``; "" takes an answer back. :class:`InvalidInput` if it does not fit."""
    if value is None or value == "" or value == []:
        return ""
    if isinstance(item, Radio | Select):
        return _choice(item, value)
    if isinstance(item, Checkbox):
        return _checkbox(item, value)
    if isinstance(item, Number | Slider | Likert):
        return _in_range(item, _number(item, value))
    if isinstance(item, Date):
        try:
            day = dt.date.fromisoformat(str(value))
        except ValueError:
            raise InvalidInput(f"{item.name}: a date YYYY-MM-DD is expected, not {value!r}") from None
        if (item.min and day < item.min) or (item.max and day > item.max):
            raise InvalidInput(f"{item.name}: {day} is outside {item.min or '...'}..{item.max or '...'}")
        return day.isoformat()
    if isinstance(item, RoiItem | MarkersItem):
        raise InvalidInput(f"{item.name}: an annotation is attached by the reading (send true), not given as text")
    if not isinstance(value, str):
        raise InvalidInput(f"{item.name}: text is expected, not {value!r}")
    if len(value) > item.maxlength:
        raise InvalidInput(f"{item.name}: at most {item.maxlength} characters, not {len(value)}")
    return value


def answer_tags(item: Answerable, text: str) -> tuple[list[str], list[str]]:
    """``(add, remove)``: the study tags an answer of a ``useastag`` item sets and takes away."""
    if not isinstance(item, Radio | Checkbox) or not item.useastag:
        return [], []
    chosen = set(text.split(";")) if text else set()
    values = [o.value for o in item.options]
    return check_tags([v for v in values if v in chosen]), check_tags([v for v in values if v not in chosen])
