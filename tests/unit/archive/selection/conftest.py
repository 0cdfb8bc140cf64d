"""Fixtures of the selection tests: a connection whose writes are rolled back, and a small demo archive."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from .builder import ArchiveBuilder


@pytest.fixture
def conn(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction that is rolled back at the end."""
    with engine.connect() as connection:
        transaction = connection.begin()
        try:
            yield connection
        finally:
            transaction.rollback()


@pytest.fixture
def session(conn: Connection) -> Iterator[Session]:
    with Session(bind=conn, join_transaction_mode="create_savepoint") as s:
        yield s


def build_demo(conn: Connection) -> ArchiveBuilder:
    """Three patients with studies, one without, tags, jobs, odd file names; and a second project."""
    d = dt.date
    b = ArchiveBuilder(conn, "demo")
    p1 = b.patient("P001", name="Alice Smith", birth_date=d(1970, 1, 2), sex="F", tags=["cohortA"])
    s11 = b.study(p1, "S1", date=d(2020, 1, 1), description="MRI Head", modality="MR", tags=["baseline"])
    s12 = b.study(p1, "S2", date=d(2021, 6, 1), description="MRI Head followup", modality="MR", tags=["followup"])
    s13 = b.study(p1, "S3", description="CT", modality="CT")
    for path in ["t1_mprage/s003.nii.gz", "t1_mprage/s004.nii.gz", "META/info.json"]:
        b.file(p1, s11, path)
    b.file(p1, s11, "ROIS/mask_a.nii.gz", tags=["qc_ok"])
    b.file(p1, s12, "t1_trio/s001.nii")
    b.file(p1, s12, "dwi/dti.nii.gz")
    b.file(p1, s13, "ct/ct.nii.gz")
    b.file(p1, None, "notes.txt")
    b.file(p1, None, "demographics.json")

    p2 = b.patient("P002", name="bob", sex="M", tags=["cohortB", "Control"])
    s21 = b.study(p2, "S1", date=d(2019, 5, 5), description="MRI", modality="MR", tags=["baseline", "control"])
    for path in ["MPR_t1/s1.nii", "ROIS/mask_b.nii.gz", "my file 1.nii", "100%/a\\b.nii", 'it\'s "odd".nii']:
        b.file(p2, s21, path)
    b.job(p2, s21, "e")
    b.job(p2, None, "d")

    p3 = b.patient("P003", name="Carol", birth_date=d(1980, 12, 31))
    s31 = b.study(p3, "S1", date=d(2022, 2, 2), description="PET", modality="PT")
    b.study(p3, "S2", date=d(2022, 2, 2), description="PET 2", modality="PT")
    b.file(p3, s31, "pet/suv.nii")
    b.job(p3, None, "q")

    p4 = b.patient("10X")
    b.file(p4, None, "x.nii")

    other = ArchiveBuilder(conn, "other")
    q1 = other.patient("P001", tags=["cohortA"])
    q11 = other.study(q1, "S1", date=d(2020, 1, 1), tags=["baseline"])
    other.file(q1, q11, "t1_mprage/s003.nii.gz", tags=["qc_ok"])
    other.job(q1, q11, "e")
    return b


@pytest.fixture
def demo(conn: Connection) -> ArchiveBuilder:
    return build_demo(conn)
