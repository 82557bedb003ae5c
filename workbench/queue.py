"""The annotate queue: which record an annotator sees next.

Order, first match wins:

1. a record this annotator already holds a live lease on (a page reload must
   not hand them a second record and keep the first one locked);
2. a *re-check* of a labelled record flagged by the latest audit, when the
   project's ``recheck_share`` asks for it (the mixed queue);
3. the active-learning order: unlabelled records with a suggestion from the
   active model version, highest ``uncertainty`` first;
4. unlabelled records in import order;
5. records someone else skipped (never ones this annotator skipped).

Every served record is leased (:meth:`Store.lease`), so two annotators working
at once never get the same record. Every query walks an index and stops after a
small batch: the cost does not grow with the size of the project.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from workbench.errors import NotFoundError
from workbench.store import Record, loads
from workbench.store.annotations import LIVE
from workbench.store.records import RECORD_COLUMNS
from workbench.types import check_annotator

QUEUE_KINDS = ("new", "recheck", "revisit")
_R_COLUMNS = ", ".join(f"r.{c.strip()}" for c in RECORD_COLUMNS.split(","))
_BATCH = 20
# A record leased by somebody else (live lease) is not offered.
_NOT_LEASED = ("NOT EXISTS (SELECT 1 FROM leases l WHERE l.record_id = r.id AND l.annotator != ?"
               " AND l.expires_at > ?)")


@dataclass
class QueueItem:
    """One record served to an annotator.

    Attributes
    ----------
    record : Record
    kind : str
        ``"new"`` (not labelled yet), ``"recheck"`` (labelled, flagged by an
        audit: the decision is linked to ``audit_issue``) or ``"revisit"``
        (opened on purpose from the history or the browse page).
    source : str
        Why it came next: ``lease``, ``audit``, ``active-learning``, ``import``,
        ``skipped`` or ``opened``.
    audit_issue : dict or None
        The ``audit_issues`` row for re-checks (``given``/``suggested`` decoded).
    """

    record: Record
    kind: str
    source: str
    audit_issue: dict[str, Any] | None = None


def next_item(store, project, annotator: str) -> QueueItem | None:
    """Lease and return the next record for ``annotator``, or None when the queue is empty."""
    annotator = check_annotator(annotator)
    held = _own_lease(store, project, annotator)
    if held is not None:
        return QueueItem(held, "new", "lease")
    if _wants_recheck(store, project, annotator):
        item = _next_recheck(store, project, annotator)
        if item is not None:
            return item
    for source, finder in (("active-learning", _al_candidates), ("import", _import_candidates),
                           ("skipped", _skipped_candidates)):
        offset = 0
        while True:
            rows = finder(store, project, annotator, offset)
            for row in rows:
                if store.lease(project, row["id"], annotator):
                    return QueueItem(Record.from_row(row), "new", source)
            if len(rows) < _BATCH:
                break
            offset += _BATCH  # every candidate of this batch was taken a moment ago
    return None


def next_record(store, project, annotator: str) -> Record | None:
    """The record of :func:`next_item` (leased), or None when nothing is left."""
    item = next_item(store, project, annotator)
    return None if item is None else item.record


def open_record(store, project, record_id: int) -> QueueItem:
    """Serve a record on purpose (history, browse page), whatever its state."""
    record = store.get_record(int(record_id))
    if record.project_id != project.id:
        raise NotFoundError(f"record {record_id} is not in project {project.name!r}")
    return QueueItem(record, "revisit", "opened")


def queue_preview(store, project, annotator: str, n: int = 10) -> list[Record]:
    """The next ``n`` new records in queue order, without leasing them (read-only)."""
    annotator = check_annotator(annotator)
    out: list[Record] = []
    seen: set[int] = set()
    for finder in (_al_candidates, _import_candidates, _skipped_candidates):
        offset = 0
        while len(out) < n:
            rows = finder(store, project, annotator, offset)
            for row in rows:
                if row["id"] not in seen:
                    seen.add(row["id"])
                    out.append(Record.from_row(row))
            if len(rows) < _BATCH:
                break
            offset += _BATCH
    return out[:n]


def decide(store, project, annotator: str, item: QueueItem, kind: str, value: Any = None) -> int:
    """Record the annotator's decision on a served item; return the annotation id.

    For a re-check the row carries the audit issue id (so the issue counts as
    decided), and a label equal to the current one is stored as ``keep``, a
    different one as ``relabel``.
    """
    issue_id = None
    if item.kind == "recheck" and item.audit_issue is not None:
        issue_id = item.audit_issue["id"]
        if kind == "label":
            current = store.one("SELECT label FROM records WHERE id = ?", (item.record.id,))["label"]
            kind = "keep" if current is not None and loads(current) == value else "relabel"
    return store.annotate(project, item.record.id, annotator, kind, value, audit_issue_id=issue_id)


def reserved_by_others(store, project, annotator: str) -> int:
    """Unlabelled records held right now by other annotators' live leases."""
    return store.scalar(
        "SELECT COUNT(*) FROM leases l JOIN records r ON r.id = l.record_id WHERE l.project_id = ?"
        " AND l.annotator != ? AND l.expires_at > ? AND r.status = 'unlabelled'",
        (project.id, annotator, time.time()))


