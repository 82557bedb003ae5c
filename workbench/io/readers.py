"""Format readers: turn a file into a stream of ``(line, row dict)`` pairs.

A reader knows a file format and nothing about projects. It yields raw rows
(column name -> value) with the 1-based line (or row) number where each starts,
so that the importer can name the line of any problem. Readers stream: none of
them holds more than one batch of rows in memory.

CoNLL/BIO and Hugging Face token-classification data are normalised to the
span form here: ``{"text", "spans", "tokens"}``, with ``text`` the tokens
joined by single spaces and ``spans`` character offsets into it.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import json
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from workbench.errors import DataFileError, UnknownNameError
from workbench.io.csv_safety import MARKER_COLUMN, unneutralise
from workbench.io.hf_reader import hub_available, looks_like_hub_id, read_hf  # noqa: F401  (re-exported)
from workbench.io.table import BATCH, Rows, Table
from workbench.registry import Registry
from workbench.text import bio_to_spans, join_words, parse_conll
from workbench.text.conll import is_bio_tag

# Large texts (a 1 MB document) must pass; csv's default cap is 128 KiB. Raised only while a
# delimited file is read (see _delimited), then restored.
CSV_FIELD_LIMIT = min(sys.maxsize, 2**31 - 1)


def _open_binary(path: Path):
    """Open a file for binary reading; ``.gz`` and ``.bz2`` are decompressed on the fly."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".gz":
            return gzip.open(path, "rb")
        if suffix == ".bz2":
            return bz2.open(path, "rb")
        return open(path, "rb")
    except OSError as exc:
        raise DataFileError(str(path), None, f"cannot open file: {exc.strerror or exc}") from exc


def decoded_lines(path: Path) -> Iterator[tuple[int, str]]:
    """Yield ``(line number, text)`` for each line, decoding UTF-8 line by line.

    Decoding per line (not per file) lets an encoding error name its line.
    A UTF-8 byte-order mark on the first line is dropped.
    """
    with _open_binary(path) as fh:
        try:
            for lineno, raw in enumerate(fh, 1):
                try:
                    yield lineno, raw.decode("utf-8-sig" if lineno == 1 else "utf-8")
                except UnicodeDecodeError as exc:
                    bad = raw[exc.start:exc.start + 1]
                    raise DataFileError(
                        str(path), lineno,
                        f"invalid UTF-8 (byte {bad!r} at position {exc.start + 1} of the line); "
                        "re-save the file as UTF-8, e.g. `iconv -f latin1 -t utf-8 in.csv > out.csv`",
                    ) from None
        except (OSError, EOFError) as exc:  # truncated .gz/.bz2
            raise DataFileError(str(path), None, f"cannot read file: {exc}") from exc


# -- CSV / TSV -------------------------------------------------------------
@contextmanager
def _csv_field_limit() -> Iterator[None]:
    old = csv.field_size_limit(CSV_FIELD_LIMIT)
    try:
        yield
    finally:
        csv.field_size_limit(old)


