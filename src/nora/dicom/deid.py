"""De-identification of JSON sidecars and of DICOM files kept as originals.

The fields removed follow the spirit of DICOM PS3.15's basic profile for what a research archive needs:
names, IDs, birth dates, addresses, institutions, operators, physicians and device serial numbers. UIDs
stay (they key idempotent import); dates of the acquisition stay (research needs them).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

#: DICOM keywords removed from kept originals (and their sidecar names)
IDENTIFYING = (
    "PatientName",
    "PatientID",
    "PatientBirthDate",
    "PatientBirthTime",
    "OtherPatientIDs",
    "OtherPatientIDsSequence",
    "OtherPatientNames",
    "PatientBirthName",
    "PatientMotherBirthName",
    "PatientAddress",
    "PatientTelephoneNumbers",
    "MilitaryRank",
    "EthnicGroup",
    "PatientComments",
    "MedicalRecordLocator",
    "InstitutionName",
    "InstitutionAddress",
    "InstitutionalDepartmentName",
    "ReferringPhysicianName",
    "ReferringPhysicianAddress",
    "PerformingPhysicianName",
    "OperatorsName",
    "PhysiciansOfRecord",
    "NameOfPhysiciansReadingStudy",
    "RequestingPhysician",
    "StationName",
    "DeviceSerialNumber",
    "AccessionNumber",
    "RequestAttributesSequence",
)
_SIDECAR_EXTRA = ("InstitutionalDepartmentName", "StationName", "DeviceSerialNumber", "ProcedureStepDescription")


def deidentify_sidecar(sidecar: dict[str, Any]) -> dict[str, Any]:
    """A copy of a dcm2niix sidecar without identifying fields."""
    drop = set(IDENTIFYING) | set(_SIDECAR_EXTRA)
    return {k: v for k, v in sidecar.items() if k not in drop}


def deidentify_file(src: Path, dest: Path, pseudonym: str) -> None:
    """Write a copy of ``src`` to ``dest`` with identifying elements removed and the pseudonym as ID/name."""
    import pydicom

    ds = pydicom.dcmread(src)
    for tag in [elem.tag for elem in ds if elem.tag.group == 0]:  # command elements do not belong in files
        del ds[tag]
    for keyword in IDENTIFYING:
        if keyword in ds:
            delattr(ds, keyword)
    ds.PatientID = pseudonym
    ds.PatientName = pseudonym
    ds.PatientIdentityRemoved = "YES"
    ds.remove_private_tags()
    ds.save_as(dest, enforce_file_format=False)
