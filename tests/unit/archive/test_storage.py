"""Storage layout, safe paths and removal that waits for the commit (atomic writes: tests/unit/core)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from nora.archive.db import make_sessionmaker
from nora.archive.services.trash import remove_after_commit
from nora.archive.storage import Layout, safe_relpath
from nora.core.errors import UnsafePath


@pytest.mark.parametrize("bad", ["../x", "/abs", "a/../b", "a//b", ".hidden", "a\\b", "c:/x", "x\x00y", "", " "])
def test_unsafe_relative_paths_are_refused(bad: str) -> None:
    with pytest.raises(UnsafePath):
        safe_relpath(bad)


@pytest.mark.parametrize(
    ("bad", "code"),
    [
        ("scan\u0085.nii", "U+0085"),  # C1 control (NEL)
        ("scan\u009f.nii", "U+009F"),
        ("report\u202egpj.exe", "U+202E"),  # right-to-left override: reads as "reportexe.jpg"
        ("a\u2067b.nii", "U+2067"),  # right-to-left isolate
        ("t1\u200b.nii", "U+200B"),  # zero-width space
        ("t1\u200d.nii", "U+200D"),
        ("\ufefft1.nii", "U+FEFF"),
        ("t1\u2060.nii", "U+2060"),
        ("a/b\u200e/c.nii", "U+200E"),  # left-to-right mark in a folder name
    ],
)
def test_invisible_and_bidirectional_characters_are_refused(bad: str, code: str) -> None:
    with pytest.raises(UnsafePath, match=re.escape(code)):
        safe_relpath(bad)


def test_names_are_limited_in_bytes_not_characters() -> None:
    fits = "\u00e9" * 126 + ".ni"  # 126 two-byte characters and 3 bytes: 255 bytes, what file systems take
    assert safe_relpath(f"m\u00fcller/{fits}") == f"m\u00fcller/{fits}"
    with pytest.raises(UnsafePath, match="too long"):
        safe_relpath("\u00e9" * 127 + ".n")  # 129 characters, 256 bytes

    assert safe_relpath("t1_mprage/s003.nii.gz") == "t1_mprage/s003.nii.gz"


def test_layout_locates_paths_and_refuses_outside(tmp_path: Path) -> None:
    layout = Layout(tmp_path)
    study = layout.study_dir("P", "PAT", "S1")
    assert layout.locate(study / "t1/s1.nii") == ("P", "PAT", "S1", "t1/s1.nii")
    assert layout.locate(layout.patient_dir("P", "PAT") / "x.json") == ("P", "PAT", None, "x.json")
    with pytest.raises(UnsafePath):
        layout.locate(tmp_path / "elsewhere.nii")
    with pytest.raises(UnsafePath):
        layout.study_dir("P", "..", "S1")


def test_removal_waits_for_commit_and_rollback_restores(engine: Engine, tmp_path: Path) -> None:
    folder = tmp_path / "study"
    folder.mkdir()
    (folder / "a.nii").write_bytes(b"1")
    factory = make_sessionmaker(engine)
    with factory() as s:
        s.execute(text("SELECT 1"))  # in a transaction, as every service call is
        remove_after_commit(s, folder)
        assert not folder.exists()
        s.rollback()
    assert (folder / "a.nii").read_bytes() == b"1"
    with factory() as s:
        s.execute(text("SELECT 1"))
        remove_after_commit(s, folder)
        s.commit()
    assert list(tmp_path.iterdir()) == []