def _delimited(path: Path, delimiter: str) -> Table:
    lines = decoded_lines(path)
    tracker = _LineTracker(lines)
    reader = csv.reader(tracker, delimiter=delimiter)
    try:
        with _csv_field_limit():
            header = next(reader, None)
            while header is not None and not any(h.strip() for h in header):
                header = next(reader, None)  # leading blank lines
    except csv.Error as exc:
        raise DataFileError(str(path), tracker.lineno, f"malformed header: {exc}") from None
    if header is None:
        raise DataFileError(str(path), None, "the file is empty; expected a header line with column names, e.g. 'text,label'")
    header = [h.strip() for h in header]
    dupes = sorted(name for name, n in Counter(header).items() if n > 1)  # linear: headers can be 20k wide
    if dupes:
        raise DataFileError(str(path), tracker.lineno, f"duplicate column name {dupes[0]!r} in the header; rename it")
    ours = MARKER_COLUMN in header  # written (and neutralised) by this project's export: undo exactly that
    columns = [unneutralise(h) for h in header if h != MARKER_COLUMN] if ours else header

    def rows() -> Rows:
        with _csv_field_limit():
            yield from parsed()

    def parsed() -> Rows:
        start = tracker.lineno + 1
        try:
            for values in reader:
                line, start = start, tracker.lineno + 1
                if not values or (len(values) == 1 and not values[0].strip()):
                    continue  # blank line
                if len(values) != len(header):
                    raise DataFileError(
                        str(path), line,
                        f"row has {len(values)} fields but the header has {len(header)}; "
                        f"quote fields that contain the delimiter {delimiter!r} or a newline",
                    )
                row = dict(zip(header, values))
                if ours:
                    row = {unneutralise(h): unneutralise(v) for h, v in row.items() if h != MARKER_COLUMN}
                yield line, row
        except csv.Error as exc:
            raise DataFileError(str(path), start, f"malformed row: {exc}; check the quoting") from None
        finally:
            lines.close()

    return Table(columns=columns, rows=rows(), extra={"lines": lines})


class _LineTracker:
    """Feeds decoded lines to ``csv.reader`` while remembering the last line number."""

    def __init__(self, lines: Iterator[tuple[int, str]]):
        self._lines = lines
        self.lineno = 0

    def __iter__(self):
        return self

    def __next__(self) -> str:
        self.lineno, text = next(self._lines)
        return text


def read_csv(path: Path, **_: Any) -> Table:
    """Comma-separated values with a header line (RFC 4180 quoting).

    A cell ``'=...`` (quote before ``= + - @`` TAB CR, as our export writes
    formula-like cells) loses that quote.
    """
    return _delimited(path, ",")


def read_tsv(path: Path, **_: Any) -> Table:
    """Tab-separated values with a header line."""
    return _delimited(path, "\t")


# -- JSON lines ------------------------------------------------------------
def read_jsonl(path: Path, **_: Any) -> Table:
    """One JSON object per line; blank lines are skipped."""
    lines = decoded_lines(path)

    def rows() -> Rows:
        seen = False
        for lineno, text in lines:
            if not text.strip():
                continue
            if not seen and text.lstrip().startswith("["):
                raise DataFileError(
                    str(path), lineno,
                    "the file is a JSON array; write one JSON object per line (JSON lines), "
                    "e.g. `jq -c '.[]' in.json > out.jsonl`",
                )
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as exc:
                raise DataFileError(
                    str(path), lineno,
                    f"invalid JSON ({exc.msg} at column {exc.colno}); each line must be one JSON object",
                ) from None
            except RecursionError:
                raise DataFileError(str(path), lineno, "JSON nested too deeply to read; flatten the object") from None
            except ValueError as exc:  # e.g. an integer of over 4,300 digits
                raise DataFileError(str(path), lineno, f"unreadable JSON value ({exc}); write it as a string") from None
            if not isinstance(obj, dict):
                raise DataFileError(str(path), lineno, f"expected a JSON object, found {type(obj).__name__}")
            seen = True
            yield lineno, obj
        if not seen:
            raise DataFileError(str(path), None, "the file is empty; expected one JSON object per line")

    return Table(columns=None, rows=rows())


def read_spans(path: Path, **_: Any) -> Table:
    """Span JSON lines: ``{"text": ..., "spans": [{"start", "end", "label"}]}`` per line."""
    table = read_jsonl(path)
    table.label_hint = "spans"
    return table


# -- Parquet ---------------------------------------------------------------
def read_parquet(path: Path, **_: Any) -> Table:
    """Apache Parquet, read in batches of :data:`BATCH` rows."""
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(str(path))
    except Exception as exc:  # pyarrow raises several types for a bad file
        raise DataFileError(str(path), None, f"not a readable Parquet file ({exc})") from None
    columns = list(pf.schema_arrow.names)

    def rows() -> Rows:
        n = 0
        for batch in pf.iter_batches(batch_size=BATCH):
            for row in batch.to_pylist():
                n += 1
                yield n, row
        if n == 0:
            raise DataFileError(str(path), None, "the Parquet file has no rows")

    return Table(columns=columns, rows=rows(), unit="row")


