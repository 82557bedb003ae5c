"""Argilla sync bookkeeping (the SQL behind :mod:`services.argilla`).

A project links to one Argilla dataset (``argilla_links``). ``argilla_records`` remembers which records
were pushed, under which server id, with which suggestion agent and for which open audit issue.
``argilla_responses`` remembers every response pulled (id, user, status, ``updated_at``) and the
annotation it produced, so a second pull adds nothing, a changed response replaces its annotation and
a deleted one retracts it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from workbench.errors import NotFoundError
from workbench.store.annotations import DECIDED, LIVE, VALUE_KINDS
from workbench.store.base import loads, now, sql_list

_LINK_COLUMNS = ("url, workspace, dataset, dataset_id, auto_push, linked_at, last_push_at, last_pull_at, watermark,"
                 " last_error")


class ArgillaMixin:
    # -- links --------------------------------------------------------------------
    def argilla_link(self, project) -> dict[str, Any] | None:
        """The project's link row (``auto_push`` as bool), or None when it is not linked."""
        row = self.one(f"SELECT {_LINK_COLUMNS} FROM argilla_links WHERE project_id = ?", (project.id,))
        if row is not None:
            row["auto_push"] = bool(row["auto_push"])
        return row

    def link_argilla(self, project, url: str, workspace: str, dataset: str, *, auto_push: bool = True) -> None:
        """Link (or re-link) a project; a new target forgets what was pushed to the old one."""
        with self.atomic():
            old = self.argilla_link(project)
            if old and (old["url"], old["workspace"], old["dataset"]) != (url, workspace, dataset):
                self._forget_argilla(project)
            self.execute(
                "INSERT INTO argilla_links (project_id, url, workspace, dataset, auto_push, linked_at)"
                " VALUES (?,?,?,?,?,?) ON CONFLICT (project_id) DO UPDATE SET url = excluded.url,"
                " workspace = excluded.workspace, dataset = excluded.dataset, auto_push = excluded.auto_push",
                (project.id, url, workspace, dataset, int(auto_push), now()))

    def unlink_argilla(self, project) -> None:
        """Drop the link and the push/pull bookkeeping; pulled annotations stay (they are history)."""
        with self.atomic():
            self._forget_argilla(project)
            self.execute("DELETE FROM argilla_links WHERE project_id = ?", (project.id,))

    def _forget_argilla(self, project) -> None:
        self.execute("DELETE FROM argilla_records WHERE project_id = ?", (project.id,))
        self.execute("DELETE FROM argilla_responses WHERE project_id = ?", (project.id,))
        self.execute("UPDATE argilla_links SET dataset_id = NULL, watermark = NULL, last_push_at = NULL,"
                     " last_pull_at = NULL WHERE project_id = ?", (project.id,))

    def update_argilla_link(self, project, **fields: Any) -> None:
        """Set some of ``dataset_id``, ``last_push_at``, ``last_pull_at``, ``watermark``, ``last_error``."""
        allowed = {"dataset_id", "last_push_at", "last_pull_at", "watermark", "last_error", "auto_push"}
        bad = set(fields) - allowed
        if bad:
            raise ValueError(f"unknown argilla link field(s) {sorted(bad)}")
        if not fields:
            return
        with self.atomic():
            cur = self.execute(f"UPDATE argilla_links SET {', '.join(f'{k} = ?' for k in fields)} WHERE project_id = ?",
                               (*fields.values(), project.id))
            if cur.rowcount == 0:
                raise NotFoundError(f"project {project.name!r} is not linked to Argilla")

    # -- pushed records -----------------------------------------------------------
    def mark_pushed(self, project, rows: Iterable[tuple[int, str, str | None, int | None]]) -> None:
        """Remember (record id, Argilla id, suggestion agent, open audit issue id) rows as pushed now."""
        stamp = now()
        with self.atomic():
            for record_id, argilla_id, agent, issue_id in rows:
                self.execute(
                    "INSERT INTO argilla_records (project_id, record_id, argilla_id, pushed_at, suggestion_agent,"
                    " audit_issue_id) VALUES (?,?,?,?,?,?) ON CONFLICT (project_id, record_id) DO UPDATE SET"
                    " argilla_id = excluded.argilla_id, pushed_at = excluded.pushed_at,"
                    " suggestion_agent = excluded.suggestion_agent,"
                    " audit_issue_id = COALESCE(excluded.audit_issue_id, argilla_records.audit_issue_id)",
                    (project.id, record_id, argilla_id, stamp, agent, issue_id))

    def pushed_records(self, project, record_ids: Sequence[int] | None = None) -> dict[int, dict[str, Any]]:
        """record id -> {argilla_id, suggestion_agent, audit_issue_id} of pushed records (all, or those given)."""
        sql = ("SELECT record_id, argilla_id, suggestion_agent, audit_issue_id FROM argilla_records"
               " WHERE project_id = ?")
        if record_ids is None:
            rows = self.query(sql, (project.id,))
        else:
            rows = [dict(r) for r in self.select_in(sql + " AND record_id IN ({marks})", list(record_ids), (project.id,))]
        return {r["record_id"]: r for r in rows}

    def pushed_ids(self, project) -> list[int]:
        return [r["record_id"] for r in self.query(
            "SELECT record_id FROM argilla_records WHERE project_id = ? ORDER BY record_id", (project.id,))]

    def record_ids_by_argilla_id(self, project, argilla_ids: Sequence[str]) -> dict[str, int]:
        return {r["argilla_id"]: r["record_id"] for r in self.select_in(
            "SELECT argilla_id, record_id FROM argilla_records WHERE project_id = ? AND argilla_id IN ({marks})",
            list(argilla_ids), (project.id,))}

    # -- pulled responses ---------------------------------------------------------
    def pulled_responses(self, project) -> dict[str, dict[str, Any]]:
        """response id -> its row (record_id, argilla_user, status, updated_at, annotation_id, deleted)."""
        return {r["response_id"]: r for r in self.query(
            "SELECT response_id, record_id, argilla_user, status, updated_at, annotation_id, deleted"
            " FROM argilla_responses WHERE project_id = ?", (project.id,))}

    def save_response(self, project, response_id: str, record_id: int, user: str, status: str, updated_at: str,
                      annotation_id: int | None, *, deleted: bool = False) -> None:
        self.execute(
            "INSERT INTO argilla_responses (response_id, project_id, record_id, argilla_user, status, updated_at,"
            " annotation_id, deleted) VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (response_id) DO UPDATE SET"
            " status = excluded.status, updated_at = excluded.updated_at, annotation_id = excluded.annotation_id,"
            " deleted = excluded.deleted",
            (response_id, project.id, record_id, user, status, updated_at, annotation_id, int(deleted)))

    def argilla_counts(self, project) -> dict[str, int]:
        """``pushed`` records, ``responded`` (pushed records with a live submitted or discarded response),
        ``pending`` (pushed, no such response) and ``responses`` (live pulled responses, drafts included)."""
        row = self.one(
            "SELECT (SELECT COUNT(*) FROM argilla_records WHERE project_id = :p) AS pushed,"
            " (SELECT COUNT(DISTINCT ar.record_id) FROM argilla_responses ar JOIN argilla_records pr"
            "   ON pr.project_id = ar.project_id AND pr.record_id = ar.record_id WHERE ar.project_id = :p"
            "   AND ar.deleted = 0 AND ar.status IN ('submitted', 'discarded')) AS responded,"
            " (SELECT COUNT(*) FROM argilla_responses WHERE project_id = :p AND deleted = 0) AS responses",
            {"p": project.id})
        row["pending"] = row["pushed"] - row["responded"]
        return row

    def latest_live_label_time(self, record_id: int, annotator: str) -> str | None:
        """When ``annotator`` last made a live label decision on a record in the workbench (not pulled)."""
        return self.scalar(
            f"SELECT MAX(a.created_at) FROM annotations a WHERE a.record_id = ? AND a.annotator = ?"
            f" AND a.source = 'workbench' AND a.kind IN {sql_list((*VALUE_KINDS, 'skip'))} AND {LIVE}",
            (record_id, annotator))

    # -- what a push sends --------------------------------------------------------
    def push_facts(self, project, record_ids: Sequence[int], audit_id: int | None) -> dict[int, dict[str, Any]]:
        """record id -> the active model's suggestion (``value``/``score``/``uncertainty``, JSON decoded) and the
        audit's entry (``quality``/``is_issue``/``issue_id``/``given``/``suggested``), None where absent."""
        out: dict[int, dict[str, Any]] = {rid: {"suggestion": None, "audit": None} for rid in record_ids}
        if project.active_model_version is not None:
            for r in self.select_in(
                    "SELECT record_id, value, score, uncertainty FROM suggestions WHERE model_version_id = ?"
                    " AND record_id IN ({marks})", list(record_ids), (project.active_model_version,)):
                out[r["record_id"]]["suggestion"] = {"value": loads(r["value"]), "score": r["score"],
                                                     "uncertainty": r["uncertainty"]}
        if audit_id is not None:
            for r in self.select_in(
                    "SELECT id, record_id, quality, is_issue, given, suggested FROM audit_issues WHERE audit_id = ?"
                    " AND record_id IN ({marks}) ORDER BY is_issue, id", list(record_ids), (audit_id,)):
                out[r["record_id"]]["audit"] = {"issue_id": r["id"], "quality": r["quality"],
                                                "is_issue": bool(r["is_issue"]), "given": loads(r["given"]),
                                                "suggested": loads(r["suggested"])}
        return out

    def push_candidates(self, project, only: str, audit_id: int | None, limit: int | None) -> list[int]:
        """Record ids a push sends, in the order Argilla should show them.

        ``unlabelled``: not labelled and not excluded (import order); ``flagged``: the audit's undecided
        flagged entries, lowest label quality first; ``all``: every record not excluded; ``pushed``: what
        was pushed before (a refresh).
        """
        lim = -1 if limit is None else int(limit)
        if only == "flagged":
            if audit_id is None:
                return []
            rows = self.query(f"SELECT ai.record_id FROM audit_issues ai JOIN records r ON r.id = ai.record_id"
                              f" WHERE ai.audit_id = ? AND ai.is_issue = 1 AND r.excluded = 0 AND NOT {DECIDED}"
                              " GROUP BY ai.record_id ORDER BY MIN(ai.quality), ai.record_id LIMIT ?", (audit_id, lim))
        elif only == "pushed":
            rows = self.query("SELECT record_id FROM argilla_records WHERE project_id = ? ORDER BY record_id LIMIT ?",
                              (project.id, lim))
            return [r["record_id"] for r in rows]
        else:
            status = " AND status = 'unlabelled'" if only == "unlabelled" else ""
            rows = self.query(f"SELECT id AS record_id FROM records WHERE project_id = ? AND excluded = 0{status}"
                              " ORDER BY id LIMIT ?", (project.id, lim))
        return [r["record_id"] for r in rows]

    def open_issue_ids(self, project, audit_id: int | None, record_ids: Sequence[int]) -> dict[int, int]:
        """record id -> its undecided flagged issue id in ``audit_id`` (for the records given)."""
        if audit_id is None:
            return {}
        return {r["record_id"]: r["id"] for r in self.select_in(
            f"SELECT ai.id, ai.record_id FROM audit_issues ai WHERE ai.audit_id = ? AND ai.is_issue = 1"
            f" AND NOT {DECIDED} AND ai.record_id IN ({{marks}})", list(record_ids), (audit_id,))}
