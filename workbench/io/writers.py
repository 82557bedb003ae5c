"""Format writers: stream export rows into one file each.

A writer is opened on a path with an :class:`ExportSchema`, receives row dicts
one at a time (``write``) and finishes with ``close``. Rows carry label names;
writers that need class indices (Hugging Face) convert them. Writers hold at
most one batch of rows in memory.

Row keys: ``id``, ``text``, the label key (``label`` for classification,
``labels`` for multi-label, ``spans`` for NER), ``split`` (when splitting),
``annotator``, ``annotated_at``, ``label_source`` and the metadata columns.
"""

from __future__ import annotations

import csv
import json
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.errors import ValidationError
from workbench.io.csv_safety import MARKER_COLUMN, neutralise
from workbench.registry import Registry
from workbench.text import bio_tags, spans_to_bio, tokens_for
from workbench.text.conll import sentence_lines

BATCH = 1000
#: Cells starting with these run as formulas in spreadsheet apps (CSV injection).
LABEL_KEYS = {"classification": "label", "multilabel": "labels", "ner": "spans"}
PROVENANCE = ("annotator", "annotated_at", "label_source")
#: extra provenance of a consensus export: share of annotators agreeing with the label, and how many labelled it
AGREEMENT = ("agreement", "n_annotators")


@dataclass
class ExportSchema:
    """What every row of one export looks like.

    Attributes
    ----------
    task : str
    labels : list of str
        Project label schema (ClassLabel order).
    meta : dict of str to str
        Metadata column -> kind: ``str``, ``int``, ``float``, ``bool``,
        ``list_str`` or ``text`` (anything else, written as JSON text).
    split : bool
        Whether rows carry a ``split`` column.
    agreement : bool
        Whether rows carry the :data:`AGREEMENT` columns (consensus exports).
    """

    task: str
    labels: list[str]
    meta: dict[str, str] = field(default_factory=dict)
    split: bool = False
    agreement: bool = False

    @property
    def label_key(self) -> str:
        return LABEL_KEYS[self.task]

    @property
    def columns(self) -> list[str]:
        cols = ["id", "text", self.label_key] + (["split"] if self.split else []) + list(PROVENANCE)
        return cols + (list(AGREEMENT) if self.agreement else []) + list(self.meta)

    @property
    def bio_tags(self) -> list[str]:
        return bio_tags(self.labels)


def meta_cell(value: Any, kind: str) -> Any:
    """A metadata value shaped for a typed column (``text`` kind: JSON unless already a string)."""
    if value is None or kind != "text":
        return value
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


# -- JSON lines ------------------------------------------------------------
class JsonlWriter:
    """One JSON object per line, UTF-8, labels as names (span JSONL for NER)."""

    suffix = ".jsonl"

    def __init__(self, path: Path, schema: ExportSchema):
        self.fh = open(path, "w", encoding="utf-8", newline="\n")

    def write(self, row: dict[str, Any]) -> None:
        self.fh.write(json.dumps(row, ensure_ascii=False) + "\n")

    def close(self) -> None:
        self.fh.close()


# -- CSV / TSV -------------------------------------------------------------
class CsvWriter:
    """Header + one row per record; formula-like cells, headers included, are neutralised
    (:mod:`workbench.io.csv_safety`), and a last, empty :data:`MARKER_COLUMN` marks the file as ours.

    Multi-label values are ``|``-joined names (``[]`` for none); spans and
    non-string metadata are JSON text.
    """

    suffix = ".csv"
    delimiter = ","

    def __init__(self, path: Path, schema: ExportSchema):
        self.schema = schema
        self.pipe_in_labels = any("|" in label for label in schema.labels)
        self.fh = open(path, "w", encoding="utf-8", newline="")
        self.out = csv.writer(self.fh, delimiter=self.delimiter)
        # headers are cells too (a metadata column may be named "=1+1"); the marker says "ours"
        self.out.writerow([neutralise(c) for c in schema.columns] + [MARKER_COLUMN])

    def write(self, row: dict[str, Any]) -> None:
        cells = []
        for col in self.schema.columns:
            value = row.get(col)
            if value is None:
                cells.append("")
                continue
            if col == "labels" and self.schema.task == "multilabel":
                # "[]" keeps "labelled: no category" apart from an empty cell (unlabelled);
                # JSON when a label name itself holds the "|" separator.
                value = "|".join(value) if value and not self.pipe_in_labels else json.dumps(value, ensure_ascii=False)
            elif not isinstance(value, str):
                value = json.dumps(value, ensure_ascii=False) if isinstance(value, (list, dict)) else str(value)
            cells.append(neutralise(value))
        self.out.writerow(cells + [""])

    def close(self) -> None:
        self.fh.close()


class TsvWriter(CsvWriter):
    suffix = ".tsv"
    delimiter = "\t"


# -- Parquet ---------------------------------------------------------------
_META_ARROW = {"str": "string", "text": "string", "int": "int64", "float": "float64", "bool": "bool"}


def arrow_schema(schema: ExportSchema, *, class_indices: bool = False):
    """The pyarrow schema of an export; ``class_indices`` stores labels as ints (HF ClassLabel)."""
    import pyarrow as pa

    label_type = pa.int64() if class_indices else pa.string()
    fields = [("id", pa.string()), ("text", pa.string())]
    if schema.task == "classification":
        fields.append(("label", label_type))
    elif schema.task == "multilabel":
        fields.append(("labels", pa.list_(label_type)))
    else:
        span = pa.struct([("start", pa.int64()), ("end", pa.int64()), ("label", pa.string())])
        fields.append(("spans", pa.list_(span)))
        if class_indices:
            fields += [("tokens", pa.list_(pa.string())), ("ner_tags", pa.list_(pa.int64()))]
    if schema.split:
        fields.append(("split", pa.string()))
    fields += [(name, pa.string()) for name in PROVENANCE]
    if schema.agreement:
        fields += [("agreement", pa.float64()), ("n_annotators", pa.int64())]
    for name, kind in schema.meta.items():
        if class_indices and name == "tokens" and schema.task == "ner":
            continue
        fields.append((name, pa.list_(pa.string()) if kind == "list_str" else getattr(pa, _META_ARROW[kind])()))
    return pa.schema(fields)


