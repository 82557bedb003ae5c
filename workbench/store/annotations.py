"""Append-only annotation history and the record state derived from it.

Nothing here deletes or edits an annotation row. Undo appends a ``retract`` row
pointing at the row it cancels. After every append, the record's derived state
(``status``, current ``label``, ``excluded``, who labelled it) is recomputed
from its history in the same transaction, so pages can filter on indexed
columns instead of replaying history.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from workbench.errors import NotFoundError, ValidationError
from workbench.registry import one_of
from workbench.store.base import dumps, loads, now, sql_list
from workbench.types import ANNOTATION_KINDS, SYSTEM_ANNOTATORS, check_annotator, validate_value

#: SQL: annotation row ``a`` has not been retracted (the append-only history's "live" rows)
LIVE = ("NOT EXISTS (SELECT 1 FROM annotations retraction"
        " WHERE retraction.kind = 'retract' AND retraction.target_id = a.id)")
#: kinds that count as "labelled something" (rates, per-annotator counts)
LABEL_KINDS = ("label", "relabel", "keep")
#: kinds whose value becomes the record's current label
VALUE_KINDS = ("label", "relabel")
#: a reviewer's final label: it wins over :data:`VALUE_KINDS` rows, whoever wrote them and whenever
REVIEW = "review"
#: where an annotation was made (``annotations.source``): one at a time in the workbench, pulled from
#: Argilla, or by a bulk label from the Explore map
ANNOTATION_SOURCES = ("workbench", "argilla", "bulk")
#: review decisions on an audit issue
REVIEW_DECISIONS = ("keep", "relabel", "ambiguous", "exclude")


#: SQL list of the system annotators, for ``annotator NOT IN`` (they are constants, never user input)
PEOPLE_ONLY = sql_list(SYSTEM_ANNOTATORS)

#: SQL, the one "decided" rule: audit issue ``ai`` has a live review decision (an annotation
#: carrying its id with a :data:`REVIEW_DECISIONS` kind that was not retracted)
DECIDED = (f"EXISTS (SELECT 1 FROM annotations a WHERE a.audit_issue_id = ai.id"
           f" AND a.kind IN {sql_list(REVIEW_DECISIONS)} AND {LIVE})")


def bulk_labelled(record_column: str) -> str:
    """SQL, the one "bulk-labelled" rule: the record in ``record_column`` (a constant column name) holds a
    live ``label`` row written by a bulk action."""
    return (f"EXISTS (SELECT 1 FROM annotations a WHERE a.record_id = {record_column} AND a.bulk_id IS NOT NULL"
            f" AND a.kind = 'label' AND {LIVE})")


@dataclass
class Annotation:
    id: int
    record_id: int
    annotator: str
    kind: str
    value: Any
    target_id: int | None
    audit_issue_id: int | None
    created_at: str
    #: made on a record someone else labelled first (after it was served): kept, never the current label
    stale: bool = False
    #: where the decision was made: ``workbench``, ``argilla`` (pulled from an Argilla response) or ``bulk``
    source: str = "workbench"
    #: the bulk action the row belongs to
    bulk_id: int | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Annotation:
        return cls(
            id=row["id"], record_id=row["record_id"], annotator=row["annotator"], kind=row["kind"],
            value=loads(row["value"]), target_id=row["target_id"], audit_issue_id=row["audit_issue_id"],
            created_at=row["created_at"], stale=bool(row.get("stale", 0)), source=row.get("source") or "workbench",
            bulk_id=row.get("bulk_id"),
        )


def effective_labels(rows: Sequence[Annotation]) -> list[tuple[Annotation, Any]]:
    """The label rows that count, oldest first, each with its value after schema rewrites.

    A row counts when it sets a value (``label``/``relabel``/``review``), is not retracted and not stale. A
    system annotator's row that targets another row (a schema rename or merge) is not a decision of
    its own: it rewrites that row in place, so undoing the person's row also drops its rewrites, and
    every annotator's label is renamed, not only the current one. Rewrites of rewrites resolve to the
    row they started from.
    """
    retracted = {r.target_id for r in rows if r.kind == "retract"}
    origin: dict[int, int] = {}
    rewritten: dict[int, Any] = {}
    decisions = []
    for r in rows:
        if r.kind not in (*VALUE_KINDS, REVIEW) or r.id in retracted or r.stale:
            continue
        if r.annotator in SYSTEM_ANNOTATORS and r.target_id is not None:
            root = origin.get(r.target_id, r.target_id)
            origin[r.id] = root
            rewritten[root] = r.value
        else:
            decisions.append(r)
    return [(r, rewritten.get(r.id, r.value)) for r in decisions]


def derive_state(rows: list[Annotation]) -> dict[str, Any]:
    """Replay one record's history (oldest first) into its current state.

    Returns
    -------
    dict
        ``status`` (unlabelled | labelled | skipped), ``label`` (value or None),
        ``excluded`` (bool), ``annotators`` (who currently has a label on it), ``reviewed`` (a live
        review row decides the label).
    """
    retracted = {r.target_id for r in rows if r.kind == "retract"}
    counted = effective_labels(rows)
    reviews = [value for r, value in counted if r.kind == REVIEW]
    labels = [(r, value) for r, value in counted if r.kind != REVIEW]
    label = reviews[-1] if reviews else (labels[-1][1] if labels else None)
    per_annotator = {r.annotator: value for r, value in labels if r.annotator not in SYSTEM_ANNOTATORS}
    live = [r for r in rows if r.id not in retracted and r.kind != "retract"]
    excluded = any(r.kind == "exclude" for r in live)
    skipped = any(r.kind == "skip" for r in live)
    status = "labelled" if label is not None else ("skipped" if skipped else "unlabelled")
    return {"status": status, "label": label, "excluded": excluded, "annotators": sorted(per_annotator),
            "reviewed": bool(reviews)}


class AnnotationsMixin:
    def annotate(
        self, project, record_id: int, annotator: str, kind: str, value: Any = None, *,
        target_id: int | None = None, audit_issue_id: int | None = None, stale: bool = False,
        source: str = "workbench", bulk_id: int | None = None,
    ) -> int:
        """Append one annotation row and refresh the record's state; return the row id.

        ``stale`` rows (a label made on a record someone else labelled first) are kept in the
        history but never become the current label.

        Parameters
        ----------
        project : Project
            Owner of the record; its task and labels validate ``value``.
        kind : str
            One of :data:`workbench.types.ANNOTATION_KINDS`. ``label``/``relabel``
            need a ``value``; ``retract`` needs ``target_id``.
        source : str
            One of :data:`ANNOTATION_SOURCES`: where the decision was made.
        bulk_id : int, optional
            The bulk action the row belongs to (undo retracts its rows together).
        """
        annotator = check_annotator(annotator)
        one_of(kind, ANNOTATION_KINDS, "annotation kind")
        one_of(source, ANNOTATION_SOURCES, "annotation source")
        with self.atomic():
            rec = self.one("SELECT project_id, text FROM records WHERE id = ?", (record_id,))
            if rec is None or rec["project_id"] != project.id:
                raise NotFoundError(f"record {record_id} is not in project {project.name!r}")
            if kind in (*VALUE_KINDS, REVIEW):
                value = validate_value(project.task, project.labels, value, rec["text"])
            elif kind == "keep" and value is not None:
                value = validate_value(project.task, project.labels, value, rec["text"])
            elif kind == "retract":
                target = self.one("SELECT record_id FROM annotations WHERE id = ?", (target_id,))
                if target is None or target["record_id"] != record_id:
                    raise ValidationError(f"retract needs target_id of an annotation on record {record_id}")
            cur = self.execute(
                "INSERT INTO annotations (project_id, record_id, annotator, kind, value, target_id, audit_issue_id,"
                " created_at, stale, source, bulk_id) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (project.id, record_id, annotator, kind, None if value is None else dumps(value), target_id,
                 audit_issue_id, now(), int(stale), source, bulk_id),
            )
            self.refresh_record_state(record_id)
            # only this person's lease ends: with overlap, others may hold the same record
            self.execute("DELETE FROM leases WHERE record_id = ? AND annotator = ?", (record_id, annotator))
        return cur.lastrowid

    def refresh_record_state(self, record_id: int) -> dict[str, Any]:
        state = derive_state(self.history(record_id))
        self.execute(
            "UPDATE records SET status = ?, label = ?, excluded = ?, annotators = ?, n_labellers = ?, reviewed = ?,"
            " updated_at = ? WHERE id = ?",
            (state["status"], None if state["label"] is None else dumps(state["label"]), int(state["excluded"]),
             "," + ",".join(state["annotators"]) + "," if state["annotators"] else "", len(state["annotators"]),
             int(state["reviewed"]), now(), record_id),
        )
        return state

    def history(self, record_id: int) -> list[Annotation]:
        """Every annotation row of a record, oldest first."""
        return [Annotation.from_row(r) for r in self.query(
            "SELECT * FROM annotations WHERE record_id = ? ORDER BY id", (record_id,))]

    def project_history(self, project) -> list[Annotation]:
        """Every annotation row of a project, by record then oldest first (one query; the deletion backup)."""
        return [Annotation.from_row(r) for r in self.query(
            "SELECT * FROM annotations WHERE project_id = ? ORDER BY record_id, id", (project.id,))]

    def undo_last(self, project, annotator: str) -> int | None:
        """Retract the annotator's most recent live decision; return the retracted row id (None if nothing).

        A bulk label is one decision: all its live rows are retracted together.
        """
        with self.atomic():
            row = self.one(
                "SELECT a.id, a.record_id, a.bulk_id FROM annotations a WHERE a.project_id = ? AND a.annotator = ?"
                f" AND a.kind != 'retract' AND {LIVE}"
                " ORDER BY a.id DESC LIMIT 1", (project.id, annotator),
            )
            if row is None:
                return None
            targets = [(row["record_id"], row["id"])]
            if row["bulk_id"] is not None:
                targets = [(r["record_id"], r["id"]) for r in self.query(
                    f"SELECT a.id, a.record_id FROM annotations a WHERE a.bulk_id = ? AND a.kind != 'retract'"
                    f" AND {LIVE}", (row["bulk_id"],))]
            for record_id, target in targets:
                self.annotate(project, record_id, annotator, "retract", target_id=target)
        return row["id"]

    def recent_annotations(self, project, annotator: str | None = None, limit: int = 10) -> list[Annotation]:
        """Latest live (not retracted, not retract) rows, newest first."""
        who = " AND a.annotator = ?" if annotator else ""
        params = (project.id, annotator, limit) if annotator else (project.id, limit)
        return [Annotation.from_row(r) for r in self.query(
            "SELECT a.* FROM annotations a WHERE a.project_id = ?" + who +
            f" AND a.kind != 'retract' AND {LIVE}"
            " ORDER BY a.id DESC LIMIT ?", params)]

    def live_labels(self, project) -> list[dict[str, Any]]:
        """Each person's current label per record, schema rewrites applied: rows of record_id, annotator, value."""
        rows = [Annotation.from_row(r) for r in self.query(
            f"SELECT a.* FROM annotations a WHERE a.project_id = ? AND a.kind IN {sql_list(VALUE_KINDS)} AND {LIVE}"
            " ORDER BY a.record_id, a.id", (project.id,))]
        latest: dict[tuple[int, str], Any] = {}
        for record_id, history in itertools.groupby(rows, key=lambda r: r.record_id):  # rows come by record
            for r, value in effective_labels(list(history)):
                if r.annotator not in SYSTEM_ANNOTATORS:
                    latest[(record_id, r.annotator)] = value
        return [{"record_id": k[0], "annotator": k[1], "value": v} for k, v in latest.items()]

    def label_rows_mentioning(self, project, names: Sequence[str]) -> list[tuple[Annotation, Any]]:
        """Every counting label row (any annotator) whose value, after rewrites, may use one of ``names``:
        (row, effective value), by record then row order. The LIKE is a pre-filter; callers compare values."""
        like = " OR ".join("a.value LIKE ?" for _ in names)
        record_ids = [r["record_id"] for r in self.query(
            f"SELECT DISTINCT a.record_id FROM annotations a WHERE a.project_id = ? AND ({like})",
            (project.id, *[f"%{dumps(n)}%" for n in names]))]
        out = []
        for record_id in record_ids:
            out += effective_labels(self.history(record_id))
        return out

    def own_labels(self, project, annotator: str, record_ids: Sequence[int]) -> dict[int, Any]:
        """record id -> ``annotator``'s current (latest live, not stale) label, for the records they labelled."""
        sql = ("SELECT a.record_id, a.value FROM annotations a WHERE a.annotator = ? AND a.record_id IN ({marks})"
               f" AND a.kind IN {sql_list(VALUE_KINDS)} AND a.stale = 0 AND {LIVE} ORDER BY a.id")
        return {rid: loads(value) for rid, value in self.select_in(sql, list(record_ids), (annotator,))}

    def last_annotation_id(self, project) -> int:
        """The newest annotation row id of a project (0 without any): a cheap version of its labels."""
        return self.scalar("SELECT COALESCE(MAX(id), 0) FROM annotations WHERE project_id = ?", (project.id,))

    def reviewed_ids(self, project) -> set[int]:
        return {r["id"] for r in self.query("SELECT id FROM records WHERE project_id = ? AND reviewed = 1",
                                            (project.id,))}

    def reviewed_labels(self, project) -> dict[int, Any]:
        """record id -> final (reviewed) label."""
        return {r["id"]: loads(r["label"]) for r in self.query(
            "SELECT id, label FROM records WHERE project_id = ? AND reviewed = 1", (project.id,))}

    def current_labellers(self, record_id: int) -> list[str]:
        """The people whose live label is on the record (its derived ``annotators`` column)."""
        row = self.one("SELECT annotators FROM records WHERE id = ?", (record_id,))
        return [a for a in (row["annotators"] if row else "").split(",") if a]

    def annotation_record(self, annotation_id: int) -> int | None:
        """The record id an annotation row belongs to, or None."""
        return self.scalar("SELECT record_id FROM annotations WHERE id = ?", (annotation_id,))

    def label_provenance(self, record_ids: Sequence[int]) -> dict[int, tuple[str, str]]:
        """(annotator, time) of the newest live label/relabel row by a person on each record.

        A system annotator's rewrite (a schema rename) keeps the person who chose the label.
        """
        sql = ("SELECT a.record_id, a.annotator, a.created_at FROM annotations a WHERE a.record_id IN ({marks})"
               f" AND a.kind IN {sql_list((*VALUE_KINDS, REVIEW))} AND {LIVE} AND a.annotator NOT IN {PEOPLE_ONLY}"
               " ORDER BY a.kind = 'review', a.id")
        # later rows win, as in derive_state; a review wins over any label
        return {rid: (who, when) for rid, who, when in self.select_in(sql, list(record_ids))}
