"""Export a project's labelled records to JSONL, CSV/TSV, Parquet, HF datasets or CoNLL.

Two streaming passes over ``store.iter_records`` keep memory flat: the first
counts rows, learns the metadata columns and (when splitting) draws the
train/test split from record ids and labels; the second writes the files.

Label sources (:data:`workbench.types.LABEL_SOURCES`):

- ``annotations``: each record's current human label (default);
- ``reference``: labels imported with the data;
- ``curated``: the human label, else the reference label, leaving out records
  an audit decision excluded;
- ``consensus``: a reviewer's final label, else the annotators' consensus (the
  caller computes it, e.g. CROWDLAB in :func:`services.agreement.consensus_labels`),
  leaving out excluded records; rows carry ``agreement`` and ``n_annotators``.

Only records with a label from the chosen source are exported.
"""

from __future__ import annotations

import functools
import os
import shutil
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.errors import ValidationError
from workbench.io.card import write_card
from workbench.io.writers import AGREEMENT, LABEL_KEYS, PROVENANCE, WRITERS, ExportSchema, save_hf, temp_dir
from workbench.registry import one_of
from workbench.store import Project, Record
from workbench.types import LABEL_SOURCES, ProgressFn

EXPORT_FORMATS = WRITERS
BATCH = 1000
#: Metadata keys that would clash with export columns are written as ``meta_<key>``.
RESERVED = {"id", "text", "label", "labels", "spans", "split", "ner_tags", *PROVENANCE, *AGREEMENT}


@dataclass
class ExportReport:
    """What an export wrote.

    Attributes
    ----------
    path : Path
        The file or directory given as ``out``.
    rows : int
    per_label : dict of str to int
        Label occurrences (spans for NER), schema order.
    per_annotator : dict of str to int
        Rows per annotator of the exported label (``(reference)`` for reference labels).
    files : list of Path
        Every file written, dataset card included.
    per_split : dict of str to int
        Rows per split (empty without a split).
    notes : list of str
        Caveats (unstratified split, spans not aligned to tokens).
    """

    path: Path
    rows: int = 0
    per_label: dict[str, int] = field(default_factory=dict)
    per_annotator: dict[str, int] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    format: str = ""
    source: str = "annotations"
    per_split: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        splits = ", ".join(f"{k} {v}" for k, v in self.per_split.items())
        text = f"exported {self.rows} rows ({self.source}) as {self.format} to {self.path}"
        return text + (f" [{splits}]" if splits else "") + "".join(f"; note: {n}" for n in self.notes)


@dataclass
class LabelledRow:
    """One record with the label chosen by the label source, and where it came from."""

    record: Record
    value: Any
    annotator: str | None
    annotated_at: str | None
    label_source: str  # "annotation" | "reference" | "review" | "consensus"
    agreement: float | None = None
    n_annotators: int | None = None


#: record id -> {"label": value, "agreement": share in [0, 1], "n": annotators} (a consensus source)
Consensus = Mapping[int, Mapping[str, Any]]


def labelled_rows(store, project: Project, source: str, batch: int = BATCH, *,
                  consensus: Consensus | None = None) -> Iterator[LabelledRow]:
    """Yield each record that has a label from ``source``, in import order, ``batch`` at a time."""
    where = "excluded = 0" if source in ("curated", "consensus") else ""
    buffer: list[Record] = []
    for rec in store.iter_records(project.id, batch=batch, where=where):
        buffer.append(rec)
        if len(buffer) >= batch:
            yield from _resolve(store, source, buffer, consensus)
            buffer = []
    if buffer:
        yield from _resolve(store, source, buffer, consensus)


def _resolve(store, source: str, records: list[Record], consensus: Consensus | None) -> Iterator[LabelledRow]:
    if source == "consensus":
        yield from _resolve_consensus(store, records, consensus or {})
        return
    ids = [r.id for r in records]
    human = store.label_provenance(ids) if source != "reference" else {}
    refs = store.reference_rows(ids) if source != "annotations" else {}
    for rec in records:
        if source != "reference" and rec.status == "labelled" and rec.label is not None:
            who, when = human.get(rec.id, (None, None))
            yield LabelledRow(rec, rec.label, who, when, "annotation")
        elif source != "annotations" and rec.id in refs:
            value, when = refs[rec.id]
            yield LabelledRow(rec, value, None, when, "reference")


def _resolve_consensus(store, records: list[Record], consensus: Consensus) -> Iterator[LabelledRow]:
    """A review wins; else the consensus label; records with neither are left out."""
    human = store.label_provenance([r.id for r in records])
    for rec in records:
        found = consensus.get(rec.id)
        agreement = None if found is None else float(found["agreement"])
        n = None if found is None else int(found["n"])
        if rec.reviewed and rec.label is not None:
            who, when = human.get(rec.id, (None, None))
            yield LabelledRow(rec, rec.label, who, when, "review", agreement, n)
        elif found is not None:
            yield LabelledRow(rec, found["label"], None, None, "consensus", agreement, n)


