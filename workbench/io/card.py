"""Dataset card (``README.md``) written into every directory export."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from workbench.store.base import now

_HF_TASKS = {"classification": "text-classification", "multilabel": "text-classification",
             "ner": "token-classification"}


def dataset_card(project, report: Any, schema: Any) -> str:
    """Markdown card: YAML header for the Hub, then counts per label, annotator and split.

    Parameters
    ----------
    project : Project
    report : ExportReport
        ``rows``, ``per_label``, ``per_annotator``, ``per_split``, ``source``,
        ``format``, ``notes``.
    schema : ExportSchema
        Column layout of the files.
    """
    lines = [
        "---",
        f"pretty_name: {json.dumps(project.name)}",
        f"task_categories: [{_HF_TASKS[project.task]}]",
        "---",
        "",
        f"# {project.name}",
        "",
        f"Exported by the annotation workbench on {now()[:19]}Z.",
        "",
        f"- task: {project.task}",
        f"- labels (class index order): {', '.join(project.labels)}",
        f"- label source: {report.source} "
        + {"annotations": "(current human label of each record)",
           "reference": "(labels imported with the data)",
           "curated": "(human label, else reference label; records excluded by an audit left out)",
           "consensus": "(a reviewer's final label, else the annotators' consensus; excluded records left out)",
           }.get(report.source, ""),
        f"- format: {report.format}",
        f"- rows: {report.rows}",
        "",
        "## Columns",
        "",
        ", ".join(f"`{c}`" for c in schema.columns),
        "",
        "## Counts per label",
        "",
        "| label | count |",
        "|---|---|",
        *[f"| {label} | {n} |" for label, n in report.per_label.items()],
        "",
        "## Counts per annotator",
        "",
        "| annotator | rows |",
        "|---|---|",
        *[f"| {who} | {n} |" for who, n in sorted(report.per_annotator.items())],
    ]
    if report.per_split:
        lines += ["", "## Splits", "", "| split | rows |", "|---|---|",
                  *[f"| {name} | {n} |" for name, n in report.per_split.items()]]
    if report.notes:
        lines += ["", "## Notes", "", *[f"- {note}" for note in report.notes]]
    return "\n".join(lines) + "\n"


def write_card(directory: Path, project, report: Any, schema: Any) -> Path:
    path = Path(directory) / "README.md"
    path.write_text(dataset_card(project, report, schema), encoding="utf-8")
    return path
