"""Queue queries and leases: the SQL behind :mod:`workbench.queue`.

Every candidate query walks an index and stops after one small batch, so
serving the next record costs the same on 1k or 100k records.
"""

from __future__ import annotations

import time

from workbench.store.annotations import DECIDED, LIVE
from workbench.store.records import RECORD_COLUMNS, Record

LEASE_SECONDS = 600
_R_COLUMNS = ", ".join(f"r.{c.strip()}" for c in RECORD_COLUMNS.split(","))
# Task distribution (annotators_per_record = :n): a record is open to :annotator while it is not excluded,
# not reviewed, :annotator has no label on it, and its labellers plus the other people holding a live
# lease on it are fewer than :n. With :n = 1 this is "unlabelled and not leased by someone else".
_OTHERS_HOLDING = ("(SELECT COUNT(*) FROM leases l WHERE l.record_id = r.id AND l.annotator != :annotator"
                   " AND l.expires_at > :now)")
#: the record still needs :annotator's label (Python twin: ``workbench.queue.needs``)
_NEEDS_ME = ("r.excluded = 0 AND r.reviewed = 0 AND instr(r.annotators, ',' || :annotator || ',') = 0"
             " AND r.n_labellers < :n")
#: ... and a slot is free: leases by others count against :n
_OPEN = f"{_NEEDS_ME} AND r.n_labellers + {_OTHERS_HOLDING} < :n"
_NOT_SKIPPED_BY_ME = ("NOT EXISTS (SELECT 1 FROM annotations a WHERE a.record_id = r.id AND a.annotator = :annotator"
                      f" AND a.kind = 'skip' AND {LIVE})")
#: queue source -> (FROM/WHERE clause, ORDER BY); named parameters :owner, :annotator, :now, :n
_CANDIDATES = {
    # "label these next" (Explore: a selection, or one representative per cluster), in the order asked
    "priority": (f"FROM queue_priority q JOIN records r ON r.id = q.record_id WHERE q.project_id = :owner"
                 f" AND r.status = 'unlabelled' AND {_OPEN} AND {_NOT_SKIPPED_BY_ME}", "q.rank, r.id"),
    # records some people labelled and that need more (overlap): finish them first, fullest first
    "overlap": (f"FROM records r WHERE r.project_id = :owner AND r.n_labellers > 0 AND r.n_labellers < :n"
                f" AND {_OPEN} AND {_NOT_SKIPPED_BY_ME}", "r.n_labellers DESC, r.id"),
    # ORDER BY uncertainty alone lets SQLite walk suggestions_queue backwards.
    "active-learning": ("FROM suggestions s JOIN records r ON r.id = s.record_id WHERE s.model_version_id = :owner"
                        f" AND s.uncertainty IS NOT NULL AND r.status = 'unlabelled' AND {_OPEN}", "s.uncertainty DESC"),
    "import": (f"FROM records r WHERE r.project_id = :owner AND r.status = 'unlabelled' AND {_OPEN}", "r.id"),
    "skipped": (f"FROM records r WHERE r.project_id = :owner AND r.status = 'skipped' AND {_OPEN}"
                f" AND {_NOT_SKIPPED_BY_ME}", "r.id"),
}
QUEUE_SOURCES = tuple(_CANDIDATES)
#: a record someone else holds a live lease on (re-checks and records opened on purpose: one person at a time)
_HELD_BY_OTHERS = "SELECT 1 FROM leases WHERE record_id = ? AND annotator != ? AND expires_at > ?"


def _overlap(project) -> int:
    return int(project.settings.annotators_per_record)


