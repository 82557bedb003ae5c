"""Read files out of a Debian ``.deb`` without dpkg: an ``ar`` archive holding ``data.tar.*``."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

from workbench.errors import DataFileError

_AR_MAGIC = b"!<arch>\n"
_HEADER = 60


def ar_members(blob: bytes, path: str = "package.deb") -> dict[str, bytes]:
    """``{name: bytes}`` of a (GNU/BSD-free, Debian-style) ``ar`` archive."""
    if not blob.startswith(_AR_MAGIC):
        raise DataFileError(path, None, "not a Debian package (no '!<arch>' header)")
    members, pos = {}, len(_AR_MAGIC)
    while pos + _HEADER <= len(blob):
        header = blob[pos:pos + _HEADER]
        name = header[:16].decode("ascii", "replace").strip().rstrip("/")
        try:
            size = int(header[48:58].decode("ascii").strip())
        except ValueError:
            raise DataFileError(path, None, f"corrupt ar header at byte {pos}") from None
        start = pos + _HEADER
        members[name] = blob[start:start + size]
        pos = start + size + (size % 2)  # members are 2-byte aligned
    return members


def deb_files(archive: Path, prefix: str) -> dict[str, bytes]:
    """Regular files (symlinks skipped) under ``prefix`` in the package's data tarball, keyed by the rest of their path.

    ``prefix`` is a path inside the installed tree, e.g. ``usr/share/wordnet/``.
    Members are read into memory, never extracted, so ``../`` names cannot escape.
    """
    members = ar_members(archive.read_bytes(), str(archive))
    data = next((members[n] for n in members if n.startswith("data.tar")), None)
    if data is None:
        raise DataFileError(str(archive), None, "has no data.tar.* member")
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as tf:
        return tar_files_under(tf, prefix)


def tar_files_under(tf: tarfile.TarFile, prefix: str) -> dict[str, bytes]:
    """``{path after prefix: bytes}`` of the regular files under ``prefix`` (a leading ``./`` ignored),
    read into memory; the one reader of npm tarballs and Debian data tarballs."""
    files: dict[str, bytes] = {}
    for info in tf:
        name = info.name.removeprefix("./")
        if info.isfile() and name.startswith(prefix):
            files[name[len(prefix):]] = tf.extractfile(info).read()
    return files
