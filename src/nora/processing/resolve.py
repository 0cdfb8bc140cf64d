"""Resolving a batch for one subject or study: file patterns to absolute inputs, output names to paths.

Inputs come from the archive (through the selection language's resolver) and from the outputs that the
batch's earlier jobs will write for the same subject, so a later job can read an earlier job's output.
An input that resolves to no file, or to several where one is required, fails that subject's job with a
message naming the pattern and the study, instead of guessing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from nora.archive.models import Patient, Study
from nora.archive.selection import (
    FilePattern,
    SubjectSelector,
    parse_file_selectors,
    referenced_studies,
    resolve_selection,
)
from nora.archive.selection.patterns import glob_match
from nora.archive.services.access import Access
from nora.archive.storage import Layout
from nora.core.errors import InvalidInput, NoraError
from nora.core.ids import Psid
from nora.processing.catalog import CATALOG, defaults
from nora.processing.spec import BatchDef, JobArg, JobDef, out_target


@dataclass(frozen=True)
class Target:
    """What one chain of a batch runs on: a study (study level) or a patient (subject level)."""

    patient: Patient
    study: Study | None

    @property
    def psid(self) -> Psid:
        return Psid(self.patient.pid, self.study.sid if self.study else None)


@dataclass(frozen=True)
class Node:
    """A study (``study_id`` set) or a whole patient of the target, by database id and by ``Psid``."""

    patient_id: int
    study_id: int | None
    psid: Psid


@dataclass
class Planned:
    """Outputs the chain's earlier jobs will write: (the study or patient, relative path)."""

    files: list[tuple[Psid, str]] = field(default_factory=list)


def _nodes(session: Session, target: Target, arg: JobArg) -> list[Node]:
    """The studies (or the whole patient) that ``arg``'s study reference names for this target.

    Selected by database id within the target's own patient, never by a selector built from its PID.
    """
    patient = target.patient
    reference = arg.reference
    if reference is None:
        if target.study is not None:
            return [Node(patient.id, target.study.id, target.psid)]
        return [Node(patient.id, None, Psid(patient.pid))]
    return [
        Node(patient.id, study_id, Psid(patient.pid, sid))
        for study_id, sid in referenced_studies(session, patient.id, reference)
    ]


def _file_values(
    session: Session, access: Access, layout: Layout, target: Target, arg: JobArg, planned: Planned
) -> list[str]:
    pattern = str(arg.value)
    selector = parse_file_selectors(pattern)
    nodes = _nodes(session, target, arg)
    if not nodes:
        raise InvalidInput(f"argument {arg.name}: the study reference {arg.ref!r} selects no study of {target.psid}")
    project = access.project.name
    found: dict[str, None] = {}
    for node in nodes:
        if node.study_id is None:
            subject = SubjectSelector.of_nodes(patient_ids=[node.patient_id])
        else:
            subject = SubjectSelector.of_nodes(study_ids=[node.study_id])
        for hit in resolve_selection(session, access.project.id, subject, selector, layout.project_dir(project)):
            if hit.path is not None:
                found[str(layout.file_path(project, hit.pid, hit.sid, hit.path))] = None
        for planned_node, rel in planned.files:
            same = planned_node == node.psid if node.psid.is_study else planned_node.pid == node.psid.pid
            if same and _matches(selector.terms, rel):
                found[str(layout.file_path(project, planned_node.pid, planned_node.sid, rel))] = None
    paths = list(found)
    where = f"{target.psid}" + (f" (reference {arg.ref})" if arg.ref else "")
    if not paths:
        raise InvalidInput(f"argument {arg.name}: no file matches {pattern!r} in {where}")
    if len(paths) > 1 and not arg.multi:
        names = ", ".join(Path(p).name for p in paths[:4]) + (" ..." if len(paths) > 4 else "")
        raise InvalidInput(
            f"argument {arg.name}: {pattern!r} matches {len(paths)} files in {where} ({names}); "
            "make the pattern specific (or mark the argument as several files)"
        )
    return paths


def _matches(terms: tuple[object, ...], rel: str) -> bool:
    return any(isinstance(t, FilePattern) and glob_match(t.pattern, rel, trailing=False) for t in terms)


def _output(
    session: Session, access: Access, layout: Layout, target: Target, arg: JobArg, planned: Planned
) -> dict[str, Any]:
    rel, tags = out_target(str(arg.value))
    nodes = _nodes(session, target, arg)
    if len(nodes) != 1:
        raise InvalidInput(
            f"argument {arg.name}: the study reference {arg.ref!r} must name exactly one study of "
            f"{target.psid}, it names {len(nodes)}"
        )
    node = nodes[0].psid
    planned.files.append((node, rel))
    path = layout.file_path(access.project.name, node.pid, node.sid, rel)
    kind = "dir" if arg.type == "PATHOUT" else "file"
    return {"name": arg.name, "path": str(path), "kind": kind, "tags": tags}


