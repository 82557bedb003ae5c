"""Label audit: out-of-fold probabilities + cleanlab, stored as audits / audit_issues rows.
"""

from __future__ import annotations

from typing import Any

from workbench.store.base import loads

ISSUE_COLUMNS = ("id, audit_id, project_id, record_id, issue_type, given, suggested, quality, is_issue,"
                 " details, created_at")


def _decode_issue(row: dict[str, Any]) -> dict[str, Any]:
    row["given"], row["suggested"] = loads(row["given"]), loads(row["suggested"])
    row["details"] = loads(row["details"]) or {}
    row["is_issue"] = bool(row["is_issue"])
    return row


def latest_audit(store, project) -> dict[str, Any] | None:
    """The project's most recent audit row (config and summary decoded), or None."""
    row = store.one("SELECT * FROM audits WHERE project_id = ? ORDER BY id DESC LIMIT 1", (project.id,))
    if row is None:
        return None
    row["config"], row["summary"] = loads(row["config"]), loads(row["summary"])
    return row


def record_issue(store, project, record_id: int) -> dict[str, Any] | None:
    """The latest audit's entry for one record (flagged or merely scored), or None."""
    audit = latest_audit(store, project)
    if audit is None:
        return None
    row = store.one(f"SELECT {ISSUE_COLUMNS} FROM audit_issues WHERE audit_id = ? AND record_id = ?"
                    " ORDER BY is_issue DESC, id LIMIT 1", (audit["id"], record_id))
    return None if row is None else _decode_issue(row)
