"""What one import does with its input: the user's options and the project's rules, fixed up front.

:class:`ImportOptions` are what the user asked for (NORA's ``--patients_id``, ``--pattern`` ...).
:class:`ImportPolicy` adds the project's rules (anonymisation, naming, keeping originals) and answers
where an instance goes (patient and study folder names). Both are frozen and validated when they are
made, so an import never starts with a bad option, and no step of it can change what another one sees.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nora.archive.services.tags import check_tags
from nora.core.errors import InvalidInput
from nora.dicom import naming
from nora.dicom.deid import DATE_MODES, DateMode, Pseudonymiser
from nora.dicom.scan import Instance, Series
from nora.importing.pseudonym import installation_secret, pseudonym


@dataclass(frozen=True)
class ImportOptions:
    """What the user asked for; :meth:`check` says what is wrong with it."""

    patients_id: str | None = None  # NORA --patients_id override
    studies_id: str | None = None  # --studies_id override
    pattern: str | None = None  # --pattern regex with named groups patients_id / studies_id, applied to the path
    extrafiles_filter: tuple[str, ...] = ()  # --extrafiles_filter nii,hdr,img: non-DICOM files to import too
    addtag_study: tuple[str, ...] = ()
    addtag_patient: tuple[str, ...] = ()
    keep_originals: bool | None = None  # None = project setting
    handle_job_result: bool = False

    def to_spec(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in self.__dict__.items()}

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> ImportOptions:
        names = set(cls.__dataclass_fields__)
        values: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in spec.items() if k in names}
        return cls(**values)

    def check(self) -> re.Pattern[str] | None:
        """Raise InvalidInput for a bad option; the compiled ``--pattern`` (None without one)."""
        for flag, value in (("--patients_id", self.patients_id), ("--studies_id", self.studies_id)):
            if value is not None and naming.sanitise(value, "") != value:
                raise InvalidInput(f"invalid {flag} {value!r}: use letters, digits, '.', '_' or '-'")
        check_tags(self.addtag_study)
        check_tags(self.addtag_patient)
        for ext in self.extrafiles_filter:
            if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9.]{0,15}", ext):
                raise InvalidInput(f"invalid --extrafiles_filter extension {ext!r}: use e.g. nii,hdr,img")
        return compile_pattern(self.pattern)


def compile_pattern(pattern: str | None) -> re.Pattern[str] | None:
    """NORA's ``--pattern`` (PCRE ``(?<name>...)`` groups accepted) as a Python regex."""
    if not pattern:
        return None
    python = re.sub(r"\(\?<(?![=!])", "(?P<", pattern)
    try:
        compiled = re.compile(python)
    except re.error as exc:
        raise InvalidInput(f"invalid --pattern {pattern!r}: {exc}") from None
    if not {"patients_id", "studies_id"} & set(compiled.groupindex):
        raise InvalidInput(f"--pattern {pattern!r} needs a named group (?<patients_id>...) or (?<studies_id>...)")
    return compiled


def check_options(options: ImportOptions) -> None:
    """Raise InvalidInput for a bad option (before a job is created for it)."""
    options.check()