class ParquetWriter:
    """Apache Parquet with a fixed schema, written in row groups of :data:`BATCH`."""

    suffix = ".parquet"
    class_indices = False

    def __init__(self, path: Path, schema: ExportSchema):
        import pyarrow.parquet as pq

        self.schema = schema
        self.arrow = arrow_schema(schema, class_indices=self.class_indices)
        self.writer = pq.ParquetWriter(str(path), self.arrow)
        self.batch: list[dict[str, Any]] = []

    def shape(self, row: dict[str, Any]) -> dict[str, Any]:
        return {**row, **{k: meta_cell(row.get(k), kind) for k, kind in self.schema.meta.items()}}

    def write(self, row: dict[str, Any]) -> None:
        self.batch.append(self.shape(row))
        if len(self.batch) >= BATCH:
            self._flush()

    def _flush(self) -> None:
        import pyarrow as pa

        self.writer.write_table(pa.Table.from_pylist(self.batch, schema=self.arrow))
        self.batch = []

    def close(self) -> None:
        if self.batch:
            self._flush()
        self.writer.close()


# -- CoNLL -----------------------------------------------------------------
class ConllWriter:
    """CoNLL/BIO: ``token<TAB>tag`` lines, a blank line after each sentence (NER only)."""

    suffix = ".conll"

    def __init__(self, path: Path, schema: ExportSchema):
        if schema.task != "ner":
            raise ValidationError(f"CoNLL export holds NER tags; this project's task is {schema.task!r} "
                                  "(use jsonl, csv, parquet or hf)")
        self.fh = open(path, "w", encoding="utf-8", newline="\n")
        self.misaligned = 0

    def write(self, row: dict[str, Any]) -> None:
        tokens = tokens_for(row["text"], row.get("tokens"))
        tags, bad = spans_to_bio(tokens, row["spans"])
        self.misaligned += bad
        # the exact text rides along when the words alone would not rebuild it (double spaces, tabs, newlines)
        self.fh.write(sentence_lines([tok for tok, _, _ in tokens], tags, row["text"]))

    def close(self) -> None:
        self.fh.close()


# -- Hugging Face DatasetDict -----------------------------------------------
class HfSplitWriter(ParquetWriter):
    """Parquet with class indices for one split; :func:`save_hf` turns the parts into a DatasetDict."""

    class_indices = True

    def __init__(self, path: Path, schema: ExportSchema):
        super().__init__(path, schema)
        self.index = {label: i for i, label in enumerate(schema.labels)}
        self.tag_index = {tag: i for i, tag in enumerate(schema.bio_tags)}
        self.misaligned = 0

    def shape(self, row: dict[str, Any]) -> dict[str, Any]:
        row = super().shape(row)
        if self.schema.task == "classification":
            row["label"] = self.index[row["label"]]
        elif self.schema.task == "multilabel":
            row["labels"] = [self.index[v] for v in row["labels"]]
        else:
            tokens = tokens_for(row["text"], row.get("tokens"))
            tags, bad = spans_to_bio(tokens, row["spans"])
            self.misaligned += bad
            row["tokens"] = [t for t, _, _ in tokens]
            row["ner_tags"] = [self.tag_index[t] for t in tags]
        return row


def hf_features(schema: ExportSchema):
    """``datasets.Features``: ClassLabel / List(ClassLabel) labels, BIO ``ner_tags`` for NER."""
    import datasets

    arrow = arrow_schema(schema, class_indices=True)
    features = datasets.Features.from_arrow_schema(arrow)
    names = datasets.ClassLabel(names=list(schema.labels))
    if schema.task == "classification":
        features["label"] = names
    elif schema.task == "multilabel":
        features["labels"] = datasets.List(names)
    else:
        features["ner_tags"] = datasets.List(datasets.ClassLabel(names=schema.bio_tags))
    return features


def save_hf(parts: dict[str, Path], out: Path, schema: ExportSchema, cache_dir: Path) -> None:
    """Load per-split Parquet parts with HF features and ``save_to_disk`` a DatasetDict at ``out``."""
    import datasets

    features = hf_features(schema)
    quiet = datasets.is_progress_bar_enabled()
    datasets.disable_progress_bars()
    try:
        dd = datasets.DatasetDict({
            name: datasets.Dataset.from_parquet(str(path), features=features, cache_dir=str(cache_dir))
            for name, path in parts.items()
        })
        if out.exists():
            shutil.rmtree(out) if out.is_dir() else out.unlink()
        dd.save_to_disk(str(out))
    finally:
        if quiet:
            datasets.enable_progress_bars()


def temp_dir(parent: Path) -> Path:
    """A scratch directory next to the output (same disk, removed by the caller)."""
    parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=".wb-export-", dir=str(parent)))


#: export format name -> writer class (``cls(path, schema)`` with ``write(row)`` / ``close()``)
WRITERS: Registry[Callable[[Path, ExportSchema], Any]] = Registry("export format")
for _name, _writer in (("jsonl", JsonlWriter), ("csv", CsvWriter), ("tsv", TsvWriter), ("parquet", ParquetWriter),
                       ("hf", HfSplitWriter), ("conll", ConllWriter)):
    WRITERS.register(_name, _writer)
