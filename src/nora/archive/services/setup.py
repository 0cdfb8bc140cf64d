"""Initialising a data root (database, folders, first admin) and filling the demo project."""

from __future__ import annotations

import gzip
import io
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from nora.archive.migrate import upgrade
from nora.archive.models import Project, User
from nora.archive.services import accounts, nodes, projects, tags
from nora.archive.services.access import SYSTEM, Actor, project_access
from nora.archive.services.files import Upload, store_uploads
from nora.archive.storage import Layout

DEMO = "DEMO"


@dataclass(frozen=True)
class InitResult:
    admin: str
    password: str | None  # None when the admin already existed


def init_database(
    engine: Engine, layout: Layout, session: Session, admin: str = "admin", password: str | None = None
) -> InitResult:
    """Migrate the schema, create the folders and, if there is no user yet, a system admin."""
    layout.projects.mkdir(parents=True, exist_ok=True)
    upgrade(engine)
    if session.scalar(select(User.id).limit(1)) is not None:
        return InitResult(admin, None)
    password = password or secrets.token_urlsafe(12)
    accounts.create_user(session, SYSTEM, admin, password, is_admin=True)
    session.commit()
    return InitResult(admin, password)


def _data_files() -> dict[str, Path]:
    """Real sample images shipped inside installed registry packages."""
    import nibabel
    import pydicom.data

    nib = Path(nibabel.__file__).parent
    found = {
        "anatomical": nib / "tests/data/anatomical.nii",
        "functional": nib / "tests/data/functional.nii",
        "example4d": nib / "tests/data/example4d.nii.gz",
        "mgz": nib / "tests/data/test.mgz",
        "tck": nib / "tests/data/standard.tck",
        "trk": nib / "tests/data/standard.trk",
        "gifti": nib / "gifti/tests/data/ascii.gii",
        "mr": Path(pydicom.data.get_testdata_file("MR_small.dcm") or ""),
        "ct": Path(pydicom.data.get_testdata_file("CT_small.dcm") or ""),
    }
    try:
        import nilearn

        nl = Path(nilearn.__file__).parent / "datasets/data"
        found["mni_t1"] = nl / "mni_icbm152_t1_tal_nlin_sym_09a_converted.nii.gz"
        found["mni_gm"] = nl / "mni_icbm152_gm_tal_nlin_sym_09a_converted.nii.gz"
        found["mni_wm"] = nl / "mni_icbm152_wm_tal_nlin_sym_09a_converted.nii.gz"
        found["pial"] = nl / "fsaverage5/pial_left.gii.gz"
    except ImportError:
        pass
    try:
        import dipy

        dp = Path(dipy.__file__).parent / "data/files"
        found["dwi"] = dp / "small_64D.nii"
        found["tracks"] = dp / "tracks300.trk"
        found["aniso"] = dp / "aniso_vox.nii.gz"
    except ImportError:
        pass
    return {k: v for k, v in found.items() if v.is_file()}


#: patient, study, date, description, modality, [(relpath, data key)], study tags, patient tags
DEMO_STUDIES: list[tuple[str, str, str, str, str, list[tuple[str, str]], list[str], list[str]]] = [
    (
        "MNI001",
        "20240105",
        "2024-01-05",
        "MNI152 template",
        "MR",
        [
            ("t1_mni/s001.nii.gz", "mni_t1"),
            ("seg/gm.nii.gz", "mni_gm"),
            ("seg/wm.nii.gz", "mni_wm"),
            ("surf/pial_left.gii", "pial"),
        ],
        ["template"],
        ["control"],
    ),
    (
        "SUBJ002",
        "20230611",
        "2023-06-11",
        "Anatomy and fMRI",
        "MR",
        [
            ("t1_mprage/s002.nii", "anatomical"),
            ("fmri_bold/s005.nii", "functional"),
            ("fmri_4d/s006.nii.gz", "example4d"),
        ],
        ["baseline"],
        ["patient"],
    ),
    (
        "SUBJ002",
        "20240212",
        "2024-02-12",
        "Follow-up",
        "MR",
        [("t1_mprage/s002.nii", "anatomical"), ("freesurfer/s010.mgz", "mgz")],
        ["followup"],
        ["patient"],
    ),
    (
        "SUBJ003",
        "20220930",
        "2022-09-30",
        "Diffusion",
        "MR",
        [
            ("dwi_64dir/s004.nii", "dwi"),
            ("tracts/tracks300.trk", "tracks"),
            ("tracts/standard.tck", "tck"),
            ("tracts/standard.trk", "trk"),
            ("aniso/s007.nii.gz", "aniso"),
            ("surf/ascii.gii", "gifti"),
        ],
        ["baseline"],
        ["control"],
    ),
    (
        "SUBJ004",
        "20210101",
        "2021-01-01",
        "DICOM MR and CT",
        "CT",
        [("dicom_mr/MR_small.dcm", "mr"), ("dicom_ct/CT_small.dcm", "ct")],
        [],
        [],
    ),
]


def build_demo(
    session: Session, layout: Layout, owner: Actor, progress: Callable[[str], None] | None = None
) -> Project:
    """Create (or refill) the demo project of real images from installed packages."""
    if session.scalar(select(Project).where(Project.name == DEMO)) is None:
        projects.create_project(
            session,
            owner,
            layout,
            DEMO,
            "Demo project of real images from nibabel, nilearn, dipy and pydicom test data",
        )
    access = project_access(session, owner, DEMO)
    data = _data_files()
    for pid, sid, date, desc, modality, files, stags, ptags in DEMO_STUDIES:
        patient = nodes.create_patient(
            session, access, layout, pid, name=f"Demo^{pid.title()}", birth_date="1970-01-01", sex="O", exist_ok=True
        )
        study = nodes.create_study(
            session, access, layout, patient, sid, study_date=date, description=desc, modality=modality, exist_ok=True
        )
        uploads = []
        for rel, key in files:
            if key not in data:
                continue
            raw = data[key].read_bytes()
            if data[key].name.endswith(".gii.gz"):
                raw = gzip.decompress(raw)
            uploads.append(Upload(rel, io.BytesIO(raw)))
        if uploads:
            store_uploads(session, access, layout, patient, study, uploads, overwrite=True)
        tags.change_study_tags(session, access, [study], add=stags)
        tags.change_patient_tags(session, access, [patient], add=ptags)
        session.commit()
        if progress:
            progress(f"{pid}#{sid}: {len(uploads)} files")
    return access.project
