"""Progress figures for the Projects, Annotate and Progress pages.

All counts come from indexed columns (``records.status``) or from the
append-only ``annotations`` table; nothing loads a whole table into Python.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from workbench.errors import ValidationError
from workbench.store.annotations import LIVE

# Decisions that count as "labelled something" for rates and per-annotator counts.
_LABEL_KINDS = "('label','relabel','keep')"
FREQUENCIES = {"hour": 13, "day": 10}  # length of the ISO timestamp prefix that names the bucket
SYSTEM_ANNOTATORS = ("schema",)


def labelled_count(store, project) -> tuple[int, int]:
    """(records with a current human label, all records) of a project."""
    row = store.one(
        "SELECT (SELECT COUNT(*) FROM records WHERE project_id = ? AND status = 'labelled') AS done,"
        " (SELECT COUNT(*) FROM records WHERE project_id = ?) AS total", (project.id, project.id))
    return row["done"], row["total"]


def labels_per_hour(store, project, annotator: str, *, window_hours: float = 1.0) -> float:
    """This annotator's live label decisions per hour over the last ``window_hours``."""
    since = (datetime.now(timezone.utc) - timedelta(hours=window_hours)).isoformat(timespec="microseconds")
    n = store.scalar(
        f"SELECT COUNT(*) FROM annotations a WHERE a.project_id = ? AND a.annotator = ? AND a.kind IN {_LABEL_KINDS}"
        f" AND a.created_at >= ? AND {LIVE}", (project.id, annotator, since))
    return n / window_hours


def label_counts(store, project) -> list[dict[str, Any]]:
    """Rows of ``label``, ``annotated`` (current human labels), ``reference``, schema order."""
    stats = store.project_stats(project)
    return [{"label": label, "annotated": stats["per_label"].get(label, 0),
             "reference": stats["reference_per_label"].get(label, 0)} for label in project.labels]


def annotator_counts(store, project) -> list[dict[str, Any]]:
    """Per annotator: ``labels`` (live label decisions), ``skips``, ``undos``, ``last_at``.

    The ``schema`` pseudo-annotator (label renames) is left out.
    """
    marks = ",".join("?" * len(SYSTEM_ANNOTATORS))
    rows = store.query(
        "SELECT a.annotator,"
        f" SUM(a.kind IN {_LABEL_KINDS} AND {LIVE}) AS labels,"
        f" SUM(a.kind = 'skip' AND {LIVE}) AS skips,"
        " SUM(a.kind = 'retract') AS undos,"
        " MAX(a.created_at) AS last_at"
        f" FROM annotations a WHERE a.project_id = ? AND a.annotator NOT IN ({marks})"
        " GROUP BY a.annotator ORDER BY labels DESC, a.annotator", (project.id, *SYSTEM_ANNOTATORS))
    return rows


def labels_over_time(store, project, freq: str = "day") -> list[dict[str, Any]]:
    """Live label decisions per time bucket and annotator: rows of ``period``, ``annotator``, ``labels``.

    ``freq`` is ``"hour"`` or ``"day"`` (UTC); periods are ISO prefixes, oldest first.
    """
    if freq not in FREQUENCIES:
        raise ValidationError(f"unknown frequency {freq!r}; valid: {', '.join(FREQUENCIES)}")
    width = FREQUENCIES[freq]
    marks = ",".join("?" * len(SYSTEM_ANNOTATORS))
    return store.query(
        f"SELECT substr(a.created_at, 1, {width}) AS period, a.annotator, COUNT(*) AS labels"
        f" FROM annotations a WHERE a.project_id = ? AND a.kind IN {_LABEL_KINDS} AND {LIVE}"
        f" AND a.annotator NOT IN ({marks}) GROUP BY period, a.annotator ORDER BY period, a.annotator",
        (project.id, *SYSTEM_ANNOTATORS))


def project_rows(store) -> list[dict[str, Any]]:
    """One row per project with its counts (the Projects page table)."""
    out = []
    for project in store.list_projects():
        out.append({"name": project.name, "task": project.task, "labels": ", ".join(project.labels),
                    **store.project_counts(project)})
    return out
