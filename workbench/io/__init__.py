"""Import and export of datasets (CSV, TSV, JSONL, Parquet, HF datasets, CoNLL, span JSONL).

Public API::

    import_file(store, "reviews", "data.csv", task="classification", labels=["pos", "neg"])
    preview_file("data.csv")
    export_project(store, "reviews", "out.jsonl", format="jsonl")

Formats sit in the :data:`IMPORT_FORMATS` / :data:`EXPORT_FORMATS` registries;
an unknown name lists the valid ones. Heavy libraries (pyarrow, datasets,
sklearn) are imported inside the functions that need them.
"""

from workbench.io.exporter import EXPORT_FORMATS, ExportReport, export_project
from workbench.io.importer import ImportReport, import_file, preview_file
from workbench.io.readers import IMPORT_FORMATS

__all__ = [
    "EXPORT_FORMATS", "IMPORT_FORMATS", "ExportReport", "ImportReport", "export_project", "import_file",
    "preview_file",
]