class QueueMixin:
    def lease(self, project, record_id: int, annotator: str, seconds: int = LEASE_SECONDS, *,
              status: str | None = None, shared: bool = False) -> bool:
        """Reserve a record for one annotator, atomically; False if it is not available to them.

        ``shared`` (the new-record queue): available while the record still needs this person under
        the project's ``annotators_per_record`` (see :data:`_OPEN`). Otherwise (re-checks, records
        opened on purpose) nobody else may hold a live lease on it. With ``status``, the record must
        still be in that status (someone decided on it meanwhile).

        Serving is select-then-lease; the re-check here, inside the write transaction, is what makes
        "serve + lease" one step: a record labelled after it was selected is never handed out.
        """
        t = time.time()
        with self.atomic():
            if status is not None:
                row = self.one("SELECT status, excluded FROM records WHERE id = ?", (record_id,))
                if row is None or row["status"] != status or row["excluded"]:
                    return False
            if shared:
                if not self.scalar(f"SELECT 1 FROM records r WHERE r.id = :id AND {_OPEN}",
                                   {"id": record_id, "annotator": annotator, "now": t, "n": _overlap(project)}):
                    return False
            elif self.scalar(_HELD_BY_OTHERS, (record_id, annotator, t)):
                return False
            self.execute(
                "INSERT INTO leases (record_id, project_id, annotator, expires_at) VALUES (?,?,?,?)"
                " ON CONFLICT (record_id, annotator) DO UPDATE SET expires_at = excluded.expires_at",
                (record_id, project.id, annotator, t + seconds),
            )
        return True

    def own_lease(self, project, annotator: str) -> Record | None:
        """A record this annotator holds a live lease on and that still needs their label, or None."""
        row = self.one(
            f"SELECT {_R_COLUMNS} FROM leases l JOIN records r ON r.id = l.record_id"
            f" WHERE l.project_id = :project AND l.annotator = :annotator AND l.expires_at > :now AND {_NEEDS_ME}"
            " ORDER BY l.expires_at LIMIT 1",
            {"project": project.id, "annotator": annotator, "now": time.time(), "n": _overlap(project)})
        return None if row is None else Record.from_row(row)

    def reserved_by_others(self, project, annotator: str) -> int:
        """Records held right now by other annotators' live leases that still need labels."""
        return self.scalar(
            "SELECT COUNT(DISTINCT l.record_id) FROM leases l JOIN records r ON r.id = l.record_id"
            " WHERE l.project_id = ? AND l.annotator != ? AND l.expires_at > ? AND r.n_labellers < ? AND r.reviewed = 0",
            (project.id, annotator, time.time(), _overlap(project)))

    def queue_candidates(self, project, source: str, annotator: str, *, offset: int, limit: int) -> list[Record]:
        """One batch of records of a queue ``source`` (:data:`QUEUE_SOURCES`) open to ``annotator``, in queue order."""
        if source == "active-learning" and project.active_model_version is None:
            return []
        if source == "overlap" and _overlap(project) == 1:
            return []
        where, order = _CANDIDATES[source]
        owner = project.active_model_version if source == "active-learning" else project.id
        rows = self.query(f"SELECT {_R_COLUMNS} {where} ORDER BY {order} LIMIT :limit OFFSET :offset",
                          {"owner": owner, "annotator": annotator, "now": time.time(), "n": _overlap(project),
                           "limit": limit, "offset": offset})
        return [Record.from_row(r) for r in rows]

    def recheck_counts(self, project, annotator: str) -> tuple[int, int]:
        """(re-check decisions, all decisions) of one annotator, retract rows left out."""
        row = self.one(
            "SELECT COUNT(*) AS total, COALESCE(SUM(audit_issue_id IS NOT NULL), 0) AS rechecks FROM annotations"
            " WHERE project_id = ? AND annotator = ? AND kind != 'retract'", (project.id, annotator))
        return row["rechecks"], row["total"]

    def recheck_candidates(self, audit_id: int, annotator: str, *, offset: int,
                           limit: int) -> list[tuple[Record, int]]:
        """(record, audit issue id) of flagged, undecided, not-leased issues, lowest label quality first."""
        rows = self.query(
            f"SELECT {_R_COLUMNS}, ai.id AS issue_id FROM audit_issues ai JOIN records r ON r.id = ai.record_id"
            " WHERE ai.audit_id = ? AND ai.is_issue = 1 AND r.excluded = 0"
            f" AND NOT {DECIDED}"
            # skipped by this annotator: not offered to them again
            " AND NOT EXISTS (SELECT 1 FROM annotations s WHERE s.audit_issue_id = ai.id AND s.kind = 'skip'"
            " AND s.annotator = ?)"
            f" AND NOT EXISTS ({_HELD_BY_OTHERS.replace('record_id = ?', 'record_id = r.id')})"
            " ORDER BY ai.quality IS NULL, ai.quality, ai.id LIMIT ? OFFSET ?",
            (audit_id, annotator, annotator, time.time(), limit, offset))
        return [(Record.from_row(r), r["issue_id"]) for r in rows]