# -- CoNLL / BIO -----------------------------------------------------------
def read_conll(path: Path, **_: Any) -> Table:
    """CoNLL/BIO (see :func:`workbench.text.parse_conll`); the text is the words joined by single spaces."""
    lines = decoded_lines(path)

    def rows() -> Rows:
        for first, words, tags, exact in parse_conll(lines, str(path)):
            text, tokens = join_words(words) if exact is None else (exact, _locate(words, exact, path, first))
            yield first, {"text": text, "spans": bio_to_spans(tokens, tags), "tokens": list(words)}

    return Table(columns=None, rows=rows(), label_hint="spans")


#: import format name -> reader(path, **options) -> Table
IMPORT_FORMATS: Registry[Callable[..., Table]] = Registry("import format")
for _name, _reader in (("csv", read_csv), ("tsv", read_tsv), ("jsonl", read_jsonl), ("parquet", read_parquet),
                       ("hf", read_hf), ("conll", read_conll), ("spans", read_spans)):
    IMPORT_FORMATS.register(_name, _reader)

_SUFFIXES = {
    ".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl",
    ".parquet": "parquet", ".pq": "parquet", ".conll": "conll", ".bio": "conll", ".iob": "conll",
    ".iob2": "conll", ".conllu": "conll", ".json": "jsonl",
}
SNIFF_LINES = 20


def _locate(words: list[str], text: str, path: Path, line: int) -> list[tuple[str, int, int]]:
    """Offsets of ``words`` found in order in the sentence's exact ``text``."""
    out, pos = [], 0
    for word in words:
        start = text.find(word, pos)
        if start < 0:
            raise DataFileError(str(path), line, f"the word {word!r} is not in the sentence's # text_json line "
                                "(in order); fix the line or remove it")
        out.append((word, start, start + len(word)))
        pos = start + len(word)
    return out


def _looks_like_conll(path: Path) -> bool:
    """True when the first non-blank lines of a ``.txt`` file are all ``token<TAB or space>BIO-tag``."""
    checked = 0
    try:
        for _, text in decoded_lines(path):
            parts = text.split()
            if not parts:
                continue
            if len(parts) < 2 or not is_bio_tag(parts[-1]):
                return False
            checked += 1
            if checked >= SNIFF_LINES:
                break
    except DataFileError:
        return False
    return checked > 0


def infer_format(path: Path | str, format: str | None = None) -> str:
    """The import format: ``format`` if given (checked), else from the suffix or directory.

    Raises
    ------
    DataFileError
        If the format is unknown or cannot be inferred.
    """
    if format is not None:
        try:
            IMPORT_FORMATS.get(format)
        except UnknownNameError as exc:
            raise DataFileError(str(path), None, str(exc)) from None
        return format
    p = Path(path)
    if p.is_dir():
        if any((p / marker).exists() for marker in ("dataset_dict.json", "dataset_info.json", "state.json")):
            return "hf"
        raise DataFileError(str(p), None, "a directory, but not a Hugging Face save_to_disk() dataset")
    if not p.exists():
        if looks_like_hub_id(str(path)):
            return "hf"
        raise DataFileError(str(p), None, "no such file; check the path")
    suffixes = [s.lower() for s in p.suffixes]
    if suffixes and suffixes[-1] in (".gz", ".bz2"):
        suffixes = suffixes[:-1]
    fmt = _SUFFIXES.get(suffixes[-1]) if suffixes else None
    if fmt is None and suffixes and suffixes[-1] == ".txt" and _looks_like_conll(p):
        fmt = "conll"
    if fmt is None:
        raise DataFileError(
            str(p), None,
            f"cannot tell the format from the name; pass format= (--format) with one of: {', '.join(IMPORT_FORMATS)}",
        )
    return fmt
