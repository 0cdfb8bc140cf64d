"""De-identification of JSON sidecars and of DICOM files kept as originals in anonymised projects.

Kept originals get DICOM PS3.15's Basic Application Level Confidentiality Profile
(:mod:`nora.dicom.confidentiality`, Table E.1-1): identifying attributes removed, emptied or replaced,
private attributes removed, every UID the table lists replaced by one derived from it with a keyed hash
(so the same original UID always maps to the same new one in a project: a study's instances, later
series of the same study and references between objects stay consistent), the pseudonym as PatientID and
PatientName. Dates and times follow the project's ``anonymised_dates`` setting (:data:`DATE_MODES`):

- ``shift`` (Retain Longitudinal Temporal Information with Modified Dates Option): every date (DA, and the
  date part of DT) moved back by a whole number of days fixed per patient, so intervals stay true; times
  of day kept;
- ``remove``: dates and times follow the basic profile (emptied or removed), and dates and times the table
  does not list are removed too;
- ``keep`` (Retain Longitudinal Temporal Information with Full Dates Option): dates and times kept.

The birth date and time are emptied/removed in every mode. Pixel data is not examined (burnt-in text is
not removed; the profile's Clean Pixel Data Option is not offered).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from nora.dicom.confidentiality import action, resolve

DateMode = Literal["shift", "remove", "keep"]
DATE_MODES: tuple[DateMode, ...] = ("shift", "remove", "keep")
TEMPORAL_VRS = ("DA", "DT", "TM")
#: identifying temporal attributes, de-identified as the table says whatever the dates mode
_ALWAYS_PROFILE = {0x00100030, 0x00100032, 0x001021D0}  # PatientBirthDate, PatientBirthTime, LastMenstrualDate
_DUMMY = "ANONYMOUS"
#: CID 7050 codes naming what was applied (DeidentificationMethodCodeSequence)
_METHOD_CODES: dict[DateMode, list[tuple[str, str]]] = {
    "shift": [("113100", "Basic Application Confidentiality Profile"),
              ("113107", "Retain Longitudinal Temporal Information Modified Dates Option")],
    "remove": [("113100", "Basic Application Confidentiality Profile")],
    "keep": [("113100", "Basic Application Confidentiality Profile"),
             ("113106", "Retain Longitudinal Temporal Information Full Dates Option")],
}  # fmt: skip
_LONGITUDINAL = {"shift": "MODIFIED", "remove": "REMOVED", "keep": "UNMODIFIED"}

#: DICOM keywords removed from sidecars (dcm2niix's BIDS names are DICOM keywords)
IDENTIFYING = (
    "PatientName",
    "PatientID",
    "PatientBirthDate",
    "PatientBirthTime",
    "OtherPatientIDs",
    "OtherPatientNames",
    "PatientAddress",
    "InstitutionName",
    "InstitutionAddress",
    "InstitutionalDepartmentName",
    "ReferringPhysicianName",
    "PerformingPhysicianName",
    "OperatorsName",
    "StationName",
    "DeviceSerialNumber",
    "AccessionNumber",
    "ProcedureStepDescription",
)
#: sidecar date fields (BIDS ``AcquisitionDateTime`` and DICOM dates some converters copy)
_SIDECAR_DATES = ("AcquisitionDateTime", "AcquisitionDate", "StudyDate", "SeriesDate", "ContentDate")
_SIDECAR_TIMES = ("AcquisitionTime", "StudyTime", "SeriesTime", "ContentTime")


@dataclass(frozen=True)
class Pseudonymiser:
    """How one patient's originals are de-identified: pseudonym, UID key, dates mode and date shift."""

    pseudonym: str
    key: bytes = field(repr=False)  # keyed-hash key of the project's UIDs
    dates: DateMode = "shift"
    shift_days: int = 0  # days added to every date in ``shift`` mode (negative: back in time)

    def __post_init__(self) -> None:
        if self.dates not in DATE_MODES:
            raise ValueError(f"dates mode {self.dates!r}: use one of {', '.join(DATE_MODES)}")
        if not self.key:
            raise ValueError("a pseudonymiser needs its UID key")

    def uid(self, original: str) -> str:
        """The replacement of a UID: ``2.25.`` and a 128-bit keyed hash of it (the same in every import)."""
        digest = hmac.new(self.key, original.strip().rstrip("\x00").encode(), hashlib.sha256).digest()
        return f"2.25.{int.from_bytes(digest[:16], 'big')}"

    def date(self, value: str) -> str | None:
        """A DA (or the date part of a DT) as this mode stores it; None: remove the attribute."""
        if self.dates == "keep":
            return value
        if self.dates == "remove":
            return None
        try:
            day = dt.datetime.strptime(value[:8], "%Y%m%d").date()
        except ValueError:  # a date that cannot be shifted must not stay as it is
            return None
        return (day + dt.timedelta(days=self.shift_days)).strftime("%Y%m%d") + value[8:]

    def study_date(self, value: str) -> str:
        """A study's date as folder names and the study row show it: shifted, empty when removed."""
        if not value:
            return ""
        return self.date(value) or ""

    # -- applying the profile --------------------------------------------------------------------------

    def apply(self, ds: Dataset) -> None:
        """De-identify ``ds`` in place (its file meta too)."""
        self._clean(ds)
        meta = getattr(ds, "file_meta", None)
        if meta is not None and "MediaStorageSOPInstanceUID" in meta:
            meta.MediaStorageSOPInstanceUID = self.uid(str(meta.MediaStorageSOPInstanceUID))
        ds.PatientID = self.pseudonym
        ds.PatientName = self.pseudonym
        ds.PatientIdentityRemoved = "YES"
        ds.LongitudinalTemporalInformationModified = _LONGITUDINAL[self.dates]
        ds.DeidentificationMethod = f"nora: DICOM PS3.15 basic profile, dates {self.dates}"
        codes = []
        for value, meaning in _METHOD_CODES[self.dates]:
            item = Dataset()
            item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = value, "DCM", meaning
            codes.append(item)
        ds.DeidentificationMethodCodeSequence = Sequence(codes)

    def _clean(self, ds: Dataset) -> None:
        for elem in list(ds):
            tag = int(elem.tag)
            todo = self._action(elem, tag)
            if todo == "X":
                del ds[elem.tag]
            elif todo == "Z":
                elem.value = Sequence([]) if elem.VR == "SQ" else ""
            elif todo == "D" and elem.VR != "SQ":
                elem.value = _dummy(elem)
            elif todo == "U":
                elem.value = _map(elem.value, self.uid)
            elif todo == "shift":
                shifted = _map(elem.value, self.date)
                if shifted is None:
                    del ds[elem.tag]
                else:
                    elem.value = shifted
            if todo not in ("X", "Z") and elem.VR == "SQ":  # K, D and U* sequences: clean their items
                for item in elem.value:
                    self._clean(item)

    def _action(self, elem: DataElement, tag: int) -> str:
        """What happens to ``elem``: X, Z, D, U, K (with sequences cleaned) or ``shift``."""
        profile = action(tag)
        if elem.tag.is_private or elem.VR not in TEMPORAL_VRS or tag in _ALWAYS_PROFILE:
            return resolve(profile)
        if self.dates == "keep":
            return "K"
        if self.dates == "shift":
            return "K" if elem.VR == "TM" else "shift"
        return resolve(profile) if profile != "K" else "X"  # remove: dates the table does not list go too


