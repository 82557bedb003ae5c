"""Progress figures for the Projects, Annotate and Progress pages.

All counts come from indexed columns (``records.status``) or from the
append-only ``annotations`` table; nothing loads a whole table into Python.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from workbench.registry import one_of

FREQUENCIES = {"hour": 13, "day": 10}  # length of the ISO timestamp prefix that names the bucket

#: every figure the pages show, defined once (the pages use these as labels' help texts)
DEFINITIONS: dict[str, str] = {
    "records": "records in the project",
    "done": "records labelled by as many different people as the project asks for, or decided by a reviewer",
    "partly labelled": "records labelled by fewer people than the project asks for",
    "labelled": "records with a current human label (whoever gave it)",
    "records labelled": "distinct records this person labelled; correcting a label or editing spans again "
                        "does not count twice",
    "decisions": "every label decision this person made that is not undone, corrections and span edits included",
    "skips": "records this person skipped (and did not undo)",
    "undos": "decisions this person undid",
    "with reference": "records with an imported reference label",
    "excluded": "records an audit decision excluded from curated exports",
    "annotation rows": "every row of the append-only decision history (labels, skips, undos, reviews)",
}


def labelled_count(store, project) -> tuple[int, int]:
    """(done records, all records): done = labelled by ``annotators_per_record`` people (1 by default), or
    decided by a reviewer."""
    return store.labelled_count(project)


def completion(store, project) -> dict[str, int]:
    """``done``, ``partial`` (labelled by fewer people than ``annotators_per_record``) and ``total`` records."""
    return store.completion(project)


def records_per_hour(store, project, annotator: str, *, window_hours: float = 1.0) -> float:
    """Distinct records this annotator labelled per hour over the last ``window_hours`` (``records labelled``)."""
    since = (datetime.now(timezone.utc) - timedelta(hours=window_hours)).isoformat(timespec="microseconds")
    return store.records_labelled_since(project, annotator, since) / window_hours


def label_counts(store, project) -> list[dict[str, Any]]:
    """Rows of ``label``, ``annotated`` (current human labels), ``reference``, schema order."""
    stats = store.project_stats(project)
    return [{"label": label, "annotated": stats["per_label"].get(label, 0),
             "reference": stats["reference_per_label"].get(label, 0)} for label in project.labels]


def annotator_counts(store, project) -> list[dict[str, Any]]:
    """Per annotator: ``records`` (records labelled), ``decisions``, ``skips``, ``undos``, ``last_at``
    (:data:`DEFINITIONS`).

    System annotators (:data:`workbench.types.SYSTEM_ANNOTATORS`) are left out.
    """
    return store.annotator_counts(project)


def labels_over_time(store, project, freq: str = "day") -> list[dict[str, Any]]:
    """Records labelled per time bucket and annotator: rows of ``period``, ``annotator``, ``records``.

    ``freq`` is ``"hour"`` or ``"day"`` (UTC); periods are ISO prefixes, oldest first.
    """
    one_of(freq, FREQUENCIES, "frequency")
    return store.labels_per_period(project, FREQUENCIES[freq])


def project_rows(store) -> list[dict[str, Any]]:
    """One row per project with its counts (the Projects page table)."""
    out = []
    for project in store.list_projects():
        out.append({"name": project.name, "task": project.task, "labels": ", ".join(project.labels),
                    **store.project_counts(project), "archived": project.archived_at is not None})
    return out


def dataset_statistics(store, project) -> dict[str, Any]:
    """What the Progress page's "Dataset statistics" shows, per task.

    Returns
    -------
    dict
        ``lengths`` (:meth:`~workbench.store.Store.text_lengths`), ``labels`` (:func:`label_counts`: human vs
        reference per label), and ``cooccurrence`` (multi-label) or ``spans`` (NER: per type and length).
    """
    out: dict[str, Any] = {"lengths": store.text_lengths(project), "labels": label_counts(store, project)}
    if project.task == "multilabel":
        out["cooccurrence"] = store.label_cooccurrence(project)
    if project.task == "ner":
        out["spans"] = store.span_stats(project)
    return out
