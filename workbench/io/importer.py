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

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.errors import DataFileError, NotFoundError, ValidationError
from workbench.io.readers import IMPORT_FORMATS, Table, infer_format, looks_like_hub_id
from workbench.io.row_mapping import Mapping, map_row, resolve_columns
from workbench.store import NewRecord, Project
from workbench.types import text_hash

CHUNK = 1000
MAX_DUPLICATES_LISTED = 1000
PREVIEW_CHARS = 60
PREVIEW_COLUMNS = 50  # a 20,000-column file previews its first 50
PREVIEW_CELL_CHARS = 500
#: Columns written by our exports (provenance, HF BIO tags); not copied into record metadata on re-import.
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
            mapping = resolve_columns(source, proj, table, text_col, label_col, id_col, meta_cols, split_col)
            report = _write_all(store, proj, source, table, mapping, fmt)
    finally:
        table.close()
    report.seconds = time.perf_counter() - started
    return report


def _write_all(store, proj: Project, source: str, table: Table, mapping: Mapping, fmt: str) -> ImportReport:
    """Map and write every row (inside the caller's transaction); refuse a file with no data rows."""
    report = ImportReport(project=proj, format=fmt)
    writer = _ChunkWriter(store, proj, report)
    for line, raw in _guarded(table, source):
        try:
            mapped = map_row(source, proj, mapping, line, raw, table.unit)
        except DataFileError:
            raise
        except (TypeError, ValueError, OverflowError, RecursionError, UnicodeError) as exc:
            # a value no check above foresaw: still the file, the line and the problem, never a traceback
            raise DataFileError(source, line if table.unit == "line" else None,
                                f"cannot read this row ({type(exc).__name__}: {str(exc)[:120]}); fix the row") from None
        writer.add(line, *mapped)
    writer.flush()
    writer.finish()
    if report.rows == 0:
        raise DataFileError(source, None, "the file has a header but no data rows; nothing imported")
    return report


def _guarded(table: Table, source: str):
    """The table's rows; a reader failing on malformed content becomes a DataFileError naming the file."""
    line = None
    try:
        for line, raw in table.rows:
            yield line, raw
    except DataFileError:
        raise
    except (TypeError, ValueError, OverflowError, RecursionError, UnicodeError, OSError) as exc:
        after = f" after line {line}" if line is not None else ""
        raise DataFileError(source, None, f"unreadable content{after} ({type(exc).__name__}: {str(exc)[:120]}); "
                            "check the file is complete and in the format its name says") from None


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
