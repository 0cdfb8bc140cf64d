"""The readable header dump: sequences flattened with depth, binary values by length, bad files refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydicom.data import get_testdata_file

from nora.core.errors import CorruptFile
from nora.dicom.dump import dump


def test_sequences_are_flattened_with_their_depth() -> None:
    elements = dump(Path(str(get_testdata_file("rtplan.dcm"))))
    seq = next(e for e in elements if e.vr == "SQ")
    after = elements[elements.index(seq) + 1 :]
    assert after[0].keyword == "Item" and after[0].depth == seq.depth + 1
    assert after[1].depth == seq.depth + 2
    assert all(e.tag.count(",") == 1 and len(e.tag) == 9 for e in elements)


def test_binary_values_are_shown_by_length_and_pixels_are_not_read() -> None:
    elements = dump(Path(str(get_testdata_file("MR_small.dcm"))))
    version = next(e for e in elements if e.keyword == "FileMetaInformationVersion")
    assert version.value == "<2 bytes>"
    assert not [e for e in elements if e.keyword == "PixelData"]


def test_a_file_that_is_no_dicom_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "x.dcm"
    bad.write_bytes(b"not dicom at all" * 20)
    with pytest.raises(CorruptFile, match="x.dcm"):
        dump(bad)
