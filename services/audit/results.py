"""Reading audits back (pages, CLI) and recording review decisions on their issues."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from workbench.errors import NotFoundError, ValidationError
from workbench.registry import one_of
from workbench.store.annotations import REVIEW_DECISIONS

DECISIONS = REVIEW_DECISIONS


def latest_audit(store, project) -> dict[str, Any] | None:
    """The project's most recent audit row (config and summary decoded), or None."""
    return store.latest_audit(project)


def get_audit(store, audit_id: int) -> dict[str, Any]:
    return store.get_audit(audit_id)


def summary(store, audit_id: int) -> dict[str, Any]:
    """Counts of an audit: audited, flagged, decided (has a live review decision)."""
    return store.audit_counts(audit_id)


def issues(store, audit_id: int, *, flagged_only: bool = True, undecided_only: bool = False,
           limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
    """Audit entries, most suspicious (lowest quality) first; paginated."""
    return store.audit_issues(audit_id, flagged_only=flagged_only, undecided_only=undecided_only, limit=limit,
                              offset=offset)


def record_issue(store, project, record_id: int) -> dict[str, Any] | None:
    """The latest audit's entry for one record (flagged or merely scored), or None."""
    audit_id = store.latest_audit_id(project)
    return None if audit_id is None else store.record_audit_entry(audit_id, record_id)


def decide(store, project, issue_id: int, annotator: str, decision: str, value: Any = None) -> int:
    """Record a review decision on an audit issue as an append-only annotation row; return its id.

    ``relabel`` needs ``value``; ``keep`` confirms the given label (stored as its value).
    """
    one_of(decision, DECISIONS, "decision")
    issue = store.audit_issue(issue_id)
    if issue is None or issue["project_id"] != project.id:
        raise NotFoundError(f"no audit issue {issue_id} in project {project.name!r}")
    if decision == "relabel" and value is None:
        raise ValidationError("relabel needs the new label")
    if decision == "keep":
        value = issue["given"]
    elif decision != "relabel":
        value = None
    return store.annotate(project, issue["record_id"], annotator, decision, value, audit_issue_id=issue_id)


def report(store, audit_id: int) -> dict[str, Any]:
    """JSON-ready audit report: its method (model@encoders/folds/seed), flagged issues (most suspicious first),
    noise rates, duplicates, all scores."""
    meta = store.get_audit(audit_id)
    out_issues, scores = [], []
    for r in store.audit_report_rows(audit_id):
        scores.append({"external_id": r["external_id"], "quality": r["quality"]})
        if r["is_issue"]:
            out_issues.append({"record_id": r["record_id"], "external_id": r["external_id"], "text": r["text"],
                               "given": r["given"], "suggested": r["suggested"], "quality": r["quality"],
                               "reason": r["details"].get("reason", "")})
    return {"audit_id": audit_id, "method": meta["method"], "issues": out_issues, "noise_rate": meta["summary"].get("noise_rate", {}),
            "duplicates": meta["summary"].get("duplicates", []), "scores": scores}


def issue_confusion(store, audit_id: int) -> list[dict[str, Any]]:
    """Flagged issues counted by (given, suggested) value: rows of given, suggested, count."""
    return [{"given": _short(given), "suggested": _short(suggested), "count": n}
            for given, suggested, n in store.flagged_confusion(audit_id)]


def _short(value: Any) -> str:
    if isinstance(value, list):
        if value and isinstance(value[0], dict):
            return ",".join(sorted({v["label"] for v in value})) or "(none)"
        return ",".join(value) or "(none)"
    return str(value)


def record_texts(store, record_ids: Sequence[int]) -> dict[int, str]:
    """record id -> text, for showing neighbours and duplicates."""
    return {r.id: r.text for r in store.get_records(list(record_ids))}
