"""Import a data file into a project: validate every row, write all or nothing.

Rows stream from a reader (:mod:`workbench.io.readers`), are mapped to record
fields (text / label / id / metadata / split columns), validated against the
project's task and label schema, and inserted in chunks inside ONE
``store.atomic()`` block: the first invalid row raises
:class:`~workbench.errors.DataFileError` naming file, line and fix, and the
database is left exactly as it was (a project created by this import too).

Labels found in the file become *reference labels*, never annotations.
Records are keyed by a content hash of their text; a text seen again in the
same file is a reported duplicate, stored as its own record under the hash of
``text + "\\x00" + occurrence index`` so re-importing a file is idempotent.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.errors import DataFileError, NotFoundError, ValidationError
from workbench.io.readers import IMPORT_FORMATS, Table, infer_format, looks_like_hub_id
from workbench.store import NewRecord, Project
from workbench.types import text_hash, validate_value

CHUNK = 1000
MAX_DUPLICATES_LISTED = 1000
PREVIEW_CHARS = 60
PREVIEW_COLUMNS = 50  # a 20,000-column file previews its first 50
PREVIEW_CELL_CHARS = 500
#: Columns written by our exports (provenance, HF BIO tags); not copied into record metadata on re-import.
PROVENANCE_COLUMNS = ("annotator", "annotated_at", "label_source", "ner_tags")
#: Label column picked when ``label_col`` is None, by task, first present wins.
LABEL_COLUMNS = {
    "classification": ("label", "labels"),
    "multilabel": ("labels", "label"),
    "ner": ("spans", "label", "labels"),
}


@dataclass
class ImportReport:
    """What an import did.

    Attributes
    ----------
    project : Project
    rows : int
        Data rows read from the file.
    inserted : int
        New records written.
    already_present : int
        Rows whose record existed before (same content hash): nothing written.
    duplicates : list of dict
        ``{"line", "first_line", "text"}`` for each row repeating an earlier
        row's text (at most 1000 listed; ``n_duplicates`` counts all).
    reference_labels : int
        Reference labels stored from the file's label column.
    seconds : float
    """

    project: Project
    rows: int = 0
    inserted: int = 0
    already_present: int = 0
    duplicates: list[dict[str, Any]] = field(default_factory=list)
    reference_labels: int = 0
    seconds: float = 0.0
    n_duplicates: int = 0
    format: str = ""

    def summary(self) -> str:
        """One human-readable line."""
        parts = [f"imported {self.rows} rows into {self.project.name!r}: {self.inserted} new"]
        if self.already_present:
            parts.append(f"{self.already_present} already present")
        if self.n_duplicates:
            first = self.duplicates[0]
            noun = "text" if self.n_duplicates == 1 else "texts"
            parts.append(f"{self.n_duplicates} duplicate {noun} kept as separate records "
                         f"(e.g. line {first['line']} repeats line {first['first_line']})")
        parts.append(f"{self.reference_labels} reference labels")
        return ", ".join(parts) + f" in {self.seconds:.1f} s"


@dataclass
class _Mapping:
    """Which file column feeds which record field (None = not in the file)."""

    text: str
    label: str | None
    id: str | None
    split: str | None
    meta: list[str] | None  # None: every other column


def import_file(
    store, project: str, path, *, format: str | None = None, text_col: str = "text",
    label_col: str | None = None, id_col: str | None = None, meta_cols: Sequence[str] | None = None,
    split_col: str | None = None, task: str | None = None, labels: Sequence[str] | None = None,
    guidelines: str = "", hub_id: str | None = None,
) -> ImportReport:
    """Import every row of a data file into a project, all or nothing.

    Parameters
    ----------
    store : Store
    project : str
        Project name. Created (task, labels, guidelines) when ``task`` and
        ``labels`` are given and it does not exist yet.
    path : str or Path
        File, ``save_to_disk`` directory, or hub id (format ``hf``).
    format : str, optional
        One of :data:`IMPORT_FORMATS`; inferred from the suffix / directory when None.
    text_col : str
        Column holding the text.
    label_col : str, optional
        Column holding labels (become reference labels). None picks the first
        present of ``label``/``labels`` (``spans`` first for NER). Multi-label
        values are JSON lists; in CSV/TSV also a JSON list string or names
        separated by ``|``. NER values are span lists (a JSON string in CSV).
    id_col, split_col : str, optional
        Columns with the user's own id / the record's split; None uses ``id`` / ``split`` when present.
    meta_cols : sequence of str, optional
        Columns kept as record metadata; None keeps every other column.
    hub_id : str, optional
        Hugging Face hub dataset id (needs network; else :class:`OfflineError`).

    Returns
    -------
    ImportReport

    Raises
    ------
    DataFileError
        Any unreadable or invalid row (nothing is written).
    NotFoundError
        The project does not exist and ``task``/``labels`` were not given.
    """
    started = time.perf_counter()
    project = getattr(project, "name", project)  # a Project object works too
    if hub_id is None and format in (None, "hf") and isinstance(path, str) and looks_like_hub_id(path):
        hub_id = path
    fmt = "hf" if hub_id else infer_format(path, format)
    source = str(hub_id or path)
    existing = _target_project(store, project, task, labels)
    table = IMPORT_FORMATS.get(fmt)(Path(path) if not hub_id else path, hub_id=hub_id)
    try:
        with store.atomic():
            proj = existing or store.create_project(project, task, list(labels), guidelines)
            mapping = _resolve_columns(source, proj, table, text_col, label_col, id_col, meta_cols, split_col)
            report = _write_all(store, proj, source, table, mapping, fmt)
    finally:
        table.close()
    report.seconds = time.perf_counter() - started
    return report


def _write_all(store, proj: Project, source: str, table: Table, mapping: _Mapping, fmt: str) -> ImportReport:
    """Map and write every row (inside the caller's transaction); refuse a file with no data rows."""
    report = ImportReport(project=proj, format=fmt)
    writer = _ChunkWriter(store, proj, report)
    for line, raw in table.rows:
        writer.add(line, *_map_row(source, proj, mapping, line, raw, table.unit))
    writer.flush()
    writer.finish()
    if report.rows == 0:
        raise DataFileError(source, None, "the file has a header but no data rows; nothing imported")
    return report


def _target_project(store, project: str, task: str | None, labels: Sequence[str] | None) -> Project | None:
    """The existing project, or None when it is to be created; refuse a missing one without a schema."""
    existing = store.find_project(project)
    if existing is None and not (task and labels):
        names = [p.name for p in store.list_projects()]
        hint = f" (existing: {', '.join(names)})" if names else ""
        raise NotFoundError(
            f"no project named {project!r}{hint}; pass task and labels (--task, --labels) to create it")
    if existing is not None and task and existing.task != task:
        raise ValidationError(
            f"project {project!r} exists with task {existing.task!r}, not {task!r}; use another project name")
    return existing


def _resolve_columns(source, project, table: Table, text_col, label_col, id_col, meta_cols, split_col) -> _Mapping:
    """Check the requested columns exist (when the format has a header) and fill defaults."""
    cols = table.columns
    if label_col is None:
        candidates = ((table.label_hint,) if table.label_hint else ()) + LABEL_COLUMNS[project.task]
        if cols is not None:
            label_col = next((c for c in candidates if c in cols), None)
        else:
            label_col = "?auto"  # decided per row for JSON lines
    if cols is not None:
        if id_col is None and "id" in cols:
            id_col = "id"
        if split_col is None and "split" in cols:
            split_col = "split"
        wanted = [("text", text_col), ("label", label_col), ("id", id_col), ("split", split_col)]
        wanted += [("metadata", m) for m in (meta_cols or [])]
        for role, name in wanted:
            if name is not None and name not in cols:
                flag = {"text": "--text-col", "label": "--label-col", "id": "--id-col", "split": "split_col",
                        "metadata": "--meta-cols"}[role]
                raise DataFileError(
                    source, 1 if table.unit == "line" else None,
                    f"missing {role} column {name!r}; columns present: {', '.join(cols) or '(none)'}; "
                    f"pick the right one with {flag}",
                )
    return _Mapping(text=text_col, label=label_col, id=id_col, split=split_col,
                    meta=None if meta_cols is None else list(meta_cols))


def _map_row(source, project, m: _Mapping, line: int, raw: dict[str, Any], unit: str):
    """Turn a raw row into (text, external id, meta, split, label value or None); raise on bad data."""
    where = line if unit == "line" else None
    prefix = "" if unit == "line" else f"row {line}: "

    def fail(problem: str):
        raise DataFileError(source, where, prefix + problem)

    if m.text not in raw:
        fail(f"missing text column {m.text!r}; keys present: {', '.join(map(str, raw)) or '(none)'}; "
             "pick the right one with --text-col")
    text = raw[m.text]
    if text is None or (isinstance(text, str) and not text.strip()):
        fail(f"text is empty; every row needs a non-empty {m.text!r} value (fill it in or remove the row)")
    if not isinstance(text, str):
        fail(f"text must be a string, found {type(text).__name__} {text!r}")
    label_col = m.label
    if label_col == "?auto":
        label_col = next((c for c in LABEL_COLUMNS[project.task] if c in raw), None)
        if "spans" in raw and project.task == "ner":
            label_col = "spans"
    label = _parse_label(project, raw.get(label_col) if label_col else None, text, fail)
    external = raw.get(m.id) if m.id else (raw.get("id") if m.id is None and "id" in raw else None)
    split = raw.get(m.split) if m.split else (raw.get("split") if m.split is None and "split" in raw else None)
    taken = {m.text, label_col, m.id or "id", m.split or "split"}
    if m.meta is None:
        meta = {k: v for k, v in raw.items() if k not in taken and k not in PROVENANCE_COLUMNS}
    else:
        # Header formats were checked up front; a JSON line may simply lack an optional key.
        meta = {k: raw[k] for k in m.meta if k in raw}
    return (text, None if external in (None, "") else str(external), meta,
            None if split in (None, "") else str(split), label)


def _parse_label(project, value: Any, text: str, fail) -> Any:
    """Decode and validate one label cell; None means the row has no label."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    task = project.task
    if isinstance(value, str):
        stripped = value.strip()
        if task == "ner" or (task == "multilabel" and stripped.startswith("[")):
            try:
                value = json.loads(stripped)
            except json.JSONDecodeError as exc:
                fail(f"label {stripped[:40]!r} is not valid JSON ({exc.msg}); "
                     + ("write spans as a JSON list of {start, end, label}" if task == "ner"
                        else "write a JSON list or names separated by '|'"))
        elif task == "multilabel":
            value = [v.strip() for v in stripped.split("|") if v.strip()]
        else:
            value = stripped
    elif task == "classification" and isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(int(value)) if float(value).is_integer() else str(value)
    try:
        return validate_value(task, project.labels, value, text)
    except ValidationError as exc:
        if task == "ner":
            fail(f"{exc}; spans are character offsets into the text, end exclusive, not overlapping")
        fail(f"{exc}; fix the row or add the label to the project's schema")


class _ChunkWriter:
    """Buffers mapped rows and writes them CHUNK at a time (records, then reference labels).

    Duplicate detection keeps ``text hash -> (first line, count)`` in a TEMP
    table rather than a dict, so memory stays flat however long the file is.
    """

    def __init__(self, store, project: Project, report: ImportReport):
        self.store, self.project, self.report = store, project, report
        self.buffer: list[tuple[int, str, str | None, dict, str | None, Any]] = []
        store.start_seen_texts()

    def add(self, line, text, external, meta, split, label) -> None:
        self.buffer.append((line, text, external, meta, split, label))
        if len(self.buffer) >= CHUNK:
            self.flush()

    def flush(self) -> None:
        if not self.buffer:
            return
        store, report = self.store, self.report
        hashes = [text_hash(row[1]) for row in self.buffer]
        distinct = list(dict.fromkeys(hashes))
        seen = store.seen_texts(distinct)
        news: list[NewRecord] = []
        for (line, text, external, meta, split, _), h in zip(self.buffer, hashes):
            if h in seen:
                first_line, n = seen[h]
                uid = text_hash(f"{text}\x00{n}")
                seen[h][1] = n + 1
                report.n_duplicates += 1
                if len(report.duplicates) < MAX_DUPLICATES_LISTED:
                    report.duplicates.append({"line": line, "first_line": first_line, "text": text[:PREVIEW_CHARS]})
            else:
                seen[h] = [line, 1]
                uid = h
            news.append(NewRecord(uid=uid, text=text, external_id=external, meta=meta, split=split))
        store.mark_seen_texts(seen)
        new_ids = store.insert_records(self.project.id, news)
        present = {rec.uid for rec, rid in zip(news, new_ids) if rid is None}
        ids_by_uid = {rec.uid: rid for rec, rid in zip(news, new_ids) if rid is not None}
        ids_by_uid.update(store.ids_by_uid(self.project.id, list(present)))
        refs = [(ids_by_uid[rec.uid], row[5]) for rec, row in zip(news, self.buffer) if row[5] is not None]
        if refs:
            report.reference_labels += store.set_reference_labels(self.project.id, refs)
        report.rows += len(news)
        report.already_present += sum(rec.uid in present for rec in news)
        report.inserted = report.rows - report.already_present
        self.buffer = []

    def finish(self) -> None:
        self.store.end_seen_texts()


def preview_file(path, format: str | None = None, n: int = 20, max_columns: int = PREVIEW_COLUMNS) -> dict[str, Any]:
    """The first ``n`` rows of a file, for an upload preview (nothing is written).

    Returns
    -------
    dict
        ``format`` (str), ``columns`` (every column: the header, or the union of
        the rows' keys when the format has none), ``rows`` (list of dict, cut to
        the first ``max_columns`` columns, cells to :data:`PREVIEW_CELL_CHARS`)
        and ``hidden_columns`` (how many columns the rows leave out).
    """
    fmt = infer_format(path, format)
    table = IMPORT_FORMATS.get(fmt)(path if fmt == "hf" and looks_like_hub_id(str(path)) else Path(path),
                                hub_id=str(path) if fmt == "hf" and looks_like_hub_id(str(path)) else None)
    rows: list[dict[str, Any]] = []
    try:
        for _, row in table.rows:
            rows.append(row)
            if len(rows) >= n:
                break
    finally:
        table.close()
    columns = dict.fromkeys(table.columns or [])  # ordered set: linear in the number of columns
    for row in rows:
        columns.update(dict.fromkeys(row))
    shown = list(columns)[:max_columns]
    cut = [{k: _short_cell(row[k]) for k in shown if k in row} for row in rows]
    return {"format": fmt, "columns": list(columns), "rows": cut, "hidden_columns": len(columns) - len(shown)}


def _short_cell(value: Any) -> Any:
    if isinstance(value, str) and len(value) > PREVIEW_CELL_CHARS:
        return value[:PREVIEW_CELL_CHARS] + "…"
    return value
