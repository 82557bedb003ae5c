"""The annotate queue: which record an annotator sees next.

Order, first match wins:

1. a record this annotator already holds a live lease on (a page reload must
   not hand them a second record and keep the first one locked);
2. a *re-check* of a labelled record flagged by the latest audit, when the
   project's ``recheck_share`` asks for it (the mixed queue);
3. with ``annotators_per_record`` above 1 (task distribution): records other
   people labelled that still need more labels, fullest first, so records
   complete;
4. the active-learning order: unlabelled records with a suggestion from the
   active model version, highest ``uncertainty`` first;
5. unlabelled records in import order;
6. records someone else skipped (never ones this annotator skipped).

Every served record is leased (:meth:`Store.lease`) per annotator: a record is
served to at most ``annotators_per_record`` distinct people at once, never twice
to the same person, and never after it is done (that many labels, or a
review). Every query walks an index and stops after a small batch: the cost
does not grow with the size of the project.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from workbench.errors import NotFoundError
from workbench.store import Record
from workbench.store.queue import QUEUE_SOURCES
from workbench.types import check_annotator

_BATCH = 20


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


def next_item(store, project, annotator: str, *, rechecks: bool = True) -> QueueItem | None:
    """Lease and return the next record for ``annotator``, or None when the queue is empty.

    ``rechecks=False`` leaves out re-checks of other people's labels (roles that may not decide audits).
    """
    annotator = check_annotator(annotator)
    held = store.own_lease(project, annotator)
    if held is not None:
        return QueueItem(held, "new", "lease")
    if rechecks and _wants_recheck(store, project, annotator):
        item = _next_recheck(store, project, annotator)
        if item is not None:
            return item
    for source, record in _candidates(store, project, annotator):
        if store.lease(project, record.id, annotator, shared=True):
            return QueueItem(record, "new", source)
    return None


def next_record(store, project, annotator: str) -> Record | None:
    """The record of :func:`next_item` (leased), or None when nothing is left."""
    item = next_item(store, project, annotator)
    return None if item is None else item.record


def open_record(store, project, record_id: int, annotator: str | None = None) -> QueueItem:
    """Serve a record on purpose (history, browse page), whatever its state.

    With ``annotator``, a record that still needs their label (unlabelled, or with overlap fewer
    labels than ``annotators_per_record``) is leased to them like a queued one (kind ``new``),
    so the queue does not hand it to someone else while it is on their screen; one another
    annotator holds stays a ``revisit``, and a label on it after theirs is reported as stale.
    """
    record = store.get_record(int(record_id))
    if record.project_id != project.id:
        raise NotFoundError(f"record {record_id} is not in project {project.name!r}")
    if annotator and needs(project, record, annotator.strip(), store.current_labellers(record.id)):
        leased = store.lease(project, record.id, annotator, shared=True)
        # held by someone else: their label may come first (then this one is stale)
        return QueueItem(record, "new", "opened" if leased else "opened-held")
    return QueueItem(record, "revisit", "opened")


def queue_preview(store, project, annotator: str, n: int = 10) -> list[Record]:
    """The next ``n`` new records in queue order, without leasing them (read-only)."""
    annotator = check_annotator(annotator)
    out: list[Record] = []
    seen: set[int] = set()
    for _, record in _candidates(store, project, annotator):
        if len(out) >= n:
            break
        if record.id not in seen:
            seen.add(record.id)
            out.append(record)
    return out


@dataclass(frozen=True)
class Decision:
    """What :func:`decide` stored: the annotation id, and whether it came too late.

    ``stale`` decisions (someone else labelled the record after it was served to this
    annotator, e.g. once their lease had expired) are kept in the history but do not
    replace the newer label; ``notice`` says so, for the annotator.
    """

    annotation_id: int
    stale: bool = False
    notice: str | None = None


def decide(store, project, annotator: str, item: QueueItem, kind: str, value: Any = None) -> Decision:
    """Record the annotator's decision on a served item.

    For a re-check the row carries the audit issue id (so the issue counts as
    decided), and a label equal to the current one is stored as ``keep``, a
    different one as ``relabel``. A label on a ``new`` item that someone else
    labelled since it was served is stored as stale (see :class:`Decision`).
    """
    issue_id = None
    with store.atomic():
        current = store.get_record(item.record.id)
        if item.kind == "recheck" and item.audit_issue is not None:
            issue_id = item.audit_issue["id"]
            if kind == "label":
                kind = "keep" if current.label is not None and current.label == value else "relabel"
        # other people completed the record after it was served to this annotator (enough labels, or a
        # review): their own earlier save, e.g. an NER edit, is not "other people"
        labellers = store.current_labellers(current.id)
        stale = (kind == "label" and item.kind == "new" and current.status == "labelled"
                 and annotator.strip() not in labellers and _complete(project, current, labellers))
        annotation_id = store.annotate(project, item.record.id, annotator, kind, value, audit_issue_id=issue_id,
                                       stale=stale)
    if not stale:
        return Decision(annotation_id)
    who = ", ".join(a for a in store.current_labellers(item.record.id) if a != annotator) or "someone"
    return Decision(annotation_id, True, f"{who} labelled this record before you did, so it keeps that label; "
                                         "yours is saved in its history")


def needs(project, record: Record, annotator: str, labellers: list[str]) -> bool:
    """True while ``record`` still needs a label from ``annotator``: not excluded, not reviewed, theirs
    not on it yet, and fewer than ``annotators_per_record`` people labelled it."""
    return not record.excluded and annotator not in labellers and not _complete(project, record, labellers)


def _complete(project, record: Record, labellers: list[str]) -> bool:
    """Done: a reviewer decided it, or ``annotators_per_record`` people labelled it (SQL twin:
    ``Store.completion``)."""
    return record.reviewed or len(labellers) >= int(project.settings.annotators_per_record)


def reserved_by_others(store, project, annotator: str) -> int:
    """Unlabelled records held right now by other annotators' live leases."""
    return store.reserved_by_others(project, annotator)


# -- internals ----------------------------------------------------------------
def _candidates(store, project, annotator: str):
    """(source, record) of the new-record queue in order, one small indexed batch at a time (lazily)."""
    for source in QUEUE_SOURCES:
        offset = 0
        while True:
            records = store.queue_candidates(project, source, annotator, offset=offset, limit=_BATCH)
            for record in records:
                yield source, record
            if len(records) < _BATCH:
                break
            offset += _BATCH  # next_item: every candidate of this batch was taken a moment ago
def _wants_recheck(store, project, annotator: str) -> bool:
    """True when re-checks are below ``recheck_share`` of this annotator's decisions."""
    share = float(project.settings.recheck_share)
    if share <= 0:
        return False
    rechecks, total = store.recheck_counts(project, annotator)
    return rechecks < share * (total + 1)


def _next_recheck(store, project, annotator: str) -> QueueItem | None:
    audit_id = store.latest_audit_id(project)
    if audit_id is None:
        return None
    offset = 0
    while True:
        candidates = store.recheck_candidates(audit_id, annotator, offset=offset, limit=_BATCH)
        for record, issue_id in candidates:
            if store.lease(project, record.id, annotator, status="labelled"):
                return QueueItem(record, "recheck", "audit", store.audit_issue(issue_id))
        if len(candidates) < _BATCH:
            return None
        offset += _BATCH