def _map(value: Any, fn: Any) -> Any:
    """``fn`` applied to a single or multi-valued element's values (None when any value is dropped)."""
    if value is None or value == "":
        return value
    if isinstance(value, str):
        return fn(value)
    mapped = [fn(str(v)) for v in value]
    return None if any(m is None for m in mapped) else mapped


def _dummy(elem: DataElement) -> Any:
    if elem.VR in ("PN", "LO", "SH", "LT", "ST", "UT", "UC", "CS", "AE"):
        return _DUMMY[:16] if elem.VR in ("SH", "CS", "AE") else _DUMMY
    if elem.VR in ("IS", "DS", "US", "SS", "UL", "SL", "FL", "FD"):
        return 0
    return ""


def deidentify_sidecar(sidecar: dict[str, Any], pseudonymiser: Pseudonymiser | None = None) -> dict[str, Any]:
    """A copy of a dcm2niix sidecar without identifying fields, its dates as the dates mode says.

    Without a pseudonymiser (or in ``remove`` mode) dates go; ``shift`` moves them like the originals'.
    """
    out = {k: v for k, v in sidecar.items() if k not in IDENTIFYING}
    mode = pseudonymiser.dates if pseudonymiser is not None else "remove"
    for key in _SIDECAR_DATES if mode != "keep" else ():
        if key not in out:
            continue
        shifted = _sidecar_date(str(out[key]), pseudonymiser) if pseudonymiser is not None else None
        if shifted is None:
            del out[key]
        else:
            out[key] = shifted
    if mode == "remove":
        for key in _SIDECAR_TIMES:
            out.pop(key, None)
    return out


def _sidecar_date(value: str, pseudonymiser: Pseudonymiser) -> str | None:
    """A sidecar date (``2023-04-05T10:11:12``, BIDS style, or ``20230405``) shifted; None: drop it."""
    iso = len(value) >= 10 and value[4] == "-" and value[7] == "-"
    shifted = pseudonymiser.date(value[:10].replace("-", "") if iso else value)
    if shifted is None or not iso:
        return shifted
    return f"{shifted[:4]}-{shifted[4:6]}-{shifted[6:8]}{value[10:]}"


def deidentify_file(src: Path, dest: Path, pseudonymiser: Pseudonymiser) -> None:
    """Write a copy of ``src`` to ``dest`` de-identified by the basic profile (see the module's docstring)."""
    import pydicom

    ds = pydicom.dcmread(src)
    for tag in [elem.tag for elem in ds if elem.tag.group == 0]:  # command elements do not belong in files
        del ds[tag]
    pseudonymiser.apply(ds)
    ds.save_as(dest, enforce_file_format=False)
