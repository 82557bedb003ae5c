"""Queue queries and leases: the SQL behind :mod:`workbench.queue`.

Every candidate query walks an index and stops after one small batch, so
serving the next record costs the same on 1k or 100k records.
"""

from __future__ import annotations

import time
from typing import Any

from workbench.store.annotations import DECIDED, LIVE
from workbench.store.records import RECORD_COLUMNS, Record

LEASE_SECONDS = 600
_R_COLUMNS = ", ".join(f"r.{c.strip()}" for c in RECORD_COLUMNS.split(","))
# A record leased by somebody else (live lease) is not offered.
_NOT_LEASED = ("NOT EXISTS (SELECT 1 FROM leases l WHERE l.record_id = r.id AND l.annotator != ?"
               " AND l.expires_at > ?)")
#: queue source -> (FROM/WHERE clause, ORDER BY); parameters: owner id, annotator, now [, annotator]
_CANDIDATES = {
    # ORDER BY uncertainty alone lets SQLite walk suggestions_queue backwards.
    "active-learning": ("FROM suggestions s JOIN records r ON r.id = s.record_id WHERE s.model_version_id = ?"
                        f" AND s.uncertainty IS NOT NULL AND r.status = 'unlabelled' AND r.excluded = 0"
                        f" AND {_NOT_LEASED}", "s.uncertainty DESC"),
    "import": (f"FROM records r WHERE r.project_id = ? AND r.status = 'unlabelled' AND r.excluded = 0"
               f" AND {_NOT_LEASED}", "r.id"),
    "skipped": (f"FROM records r WHERE r.project_id = ? AND r.status = 'skipped' AND r.excluded = 0 AND {_NOT_LEASED}"
                " AND NOT EXISTS (SELECT 1 FROM annotations a WHERE a.record_id = r.id AND a.annotator = ?"
                f" AND a.kind = 'skip' AND {LIVE})", "r.id"),
}
QUEUE_SOURCES = tuple(_CANDIDATES)


class QueueMixin:
    def lease(self, project, record_id: int, annotator: str, seconds: int = LEASE_SECONDS, *,
              status: str | None = None) -> bool:
        """Reserve a record for one annotator, atomically; False if someone else holds a live lease or,
        with ``status``, if the record is no longer in that status (someone decided on it meanwhile).

        Serving is select-then-lease; the re-check here, inside the write transaction, is what makes
        "serve + lease" one step: a record labelled after it was selected is never handed out.
        """
        t = time.time()
        with self.atomic():
            if status is not None:
                row = self.one("SELECT status, excluded FROM records WHERE id = ?", (record_id,))
                if row is None or row["status"] != status or row["excluded"]:
                    return False
            held = self.one("SELECT annotator, expires_at FROM leases WHERE record_id = ?", (record_id,))
            if held and held["annotator"] != annotator and held["expires_at"] > t:
                return False
            self.execute(
                "INSERT INTO leases (record_id, project_id, annotator, expires_at) VALUES (?,?,?,?)"
                " ON CONFLICT (record_id) DO UPDATE SET annotator = excluded.annotator, expires_at = excluded.expires_at",
                (record_id, project.id, annotator, t + seconds),
            )
        return True

    def own_lease(self, project, annotator: str) -> Record | None:
        """An unlabelled record this annotator holds a live lease on, or None."""
        row = self.one(
            f"SELECT {_R_COLUMNS} FROM leases l JOIN records r ON r.id = l.record_id"
            " WHERE l.project_id = ? AND l.annotator = ? AND l.expires_at > ?"
            " AND r.status = 'unlabelled' AND r.excluded = 0 ORDER BY l.expires_at LIMIT 1",
            (project.id, annotator, time.time()))
        return None if row is None else Record.from_row(row)

    def reserved_by_others(self, project, annotator: str) -> int:
        """Unlabelled records held right now by other annotators' live leases."""
        return self.scalar(
            "SELECT COUNT(*) FROM leases l JOIN records r ON r.id = l.record_id WHERE l.project_id = ?"
            " AND l.annotator != ? AND l.expires_at > ? AND r.status = 'unlabelled'",
            (project.id, annotator, time.time()))

    def queue_candidates(self, project, source: str, annotator: str, *, offset: int, limit: int) -> list[Record]:
        """One batch of not-leased-by-others records of a queue ``source`` (:data:`QUEUE_SOURCES`), in queue order."""
        if source == "active-learning" and project.active_model_version is None:
            return []
        where, order = _CANDIDATES[source]
        owner = project.active_model_version if source == "active-learning" else project.id
        params: tuple[Any, ...] = (owner, annotator, time.time()) + ((annotator,) if source == "skipped" else ())
        rows = self.query(f"SELECT {_R_COLUMNS} {where} ORDER BY {order} LIMIT ? OFFSET ?",
                          (*params, limit, offset))
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
            f" AND {_NOT_LEASED} ORDER BY ai.quality IS NULL, ai.quality, ai.id LIMIT ? OFFSET ?",
            (audit_id, annotator, annotator, time.time(), limit, offset))
        return [(Record.from_row(r), r["issue_id"]) for r in rows]
