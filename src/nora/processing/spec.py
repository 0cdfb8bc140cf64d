"""The job model: a batch is a linear series of jobs, each a list of typed arguments.

Argument types (as NORA's batch tool): ``FILE`` (a file pattern of the selection language plus a study
reference), ``OUT`` (a file name relative to the study, optionally ``name TAG(tag)``), ``PATHOUT`` (a folder
name), ``NUMERIC``, ``STRING``, ``LOGICAL`` and ``OPTION``. Generic Bash and Python jobs refer to their
arguments as ``$f1..$f9`` (FILE), ``$o1..`` (OUT), ``$p1..`` (PATHOUT), ``$s1..`` (STRING), ``$n1..`` (NUMERIC);
:func:`script_rows` lists the rows a script needs, which is how the batch tool adds them.

Everything is validated when the model is built, so an invalid batch never exists.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from nora.archive.selection import StudyReference, parse_study_reference
from nora.archive.storage import safe_relpath
from nora.core.errors import InvalidInput
from nora.core.validation import validated
from nora.processing.catalog import CATALOG, ArgType
from nora.processing.scriptrefs import references

Level = Literal["study", "subject", "cohort"]
GENERIC = ("bash", "python")
PREFIX_TYPE: dict[str, ArgType] = {"f": "FILE", "o": "OUT", "p": "PATHOUT", "s": "STRING", "n": "NUMERIC"}
_TAG = re.compile(r"^(?P<name>.*?)\s*(?:TAG\((?P<tags>[^()]*)\))?\s*$", re.IGNORECASE)
_ARGNAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
MAX_JOBS = 50


class JobArg(BaseModel):
    """One argument row of a job."""

    model_config = ConfigDict(extra="forbid", json_schema_serialization_defaults_required=True)

    name: str = Field(description="f1..f9, o1.., p1.., s1.., n1.. for scripts; the catalog's names for built-ins")
    type: ArgType
    value: str | float | bool = ""
    #: FILE/OUT/PATHOUT: which study of the target's patient, one term of
    #: :func:`~nora.archive.selection.parse_study_reference` (LATEST, OLDEST1, tag:baseline, a SID pattern);
    #: empty = this study (study level), or the patient's studies / the patient folder for outputs (subject)
    ref: str = Field(default="", max_length=200)
    #: FILE: accept several files (passed as a list) instead of exactly one
    multi: bool = False
    _reference: StudyReference | None = PrivateAttr(default=None)

    @property
    def reference(self) -> StudyReference | None:
        """``ref`` as parsed when the argument was built (None: no reference)."""
        if self._reference is None and self.ref.strip():  # built without validation (model_construct)
            self._reference = parse_study_reference(self.ref)
        return self._reference

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _ARGNAME.match(value):
            raise ValueError(f"argument name {value!r} must be lower-case letters, digits and _ (as f1, o1, n1)")
        return value

    @model_validator(mode="after")
    def _value(self) -> JobArg:
        if self.type == "NUMERIC" and not isinstance(self.value, int | float):
            try:
                self.value = float(str(self.value))
            except ValueError:
                raise ValueError(f"argument {self.name}: NUMERIC value {self.value!r} is not a number") from None
        if self.type == "LOGICAL" and not isinstance(self.value, bool):
            text = str(self.value).strip().lower()
            if text not in ("true", "false", "1", "0", "yes", "no", ""):
                raise ValueError(f"argument {self.name}: LOGICAL value {self.value!r} is not true or false")
            self.value = text in ("true", "1", "yes")
        if self.type in ("FILE", "OUT", "PATHOUT") and not str(self.value).strip():
            raise ValueError(f"argument {self.name}: {self.type} needs a value")
        if self.type in ("OUT", "PATHOUT"):
            out_target(str(self.value))  # raises for unsafe names
        try:
            self._reference = parse_study_reference(self.ref)
        except InvalidInput as exc:
            raise ValueError(f"argument {self.name}: {exc.message}") from None
        return self


def out_target(value: str) -> tuple[str, list[str]]:
    """``'RESULTS/mask.nii.gz TAG(mask,auto)'`` -> ``('RESULTS/mask.nii.gz', ['mask', 'auto'])``."""
    match = _TAG.match(value.strip())
    assert match is not None  # the pattern matches every string
    name = match.group("name").strip()
    if any(c in name for c in "*?"):
        raise ValueError(f"output {name!r} may not contain wildcards")
    tags = [t.strip() for t in (match.group("tags") or "").split(",") if t.strip()]
    try:
        return safe_relpath(name), tags
    except InvalidInput as exc:
        raise ValueError(str(exc)) from None


class JobDef(BaseModel):
    """One job of a batch: a catalog job (``job``) or a generic script, with its arguments."""

    model_config = ConfigDict(extra="forbid", json_schema_serialization_defaults_required=True)

    job: str = Field(description="'bash', 'python' or a built-in job of the catalog")
    label: str = Field(default="", max_length=200)
    script: str = Field(default="", max_length=200_000)
    args: list[JobArg] = Field(default_factory=list, max_length=64)
    timeout_s: float | None = Field(default=None, gt=0, le=30 * 24 * 3600)

    @model_validator(mode="after")
    def _check(self) -> JobDef:
        names = [a.name for a in self.args]
        if len(set(names)) != len(names):
            raise ValueError(f"job {self.job!r}: an argument name is used twice ({', '.join(names)})")
        if self.job in GENERIC:
            if not self.script.strip():
                raise ValueError(f"a {self.job} job needs a script")
            have = {a.name: a for a in self.args}
            for name, kind in script_rows(self.script):
                if name not in have:
                    raise ValueError(f"the script refers to ${name} but the job has no {kind} argument {name}")
                if have[name].type != kind:
                    raise ValueError(f"${name} must be a {kind} argument, not {have[name].type}")
        else:
            check_builtin(self.job, self.args)
        return self


def check_builtin(job: str, args: Sequence[JobArg]) -> None:
    """Raise ``ValueError`` unless ``args`` fit the built-in ``job``'s declared rows."""
    builtin = CATALOG.get(job)
    if builtin is None:
        known = ", ".join(["bash", "python", *CATALOG])
        raise ValueError(f"unknown job {job!r}: available jobs are {known}")
    declared = {a.name: a for a in builtin.args}
    given = {a.name: a for a in args}
    for name in given:
        if name not in declared:
            raise ValueError(f"job {job!r} has no argument {name!r} (it has {', '.join(declared)})")
    for decl in builtin.args:
        arg = given.get(decl.name)
        if arg is None or arg.value in ("", None):
            if decl.required and decl.default in ("", None):
                raise ValueError(f"job {job!r} needs its {decl.type} argument {decl.name!r}")
            continue
        if arg.type != decl.type:
            raise ValueError(f"argument {decl.name!r} of job {job!r} must be {decl.type}, not {arg.type}")
        if arg.multi and not decl.multi:
            raise ValueError(
                f"argument {decl.name!r} of job {job!r} takes one file, not a list: untick 'several' "
                "and give a pattern that matches one file per study"
            )
        if decl.options and str(arg.value) not in decl.options:
            raise ValueError(f"argument {decl.name!r} must be one of {', '.join(decl.options)}, not {arg.value!r}")


