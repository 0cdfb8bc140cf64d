"""What an import did: the report returned to callers, stored with the job and shown in the page."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class ConvertedSeries:
    study: str  # PID#SID
    name: str
    series_uid: str
    n_instances: int
    paths: list[str]
    notes: list[str] = field(default_factory=list)


@dataclass
class FailedSeries:
    study: str
    name: str
    series_uid: str
    reason: str


@dataclass
class KeptObject:
    """A non-image object (SR, SEG, RT, PDF ...): kept as DICOM in the study, or only listed."""

    study: str
    name: str
    kind: str
    n_instances: int
    paths: list[str]


@dataclass
class ImportReport:
    job_id: int | None = None
    studies_created: list[str] = field(default_factory=list)
    studies_updated: list[str] = field(default_factory=list)
    converted: list[ConvertedSeries] = field(default_factory=list)
    not_converted: list[FailedSeries] = field(default_factory=list)
    objects: list[KeptObject] = field(default_factory=list)
    extra_files: list[str] = field(default_factory=list)
    duplicates_skipped: int = 0
    ignored_files: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ImportReport:
        return cls(
            job_id=data.get("job_id"),
            studies_created=list(data.get("studies_created", [])),
            studies_updated=list(data.get("studies_updated", [])),
            converted=[ConvertedSeries(**c) for c in data.get("converted", [])],
            not_converted=[FailedSeries(**c) for c in data.get("not_converted", [])],
            objects=[KeptObject(**c) for c in data.get("objects", [])],
            extra_files=list(data.get("extra_files", [])),
            duplicates_skipped=int(data.get("duplicates_skipped", 0)),
            ignored_files=list(data.get("ignored_files", [])),
            warnings=list(data.get("warnings", [])),
        )

    def summary(self) -> str:
        """One line for the job message and the CLI."""
        parts = [
            f"{len(self.studies_created)} studies created",
            f"{len(self.studies_updated)} updated",
            f"{len(self.converted)} series converted",
        ]
        if self.not_converted:
            parts.append(f"{len(self.not_converted)} not converted")
        if self.objects:
            parts.append(f"{len(self.objects)} non-image objects")
        if self.extra_files:
            parts.append(f"{len(self.extra_files)} extra files")
        if self.duplicates_skipped:
            parts.append(f"{self.duplicates_skipped} duplicate instances skipped")
        if self.ignored_files:
            parts.append(f"{len(self.ignored_files)} files ignored")
        return ", ".join(parts)