def _meta_kind(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "str"
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "list_str"
    return "text"


def _merge_kind(a: str | None, b: str | None) -> str | None:
    if a is None or a == b:
        return b if a is None else a
    if b is None:
        return a
    if {a, b} == {"int", "float"}:
        return "float"
    return "text"


def export_project(
    store, project, out, *, format: str, source: str = "annotations", split: float | None = None, seed: int = 0,
    consensus: Consensus | None = None, progress: ProgressFn | None = None,
) -> ExportReport:
    """Write a project's labelled records to ``out``.

    Parameters
    ----------
    store : Store
    project : str or Project
    out : str or Path
        A file for single-file exports; a directory for ``hf``, for any export
        with ``split``, or when ``out`` is an existing directory (files
        ``data.<ext>`` or ``train.<ext>``/``test.<ext>``, plus ``README.md``).
    format : str
        One of :data:`EXPORT_FORMATS` (``conll`` for NER projects only).
    source : str
        ``annotations`` (default), ``reference``, ``curated`` or ``consensus``.
    consensus : mapping, optional
        For ``source="consensus"``: record id -> {label, agreement, n} (the API and CLI compute it).
    progress : ProgressFn, optional
        Called with (share of rows written, "Writing row i of n") during the second pass.
    split : float, optional
        Test share in (0, 1): stratified by label when every class has at least
        two rows, else a plain random split (noted in the report).
    seed : int
        Seed of the split.

    Returns
    -------
    ExportReport

    Raises
    ------
    ValidationError
        Unknown format or source, bad split, CoNLL for a non-NER project, or no
        record with a label from ``source``.
    """
    proj = _checked(store, project, format, source, split, consensus)
    out = Path(out)
    report = ExportReport(path=out, format=format, source=source,
                          per_label={label: 0 for label in proj.labels})
    rows = functools.partial(labelled_rows, store, proj, source, consensus=consensus)
    schema, rename, test_ids, total = _plan(proj, rows, source, split, seed, report)
    directory = format == "hf" or split is not None or out.is_dir() or str(out).endswith(("/", os.sep))
    names = ["train", "test"] if split is not None else (["train"] if format == "hf" else ["data"])
    work = temp_dir(out.parent) if format == "hf" else None
    paths = _output_paths(out, format, names, directory, work)
    _write_rows(proj, rows, {name: WRITERS.get(format)(path, schema) for name, path in paths.items()},
                names, rename, test_ids, split is not None, report, progress, total)
    _finish(out, format, paths, work, directory, proj, schema, report)
    return report


def _checked(store, project, format: str, source: str, split: float | None, consensus) -> Project:
    """The project, once the export options are known to fit it (else a ValidationError naming the option)."""
    EXPORT_FORMATS.get(format)
    one_of(source, LABEL_SOURCES, "label source")
    if (source == "consensus") != (consensus is not None):
        raise ValidationError("the consensus source needs the consensus labels, and only it takes them: export "
                              "through the API or 'python -m workbench export --source consensus'")
    if split is not None and not 0 < float(split) < 1:
        raise ValidationError(f"split must be a test share between 0 and 1 (e.g. 0.2), got {split}")
    proj = project if isinstance(project, Project) else store.get_project(project)
    if format == "conll" and proj.task != "ner":
        raise ValidationError(f"CoNLL export holds NER tags; project {proj.name!r} is {proj.task} "
                              "(use jsonl, csv, parquet or hf)")
    return proj


def _finish(out: Path, format: str, paths: dict[str, Path], work: Path | None, directory: bool, proj: Project,
            schema: ExportSchema, report: ExportReport) -> None:
    """Build the HF DatasetDict from its parts, list the files and add the dataset card."""
    if format == "hf":
        try:
            save_hf(paths, out, schema, work / "cache")
        finally:
            shutil.rmtree(work, ignore_errors=True)
        report.files = sorted(p for p in out.rglob("*") if p.is_file())
    else:
        report.files = list(paths.values())
    if directory:
        card = write_card(out, proj, report, schema)
        if card not in report.files:
            report.files.append(card)


def _plan(proj: Project, rows: Callable[[], Iterator[LabelledRow]], source: str, split: float | None, seed: int,
          report: ExportReport) -> tuple[ExportSchema, dict[str, str], set[int], int]:
    """Pass 1 over ``rows()``, keeping no records: metadata columns, the schema, the test split and the row count."""
    kinds: dict[str, str | None] = {}
    ids: list[int] = []
    keys: list[str] = []
    n_rows = 0
    for row in rows():
        n_rows += 1
        for key, value in row.record.meta.items():
            kinds[key] = _merge_kind(kinds.get(key), _meta_kind(value))
        if split is not None:
            ids.append(row.record.id)
            keys.append("|".join(row.value) if proj.task == "multilabel" else str(row.value))
    if n_rows == 0:
        raise ValidationError(
            f"nothing to export: no record of {proj.name!r} has a label from source {source!r}; "
            "label some records or choose --source reference/curated")
    test_ids = _draw_split(proj, ids, keys, float(split), seed, report.notes) if split is not None else set()
    rename = {key: f"meta_{key}" if key in RESERVED else key for key in kinds}
    schema = ExportSchema(task=proj.task, labels=list(proj.labels), split=split is not None,
                          meta={rename[k]: (kind or "str") for k, kind in kinds.items()},
                          agreement=source == "consensus")
    return schema, rename, test_ids, n_rows


def _output_paths(out: Path, format: str, names: list[str], directory: bool, work: Path | None) -> dict[str, Path]:
    """Where each part goes: parquet parts in ``work`` for hf, else files in (or at) ``out``."""
    if directory and format != "hf":
        out.mkdir(parents=True, exist_ok=True)
    elif not directory:
        out.parent.mkdir(parents=True, exist_ok=True)
    suffix = WRITERS.get(format).suffix
    return {name: (work / f"{name}.parquet" if work else (out / f"{name}{suffix}" if directory else out))
            for name in names}


def _write_rows(proj: Project, rows: Callable[[], Iterator[LabelledRow]], writers: dict[str, Any], names: list[str],
                rename: dict[str, str], test_ids: set[int], split: bool, report: ExportReport,
                progress: ProgressFn | None = None, total: int = 0) -> None:
    """Pass 2: every row of ``rows()`` into its part, counted in ``report`` (``progress`` against ``total``, the
    rows pass 1 counted); writers always closed."""
    label_key = LABEL_KEYS[proj.task]
    try:
        for row in rows():
            rec = row.record
            name = ("test" if rec.id in test_ids else "train") if split else names[0]
            data: dict[str, Any] = {"id": rec.external_id or rec.uid, "text": rec.text, label_key: row.value}
            if split:
                data["split"] = name
            data.update(annotator=row.annotator, annotated_at=row.annotated_at, label_source=row.label_source)
            if row.label_source in ("consensus", "review") or row.agreement is not None:
                data.update(agreement=row.agreement, n_annotators=row.n_annotators)
            for key, value in rec.meta.items():
                data[rename[key]] = value
            writers[name].write(data)
            count_row(report, proj.task, row, name if split else None)
            if progress is not None and (report.rows % BATCH == 0 or report.rows == total):
                progress(report.rows / max(total, 1), f"Writing row {report.rows:,} of {total:,}")
    finally:
        for w in writers.values():
            w.close()
    misaligned = sum(getattr(w, "misaligned", 0) for w in writers.values())
    if misaligned:
        report.notes.append(f"{misaligned} spans do not start/end on token boundaries; "
                            "their tokens were tagged whole in the BIO tags")


def count_row(report: ExportReport, task: str, row: LabelledRow, split_name: str | None) -> None:
    report.rows += 1
    if task == "classification":
        found = [row.value]
    elif task == "multilabel":
        found = list(row.value)
    else:
        found = [span["label"] for span in row.value]
    for label in found:
        report.per_label[label] = report.per_label.get(label, 0) + 1
    who = row.annotator or f"({row.label_source})"
    report.per_annotator[who] = report.per_annotator.get(who, 0) + 1
    if split_name is not None:
        report.per_split[split_name] = report.per_split.get(split_name, 0) + 1


def _draw_split(project: Project, ids: list[int], keys: list[str], test_share: float, seed: int,
                notes: list[str]) -> set[int]:
    """Record ids of the test split; stratified by label (combination) when every class has >= 2 rows."""
    from sklearn.model_selection import train_test_split

    n = len(ids)
    n_test = max(1, round(n * test_share))
    if n < 2 or n_test >= n:
        raise ValidationError(f"cannot split {n} labelled rows with test share {test_share}; "
                              "label more records or drop --split")
    stratify = None
    if project.task == "ner":
        notes.append("NER exports are split at random (no stratification by spans)")
    else:
        counts = Counter(keys)
        rare = [k for k, c in counts.items() if c < 2]
        if rare:
            notes.append(f"split is not stratified: class {rare[0]!r} has fewer than 2 rows")
        elif n_test < len(counts) or n - n_test < len(counts):
            notes.append("split is not stratified: too few rows for one of each class in both splits")
        else:
            stratify = keys
    _, test = train_test_split(ids, test_size=n_test, random_state=seed, stratify=stratify)
    return set(test)