@dataclass(frozen=True)
class ImportPolicy:
    """The rules of one import into one project: options, anonymisation, naming, originals.

    Made with :meth:`for_project`; validated on construction (InvalidInput for a bad option or naming
    template, ValueError for an anonymised policy without a secret).
    """

    project: str
    project_id: int
    options: ImportOptions
    anonymised: bool
    keep_originals: bool
    template: str
    #: the installation's pseudonym secret (anonymised projects only)
    secret: bytes = field(default=b"", repr=False)
    #: the source folder is the system's own (unpacked upload, node spool): originals may be hard-linked
    link_originals: bool = False
    #: anonymised projects: dates in kept originals, sidecars and study folder names (``anonymised_dates``)
    dates: DateMode = "shift"
    pattern: re.Pattern[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "pattern", self.options.check())
        naming.check_policy(self.template)
        if self.anonymised and not self.secret:
            raise ValueError(f"the import policy of anonymised project {self.project!r} needs the pseudonym secret")
        if self.dates not in DATE_MODES:
            raise InvalidInput(f"anonymised_dates {self.dates!r}: use one of {', '.join(DATE_MODES)}")

    @classmethod
    def for_project(
        cls,
        project: str,
        project_id: int,
        settings: dict[str, Any],
        options: ImportOptions,
        *,
        home: Path,
        link_originals: bool = False,
    ) -> ImportPolicy:
        """The policy of an import into a project with these ``settings`` (its settings JSON)."""
        anonymised = bool(settings.get("anonymised"))
        keep = settings.get("keep_originals", True) if options.keep_originals is None else options.keep_originals
        return cls(
            project=project,
            project_id=project_id,
            options=options,
            anonymised=anonymised,
            keep_originals=bool(keep),
            template=naming.check_policy(str(settings.get("naming") or naming.DEFAULT)),
            secret=installation_secret(home) if anonymised else b"",
            link_originals=link_originals,
            dates=settings.get("anonymised_dates") or "shift",
        )

    def groups(self, path: Path) -> dict[str, str]:
        """The non-empty named groups of ``--pattern`` matched against ``path``."""
        if self.pattern is None:
            return {}
        match = self.pattern.search(str(path))
        return {k: v for k, v in (match.groupdict() if match else {}).items() if v}

    def explicit_patient(self, path: Path) -> str | None:
        """The patient ID given by ``--patients_id`` or the pattern for a file at ``path``, if any."""
        return self.options.patients_id or self.groups(path).get("patients_id")

    def patient_ids(self, inst: Instance | None, path: Path) -> tuple[str, str]:
        """(folder name, original ID) of the patient of ``inst`` (or of a non-DICOM file at ``path``)."""
        override = self.explicit_patient(path)
        if override:
            return naming.sanitise(override, "unknown"), override
        original = inst.patient_id if inst is not None else ""
        return self.patient_folder(original), original

    def patient_folder(self, original: str) -> str:
        """The patient folder of an original patient ID: its pseudonym in anonymised projects."""
        if self.anonymised:
            return pseudonym(self.secret, self.project, original or "unknown")
        return naming.sanitise(original, "unknown")

    def study_pid(self, series: dict[str, Series]) -> str:
        """The patient folder of a study, from its first instance (as the study's placement puts it)."""
        first = next(iter(series.values())).first
        return self.patient_ids(first, first.path)[0]

    def study_id(self, inst: Instance) -> tuple[str, bool]:
        """(study folder name, whether it was given explicitly by --studies_id / --pattern).

        ``<StudyDate>_<StudyTime>``; in anonymised projects the date is shifted (or, with dates removed or
        missing, the folder is ``S`` + a keyed hash of the Study Instance UID): never the real date, nor
        the StudyID (which scanners often fill with the patient ID), unless ``anonymised_dates = "keep"``.
        """
        override = self.options.studies_id or self.groups(inst.path).get("studies_id")
        if override:
            return naming.sanitise(override, "study"), True
        date = self.study_date(inst)
        if date:
            time = inst.study_time[:6] if not self.anonymised or self.dates != "remove" else ""
            return naming.sanitise(f"{date}_{time}".rstrip("_"), "study"), False
        if self.anonymised:
            return "S" + self._keyed("study", inst.study_uid)[:10].upper(), False
        return naming.sanitise(inst.study_id or "study", "study"), False

    def study_date(self, inst: Instance) -> str:
        """The study date the archive shows (study row, ``{study_date}`` in names): shifted or removed
        in anonymised projects as ``anonymised_dates`` says."""
        deid = self.pseudonym_for(self.patient_ids(inst, inst.path)[0])
        return deid.study_date(inst.study_date) if deid is not None else inst.study_date

    def pseudonym_for(self, pid: str) -> Pseudonymiser | None:
        """How kept originals of patient folder ``pid`` are de-identified (anonymised projects), else None."""
        if not self.anonymised:
            return None
        days = 365 + int(self._keyed("dates", pid)[:8], 16) % (10 * 365 - 365)  # 1 to 10 years back
        return Pseudonymiser(pid, self._keyed("uid", "").encode(), self.dates, -days)

    def _keyed(self, purpose: str, value: str) -> str:
        """A keyed hash (the installation's secret) of ``value`` for one purpose in this project."""
        message = f"{purpose}\0{self.project}\0{value}".encode()
        return hmac.new(self.secret, message, hashlib.sha256).hexdigest()
