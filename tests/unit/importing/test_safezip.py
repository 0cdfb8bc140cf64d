"""Zip extraction refuses what could escape, explode or hide: each case written with zipfile itself."""

from __future__ import annotations

import io
import stat
import zipfile
from pathlib import Path

import pytest

from nora.core.errors import InvalidInput, TooLarge, UnsafePath
from nora.importing.safezip import ZipLimits, extract


def _zip(path: Path, members: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("../evil.dcm", UnsafePath),
        ("a/../../evil.dcm", UnsafePath),
        ("/etc/passwd", UnsafePath),
        ("C:/windows/evil", UnsafePath),
        ("a\\..\\evil", UnsafePath),
    ],
)
def test_escaping_member_names_are_refused_and_nothing_is_written(tmp_path: Path, name: str, error: type) -> None:
    archive = tmp_path / "bad.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("ok.txt", b"fine")
        zf.writestr(zipfile.ZipInfo(name), b"evil")
    with pytest.raises(error):
        extract(archive, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    assert not (tmp_path / "evil.dcm").exists()


def test_symlink_member_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "link.zip"
    info = zipfile.ZipInfo("link")
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(info, "/etc/passwd")
    with pytest.raises(UnsafePath, match="symbolic link"):
        extract(archive, tmp_path / "out")


def test_zip_bomb_by_ratio_and_by_total_size(tmp_path: Path) -> None:
    bomb = _zip(tmp_path / "bomb.zip", {"zeros.dcm": b"\0" * (20 << 20)})
    with pytest.raises(TooLarge, match="zip bomb"):
        extract(bomb, tmp_path / "out")
    big = _zip(tmp_path / "big.zip", {"a": b"x" * 3000, "b": b"y" * 3000}, compression=zipfile.ZIP_STORED)
    with pytest.raises(TooLarge, match="unpacks to more than"):
        extract(big, tmp_path / "out2", ZipLimits(max_total_bytes=5000))
    assert not (tmp_path / "out").exists() and not (tmp_path / "out2").exists()


def test_nested_archive_is_refused_by_name_and_by_content(tmp_path: Path) -> None:
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as zf:
        zf.writestr("x.dcm", b"x")
    with pytest.raises(InvalidInput, match="nested"):
        extract(_zip(tmp_path / "n1.zip", {"inner.zip": inner.getvalue()}), tmp_path / "o1")
    with pytest.raises(InvalidInput, match="nested"):
        extract(_zip(tmp_path / "n2.zip", {"disguised.dcm": inner.getvalue()}), tmp_path / "o2")


def test_not_a_zip_and_damaged_member(tmp_path: Path) -> None:
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"this is not a zip")
    with pytest.raises(InvalidInput, match="not a readable zip"):
        extract(junk, tmp_path / "o")
    good = _zip(tmp_path / "good.zip", {"a.txt": b"hello world " * 1000})
    raw = bytearray(good.read_bytes())
    raw[60:80] = b"\xff" * 20  # inside the compressed data: CRC or inflate fails
    damaged = tmp_path / "damaged.zip"
    damaged.write_bytes(bytes(raw))
    with pytest.raises(InvalidInput):
        extract(damaged, tmp_path / "o2")
    assert not (tmp_path / "o2").exists()


def test_good_zip_with_folders_and_nifti_gz_extracts(tmp_path: Path) -> None:
    import gzip

    archive = _zip(tmp_path / "ok.zip", {"pat/ser/1.dcm": b"a", "pat/t1.nii.gz": gzip.compress(b"nifti"), "pat/": b""})
    assert extract(archive, tmp_path / "out") == 2
    assert (tmp_path / "out" / "pat" / "ser" / "1.dcm").read_bytes() == b"a"


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("series/" + "x" * 300 + ".dcm", "at most 255"),  # one name beyond what the file system takes
        ("/".join(["d" * 200] * 6) + "/a.dcm", "at most 1024"),  # each name fits, the path is too long
        ("\u00e9" * 130 + ".dcm", "at most 255"),  # 130 characters, but 260 bytes of UTF-8
        ("scan\u202egpj.dcm", "U+202E"),
        ("scan\u200b.dcm", "U+200B"),
        ("scan\u009b.dcm", "U+009B"),
    ],
)
def test_too_long_or_invisible_member_names_name_the_member(tmp_path: Path, name: str, says: str) -> None:
    archive = _zip(tmp_path / "long.zip", {"ok.dcm": b"fine", name: b"data"})
    with pytest.raises(UnsafePath) as caught:
        extract(archive, tmp_path / "out")
    assert says in caught.value.message and repr(name)[1:15] in caught.value.message
    assert str(tmp_path) not in caught.value.message  # a validation message, not an OSError with a server path
    assert not (tmp_path / "out").exists()
