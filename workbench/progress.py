"""Progress figures for the Projects, Annotate and Progress pages.

All counts come from indexed columns (``records.status``) or from the
append-only ``annotations`` table; nothing loads a whole table into Python.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from workbench.registry import one_of

FREQUENCIES = {"hour": 13, "day": 10}  # length of the ISO timestamp prefix that names the bucket


def labelled_count(store, project) -> tuple[int, int]:
    """(done records, all records): done = labelled by ``annotators_per_record`` people (1 by default), or
    decided by a reviewer."""
    return store.labelled_count(project)


def completion(store, project) -> dict[str, int]:
    """``done``, ``partial`` (labelled by fewer people than ``annotators_per_record``) and ``total`` records."""
    return store.completion(project)


def labels_per_hour(store, project, annotator: str, *, window_hours: float = 1.0) -> float:
    """This annotator's live label decisions per hour over the last ``window_hours``."""
    since = (datetime.now(timezone.utc) - timedelta(hours=window_hours)).isoformat(timespec="microseconds")
    return store.label_decisions_since(project, annotator, since) / window_hours


def label_counts(store, project) -> list[dict[str, Any]]:
    """Rows of ``label``, ``annotated`` (current human labels), ``reference``, schema order."""
    stats = store.project_stats(project)
    return [{"label": label, "annotated": stats["per_label"].get(label, 0),
             "reference": stats["reference_per_label"].get(label, 0)} for label in project.labels]


def annotator_counts(store, project) -> list[dict[str, Any]]:
    """Per annotator: ``labels`` (live label decisions), ``skips``, ``undos``, ``last_at``.

    System annotators (:data:`workbench.types.SYSTEM_ANNOTATORS`) are left out.
    """
    return store.annotator_counts(project)


def labels_over_time(store, project, freq: str = "day") -> list[dict[str, Any]]:
    """Live label decisions per time bucket and annotator: rows of ``period``, ``annotator``, ``labels``.

    ``freq`` is ``"hour"`` or ``"day"`` (UTC); periods are ISO prefixes, oldest first.
    """
    one_of(freq, FREQUENCIES, "frequency")
    return store.labels_per_period(project, FREQUENCIES[freq])


def project_rows(store) -> list[dict[str, Any]]:
    """One row per project with its counts (the Projects page table)."""
    out = []
    for project in store.list_projects():
        out.append({"name": project.name, "task": project.task, "labels": ", ".join(project.labels),
                    **store.project_counts(project)})
    return out
