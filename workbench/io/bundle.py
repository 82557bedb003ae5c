"""An export as one downloadable file: the data file itself, or a zip of a directory export.

The Export page offers what this returns; the export always goes to a directory first, so the
dataset card exists (shown before download and packed into every zip).
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.io.exporter import BATCH, ExportReport, count_row, export_project, labelled_rows
from workbench.store import Project

_MIME = {".jsonl": "application/jsonl", ".csv": "text/csv", ".tsv": "text/tab-separated-values",
         ".parquet": "application/vnd.apache.parquet", ".conll": "text/plain", ".zip": "application/zip"}


@dataclass
class Bundle:
    """A finished export held in memory.

    Attributes
    ----------
    file_name, data, mime : the main download (the data file, or a zip for hf and split exports).
    zip_name, zip_data : every file of the export with its dataset card, zipped.
    card : the dataset card (Markdown).
    report : the ExportReport (rows, per label, per annotator, per split, notes).
    """

    file_name: str
    data: bytes
    mime: str
    zip_name: str
    zip_data: bytes
    card: str
    report: ExportReport


def file_stem(name: str) -> str:
    """A project name as a file-name stem: letters, digits, ``-`` and ``_`` kept, anything else ``_``."""
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name) or "export"


def preview_counts(store, project: Project, source: str, *, consensus: Any = None) -> ExportReport:
    """What an export from ``source`` would hold (rows, per label, per annotator), without writing anything."""
    report = ExportReport(path=Path("."), source=source, per_label={label: 0 for label in project.labels})
    for row in labelled_rows(store, project, source, BATCH, consensus=consensus):
        count_row(report, project.task, row, None)
    return report


def _zip(files: Iterable[Path], root: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(files):
            zf.write(path, path.relative_to(root).as_posix())
    return buffer.getvalue()


def export_bundle(store, project: Project, *, format: str, source: str = "annotations", split: float | None = None,
                  seed: int = 0, consensus: Any = None, progress=None) -> Bundle:
    """Export ``project`` into a temporary directory and read it back as a :class:`Bundle`.

    Parameters are those of :func:`~workbench.io.export_project`; errors are its ValidationErrors.
    """
    stem = file_stem(project.name)
    with tempfile.TemporaryDirectory(prefix="workbench-export-") as tmp:
        out = Path(tmp) / stem
        out.mkdir()
        report = export_project(store, project, out, format=format, source=source, split=split, seed=seed,
                                consensus=consensus, progress=progress)
        files = [p for p in out.rglob("*") if p.is_file()]
        zipped = _zip(files, out.parent)
        card = (out / "README.md").read_text(encoding="utf-8")
        data_files = [p for p in files if p.name != "README.md"]
        if format != "hf" and split is None and len(data_files) == 1:
            main = data_files[0]
            name, data, mime = f"{stem}{main.suffix}", main.read_bytes(), _MIME.get(main.suffix, "application/octet-stream")
        else:
            name, data, mime = f"{stem}-{format}.zip", zipped, _MIME[".zip"]
    report.path = Path(name)
    return Bundle(name, data, mime, f"{stem}-{format}.zip", zipped, card, report)
