"""C-FIND queries: validated search keys and the identifiers sent to a PACS.

Names use DICOM's ``^`` between family and given name (``Doe^John``); ``*`` and ``?`` are wildcards;
dates are ``YYYYMMDD``, a range ``YYYYMMDD-YYYYMMDD`` (either end may be left open) or ``*``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from pydicom.dataset import Dataset
from pydicom.multival import MultiValue

from nora.core.errors import InvalidInput

LEVELS = ("PATIENT", "STUDY", "SERIES")

#: keys returned per level (asked for with an empty value)
RETURN_KEYS: dict[str, tuple[str, ...]] = {
    "PATIENT": ("PatientName", "PatientID", "PatientBirthDate", "PatientSex", "NumberOfPatientRelatedStudies"),
    "STUDY": (
        "PatientName",
        "PatientID",
        "PatientBirthDate",
        "PatientSex",
        "StudyInstanceUID",
        "StudyDate",
        "StudyTime",
        "StudyDescription",
        "AccessionNumber",
        "StudyID",
        "ModalitiesInStudy",
        "NumberOfStudyRelatedSeries",
        "NumberOfStudyRelatedInstances",
    ),
    "SERIES": (
        "StudyInstanceUID",
        "SeriesInstanceUID",
        "Modality",
        "SeriesNumber",
        "SeriesDescription",
        "SeriesDate",
        "NumberOfSeriesRelatedInstances",
    ),
}

_DATE = r"\d{8}"
_DATE_QUERY = re.compile(rf"^(\*|{_DATE}|{_DATE}-|-{_DATE}|{_DATE}-{_DATE})$")
_UID = re.compile(r"^[0-9][0-9.]{0,63}$")
_MODALITY = re.compile(r"^[A-Z0-9*?]{1,16}$")


def _check_text(value: str, what: str, limit: int = 64) -> str:
    value = value.strip()
    if len(value) > limit or "\\" in value or any(ord(c) < 32 for c in value):
        raise InvalidInput(f"{what} {value[:80]!r}: at most {limit} characters, no backslash or control characters")
    return value


def _check_date(value: str, what: str) -> str:
    value = value.strip().replace(" ", "")
    if not value:
        return ""
    if not _DATE_QUERY.match(value):
        raise InvalidInput(f"{what} {value!r}: use YYYYMMDD, a range YYYYMMDD-YYYYMMDD (open ends allowed) or *")
    for part in filter(None, value.replace("*", "").split("-")):
        try:
            dt.datetime.strptime(part, "%Y%m%d")
        except ValueError:
            raise InvalidInput(f"{what} {value!r}: {part} is not a calendar date") from None
    return "" if value == "*" else value


@dataclass
class FindQuery:
    """One C-FIND at one level; every field is validated at construction."""

    level: str = "STUDY"
    patient_name: str = ""
    patient_id: str = ""
    birth_date: str = ""
    study_date: str = ""
    modality: str = ""
    study_description: str = ""
    accession_number: str = ""
    study_uid: str = ""

    def __post_init__(self) -> None:
        self.level = self.level.upper()
        if self.level not in LEVELS:
            raise InvalidInput(f"query level {self.level!r}: use one of {', '.join(LEVELS)}")
        self.patient_name = _check_text(self.patient_name, "patient name")
        self.patient_id = _check_text(self.patient_id, "patient ID")
        self.study_description = _check_text(self.study_description, "study description")
        self.accession_number = _check_text(self.accession_number, "accession number", 16)
        self.birth_date = _check_date(self.birth_date, "birth date")
        self.study_date = _check_date(self.study_date, "study date")
        self.modality = self.modality.strip().upper()
        if self.modality and not _MODALITY.match(self.modality):
            raise InvalidInput(f"modality {self.modality!r}: use a DICOM modality such as MR, CT or PT")
        self.study_uid = self.study_uid.strip()
        if self.study_uid and not _UID.match(self.study_uid):
            raise InvalidInput(f"study UID {self.study_uid!r}: digits and dots only")
        if self.level == "SERIES" and not self.study_uid:
            raise InvalidInput("a series-level query needs the study UID")

    @property
    def model(self) -> str:
        """The information model: patient root for patient-level queries, study root otherwise."""
        return "P" if self.level == "PATIENT" else "S"

    def identifier(self) -> Dataset:
        ds = Dataset()
        ds.QueryRetrieveLevel = self.level
        for key in RETURN_KEYS[self.level]:
            setattr(ds, key, "")
        if self.level != "SERIES":
            ds.PatientName = self.patient_name
            ds.PatientID = self.patient_id
            ds.PatientBirthDate = self.birth_date
        if self.level == "STUDY":
            ds.StudyDate = self.study_date
            ds.StudyDescription = self.study_description
            ds.AccessionNumber = self.accession_number
            ds.ModalitiesInStudy = self.modality
            ds.StudyInstanceUID = self.study_uid
        if self.level == "SERIES":
            ds.StudyInstanceUID = self.study_uid
            ds.Modality = self.modality
        return ds


def result_row(ds: Dataset, level: str) -> dict[str, Any]:
    """A C-FIND answer as plain JSON-able values (names as strings, multi-values as lists)."""
    row: dict[str, Any] = {}
    for key in RETURN_KEYS[level]:
        value = ds.get(key, "")
        if key == "ModalitiesInStudy":
            values = value if isinstance(value, MultiValue) else [value] if value else []
            row[key] = [str(v) for v in values if str(v)]
        elif key.startswith("NumberOf") or key == "SeriesNumber":
            row[key] = int(value) if str(value).strip().lstrip("-").isdigit() else None
        else:
            row[key] = "" if value is None else str(value)
    return row
