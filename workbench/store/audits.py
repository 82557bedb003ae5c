"""Audits and their per-record entries (``audits`` / ``audit_issues``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from workbench.errors import NotFoundError
from workbench.store.annotations import DECIDED, bulk_labelled
from workbench.store.base import dumps, loads, now

ISSUE_COLUMNS = ("id, audit_id, project_id, record_id, issue_type, given, suggested, quality, is_issue,"
                 " details, created_at")
_I_COLUMNS = ", ".join("ai." + c.strip() for c in ISSUE_COLUMNS.split(","))
#: SQL: audit entry ``ai``'s record holds a live bulk label
_BULK = bulk_labelled("ai.record_id")


def _decode_issue(row: dict[str, Any]) -> dict[str, Any]:
    row["given"], row["suggested"] = loads(row["given"]), loads(row["suggested"])
    row["details"] = loads(row["details"]) or {}
    row["is_issue"] = bool(row["is_issue"])
    return row


def _decode_audit(row: dict[str, Any] | None) -> dict[str, Any] | None:
    if row is not None:
        row["config"], row["summary"] = loads(row["config"]), loads(row["summary"])
    return row


class AuditsMixin:
    def save_audit(self, project, source: str, config: dict, summary: dict, method: str,
                   rows: Sequence[dict[str, Any]]) -> int:
        """Store an audit and one entry per audited record (``record_id``, ``issue_type``, ``given``,
        ``suggested``, ``quality``, ``is_issue``, ``details``) in one transaction; return the audit id."""
        stamp = now()
        with self.atomic():
            audit_id = self.execute(
                "INSERT INTO audits (project_id, source, config, summary, method, created_at)"
                " VALUES (?,?,?,?,?,?)", (project.id, source, dumps(config), dumps(summary), method, stamp),
            ).lastrowid
            self.conn.executemany(
                "INSERT INTO audit_issues (audit_id, project_id, record_id, issue_type, given, suggested, quality,"
                " is_issue, details, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
                [(audit_id, project.id, r["record_id"], r["issue_type"], dumps(r["given"]), dumps(r["suggested"]),
                  r["quality"], int(r["is_issue"]), dumps(r["details"]), stamp) for r in rows])
        return audit_id

    def latest_audit_id(self, project) -> int | None:
        """Id of the project's most recent audit, or None if it was never audited."""
        return self.scalar("SELECT id FROM audits WHERE project_id = ? ORDER BY id DESC LIMIT 1", (project.id,))

    def latest_audit(self, project) -> dict[str, Any] | None:
        """The project's most recent audit row (config and summary decoded), or None."""
        return _decode_audit(self.one("SELECT * FROM audits WHERE project_id = ? ORDER BY id DESC LIMIT 1",
                                      (project.id,)))

    def get_audit(self, audit_id: int) -> dict[str, Any]:
        row = _decode_audit(self.one("SELECT * FROM audits WHERE id = ?", (audit_id,)))
        if row is None:
            raise NotFoundError(f"no audit {audit_id}")
        return row

    def audit_counts(self, audit_id: int) -> dict[str, int]:
        """``audited``, ``flagged`` and ``decided`` (flagged or not, with a live review decision) entries."""
        return self.one(
            "SELECT COUNT(*) AS audited, COALESCE(SUM(ai.is_issue), 0) AS flagged,"
            f" COALESCE(SUM({DECIDED}), 0) AS decided FROM audit_issues ai WHERE ai.audit_id = ?", (audit_id,))

    def audit_issues(self, audit_id: int, *, flagged_only: bool = True, undecided_only: bool = False,
                     limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
        """Audit entries, most suspicious (lowest quality) first; paginated."""
        where = " AND ai.is_issue = 1" if flagged_only else ""
        if undecided_only:
            where += f" AND NOT {DECIDED}"
        # bulk labels were never looked at one by one: their flags come first
        rows = self.query(f"SELECT {_I_COLUMNS} FROM audit_issues ai WHERE ai.audit_id = ?{where}"
                          f" ORDER BY {_BULK} DESC, ai.quality, ai.id LIMIT ? OFFSET ?", (audit_id, limit, offset))
        return [_decode_issue(r) for r in rows]

    def audit_issue(self, issue_id: int) -> dict[str, Any] | None:
        """One entry with ``given``/``suggested``/``details`` decoded, or None."""
        row = self.one(f"SELECT {ISSUE_COLUMNS} FROM audit_issues WHERE id = ?", (issue_id,))
        return None if row is None else _decode_issue(row)

    def record_audit_entry(self, audit_id: int, record_id: int) -> dict[str, Any] | None:
        """An audit's entry for one record (flagged first), or None."""
        row = self.one(f"SELECT {ISSUE_COLUMNS} FROM audit_issues WHERE audit_id = ? AND record_id = ?"
                       " ORDER BY is_issue DESC, id LIMIT 1", (audit_id, record_id))
        return None if row is None else _decode_issue(row)

    def audit_report_rows(self, audit_id: int) -> list[dict[str, Any]]:
        """Every entry with its record's external id and text, most suspicious first (decoded)."""
        rows = self.query(
            "SELECT ai.record_id, r.external_id, r.text, ai.given, ai.suggested, ai.quality, ai.is_issue, ai.details"
            " FROM audit_issues ai JOIN records r ON r.id = ai.record_id WHERE ai.audit_id = ?"
            " ORDER BY ai.quality, ai.id", (audit_id,))
        for r in rows:
            r["given"], r["suggested"] = loads(r["given"]), loads(r["suggested"])
            r["details"] = loads(r["details"]) or {}
        return rows

    def flagged_confusion(self, audit_id: int) -> list[tuple[Any, Any, int]]:
        """(given, suggested, count) of an audit's flagged entries."""
        return [(loads(r["given"]), loads(r["suggested"]), r["n"]) for r in self.query(
            "SELECT given, suggested, COUNT(*) AS n FROM audit_issues WHERE audit_id = ? AND is_issue = 1"
            " GROUP BY given, suggested", (audit_id,))]