# -- internals ----------------------------------------------------------------
def _own_lease(store, project, annotator: str) -> Record | None:
    row = store.one(
        f"SELECT {_R_COLUMNS} FROM leases l JOIN records r ON r.id = l.record_id"
        " WHERE l.project_id = ? AND l.annotator = ? AND l.expires_at > ?"
        " AND r.status = 'unlabelled' AND r.excluded = 0 ORDER BY l.expires_at LIMIT 1",
        (project.id, annotator, time.time()),
    )
    return None if row is None else Record.from_row(row)


def _wants_recheck(store, project, annotator: str) -> bool:
    """True when re-checks are below ``recheck_share`` of this annotator's decisions."""
    share = float(project.settings.recheck_share)
    if share <= 0:
        return False
    counts = store.one(
        "SELECT COUNT(*) AS total, COALESCE(SUM(audit_issue_id IS NOT NULL), 0) AS rechecks FROM annotations"
        " WHERE project_id = ? AND annotator = ? AND kind != 'retract'", (project.id, annotator),
    )
    return counts["rechecks"] < share * (counts["total"] + 1)


def _next_recheck(store, project, annotator: str) -> QueueItem | None:
    audit_id = store.latest_audit_id(project)
    if audit_id is None:
        return None
    offset = 0
    while True:
        rows = store.query(
            f"SELECT {_R_COLUMNS}, ai.id AS issue_id FROM audit_issues ai JOIN records r ON r.id = ai.record_id"
            " WHERE ai.audit_id = ? AND ai.is_issue = 1 AND r.excluded = 0"
            " AND NOT EXISTS (SELECT 1 FROM annotations a WHERE a.audit_issue_id = ai.id)"
            f" AND {_NOT_LEASED} ORDER BY ai.quality IS NULL, ai.quality, ai.id LIMIT ? OFFSET ?",
            (audit_id, annotator, time.time(), _BATCH, offset),
        )
        for row in rows:
            if store.lease(project, row["id"], annotator):
                issue = store.one("SELECT * FROM audit_issues WHERE id = ?", (row["issue_id"],))
                for key in ("given", "suggested", "details"):
                    issue[key] = _maybe_json(issue[key])
                return QueueItem(Record.from_row(row), "recheck", "audit", issue)
        if len(rows) < _BATCH:
            return None
        offset += _BATCH


def _al_candidates(store, project, annotator: str, offset: int) -> list[dict[str, Any]]:
    if project.active_model_version is None:
        return []
    # ORDER BY uncertainty alone lets SQLite walk suggestions_queue backwards.
    return store.query(
        f"SELECT {_R_COLUMNS} FROM suggestions s JOIN records r ON r.id = s.record_id"
        " WHERE s.model_version_id = ? AND s.uncertainty IS NOT NULL"
        f" AND r.status = 'unlabelled' AND r.excluded = 0 AND {_NOT_LEASED}"
        " ORDER BY s.uncertainty DESC LIMIT ? OFFSET ?",
        (project.active_model_version, annotator, time.time(), _BATCH, offset),
    )


def _import_candidates(store, project, annotator: str, offset: int) -> list[dict[str, Any]]:
    return store.query(
        f"SELECT {_R_COLUMNS} FROM records r WHERE r.project_id = ? AND r.status = 'unlabelled'"
        f" AND r.excluded = 0 AND {_NOT_LEASED} ORDER BY r.id LIMIT ? OFFSET ?",
        (project.id, annotator, time.time(), _BATCH, offset),
    )


def _skipped_candidates(store, project, annotator: str, offset: int) -> list[dict[str, Any]]:
    return store.query(
        f"SELECT {_R_COLUMNS} FROM records r WHERE r.project_id = ? AND r.status = 'skipped'"
        f" AND r.excluded = 0 AND {_NOT_LEASED}"
        " AND NOT EXISTS (SELECT 1 FROM annotations a WHERE a.record_id = r.id AND a.annotator = ?"
        f" AND a.kind = 'skip' AND {LIVE}) ORDER BY r.id LIMIT ? OFFSET ?",
        (project.id, annotator, time.time(), annotator, _BATCH, offset),
    )


def _maybe_json(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return loads(value)
    except ValueError:
        return value  # free text, not JSON