def analysis_dir(layout: Layout, project: str) -> Path:
    """The project's analysis folder ``NORA_HOME/analyses/<project>`` (models, cohort results): beside the
    archive, so nothing in it is ever taken for a patient's folder."""
    return layout.home / "analyses" / layout.project_dir(project).name


def _reserved(access: Access, layout: Layout, job: JobDef, psid: str) -> dict[str, Any]:
    """What every built-in job gets besides its arguments: the project's analysis folder, the launching
    user and the target's PID#SID ("" for a cohort job)."""
    if job.job in ("bash", "python"):
        return {}
    folder = str(analysis_dir(layout, access.project.name))
    patterns = {a.name: str(a.value) for a in job.args if a.type == "FILE"}
    return {"_analysis_dir": folder, "_user": access.actor.username, "_psid": psid, "_patterns": patterns}


def _registered(job: JobDef, values: dict[str, Any], outputs: list[dict[str, Any]]) -> None:
    """Mark the outputs a feature registers itself (``ArgDecl.register``) with their reference file."""
    builtin = CATALOG.get(job.job) if job.job not in ("bash", "python") else None
    if builtin is None:
        return
    decls = {a.name: a for a in builtin.args}
    for out in outputs:
        decl = decls.get(str(out["name"]))
        if decl is not None and decl.register:
            out["register"] = decl.register
            out["reference"] = values.get(decl.reference, "")


def _prepare(job: JobDef, values: dict[str, Any]) -> None:
    builtin = CATALOG.get(job.job) if job.job not in ("bash", "python") else None
    if builtin is not None and builtin.prepare is not None:
        builtin.prepare(values)


def resolve_job(
    session: Session, access: Access, layout: Layout, target: Target, job: JobDef, planned: Planned
) -> dict[str, Any]:
    """The runner's spec of ``job`` for ``target`` (raises :class:`InvalidInput` when inputs do not resolve)."""
    values: dict[str, Any] = defaults(job.job) if job.job not in ("bash", "python") else {}
    values.update(_reserved(access, layout, job, str(target.psid)))
    outputs = []
    for arg in job.args:
        if arg.type == "FILE":
            paths = _file_values(session, access, layout, target, arg, planned)
            values[arg.name] = paths if arg.multi else paths[0]
        elif arg.type in ("OUT", "PATHOUT"):
            outputs.append(_output(session, access, layout, target, arg, planned))
        elif arg.value not in ("", None):
            values[arg.name] = arg.value
    _registered(job, values, outputs)
    _prepare(job, values)
    return {
        "job": job.job,
        "label": job.label or job.job,
        "script": job.script,
        "timeout_s": job.timeout_s,
        "values": values,
        "order": [a.name for a in job.args],
        "outputs": outputs,
        "psid": str(target.psid),
        "pid": target.patient.pid,
        "sid": target.study.sid if target.study else None,
    }


def resolve_cohort(
    session: Session, access: Access, layout: Layout, targets: list[Target], job: JobDef
) -> dict[str, Any]:
    """The runner's spec of a cohort job: every FILE argument resolved in every study (a list in study order,
    each entry a path, or a list of paths for ``multi``), ``_studies`` the PID#SID of each. A study whose
    inputs do not resolve refuses the job (:class:`InvalidInput` naming it): untick it or fix its files."""
    values: dict[str, Any] = {**defaults(job.job), **_reserved(access, layout, job, "")}
    values["_studies"] = [str(t.psid) for t in targets]
    for arg in job.args:
        if arg.type in ("OUT", "PATHOUT"):
            raise InvalidInput(
                f"argument {arg.name}: a cohort job writes into the project's analysis folder, not {arg.type}"
            )
        if arg.type == "FILE":
            per_study = []
            for target in targets:
                paths = _file_values(session, access, layout, target, arg, Planned())
                per_study.append(paths if arg.multi else paths[0])
            values[arg.name] = per_study
        elif arg.value not in ("", None):
            values[arg.name] = arg.value
    _prepare(job, values)
    return {
        "job": job.job,
        "label": job.label or job.job,
        "script": "",
        "timeout_s": job.timeout_s,
        "values": values,
        "order": [a.name for a in job.args],
        "outputs": [],
        "psid": "",
        "pid": None,
        "sid": None,
        "studies": values["_studies"],
    }


def resolve_chain(
    session: Session, access: Access, layout: Layout, target: Target, batch: BatchDef
) -> list[dict[str, Any] | str]:
    """Per job of the batch, its spec, or the message why it cannot run for this target."""
    planned = Planned()
    out: list[dict[str, Any] | str] = []
    failed = ""
    for index, job in enumerate(batch.jobs):
        if failed:
            out.append(f"not run: {failed}")
            continue
        try:
            out.append(resolve_job(session, access, layout, target, job, planned))
        except NoraError as exc:
            failed = f"job {index + 1} ({job.label or job.job}) cannot run"
            out.append(exc.message)
    return out