class BatchDef(BaseModel):
    """A batch: jobs that run one after another for every selected subject or study."""

    model_config = ConfigDict(extra="forbid", json_schema_serialization_defaults_required=True)

    name: str = Field(default="", max_length=255)
    level: Level = "study"
    jobs: list[JobDef] = Field(min_length=1, max_length=MAX_JOBS)

    @model_validator(mode="after")
    def _levels(self) -> BatchDef:
        for job in self.jobs:
            builtin = CATALOG.get(job.job) if job.job not in GENERIC else None
            cohort_job = builtin is not None and builtin.level == "cohort"
            if cohort_job and self.level != "cohort":
                raise ValueError(f"job {job.job!r} runs once over all selected studies: launch it at the cohort level")
            if self.level == "cohort" and not cohort_job:
                raise ValueError(f"job {job.job!r} runs per study or subject: the cohort level runs cohort jobs only")
        return self


def script_rows(script: str) -> list[tuple[str, ArgType]]:
    """The argument rows a Bash/Python script refers to (``$f1`` -> ``('f1', 'FILE')``), in order."""
    return [(name, PREFIX_TYPE[name[0]]) for name in references(script)]


def parse_batch(raw: Any) -> BatchDef:
    """A batch from JSON data, or :class:`InvalidInput` saying what is wrong with it."""
    if isinstance(raw, BatchDef):
        return raw
    if not isinstance(raw, dict):
        raise InvalidInput("a batch must be a JSON object with 'jobs' (and optionally 'name', 'level')")
    return validated(BatchDef, raw, "batch")
