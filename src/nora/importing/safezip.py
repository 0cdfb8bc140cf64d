"""Safe extraction of uploaded zip archives.

Every member is checked before anything is written: absolute paths, ``..`` segments, backslashes and
drive letters, symbolic links, encrypted members and duplicate names are refused; so are archives whose
declared total size or compression ratio exceed the limits (zip bombs), and archives nested inside the
archive (we do not unpack recursively: the user is told to unpack them first). Extraction never writes
more than a member declares (zipfile stops there and checks the CRC), so a lying header cannot grow it.
"""

from __future__ import annotations

import re
import shutil
import stat
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from nora.core.errors import InvalidInput, TooLarge, UnsafePath
from nora.core.ids import MAX_NAME_BYTES, unsafe_character

_NESTED_MAGIC = (b"PK\x03\x04", b"7z\xbc\xaf", b"Rar!")
_NESTED_EXT = (".zip", ".tar", ".tgz", ".tar.gz", ".tar.bz2", ".tar.xz", ".7z", ".rar")
_DRIVE = re.compile(r"^[A-Za-z]:")
CHUNK = 1 << 20
#: the longest member path accepted (bytes of UTF-8), well below PATH_MAX with the job folder in front
MAX_MEMBER_BYTES = 1024


@dataclass(frozen=True)
class ZipLimits:
    max_total_bytes: int = 64 * 1024**3
    max_members: int = 200_000
    #: a member may be at most this many times larger than its compressed size (above 1 MiB)
    max_ratio: float = 200.0
    ratio_floor: int = 1 << 20


def check_member_name(name: str) -> str:
    """The member's path, or :class:`UnsafePath` when it would leave the extraction folder."""
    if name.startswith(("/", "\\")) or _DRIVE.match(name):
        raise UnsafePath(f"zip member {name!r} has an absolute path; only relative paths are accepted")
    if "\\" in name:
        raise UnsafePath(f"zip member {name!r} contains a backslash")
    invisible = unsafe_character(name)
    if invisible is not None:
        raise UnsafePath(
            f"zip member {name!r} contains the character {invisible} "
            "(control, bidirectional and zero-width characters are not allowed in names)"
        )
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if any(p == ".." for p in parts):
        raise UnsafePath(f"zip member {name!r} contains '..'; paths may not leave the archive")
    if not parts:
        raise UnsafePath(f"zip member {name!r} has no file name")
    long = next((p for p in parts if len(p.encode()) > MAX_NAME_BYTES), None)
    if long is not None:
        raise UnsafePath(
            f"zip member {name[:80]!r}... has a name of {len(long.encode())} bytes; "
            f"each folder or file name may have at most {MAX_NAME_BYTES}"
        )
    if len(name.encode()) > MAX_MEMBER_BYTES:
        raise UnsafePath(
            f"zip member {name[:80]!r}... has a path of {len(name.encode())} bytes; at most {MAX_MEMBER_BYTES}"
        )
    return "/".join(parts)


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    return info.create_system == 3 and stat.S_ISLNK(info.external_attr >> 16)


def check_archive(archive: zipfile.ZipFile, limits: ZipLimits) -> list[tuple[zipfile.ZipInfo, str]]:
    """Validate every member; returns (member, safe relative path) for the files to extract."""
    infos = archive.infolist()
    if len(infos) > limits.max_members:
        raise TooLarge(f"the zip has {len(infos)} members; at most {limits.max_members} are accepted")
    total, seen, members = 0, set(), []
    for info in infos:
        rel = check_member_name(info.filename)
        if _is_symlink(info):
            raise UnsafePath(f"zip member {info.filename!r} is a symbolic link; links are not accepted")
        if info.flag_bits & 0x1:
            raise InvalidInput(f"zip member {info.filename!r} is encrypted; upload an unencrypted zip")
        if info.is_dir():
            continue
        if rel.lower().endswith(_NESTED_EXT):
            raise InvalidInput(f"zip member {info.filename!r} is itself an archive; unpack nested archives first")
        if rel.lower() in seen:
            raise InvalidInput(f"zip member {info.filename!r} appears twice")
        seen.add(rel.lower())
        total += info.file_size
        if total > limits.max_total_bytes:
            raise TooLarge(
                f"the zip unpacks to more than {limits.max_total_bytes // 1024**2} MiB; split it or raise the limit"
            )
        if info.file_size > limits.ratio_floor and info.file_size > limits.max_ratio * max(1, info.compress_size):
            raise TooLarge(
                f"zip member {info.filename!r} expands {info.file_size / max(1, info.compress_size):.0f} times "
                f"(at most {limits.max_ratio:.0f}); refusing a possible zip bomb"
            )
        members.append((info, rel))
    return members


def extract(
    zip_path: Path,
    dest: Path,
    limits: ZipLimits | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Check, then extract ``zip_path`` into ``dest`` (which must not exist); returns the number of files.

    On any error ``dest`` is removed again.
    """
    limits = limits or ZipLimits()
    try:
        archive = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InvalidInput(f"{zip_path.name} is not a readable zip archive ({exc})") from None
    dest.mkdir(parents=True)
    try:
        with archive:
            members = check_archive(archive, limits)
            for done, (info, rel) in enumerate(members, 1):
                _extract_one(archive, info, dest / rel)
                if progress is not None:
                    progress(done, len(members))
    except BaseException:
        shutil.rmtree(dest, ignore_errors=True)
        raise
    return len(members)


def _extract_one(archive: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with archive.open(info) as src, open(target, "xb") as out:
            head = src.read(512)
            if head.startswith(_NESTED_MAGIC) or head[257:262] == b"ustar":
                raise InvalidInput(f"zip member {info.filename!r} is itself an archive; unpack nested archives first")
            out.write(head)
            shutil.copyfileobj(src, out, CHUNK)
    except (zipfile.BadZipFile, EOFError, zlib.error) as exc:
        raise InvalidInput(f"zip member {info.filename!r} is damaged ({exc})") from None
    except NotImplementedError as exc:
        raise InvalidInput(f"zip member {info.filename!r} uses an unsupported compression ({exc})") from None
